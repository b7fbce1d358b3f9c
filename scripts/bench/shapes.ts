/**
 * The two archive shapes replay is measured on. Both are 40 files of 5,000 records of
 * 1–2 KB, every file holding at least one target call, and both carry IAM policy
 * documents that name watched calls as text (a prefilter that looks for names anywhere,
 * rather than as the value of `eventName`, pays for every one of them).
 *
 * - dense: about 4% of the records are watched calls that the content filters reject
 *   (ingress on web ports, ModifyDBInstance without an exposure change), as in
 *   automation-heavy accounts; each of them has to be parsed and evaluated.
 * - sparse: no such calls; only the planted target calls are watched.
 */
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { PlantedRecord, WriteArchiveOptions } from '../lib/cloudtrail-generator';
import {
  authorizeSecurityGroupIngressRecord,
  modifyDbInstanceRecord,
  Prng,
} from '../lib/cloudtrail-generator';

export type ShapeName = 'dense' | 'sparse';

export const SHAPES: readonly ShapeName[] = ['dense', 'sparse'];

const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const START = new Date('2026-01-01T00:00:00Z');
const FILE_PERIOD_MS = 5 * 60_000;

/** Share of records that are watched calls the detections reject, in the dense shape. */
const DENSE_WATCHED_SHARE = 0.04;
/** Share of records carrying a policy document that names watched calls. */
const POLICY_SHARE = 0.01;

function policyDocument(rng: Prng): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DataStoreNetworking',
        Effect: 'Allow',
        Action: [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:ModifySecurityGroupRules',
          'rds:CreateDBSecurityGroup',
          'rds:ModifyDBInstance',
          'elasticache:CreateCacheSecurityGroup',
          'elasticache:ModifyReplicationGroup',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': rng.pick(REGIONS) } },
      },
    ],
  });
}

/** An iam:PutRolePolicy whose document names watched calls (it is not one). */
function putRolePolicy(base: CloudTrailRecord, rng: Prng): CloudTrailRecord {
  return {
    ...base,
    eventSource: 'iam.amazonaws.com',
    eventName: 'PutRolePolicy',
    awsRegion: 'us-east-1',
    requestParameters: {
      roleName: `deploy-${rng.hex(6)}`,
      policyName: 'data-store-networking',
      policyDocument: policyDocument(rng),
    },
    responseElements: null,
  };
}

/** A watched call that every detection rejects: web ports, or a harmless instance change. */
function rejectedWatchedCall(
  i: number,
  account: string,
  region: string,
  time: Date,
  rng: Prng,
): CloudTrailRecord {
  const seed = rng.int(2 ** 30);
  if (i % 2 === 0) {
    const port = rng.pick([80, 443]);
    return authorizeSecurityGroupIngressRecord({
      account,
      region,
      time,
      seed,
      groupId: `sg-0${rng.hex(16)}`,
      permissions: [{ protocol: 'tcp', fromPort: port, toPort: port, ipv4: ['0.0.0.0/0'] }],
    });
  }
  return modifyDbInstanceRecord({
    account,
    region,
    time,
    seed,
    dbInstanceIdentifier: `orders-${rng.hex(4)}`,
    changes: { backupRetentionPeriod: rng.between(7, 35), applyImmediately: false },
  });
}

/** Archive options for one shape: the planted records scattered over every file's window. */
export function shapeOptions(
  shape: ShapeName,
  root: string,
  files: number,
  recordsPerFile: number,
): WriteArchiveOptions {
  const rng = Prng.derive(2026, 'bench', shape);
  const total = files * recordsPerFile;
  const streams = ACCOUNTS.length * REGIONS.length;
  const slots = Math.ceil(files / streams);
  const span = slots * FILE_PERIOD_MS;
  const planted: PlantedRecord[] = [];
  const plant = (make: (account: string, region: string, time: Date) => CloudTrailRecord) => {
    const account = rng.pick(ACCOUNTS);
    const region = rng.pick(REGIONS);
    const time = new Date(START.getTime() + Math.floor(rng.next() * span));
    planted.push({ record: make(account, region, time) });
  };
  const watched = shape === 'dense' ? Math.round(total * DENSE_WATCHED_SHARE) : 0;
  for (let i = 0; i < watched; i++) {
    plant((account, region, time) => rejectedWatchedCall(i, account, region, time, rng));
  }
  for (let i = 0; i < Math.round(total * POLICY_SHARE); i++) {
    plant((account, region, time) =>
      putRolePolicy(rejectedWatchedCall(1, account, region, time, rng), rng),
    );
  }
  // Planted records add to each file; the generated ones make up the rest.
  const generated = Math.max(1, recordsPerFile - Math.round(planted.length / Math.max(files, 1)));
  return {
    root,
    seed: 2026,
    accounts: ACCOUNTS,
    regions: REGIONS,
    start: START,
    files,
    recordsPerFile: generated,
    // Two target calls per file, so every file holds a record that alerts.
    targetRate: Math.min(1, (2 * files) / (files * generated)),
    duplicateFiles: 2,
    planted,
  };
}
