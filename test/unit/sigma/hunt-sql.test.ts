import { CATALOG } from '../../../lambda/core/catalog';
import { buildHuntSql } from '../../../lambda/core/hunt/sql';
import { compile, ruleText } from './helpers';

const RANGE = {
  database: 'trail_db',
  table: 'trail',
  since: Date.parse('2026-03-01T00:00:00Z'),
  until: Date.parse('2026-03-02T00:00:00Z'),
};

describe('hunt SQL for Sigma rules', () => {
  it('narrows by the eventSource and eventName a rule pins, in any case', () => {
    const rule = compile(
      ruleText(`
  selection:
    eventSource: CloudTrail.amazonaws.com
    eventName:
      - StopLogging
      - DeleteTrail
  condition: selection`),
    );
    const sql = buildHuntSql({ ...RANGE, detections: [...CATALOG, rule.detection] });
    expect(sql).toContain(
      "(lower(eventsource) IN ('cloudtrail.amazonaws.com') AND lower(eventname) IN ('deletetrail', 'stoplogging'))",
    );
    // The built-in detections keep their own conditions.
    expect(sql).toContain("eventname = 'CreateDBSecurityGroup'");
  });

  it('leaves only the partitions to narrow by when a rule pins no call', () => {
    const rule = compile(
      ruleText(`\n  selection:\n    userAgent|contains: trufflehog\n  condition: selection`),
    );
    const sql = buildHuntSql({ ...RANGE, detections: [...CATALOG, rule.detection] });
    expect(sql).not.toContain('eventname');
    expect(sql).toMatch(/WHERE "day" BETWEEN '2026\/02\/28' AND '2026\/03\/03'\nORDER BY path$/);
  });
});
