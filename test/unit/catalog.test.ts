import type { Detection, DetectionSelection } from '../../lambda/core/catalog';
import {
  CATALOG,
  EXFILTRATION_PACK,
  EXPOSURE_PACK,
  SEED_PACK,
  catalogFor,
  detect,
  eventPatternFor,
  findDetection,
  matches,
  watchedEventNames,
} from '../../lambda/core/catalog';
import { validateRecord } from '../../lambda/core/cloudtrail';
import { matchesPattern } from '../support/event-pattern';
import { fixtureCases, loadRecord, toEnvelope } from '../support/fixtures';

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
    const record = loadRecord(
      'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.json',
    );
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
        ...loadRecord(
          'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
        ),
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

  it('lists exactly the two real eventNames as watched by the seed pack', () => {
    expect(watchedEventNames(SEED_PACK).sort()).toEqual([
      'CreateCacheSecurityGroup',
      'CreateDBSecurityGroup',
    ]);
  });

  it('lists each pack’s eventNames as watched, and every pack’s for the catalog', () => {
    const exposure = [
      'AuthorizeCacheSecurityGroupIngress',
      'AuthorizeDBSecurityGroupIngress',
      'AuthorizeSecurityGroupIngress',
      'CreateCluster',
      'CreateDBCluster',
      'CreateDBInstance',
      'CreateDBInstanceReadReplica',
      'CreateWorkgroup',
      'ModifyCacheCluster',
      'ModifyCluster',
      'ModifyDBCluster',
      'ModifyDBInstance',
      'ModifyReplicationGroup',
      'ModifySecurityGroupRules',
      'RestoreDBClusterFromS3',
      'RestoreDBClusterFromSnapshot',
      'RestoreDBClusterToPointInTime',
      'RestoreDBInstanceFromDBSnapshot',
      'RestoreDBInstanceFromS3',
      'RestoreDBInstanceToPointInTime',
      'RestoreFromClusterSnapshot',
      'UpdateWorkgroup',
    ];
    const exfiltration = [
      'AuthorizeSnapshotAccess',
      'ModifyDBClusterSnapshotAttribute',
      'ModifyDBSnapshotAttribute',
      'StartExportTask',
    ];
    expect(watchedEventNames(EXPOSURE_PACK).sort()).toEqual(exposure);
    expect(watchedEventNames(EXFILTRATION_PACK).sort()).toEqual(exfiltration);
    expect(watchedEventNames().sort()).toEqual(
      [...exposure, ...exfiltration, 'CreateCacheSecurityGroup', 'CreateDBSecurityGroup'].sort(),
    );
  });
});

describe('the outcome of a call, as the detector and the rule patterns judge it', () => {
  // EventBridge's `exists` sees a key holding null as present: the detector must agree, or
  // replay (which has no EventBridge in front of it) fires where the deployed rule does not.
  const positives = fixtureCases().filter((c) => c.detections.length > 0);

  it.each([
    ['absent', undefined],
    ['null', null],
    ['a code', 'AccessDenied'],
  ])('agree for every detection when errorCode is %s', (_label, errorCode) => {
    for (const { file } of positives) {
      // Prepare
      const { errorCode: _dropped, ...rest } = loadRecord(file);
      const record = validateRecord(errorCode === undefined ? rest : { ...rest, errorCode });

      for (const detection of CATALOG) {
        // Act
        const detected = matches(detection, record);
        const admitted = matchesPattern(eventPatternFor(detection), toEnvelope(record));

        // Assess: the detector fires only on what its rule lets through
        expect({ file, detection: detection.id, detected: detected && !admitted }).toEqual({
          file,
          detection: detection.id,
          detected: false,
        });
      }
    }
  });
});

