import {
  CATALOG,
  detect,
  findDetection,
  matches,
  watchedEventNames,
} from '../../lambda/core/catalog';
import { validateRecord } from '../../lambda/core/cloudtrail';
import { fixtureCases, loadRecord } from '../support/fixtures';

const RDS = 'aws.rds.create-db-security-group';
const ELASTICACHE = 'aws.elasticache.create-cache-security-group';
const FAILED = 'aws.legacy-security-group.create-failed';

describe('detection catalog', () => {
  describe.each(fixtureCases())('fixture $file', ({ file, detections }) => {
    it(`fires exactly ${detections.length === 0 ? 'no detection' : detections.join(', ')}`, () => {
      const record = validateRecord(loadRecord(file));
      expect(detect(record).map((d) => d.id)).toEqual(detections);
    });
  });

  it('has a positive and a negative fixture for every detection', () => {
    const cases = fixtureCases();
    for (const detection of CATALOG) {
      expect(cases.some((c) => c.detections.includes(detection.id))).toBe(true);
      const sameCallNegative = cases.some((c) => {
        const record = loadRecord(c.file);
        return (
          !c.detections.includes(detection.id) &&
          detection.calls.some((call) => call.eventName === record.eventName)
        );
      });
      expect(sameCallNegative).toBe(true);
    }
  });

  it('rejects the spaced ElastiCache name the Elastic seed rule queries for', () => {
    const record = loadRecord('cloudtrail/elasticache-create-cache-security-group.success.json');
    const spaced = { ...record, eventName: 'Create Cache Security Group' };
    const elasticache = findDetection(ELASTICACHE);
    expect(elasticache).toBeDefined();
    if (elasticache === undefined) return;
    expect(matches(elasticache, record)).toBe(true);
    expect(matches(elasticache, spaced)).toBe(false);
    expect(detect(spaced)).toEqual([]);
  });

  it.each([
    ['an errorCode', { errorCode: 'AccessDenied' }],
    ['an empty errorCode', { errorCode: '' }],
  ])(
    'rejects a seed match and fires the failure detection when the record has %s',
    (_label, extra) => {
      const record = {
        ...loadRecord('cloudtrail/rds-create-db-security-group.success.iam-user.json'),
        ...extra,
      };
      expect(detect(record).map((d) => d.id)).toEqual([FAILED]);
    },
  );

  it('keeps the facts of the seed rules', () => {
    const rds = findDetection(RDS);
    const elasticache = findDetection(ELASTICACHE);
    expect(rds).toMatchObject({
      severity: 'low',
      riskScore: 21,
      outcome: 'success',
      elastic: {
        ruleId: '378f9024-8a0c-46a5-aa08-ce147ac73a4e',
        name: 'AWS RDS Security Group Creation',
      },
      calls: [
        { source: 'aws.rds', eventSource: 'rds.amazonaws.com', eventName: 'CreateDBSecurityGroup' },
      ],
      mitre: [
        {
          tactic: {
            id: 'TA0003',
            name: 'Persistence',
            url: 'https://attack.mitre.org/tactics/TA0003/',
          },
          technique: {
            id: 'T1136',
            name: 'Create Account',
            url: 'https://attack.mitre.org/techniques/T1136/',
          },
          subtechnique: {
            id: 'T1136.003',
            name: 'Cloud Account',
            url: 'https://attack.mitre.org/techniques/T1136/003/',
          },
        },
      ],
    });
    expect(elasticache).toMatchObject({
      severity: 'low',
      riskScore: 21,
      outcome: 'success',
      elastic: {
        ruleId: '7b3da11a-60a2-412e-8aa7-011e1eb9ed47',
        name: 'AWS ElastiCache Security Group Created',
      },
      calls: [
        {
          source: 'aws.elasticache',
          eventSource: 'elasticache.amazonaws.com',
          eventName: 'CreateCacheSecurityGroup',
        },
      ],
      mitre: [
        {
          tactic: {
            id: 'TA0005',
            name: 'Defense Evasion',
            url: 'https://attack.mitre.org/tactics/TA0005/',
          },
          technique: {
            id: 'T1562',
            name: 'Impair Defenses',
            url: 'https://attack.mitre.org/techniques/T1562/',
          },
          subtechnique: {
            id: 'T1562.007',
            name: 'Disable or Modify Cloud Firewall',
            url: 'https://attack.mitre.org/techniques/T1562/007/',
          },
        },
      ],
    });
  });

  it('scores failed attempts below the seed detections', () => {
    const failed = findDetection(FAILED);
    expect(failed?.outcome).toBe('failure');
    for (const seed of [RDS, ELASTICACHE]) {
      expect(failed?.riskScore).toBeLessThan(findDetection(seed)?.riskScore ?? 0);
    }
  });

  it('gives every detection a unique id and guidance in each section', () => {
    expect(new Set(CATALOG.map((d) => d.id)).size).toBe(CATALOG.length);
    for (const detection of CATALOG) {
      expect(detection.investigation.length).toBeGreaterThan(0);
      expect(detection.falsePositives.length).toBeGreaterThan(0);
      expect(detection.response.length).toBeGreaterThan(0);
      expect(detection.calls.length).toBeGreaterThan(0);
    }
  });

  it('lists exactly the two real eventNames as watched', () => {
    expect(watchedEventNames().sort()).toEqual([
      'CreateCacheSecurityGroup',
      'CreateDBSecurityGroup',
    ]);
  });
});
