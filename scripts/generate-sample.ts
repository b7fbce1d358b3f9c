/**
 * Writes the demo data shipped in the repo:
 *   samples/archive/                  a small CloudTrail S3 archive (gzip, CloudTrail's key layout)
 *   samples/eventbridge-events.jsonl  EventBridge "AWS API Call via CloudTrail" events, one per line
 *
 * The archive is background traffic with a handful of planted target calls whose
 * eventIDs are printed, so a replay over it has a known answer. Output is byte-for-byte
 * reproducible: every random choice comes from fixed seeds and gzip writes no timestamp.
 *
 * Run: npm run sample
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { validateEnvelope } from '../lambda/core/cloudtrail';
import type { CloudTrailEnvelope, CloudTrailRecord } from '../lambda/core/cloudtrail';
import {
  Prng,
  authorizeSecurityGroupIngressRecord,
  createCacheSecurityGroupRecord,
  createDbSecurityGroupRecord,
  createRedshiftClusterRecord,
  generateRecords,
  isTargetRecord,
  makeIdentity,
  modifyDbInstanceRecord,
  modifyDbSnapshotAttributeRecord,
  startExportTaskRecord,
  writeArchive,
} from './lib/cloudtrail-generator';
import type { PlantedRecord, TargetRecordOptions } from './lib/cloudtrail-generator';

const SEED = 20250310;
const PROD = '111122223333';
const OTHER = '444455556666';
/** An account in no directory: where the leaked key sends a snapshot. */
const STRANGER = '210987654321';
const ACCOUNTS = [PROD, OTHER];
const REGIONS = ['us-east-1', 'eu-west-1'];
const START = new Date('2025-03-10T00:00:00Z');
const END = new Date('2025-03-13T00:00:00Z');
const FILES = 24;
const RECORDS_PER_FILE = 90;

const repoRoot = join(__dirname, '..');
const samplesDir = join(repoRoot, 'samples');
const archiveDir = join(samplesDir, 'archive');
const eventsFile = join(samplesDir, 'eventbridge-events.jsonl');

interface Plant {
  readonly label: string;
  readonly kind: 'rds' | 'cache';
  readonly redeliver?: boolean;
  readonly opts: Omit<TargetRecordOptions, 'seed' | 'rng'>;
}

function at(iso: string): Date {
  return new Date(iso);
}

/** A fixed identity so the record does not depend on what else the script draws. */
function identity(
  kind: Parameters<typeof makeIdentity>[0],
  account: string,
  time: Date,
  label: string,
  name?: string,
): ReturnType<typeof makeIdentity> {
  return makeIdentity(kind, account, Prng.derive(SEED, 'identity', label), time, name);
}

