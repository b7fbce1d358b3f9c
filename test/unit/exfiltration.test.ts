import fc from 'fast-check';
import { buildAlert } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import {
  CATALOG,
  EXFILTRATION_PACK,
  eventPatternFor,
  findDetection,
  matches,
} from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { Policy } from '../../lambda/core/policy';
import { DEFAULT_POLICY } from '../../lambda/core/policy';
import { MAX_SUBJECT_LENGTH, renderSubject } from '../../lambda/core/render';
import { matchesPattern } from '../support/event-pattern';
import { loadRecord, toEnvelope } from '../support/fixtures';

const NOW = new Date('2026-03-04T10:00:00.000Z');
const OWN = '111122223333';
const KNOWN = '444455556666';
const STRANGER = '210987654321';

function detection(id: string): Detection {
  const found = findDetection(id);
  if (found === undefined) throw new Error(`no detection ${id}`);
  return found;
}

const shared = detection('aws.datastore.snapshot-shared');
const exported = detection('aws.rds.snapshot-exported');
const publicShareFailed = detection('aws.rds.snapshot-public-share-failed');
const redshiftPublic = detection('aws.redshift.made-public');

const SOURCE_OF: Record<string, string> = {
  AuthorizeSnapshotAccess: 'redshift',
  CreateCluster: 'redshift',
  ModifyCluster: 'redshift',
  RestoreFromClusterSnapshot: 'redshift',
  CreateWorkgroup: 'redshift-serverless',
  UpdateWorkgroup: 'redshift-serverless',
};

/** A successful call of `eventName` in account OWN; `extra` overrides anything. */
function call(
  eventName: string,
  requestParameters: unknown,
  extra: Record<string, unknown> = {},
): CloudTrailRecord {
  const service = SOURCE_OF[eventName] ?? 'rds';
  return {
    eventVersion: '1.09',
    eventID: `unit-${eventName}`,
    eventTime: '2026-03-04T09:59:00Z',
    eventSource: `${service}.amazonaws.com`,
    eventName,
    awsRegion: 'us-west-2',
    userIdentity: {
      type: 'IAMUser',
      arn: `arn:aws:iam::${OWN}:user/ci-backup-old`,
      accountId: OWN,
    },
    sourceIPAddress: '198.51.100.37',
    userAgent: 'aws-cli/2.17.12',
    requestParameters: requestParameters as Record<string, unknown>,
    responseElements: null,
    recipientAccountId: OWN,
    ...extra,
  };
}

const share = (valuesToAdd: unknown, extra: Record<string, unknown> = {}) =>
  call('ModifyDBSnapshotAttribute', {
    dBSnapshotIdentifier: 'orders-final',
    attributeName: 'restore',
    valuesToAdd,
    ...extra,
  });

const POLICY: Policy = {
  ...DEFAULT_POLICY,
  accounts: { [KNOWN]: { name: 'dr-vault', environment: 'backup' } },
};

function admitted(d: Detection, record: CloudTrailRecord): boolean {
  return matchesPattern(eventPatternFor(d), toEnvelope(record));
}

