/**
 * StartExportTask: RDS writes a DB snapshot, a cluster snapshot or a live Aurora cluster to an
 * S3 bucket as Parquet files, which anyone who can read the bucket (and use the KMS key) can
 * then load anywhere. Every successful export fires: the request says which data goes where,
 * and none of it tells a routine analytics job from an attacker's, so the findings name the
 * source, the bucket and prefix, the role and the key for the reader to judge.
 */
import type { CloudTrailRecord } from '../../cloudtrail';
import { cleanText } from '../../text';
import type { Detection } from '../detection';
import { EXFILTRATION, TRANSFER_TO_CLOUD_ACCOUNT } from '../mitre';
import { accountIdOf } from './aws.datastore.snapshot-shared';
import { requestString, stringsAt } from '../request';

const ARN_ACCOUNT = /^arn:[^:]*:kms:[^:]*:([0-9]{12}):/;
/** Tables listed in a finding; the raw record keeps the rest. */
const MAX_TABLES_SHOWN = 10;

function param(record: CloudTrailRecord, key: string): string | undefined {
  const value = requestString(record.requestParameters, key);
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** What an RDS ARN names: `snapshot:`, `cluster-snapshot:` or `cluster:` and the identifier. */
function describeSource(arn: string | undefined): string {
  if (arn === undefined) return 'a source the request does not name';
  const parts = arn.split(':');
  const kind = parts[5];
  const name = cleanText(parts.slice(6).join(':'), 100);
  switch (kind) {
    case 'snapshot':
      return `DB snapshot ${name}`;
    case 'cluster-snapshot':
      return `DB cluster snapshot ${name}`;
    case 'cluster':
      return `DB cluster ${name} (its current data)`;
    default:
      return cleanText(arn, 200);
  }
}

/** The account of a KMS key given as an ARN; a key id or alias belongs to the caller's account. */
function keyAccount(kmsKeyId: string | undefined): string | undefined {
  return kmsKeyId === undefined ? undefined : ARN_ACCOUNT.exec(kmsKeyId)?.[1];
}

/** True when the export is encrypted with a KMS key of another account than the snapshot's. */
export function usesForeignKey(record: CloudTrailRecord): boolean {
  const own = accountIdOf(record.recipientAccountId) ?? accountIdOf(record.userIdentity.accountId);
  const account = keyAccount(param(record, 'kmsKeyId'));
  return account !== undefined && own !== undefined && account !== own;
}

function findings(record: CloudTrailRecord): string[] {
  const task = param(record, 'exportTaskIdentifier');
  const bucket = param(record, 's3BucketName');
  const prefix = param(record, 's3Prefix');
  const role = param(record, 'iamRoleArn');
  const key = param(record, 'kmsKeyId');
  const tables = stringsAt(record.requestParameters, ['exportOnly']);
  const destination =
    bucket === undefined
      ? 'a bucket the request does not name'
      : `s3://${cleanText(bucket, 63)}/${prefix !== undefined ? cleanText(prefix, 200) : ''}`;
  const shown = tables.slice(0, MAX_TABLES_SHOWN).map((table) => cleanText(table, 100));
  const more =
    tables.length > MAX_TABLES_SHOWN ? ` and ${tables.length - MAX_TABLES_SHOWN} more` : '';
  return [
    `${describeSource(param(record, 'sourceArn'))} exported to ${destination}${task !== undefined ? ` (export task ${cleanText(task, 60)})` : ''}`,
    `written by role ${role !== undefined ? cleanText(role, 200) : '(not in the request)'}`,
    `encrypted with KMS key ${key !== undefined ? cleanText(key, 200) : '(not in the request)'}${usesForeignKey(record) ? ', which belongs to another account' : ''}`,
    tables.length > 0
      ? `only these tables: ${shown.join(', ')}${more}`
      : 'every table of the source',
  ];
}

export const snapshotExported: Detection = {
  id: 'aws.rds.snapshot-exported',
  pack: 'exfiltration',
  title: 'Database snapshot exported to S3',
  shortTitle: 'RDS snapshot exported to S3',
  description:
    'RDS started exporting a DB snapshot, a cluster snapshot or an Aurora cluster to an S3 ' +
    'bucket. The export writes the data as Parquet files that whoever can read the bucket and ' +
    'use the KMS key can load with any tool, far from the database’s own access controls and ' +
    'audit logs.',
  severity: 'medium',
  riskScore: 47,
  mitre: [{ tactic: EXFILTRATION, technique: TRANSFER_TO_CLOUD_ACCOUNT }],
  calls: [
    {
      source: 'aws.rds',
      eventSource: 'rds.amazonaws.com',
      eventName: 'StartExportTask',
      resource: {
        type: 'RDS export task',
        nameParameter: 'exportTaskIdentifier',
        consolePath: 'rds/home',
      },
    },
  ],
  outcome: 'success',
  findings,
  riskRules: [
    {
      id: 'foreign-kms-key',
      delta: 20,
      description: 'The export is encrypted with a KMS key that belongs to another account.',
      applies: usesForeignKey,
      reason: 'the export is encrypted with a KMS key of another account, which can decrypt it',
    },
  ],
  investigation: [
    'Read the findings: which snapshot or cluster, which bucket and prefix, which role and which KMS key.',
    'Check who owns the bucket and who can read it (aws s3api get-bucket-policy, get-bucket-acl, get-public-access-block); a bucket in another account, or one that allows public or cross-account reads, is the exfiltration path.',
    'Check the KMS key’s policy and grants: whoever can decrypt with it can read the export.',
    'Ask the owner of the caller or of the analytics pipeline whether the export was planned, and compare with earlier exports (aws rds describe-export-tasks).',
    'Look for the same principal creating or copying the snapshot just before, or editing the bucket policy just after.',
  ],
  falsePositives: [
    'Analytics pipelines that export snapshots to a data lake on a schedule; add an exception for their role and bucket prefix rather than muting the detection.',
    'One-off exports for a migration or an audit request.',
  ],
  response: [
    'If nobody owns the export, cancel it (aws rds cancel-export-task --export-task-identifier <id>) and delete what was written under the prefix.',
    'Restrict the bucket and the key to the principals that need them, and block public access on the bucket.',
    'If the data may have left, treat it as disclosed: rotate the credentials it contains and follow your incident process.',
    'Limit rds:StartExportTask and iam:PassRole for export roles to the pipelines that need them.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartExportTask.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html',
    'https://attack.mitre.org/techniques/T1537/',
  ],
};