// The planted calls: what a replay of the sample must find (successes) and report
// separately (failures). Times fall inside the three sampled days.
const PLANTS: readonly Plant[] = [
  {
    label: 'rds-success-terraform',
    kind: 'rds',
    opts: {
      account: PROD,
      region: 'us-east-1',
      time: at('2025-03-10T14:07:31Z'),
      identity: identity('ci-role', PROD, at('2025-03-10T14:07:31Z'), 'rds-success-terraform'),
      userAgentKind: 'terraform',
      sourceIPAddress: '198.51.100.23',
      groupName: 'legacy-reporting-db',
      description: 'Reporting database access, carried over from an old module',
      tags: [{ key: 'ManagedBy', value: 'terraform' }],
    },
  },
  {
    label: 'rds-success-console',
    kind: 'rds',
    opts: {
      account: OTHER,
      region: 'eu-west-1',
      time: at('2025-03-11T09:42:10Z'),
      identity: identity(
        'sso-user',
        OTHER,
        at('2025-03-11T09:42:10Z'),
        'rds-success-console',
        'tom.becker@example.com',
      ),
      userAgent: 'console.amazonaws.com',
      sourceIPAddress: '192.0.2.44',
      groupName: 'analytics-db',
      description: 'Analytics team database access',
    },
  },
  {
    label: 'rds-success-redelivered',
    kind: 'rds',
    redeliver: true,
    opts: {
      account: PROD,
      region: 'eu-west-1',
      time: at('2025-03-11T21:15:44Z'),
      identity: identity(
        'assumed-role',
        PROD,
        at('2025-03-11T21:15:44Z'),
        'rds-success-redelivered',
        'platform-admin',
      ),
      userAgentKind: 'aws-cli',
      sourceIPAddress: '203.0.113.18',
      groupName: 'billing-replica-db',
      description: 'Billing read replica access',
      tags: [
        { key: 'team', value: 'billing' },
        { key: 'ticket', value: 'OPS-4172' },
      ],
    },
  },
  {
    label: 'cache-success-pacu',
    kind: 'cache',
    opts: {
      account: PROD,
      region: 'us-east-1',
      time: at('2025-03-12T03:18:05Z'),
      identity: identity('iam-user', PROD, at('2025-03-12T03:18:05Z'), 'leaked-key', 'svc-backup'),
      userAgentKind: 'pacu',
      sourceIPAddress: '203.0.113.77',
      groupName: 'maint-cache',
      description: 'maintenance',
    },
  },
  {
    label: 'cache-success-boto3',
    kind: 'cache',
    opts: {
      account: OTHER,
      region: 'us-east-1',
      time: at('2025-03-10T18:30:02Z'),
      identity: identity(
        'assumed-role',
        OTHER,
        at('2025-03-10T18:30:02Z'),
        'cache-success-boto3',
        'cache-provisioner',
      ),
      userAgentKind: 'boto3',
      sourceIPAddress: '10.12.40.17',
      groupName: 'sessions-cache',
      description: 'Session store access',
    },
  },
  {
    label: 'rds-failure-kali-access-denied',
    kind: 'rds',
    opts: {
      account: OTHER,
      region: 'us-east-1',
      time: at('2025-03-12T03:25:40Z'),
      identity: identity(
        'iam-user',
        OTHER,
        at('2025-03-12T03:25:40Z'),
        'rds-failure-kali',
        'build-agent',
      ),
      userAgentKind: 'kali',
      sourceIPAddress: '203.0.113.77',
      groupName: 'probe',
      description: 'probe',
      failure: 'AccessDenied',
    },
  },
  {
    label: 'cache-failure-invalid-parameter-value',
    kind: 'cache',
    opts: {
      account: PROD,
      region: 'eu-west-1',
      time: at('2025-03-10T11:02:19Z'),
      identity: identity(
        'sso-user',
        PROD,
        at('2025-03-10T11:02:19Z'),
        'cache-failure-ipv',
        'priya.raman@example.com',
      ),
      userAgentKind: 'aws-cli',
      sourceIPAddress: '192.0.2.61',
      groupName: 'search-cache',
      description: 'Search cache access',
      failure: 'InvalidParameterValue',
    },
  },
  {
    label: 'rds-failure-invalid-parameter-combination',
    kind: 'rds',
    opts: {
      account: PROD,
      region: 'us-east-1',
      time: at('2025-03-11T16:48:53Z'),
      identity: identity(
        'federated-user',
        PROD,
        at('2025-03-11T16:48:53Z'),
        'rds-failure-ipc',
        'contractor',
      ),
      userAgentKind: 'boto3',
      sourceIPAddress: '198.51.100.140',
      groupName: 'ledger-db',
      description: 'Ledger database access',
      failure: 'InvalidParameterCombination',
    },
  },
];

/**
 * Calls for the exposure and exfiltration packs: five that must alert (a PostgreSQL port and
 * a database opened to the internet, a public Redshift cluster, and the leaked key sharing a
 * snapshot with an unknown account and exporting another to a bucket) and three everyday
 * look-alikes that must not (an HTTPS rule open to the internet, a storage change on a
 * database, a backup job withdrawing an old share).
 */
interface ExposurePlant {
  readonly label: string;
  readonly build: (seed: number) => CloudTrailRecord;
}