describe('detection packs', () => {
  const ids = (detections: readonly Detection[]) => detections.map((d) => d.id);

  it('keeps three detections in the seed pack, five in exposure and three in exfiltration', () => {
    expect(ids(SEED_PACK)).toEqual([RDS, ELASTICACHE, FAILED]);
    expect(ids(EXPOSURE_PACK)).toEqual([
      'aws.ec2.datastore-port-open-to-internet',
      'aws.rds.instance-made-public',
      'aws.datastore.security-groups-changed',
      'aws.legacy-security-group.ingress-authorized',
      'aws.redshift.made-public',
    ]);
    expect(ids(EXFILTRATION_PACK)).toEqual([
      'aws.datastore.snapshot-shared',
      'aws.rds.snapshot-exported',
      'aws.rds.snapshot-public-share-failed',
    ]);
    expect(ids(CATALOG)).toEqual([
      ...ids(SEED_PACK),
      ...ids(EXPOSURE_PACK),
      ...ids(EXFILTRATION_PACK),
    ]);
  });

  it('labels each detection with the pack it is in', () => {
    for (const d of SEED_PACK) expect(d.pack).toBe('seed');
    for (const d of EXPOSURE_PACK) expect(d.pack).toBe('exposure');
    for (const d of EXFILTRATION_PACK) expect(d.pack).toBe('exfiltration');
  });

  it.each([
    ['seed', SEED_PACK],
    ['exposure', EXPOSURE_PACK],
    ['exfiltration', EXFILTRATION_PACK],
    ['all', CATALOG],
  ] as const)('selects the %s detections', (selection, expected) => {
    expect(catalogFor(selection)).toEqual(expected);
  });

  it('throws naming an unknown selection', () => {
    expect(() => catalogFor('everything' as DetectionSelection)).toThrow(/"everything"/);
  });

  it('keeps the seed detections free of content conditions', () => {
    for (const d of SEED_PACK) {
      expect(d.requestMatches).toBeUndefined();
      expect(d.calls.every((call) => call.detailFilter === undefined)).toBe(true);
    }
  });

  it.each([
    ['aws.ec2.datastore-port-open-to-internet', 'high', 73],
    ['aws.rds.instance-made-public', 'medium', 47],
    ['aws.datastore.security-groups-changed', 'low', 21],
    ['aws.legacy-security-group.ingress-authorized', 'medium', 47],
    ['aws.redshift.made-public', 'medium', 47],
    ['aws.datastore.snapshot-shared', 'high', 60],
    ['aws.rds.snapshot-exported', 'medium', 47],
  ] as const)('rates %s %s with risk %i, on Elastic’s bands', (id, severity, riskScore) => {
    expect(findDetection(id)).toMatchObject({ severity, riskScore, outcome: 'success' });
  });

  it('rates a failed attempt to make a snapshot public low, below a successful share', () => {
    expect(findDetection('aws.rds.snapshot-public-share-failed')).toMatchObject({
      severity: 'low',
      riskScore: 21,
      outcome: 'failure',
    });
  });

  it('maps every exfiltration detection to Transfer Data to Cloud Account', () => {
    for (const d of EXFILTRATION_PACK) {
      expect(d.mitre.map((m) => [m.tactic.id, m.technique.id, m.subtechnique?.id])).toEqual([
        ['TA0010', 'T1537', undefined],
      ]);
    }
  });

  it('maps every exposure detection to Disable or Modify Cloud Firewall', () => {
    for (const d of EXPOSURE_PACK) {
      expect(d.mitre.map((m) => [m.tactic.id, m.technique.id, m.subtechnique?.id])).toEqual([
        ['TA0005', 'T1562', 'T1562.007'],
      ]);
    }
  });

  it('never watches one call twice in a detection', () => {
    for (const d of CATALOG) {
      const keys = d.calls.map((call) => `${call.eventSource} ${call.eventName}`);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it.each(CATALOG.map((d) => [d.id, d] as const))(
    'keeps the %s pattern within EventBridge’s default limit of 2048 characters',
    (_id, d) => {
      expect(JSON.stringify(eventPatternFor(d)).length).toBeLessThanOrEqual(2048);
    },
  );

  it('throws at synth when a content filter redefines a key the call pattern sets', () => {
    const [first] = EXPOSURE_PACK;
    if (first === undefined) throw new Error('empty exposure pack');
    const broken: Detection = {
      ...first,
      calls: first.calls.map((call) => ({ ...call, detailFilter: { eventName: ['Other'] } })),
    };
    expect(() => eventPatternFor(broken)).toThrow(/redefines detail\.eventName/);
  });
});