describe('aws.datastore.snapshot-shared', () => {
  const positives: [string, CloudTrailRecord][] = [
    ['one foreign account in a list', share([STRANGER])],
    ['a foreign account as a lone string', share(STRANGER)],
    ['a foreign account as a JSON number', share(Number(STRANGER))],
    ['all, which makes the snapshot public', share(['all'])],
    ['all as a lone string, in capitals', share('ALL')],
    ['the own account beside a foreign one', share([OWN, STRANGER])],
    ['a known account', share([KNOWN])],
    ['an attribute name in capitals', share([STRANGER], { attributeName: 'RESTORE' })],
    ['an account beside a removal', share([STRANGER], { valuesToRemove: [KNOWN] })],
    [
      'a cluster snapshot shared with another account',
      call('ModifyDBClusterSnapshotAttribute', {
        dBClusterSnapshotIdentifier: 'ledger',
        attributeName: 'restore',
        valuesToAdd: [STRANGER],
      }),
    ],
    [
      'a Redshift snapshot shared with another account',
      call('AuthorizeSnapshotAccess', {
        snapshotIdentifier: 'rs:warehouse',
        accountWithRestoreAccess: STRANGER,
      }),
    ],
    ['a Region no list holds', { ...share([STRANGER]), awsRegion: 'xx-redacted-9' }],
    [
      'a record whose recipient account is missing, judged by the caller’s account',
      { ...share([STRANGER]), recipientAccountId: undefined },
    ],
  ];

  it.each(positives)('fires on %s, and its pattern admits the event', (_label, record) => {
    expect(matches(shared, record)).toBe(true);
    expect(admitted(shared, record)).toBe(true);
  });

  const negatives: [string, CloudTrailRecord, boolean][] = [
    ['only the own account', share([OWN]), false],
    ['only the own account as a number', share(Number(OWN)), false],
    [
      'a Redshift share with the own account',
      call('AuthorizeSnapshotAccess', { snapshotIdentifier: 's', accountWithRestoreAccess: OWN }),
      false,
    ],
    [
      'only valuesToRemove',
      call('ModifyDBSnapshotAttribute', {
        dBSnapshotIdentifier: 'orders-final',
        attributeName: 'restore',
        valuesToRemove: [STRANGER],
      }),
      true,
    ],
    ['an empty valuesToAdd', share([]), true],
    ['a list of nulls', share([null]), false],
    ['a non-integer number', share(2109876543.21), false],
    [
      'values nested in an object, a shape this detection cannot read',
      share({ attributeValue: [STRANGER] }),
      true,
    ],
    ['another attribute', share([STRANGER], { attributeName: 'copy' }), true],
    ['an attribute name that is not a string', share([STRANGER], { attributeName: 7 }), true],
    ['a failed share', { ...share([STRANGER]), errorCode: 'AccessDenied' }, true],
    ['a failed share whose errorCode is empty', { ...share([STRANGER]), errorCode: '' }, true],
    [
      'a failed share whose errorCode is null',
      { ...share([STRANGER]), errorCode: null } as unknown as CloudTrailRecord,
      true,
    ],
    ['no request parameters', call('ModifyDBSnapshotAttribute', null), true],
  ];

  it.each(negatives)('does not fire on %s', (_label, record, filteredByPattern) => {
    expect(matches(shared, record)).toBe(false);
    expect(admitted(shared, record)).toBe(!filteredByPattern);
  });

  it('names each account, says whether the directory knows it, and leaves out the own one', () => {
    const record = share([OWN, KNOWN, STRANGER, 'all', STRANGER]);

    expect(shared.findings?.(record, { accounts: POLICY.accounts })).toEqual([
      `DB snapshot orders-final shared with account ${KNOWN}, known as dr-vault (backup)`,
      `DB snapshot orders-final shared with account ${STRANGER}, which the account directory does not list`,
      'DB snapshot orders-final shared with every AWS account (all): the snapshot is public',
    ]);
  });

  it('writes an account logged as a number back as twelve digits', () => {
    expect(shared.findings?.(share(12_345_678_901))).toEqual([
      'DB snapshot orders-final shared with account 012345678901, which the account directory does not list',
    ]);
  });

  it('ranks a share with an unknown account above one with a known account', () => {
    const known = buildAlert(shared, share([KNOWN]), {
      now: NOW,
      retentionDays: 30,
      policy: POLICY,
    });
    const unknown = buildAlert(shared, share([STRANGER]), {
      now: NOW,
      retentionDays: 30,
      policy: POLICY,
    });

    expect(known.riskScore).toBe(60);
    expect(known.severity).toBe('high');
    expect(unknown.riskScore).toBe(70);
    expect(unknown.risk.factors.map((f) => f.id)).toEqual(['unknown-recipient-account']);
  });

  it('makes a public snapshot critical, and keeps it at least high from a pipeline', () => {
    const direct = buildAlert(shared, share(['all']), { now: NOW, retentionDays: 30 });
    const pipeline = buildAlert(
      shared,
      { ...share(['all']), userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.8.5' },
      {
        now: NOW,
        retentionDays: 30,
      },
    );

    expect(direct.severity).toBe('critical');
    expect(direct.risk.factors.map((f) => f.id)).toEqual(['snapshot-public']);
    expect(['high', 'critical']).toContain(pipeline.severity);
  });

  it('names the Redshift snapshot and a recipient that is not an account id', () => {
    const record = call('AuthorizeSnapshotAccess', {
      snapshotIdentifier: 'rs:warehouse',
      accountWithRestoreAccess: 'amazon-redshift-support',
    });

    expect(matches(shared, record)).toBe(true);
    expect(shared.findings?.(record)).toEqual([
      'Redshift snapshot rs:warehouse shared with amazon-redshift-support, which is not an account id (not in the account directory)',
    ]);
  });
});

describe('aws.rds.snapshot-public-share-failed', () => {
  const failed = (valuesToAdd: unknown, errorCode: unknown = 'AccessDenied') =>
    ({ ...share(valuesToAdd), errorCode }) as CloudTrailRecord;

  it.each([
    ['access denied', failed(['all'])],
    ['an encrypted snapshot RDS refused to publish', failed('all', 'InvalidParameterValue')],
    ['an errorCode that is present but empty', failed(['all'], '')],
    ['an errorCode that is null', failed(['all'], null)],
  ])('fires on a failed public share: %s', (_label, record) => {
    expect(matches(publicShareFailed, record)).toBe(true);
    expect(admitted(publicShareFailed, record)).toBe(true);
    expect(matches(shared, record)).toBe(false);
  });

  it.each([
    ['a failed share with one account', failed([STRANGER]), true],
    ['a successful public share', share(['all']), true],
    [
      'a failed removal of all',
      {
        ...call('ModifyDBSnapshotAttribute', { attributeName: 'restore', valuesToRemove: ['all'] }),
        errorCode: 'AccessDenied',
      },
      true,
    ],
  ])('does not fire on %s', (_label, record, filteredByPattern) => {
    expect(matches(publicShareFailed, record)).toBe(false);
    expect(admitted(publicShareFailed, record)).toBe(!filteredByPattern);
  });
});

describe('aws.rds.snapshot-exported', () => {
  it('names the source, bucket, prefix, task, role, key and tables', () => {
    const record = loadRecord(
      'cloudtrail/aws.rds.snapshot-exported/rds-start-export-task.success.snapshot-tables.json',
    );

    expect(matches(exported, record)).toBe(true);
    expect(exported.findings?.(record)).toEqual([
      'DB snapshot payments-final-2026-03 exported to s3://tmp-transfer-4471/dump/ (export task payments-export-0304)',
      'written by role arn:aws:iam::111122223333:role/rds-s3-export',
      'encrypted with KMS key arn:aws:kms:us-west-2:111122223333:key/6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5',
      'only these tables: payments.cards, payments.customers',
    ]);
  });

  it('raises an export encrypted with another account’s key to high', () => {
    const record = loadRecord(
      'cloudtrail/aws.rds.snapshot-exported/rds-start-export-task.success.cluster-foreign-key.json',
    );
    const alert = buildAlert(exported, record, { now: NOW, retentionDays: 30 });

    expect(exported.findings?.(record)).toContain(
      'encrypted with KMS key arn:aws:kms:eu-west-1:210987654321:key/0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d, which belongs to another account',
    );
    expect(exported.findings?.(record)[0]).toBe(
      'DB cluster ledger-prod (its current data) exported to s3://ledger-archive-eu/ (export task ledger-live-export)',
    );
    expect(alert.risk.factors.map((f) => f.id)).toEqual(['foreign-kms-key']);
    expect(alert.severity).toBe('high');
  });

  it('describes a request that names nothing without throwing', () => {
    expect(exported.findings?.(call('StartExportTask', null))).toEqual([
      'a source the request does not name exported to a bucket the request does not name',
      'written by role (not in the request)',
      'encrypted with KMS key (not in the request)',
      'every table of the source',
    ]);
  });

  it.each([
    ['an errorCode', 'AccessDenied'],
    ['an empty errorCode', ''],
    ['a null errorCode', null],
  ])('does not fire on a failed export with %s', (_label, errorCode) => {
    const record = { ...call('StartExportTask', {}), errorCode } as CloudTrailRecord;
    expect(matches(exported, record)).toBe(false);
    expect(admitted(exported, record)).toBe(false);
  });
});

describe('aws.redshift.made-public', () => {
  const positives: [string, CloudTrailRecord][] = [
    ['CreateCluster asking for public access', call('CreateCluster', { publiclyAccessible: true })],
    ['ModifyCluster asking for public access', call('ModifyCluster', { publiclyAccessible: true })],
    [
      'RestoreFromClusterSnapshot public by default, shown flat in the response',
      call(
        'RestoreFromClusterSnapshot',
        { clusterIdentifier: 'c' },
        { responseElements: { publiclyAccessible: true } },
      ),
    ],
    [
      'CreateCluster public by default, shown nested under cluster',
      call('CreateCluster', {}, { responseElements: { cluster: { publiclyAccessible: true } } }),
    ],
    [
      'CreateWorkgroup public by default, shown nested under workgroup',
      call(
        'CreateWorkgroup',
        { workgroupName: 'w' },
        { responseElements: { workgroup: { publiclyAccessible: true } } },
      ),
    ],
    [
      'UpdateWorkgroup asking for public access',
      call('UpdateWorkgroup', { publiclyAccessible: true }),
    ],
  ];

  it.each(positives)('fires on %s, and its pattern admits the event', (_label, record) => {
    expect(matches(redshiftPublic, record)).toBe(true);
    expect(admitted(redshiftPublic, record)).toBe(true);
  });

  const negatives: [string, CloudTrailRecord, boolean][] = [
    ['ModifyCluster turning it off', call('ModifyCluster', { publiclyAccessible: false }), true],
    ['the string "true"', call('ModifyCluster', { publiclyAccessible: 'true' }), true],
    [
      'an UpdateWorkgroup that does not touch public access, on a public workgroup',
      call(
        'UpdateWorkgroup',
        { baseCapacity: 64 },
        { responseElements: { workgroup: { publiclyAccessible: true } } },
      ),
      true,
    ],
    [
      'a CreateCluster that asks for private whatever the response says',
      call(
        'CreateCluster',
        { publiclyAccessible: false },
        { responseElements: { publiclyAccessible: true } },
      ),
      true,
    ],
    [
      'the workgroup shape on a provisioned cluster',
      call('CreateCluster', {}, { responseElements: { workgroup: { publiclyAccessible: true } } }),
      true,
    ],
    [
      'a failed call',
      { ...call('CreateCluster', { publiclyAccessible: true }), errorCode: '' },
      true,
    ],
  ];

  it.each(negatives)('does not fire on %s', (_label, record, filteredByPattern) => {
    expect(matches(redshiftPublic, record)).toBe(false);
    expect(admitted(redshiftPublic, record)).toBe(!filteredByPattern);
  });

  it('says whether public access was requested or a default', () => {
    expect(
      redshiftPublic.findings?.(
        call('ModifyCluster', { clusterIdentifier: 'bi', publiclyAccessible: true }),
      ),
    ).toEqual([
      'Redshift cluster bi set publicly accessible (publiclyAccessible: true in the request)',
    ]);
    expect(
      redshiftPublic.findings?.(
        call(
          'CreateWorkgroup',
          { workgroupName: 'adhoc' },
          { responseElements: { workgroup: { publiclyAccessible: true } } },
        ),
      ),
    ).toEqual([
      'Redshift Serverless workgroup adhoc created publicly accessible by default: the request did not set publiclyAccessible and the response shows true',
    ]);
  });
});

describe('the new detections against published rule test events', () => {
  // Scenarios of Panther's RDS snapshot-shared and snapshot-export rule tests, written
  // again as fixtures here: both rule sets must reach the same verdict on each.
  it.each([
    [
      'cloudtrail/aws.datastore.snapshot-shared/rds-modify-db-snapshot-attribute.success.shared-unknown-account.json',
      shared,
      true,
    ],
    [
      'cloudtrail/aws.datastore.snapshot-shared/negative.rds-modify-db-snapshot-attribute.empty-list.json',
      shared,
      false,
    ],
    [
      'cloudtrail/aws.rds.snapshot-exported/rds-start-export-task.success.snapshot-tables.json',
      exported,
      true,
    ],
    [
      'cloudtrail/aws.rds.snapshot-exported/rds-start-export-task.success.cluster-foreign-key.json',
      exported,
      true,
    ],
    [
      'cloudtrail/aws.rds.snapshot-exported/negative.rds-start-export-task.access-denied.json',
      exported,
      false,
    ],
    [
      'cloudtrail/aws.datastore.snapshot-shared/negative.rds-create-db-snapshot.json',
      exported,
      false,
    ],
  ] as const)('%s: %#', (file, d, expected) => {
    expect(matches(d, loadRecord(file))).toBe(expected);
  });
});

describe('generated snapshot-attribute requests', () => {
  const valueArb = fc.constantFrom<unknown>(
    STRANGER,
    OWN,
    KNOWN,
    Number(STRANGER),
    Number(OWN),
    'all',
    'All',
    'amazon-redshift-support',
    '',
    null,
    true,
    12.5,
    { attributeValue: STRANGER },
  );
  const valuesArb = fc.oneof(valueArb, fc.array(valueArb, { maxLength: 3 }));
  const requestArb = fc
    .tuple(
      fc.constantFrom(
        'ModifyDBSnapshotAttribute',
        'ModifyDBClusterSnapshotAttribute',
        'AuthorizeSnapshotAccess',
      ),
      fc.record(
        {
          attributeName: fc.constantFrom<unknown>('restore', 'RESTORE', 'copy', ['restore'], 7),
          valuesToAdd: valuesArb,
          valuesToRemove: valuesArb,
          accountWithRestoreAccess: valuesArb,
        },
        { requiredKeys: [] },
      ),
      fc.constantFrom<unknown>(undefined, undefined, undefined, '', null, 'AccessDenied'),
    )
    .map(([eventName, params, errorCode]) => {
      const record = call(eventName, { dBSnapshotIdentifier: 'snap', ...params });
      return JSON.parse(
        JSON.stringify(errorCode === undefined ? record : { ...record, errorCode }),
      ) as CloudTrailRecord;
    });
  const records = fc.sample(requestArb, { numRuns: 3000, seed: 20260304 });

  it.each([
    [shared.id, shared],
    [publicShareFailed.id, publicShareFailed],
  ])('fire on enough of them to mean something: %s', (_id, d) => {
    const fired = records.filter((record) => matches(d, record));
    expect(fired.length).toBeGreaterThan(50);
    expect(records.length - fired.length).toBeGreaterThan(50);
  });

  it.each([
    [shared.id, shared],
    [publicShareFailed.id, publicShareFailed],
  ])('are all admitted by the %s pattern whenever it fires', (_id, d) => {
    const pattern = eventPatternFor(d);
    const sameOutcome = records.filter(
      (record) => (d.outcome === 'failure') === (record.errorCode !== undefined),
    );
    for (const record of sameOutcome) {
      const fired = matches(d, record);
      if (fired) expect(matchesPattern(pattern, toEnvelope(record))).toBe(true);
      if (d === shared) expect((d.findings?.(record) ?? []).length > 0).toBe(fired);
    }
  });
});

describe('every exfiltration and Redshift detection', () => {
  const subjects = [...EXFILTRATION_PACK, redshiftPublic];

  it.each(subjects.map((d) => [d.id, d] as const))(
    'keeps the %s subject under the SNS limit in the longest Region name',
    (_id, d) => {
      const alert = buildAlert(d, share(['all'], { errorCode: 'x' }), {
        now: NOW,
        retentionDays: 30,
      });
      const longest = { ...alert, severity: 'critical' as const, region: 'ap-southeast-22' };
      const subject = renderSubject({ ...longest, burst: undefined }, d);
      expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
      expect(subject).toContain(d.shortTitle);
    },
  );

  const anyCall = fc.constantFrom(...subjects.flatMap((d) => d.calls.map((c) => c.eventName)));
  const hostileKeys = fc.dictionary(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'attributeName',
      'valuesToAdd',
      'valuesToRemove',
      'accountWithRestoreAccess',
      'publiclyAccessible',
      'workgroup',
      'cluster',
      'sourceArn',
      'kmsKeyId',
      'exportOnly',
    ),
    fc.oneof(fc.jsonValue(), fc.constantFrom<unknown>('restore', 'all', STRANGER, OWN, true)),
  );

  it('never throws and never fires where its pattern would not deliver', () => {
    fc.assert(
      fc.property(
        anyCall,
        fc.oneof(fc.jsonValue(), hostileKeys),
        fc.oneof(fc.jsonValue(), hostileKeys),
        fc.constantFrom<unknown>(undefined, null, '', 'AccessDenied'),
        (eventName, params, response, errorCode) => {
          const base = call(eventName, params, { responseElements: response });
          const record = JSON.parse(
            JSON.stringify(errorCode === undefined ? base : { ...base, errorCode }),
          ) as CloudTrailRecord;
          for (const d of CATALOG) {
            const fired = matches(d, record);
            d.findings?.(record, { accounts: POLICY.accounts });
            for (const rule of d.riskRules ?? []) rule.applies(record, { accounts: {} });
            if (fired) expect(admitted(d, record)).toBe(true);
          }
        },
      ),
      { numRuns: 600, seed: 20260304 },
    );
  });
});