const EXPOSURE_PLANTS: readonly ExposurePlant[] = [
  {
    label: 'exposure-postgres-open-to-internet',
    build: (seed) =>
      authorizeSecurityGroupIngressRecord({
        seed,
        account: OTHER,
        region: 'us-east-1',
        time: at('2025-03-11T13:22:09Z'),
        identity: identity(
          'assumed-role',
          OTHER,
          at('2025-03-11T13:22:09Z'),
          'exposure-postgres',
          'data-engineer',
        ),
        userAgentKind: 'aws-cli',
        sourceIPAddress: '198.51.100.71',
        groupId: 'sg-04c9e1a7b2d3f5e68',
        permissions: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, ipv4: ['0.0.0.0/0'] }],
      }),
  },
  {
    label: 'exposure-rds-made-public',
    build: (seed) =>
      modifyDbInstanceRecord({
        seed,
        account: PROD,
        region: 'eu-west-1',
        time: at('2025-03-12T08:41:30Z'),
        identity: identity(
          'sso-user',
          PROD,
          at('2025-03-12T08:41:30Z'),
          'exposure-rds-public',
          'wei.chen@example.com',
        ),
        userAgent: 'console.amazonaws.com',
        sourceIPAddress: '192.0.2.90',
        dbInstanceIdentifier: 'ledger-prod-db',
        changes: { publiclyAccessible: true, applyImmediately: true },
      }),
  },
  {
    label: 'exfiltration-snapshot-shared',
    build: (seed) =>
      modifyDbSnapshotAttributeRecord({
        seed,
        account: PROD,
        region: 'us-east-1',
        time: at('2025-03-12T03:31:12Z'),
        identity: identity(
          'iam-user',
          PROD,
          at('2025-03-12T03:31:12Z'),
          'leaked-key',
          'svc-backup',
        ),
        userAgentKind: 'pacu',
        sourceIPAddress: '203.0.113.77',
        snapshotIdentifier: 'payments-prod-final',
        valuesToAdd: [STRANGER],
        attributeValuesAfter: [STRANGER],
      }),
  },
  {
    label: 'exfiltration-snapshot-exported',
    build: (seed) =>
      startExportTaskRecord({
        seed,
        account: PROD,
        region: 'us-east-1',
        time: at('2025-03-12T03:36:47Z'),
        identity: identity(
          'iam-user',
          PROD,
          at('2025-03-12T03:36:47Z'),
          'leaked-key',
          'svc-backup',
        ),
        userAgentKind: 'pacu',
        sourceArn: `arn:aws:rds:us-east-1:${PROD}:snapshot:ledger-prod-nightly`,
        sourceIPAddress: '203.0.113.77',
        exportTaskIdentifier: 'ledger-export-0312',
        s3BucketName: 'tmp-transfer-4471',
        s3Prefix: 'out/',
        iamRoleArn: `arn:aws:iam::${PROD}:role/rds-s3-export`,
        kmsKeyId: `arn:aws:kms:us-east-1:${PROD}:key/6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5`,
      }),
  },
  {
    label: 'exposure-redshift-public',
    build: (seed) =>
      createRedshiftClusterRecord({
        seed,
        account: OTHER,
        region: 'eu-west-1',
        time: at('2025-03-10T15:12:08Z'),
        identity: identity(
          'assumed-role',
          OTHER,
          at('2025-03-10T15:12:08Z'),
          'exposure-redshift',
          'data-engineer',
        ),
        userAgentKind: 'aws-cli',
        sourceIPAddress: '198.51.100.71',
        clusterIdentifier: 'bi-scratch',
        publiclyAccessible: true,
        publicAfter: true,
      }),
  },
  {
    label: 'benign-https-open-to-internet',
    build: (seed) =>
      authorizeSecurityGroupIngressRecord({
        seed,
        account: PROD,
        region: 'us-east-1',
        time: at('2025-03-10T16:05:51Z'),
        identity: identity('ci-role', PROD, at('2025-03-10T16:05:51Z'), 'benign-https'),
        userAgentKind: 'terraform',
        sourceIPAddress: '198.51.100.23',
        groupId: 'sg-0e7d6c5b4a3928170',
        permissions: [
          { protocol: 'tcp', fromPort: 443, toPort: 443, ipv4: ['0.0.0.0/0'], ipv6: ['::/0'] },
        ],
      }),
  },
  {
    label: 'benign-modify-db-instance',
    build: (seed) =>
      modifyDbInstanceRecord({
        seed,
        account: OTHER,
        region: 'eu-west-1',
        time: at('2025-03-11T10:12:44Z'),
        identity: identity(
          'assumed-role',
          OTHER,
          at('2025-03-11T10:12:44Z'),
          'benign-modify',
          'platform-admin',
        ),
        userAgentKind: 'boto3',
        sourceIPAddress: '10.12.40.17',
        dbInstanceIdentifier: 'analytics-db',
        changes: { allocatedStorage: 200, backupRetentionPeriod: 14, applyImmediately: false },
      }),
  },
  {
    label: 'benign-snapshot-share-withdrawn',
    build: (seed) =>
      modifyDbSnapshotAttributeRecord({
        seed,
        account: PROD,
        region: 'eu-west-1',
        time: at('2025-03-11T04:00:16Z'),
        identity: identity('ci-role', PROD, at('2025-03-11T04:00:16Z'), 'benign-share-withdrawn'),
        userAgentKind: 'boto3',
        sourceIPAddress: '198.51.100.23',
        snapshotIdentifier: 'orders-nightly-2025-02-09',
        cluster: true,
        valuesToRemove: [OTHER],
        attributeValuesAfter: [],
      }),
  },
];

