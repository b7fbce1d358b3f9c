import type { CloudTrailRecord } from '../../cloudtrail';
import { cleanText } from '../../text';
import type { Detection, EventPatternJson, WatchedCall } from '../detection';
import { DEFENSE_EVASION, DISABLE_CLOUD_FIREWALL, IMPAIR_DEFENSES } from '../mitre';
import { ownField, requestString } from '../request';

/**
 * A create or restore call without `publiclyAccessible` gets RDS's default, which depends on
 * the subnets (public when the default VPC has an internet gateway). The response records the
 * outcome, so for these calls an absent request value defers to the response. A modify call's
 * response shows the instance as it was, so only an explicit request counts there. Every
 * restore and every read replica is a new database, so each is a create call here: an
 * attacker who cannot modify a database can often still restore a public copy of it.
 */
const CREATE_CALLS: ReadonlySet<string> = new Set([
  'CreateDBInstance',
  'CreateDBCluster',
  'CreateDBInstanceReadReplica',
  'RestoreDBInstanceFromDBSnapshot',
  'RestoreDBInstanceFromS3',
  'RestoreDBInstanceToPointInTime',
  'RestoreDBClusterFromSnapshot',
  'RestoreDBClusterToPointInTime',
  'RestoreDBClusterFromS3',
]);

/** Requested explicitly, or (create calls only) left to a default the response shows as true. */
const CREATE_FILTER: EventPatternJson = {
  $or: [
    { requestParameters: { publiclyAccessible: [true] } },
    {
      requestParameters: { publiclyAccessible: [{ exists: false }] },
      responseElements: { publiclyAccessible: [true] },
    },
  ],
};

const MODIFY_FILTER: EventPatternJson = { requestParameters: { publiclyAccessible: [true] } };

const INSTANCE = {
  type: 'RDS DB instance',
  nameParameter: 'dBInstanceIdentifier',
  consolePath: 'rds/home',
} as const;
/** A point-in-time restore names the new instance `targetDBInstanceIdentifier`. */
const RESTORED_INSTANCE = { ...INSTANCE, nameParameter: 'targetDBInstanceIdentifier' } as const;
const CLUSTER = {
  type: 'RDS DB cluster',
  nameParameter: 'dBClusterIdentifier',
  consolePath: 'rds/home',
} as const;

function rdsCall(eventName: string, resource: WatchedCall['resource']): WatchedCall {
  return {
    source: 'aws.rds',
    eventSource: 'rds.amazonaws.com',
    eventName,
    resource,
    detailFilter: CREATE_CALLS.has(eventName) ? CREATE_FILTER : MODIFY_FILTER,
  };
}

type PublicBy = 'request' | 'default';

/**
 * Why the call leaves the resource publicly accessible, or undefined when it does not.
 * CloudTrail writes the flag as a JSON boolean; the string "true" is not what it logs and is
 * not read as true (the pattern's `[true]` would not match it either).
 */
export function publicBy(record: CloudTrailRecord): PublicBy | undefined {
  const params = record.requestParameters;
  const requested = ownField(params, 'publiclyAccessible');
  if (requested !== undefined) return requested === true ? 'request' : undefined;
  if (!CREATE_CALLS.has(record.eventName)) return undefined;
  return ownField(record.responseElements, 'publiclyAccessible') === true ? 'default' : undefined;
}

const CALLS: readonly WatchedCall[] = [
  rdsCall('CreateDBInstance', INSTANCE),
  rdsCall('ModifyDBInstance', INSTANCE),
  rdsCall('RestoreDBInstanceFromDBSnapshot', INSTANCE),
  rdsCall('RestoreDBInstanceFromS3', INSTANCE),
  rdsCall('RestoreDBInstanceToPointInTime', RESTORED_INSTANCE),
  rdsCall('CreateDBInstanceReadReplica', INSTANCE),
  rdsCall('CreateDBCluster', CLUSTER),
  rdsCall('ModifyDBCluster', CLUSTER),
  rdsCall('RestoreDBClusterFromSnapshot', CLUSTER),
  rdsCall('RestoreDBClusterToPointInTime', CLUSTER),
  rdsCall('RestoreDBClusterFromS3', CLUSTER),
];

function findings(record: CloudTrailRecord): string[] {
  const by = publicBy(record);
  if (by === undefined) return [];
  const call = CALLS.find((candidate) => candidate.eventName === record.eventName);
  const isCluster = call?.resource.type === CLUSTER.type;
  const name =
    call !== undefined
      ? requestString(record.requestParameters, call.resource.nameParameter)
      : undefined;
  const what = `${isCluster ? 'DB cluster' : 'DB instance'} ${name !== undefined ? cleanText(name, 100) : '(identifier not in the request)'}`;
  return [
    by === 'request'
      ? `${what} set publicly accessible (publiclyAccessible: true in the request)`
      : `${what} created publicly accessible by default: the request did not set publiclyAccessible and the response shows true`,
  ];
}

export const rdsMadePublic: Detection = {
  id: 'aws.rds.instance-made-public',
  pack: 'exposure',
  title: 'RDS database made publicly accessible',
  shortTitle: 'RDS database made public',
  description:
    'An RDS DB instance or Multi-AZ DB cluster was created, restored (from a snapshot, from S3 or ' +
    'to a point in time), copied as a read replica or modified so that it is publicly ' +
    'accessible: its endpoint resolves to a public IP address. Only its security ' +
    'groups now stand between the database and the internet, so one permissive rule, old or ' +
    'new, is enough to expose it.',
  severity: 'medium',
  riskScore: 47,
  mitre: [
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: CALLS,
  outcome: 'success',
  requestMatches: (record) => publicBy(record) !== undefined,
  findings,
  investigation: [
    'Identify the database from the findings and check its security groups (aws rds describe-db-instances) for rules open to 0.0.0.0/0 or ::/0 on its port.',
    'Ask the caller or the pipeline owner why the database needs a public endpoint; for a create or restore, check whether the default made it public without anyone asking.',
    'For a restore or a read replica, find the snapshot, source database or S3 backup it came from and whether it holds production data; a public copy of a private database is a common way to reach its data.',
    'Review database logins and VPC flow logs for connections from outside your networks since the change.',
  ],
  falsePositives: [
    'Development databases reached directly from engineers’ laptops; prefer a bastion or VPN, or record an exception with an expiry.',
    'Databases created in a default VPC without a DB subnet group, where RDS chooses public access by default; fix the template so the choice is explicit.',
    'Managed analytics or migration services that connect over the internet by design.',
  ],
  response: [
    'Turn public access off (aws rds modify-db-instance --no-publicly-accessible --apply-immediately) unless the owner confirms it is needed.',
    'Make sure no security group on the database admits internet-wide ranges on its port.',
    'If the database was reachable, rotate its master and application credentials and review its logs.',
    'Keep it from recurring: the AWS Config managed rule rds-instance-public-access-check, templates that set publiclyAccessible explicitly, and fewer principals allowed to modify RDS network settings.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html',
  ],
};
