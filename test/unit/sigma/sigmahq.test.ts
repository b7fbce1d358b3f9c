import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigmaRules, MAX_PATTERN_LENGTH } from '../../../lambda/core/sigma';
import { matchesPattern } from '../../support/event-pattern';
import { envelope, record } from './helpers';

const FOLDER = join(__dirname, '..', '..', 'fixtures', 'sigma', 'sigmahq');
const sources = readdirSync(FOLDER)
  .filter((name) => name.endsWith('.yml'))
  .sort()
  .map((name) => ({ file: name, text: readFileSync(join(FOLDER, name), 'utf8') }));

describe('the SigmaHQ CloudTrail rules', () => {
  const load = loadSigmaRules(sources);

  it('all load and compile, none skipped', () => {
    expect(sources.length).toBeGreaterThanOrEqual(50);
    expect(load.errors.map((error) => error.message)).toEqual([]);
    expect(load.skipped).toEqual([]);
    expect(load.compiled).toHaveLength(sources.length);
  });

  it.each(load.compiled.map((c) => [c.rule.file, c] as const))(
    '%s deploys valid patterns within EventBridge’s limit',
    (_file, compiled) => {
      expect(compiled.detection.id).toBe(`sigma.${compiled.rule.id}`);
      expect(compiled.patterns.patterns.length).toBeGreaterThan(0);
      for (const pattern of compiled.patterns.patterns) {
        expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
        // The matcher refuses a pattern EventBridge would refuse, or one it cannot read.
        expect(typeof matchesPattern(pattern, envelope(record({})))).toBe('boolean');
      }
    },
  );

  it('pins the call where the rule does, and flags read-only rules', () => {
    const byFile = new Map(load.compiled.map((c) => [c.rule.file, c]));
    const trail = byFile.get('aws_cloudtrail_disable_logging.yml');
    expect(trail?.scope.eventNames).toEqual(['StopLogging', 'UpdateTrail', 'DeleteTrail']);
    expect(trail?.scope.readOnly).toBe(false);
    expect(trail?.patterns.exact).toBe(true);
    const buckets = byFile.get('aws_enum_buckets.yml');
    expect(buckets?.scope.readOnly).toBe(true);
  });
});