function buildPlant(plant: Plant): CloudTrailRecord {
  const opts: TargetRecordOptions = { ...plant.opts, seed: hash(plant.label) };
  return plant.kind === 'rds'
    ? createDbSecurityGroupRecord(opts)
    : createCacheSecurityGroupRecord(opts);
}

function hash(text: string): number {
  return Prng.derive(SEED, 'plant', text).uint32();
}

function envelope(record: CloudTrailRecord, rng: Prng): CloudTrailEnvelope {
  const service = record.eventSource.replace(/\.amazonaws\.com$/, '');
  return validateEnvelope({
    version: '0',
    id: rng.uuid(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${service}`,
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  });
}

/** First background records from the same services that are not targets: near misses. */
function nearMisses(): CloudTrailRecord[] {
  const wanted = new Map<string, CloudTrailRecord | undefined>([
    ['rds.amazonaws.com', undefined],
    ['elasticache.amazonaws.com', undefined],
  ]);
  for (const record of generateRecords({
    seed: SEED,
    count: 20_000,
    start: START,
    end: END,
    accounts: ACCOUNTS,
    regions: REGIONS,
  })) {
    if (!wanted.has(record.eventSource) || wanted.get(record.eventSource) !== undefined) continue;
    if (isTargetRecord(record) || record.readOnly !== false) continue;
    wanted.set(record.eventSource, record);
    if ([...wanted.values()].every((r) => r !== undefined)) break;
  }
  return [...wanted.values()].filter((r): r is CloudTrailRecord => r !== undefined);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  const planted = [
    ...PLANTS.map((plant) => ({ plant, record: buildPlant(plant) })),
    ...EXPOSURE_PLANTS.map((plant) => ({ plant, record: plant.build(hash(plant.label)) })),
  ];
  const plantedRecords: PlantedRecord[] = planted.map(({ plant, record }) => ({
    record,
    ...('redeliver' in plant && plant.redeliver === true ? { redeliver: true } : {}),
  }));

  await rm(archiveDir, { recursive: true, force: true });
  await mkdir(archiveDir, { recursive: true });
  const stats = await writeArchive({
    root: archiveDir,
    seed: SEED,
    accounts: ACCOUNTS,
    regions: REGIONS,
    start: START,
    end: END,
    files: FILES,
    recordsPerFile: RECORDS_PER_FILE,
    duplicateFiles: 2,
    planted: plantedRecords,
    gzipLevel: 9,
  });

  const rng = Prng.derive(SEED, 'envelopes');
  const envelopes = [...planted.map((p) => p.record), ...nearMisses()].map((r) => envelope(r, rng));
  const jsonl = envelopes.map((e) => JSON.stringify(e)).join('\n') + '\n';
  await writeFile(eventsFile, jsonl);

  const rel = (path: string): string => relative(repoRoot, path);
  const lines = [
    `archive: ${rel(archiveDir)}`,
    `  files ${stats.files}, records ${stats.records} (${stats.uniqueRecords} unique, ${stats.duplicateRecords} re-delivered)`,
    `  ${kb(stats.compressedBytes)} gzip, ${kb(stats.rawBytes)} JSON (${(stats.rawBytes / stats.records).toFixed(0)} bytes a record)`,
    `  target events: ${JSON.stringify(stats.targets)}`,
    'planted:',
    ...planted.map(({ plant, record }) => {
      const outcome = record.errorCode === undefined ? 'success' : `failure ${record.errorCode}`;
      const files = stats.targetEvents.find((t) => t.eventID === record.eventID)?.paths.length ?? 0;
      return `  ${record.eventID}  ${record.eventName.padEnd(32)} ${outcome.padEnd(36)} ${record.recipientAccountId ?? ''} ${record.awsRegion.padEnd(9)} ${plant.label}${files > 1 ? ` (in ${files} files)` : ''}`;
    }),
    `eventbridge: ${rel(eventsFile)}  ${envelopes.length} events, ${kb(Buffer.byteLength(jsonl))}`,
    ...envelopes.map(
      (e) => `  ${e.source.padEnd(15)} ${e.detail.eventName.padEnd(32)} ${e.detail.eventID}`,
    ),
  ];
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
