import type { CloudTrailRecord } from '../../cloudtrail';
import { cleanText } from '../../text';
import type { Detection, WatchedCall } from '../detection';
import { DEFENSE_EVASION, DISABLE_CLOUD_FIREWALL, IMPAIR_DEFENSES } from '../mitre';
import { ownField, requestString } from '../request';

/** Group ids listed in an alert line; the raw record keeps the rest. */
const MAX_GROUPS_SHOWN = 10;

interface SwapCall {
  readonly call: WatchedCall;
  /** The request parameter holding the new list of VPC security group ids. */
  readonly groupsParameter: string;
  /** How the alert names the resource. */
  readonly label: string;
}

function swapCall(
  service: 'rds' | 'elasticache',
  eventName: string,
  resource: { type: string; nameParameter: string },
  groupsParameter: string,
  label: string,
): SwapCall {
  return {
    call: {
      source: `aws.${service}`,
      eventSource: `${service}.amazonaws.com`,
      eventName,
      resource: { ...resource, consolePath: `${service}/home` },
      detailFilter: { requestParameters: { [groupsParameter]: [{ exists: true }] } },
    },
    groupsParameter,
    label,
  };
}

const SWAP_CALLS: readonly SwapCall[] = [
  swapCall(
    'rds',
    'ModifyDBInstance',
    { type: 'RDS DB instance', nameParameter: 'dBInstanceIdentifier' },
    'vpcSecurityGroupIds',
    'DB instance',
  ),
  swapCall(
    'rds',
    'ModifyDBCluster',
    { type: 'RDS DB cluster', nameParameter: 'dBClusterIdentifier' },
    'vpcSecurityGroupIds',
    'DB cluster',
  ),
  swapCall(
    'elasticache',
    'ModifyCacheCluster',
    { type: 'ElastiCache cluster', nameParameter: 'cacheClusterId' },
    'securityGroupIds',
    'cache cluster',
  ),
  swapCall(
    'elasticache',
    'ModifyReplicationGroup',
    { type: 'ElastiCache replication group', nameParameter: 'replicationGroupId' },
    'securityGroupIds',
    'replication group',
  ),
];

function swapCallOf(record: CloudTrailRecord): SwapCall | undefined {
  return SWAP_CALLS.find(
    ({ call }) => call.eventSource === record.eventSource && call.eventName === record.eventName,
  );
}

/**
 * The group ids the request sets, when it sets any: CloudTrail logs the parameter as a list of
 * strings. Any other shape (a bare string, an empty list, a list of objects) is not a change
 * this detection can describe, so it does not fire.
 */
export function newGroupIds(record: CloudTrailRecord): string[] {
  const swap = swapCallOf(record);
  if (swap === undefined) return [];
  const value = ownField(record.requestParameters, swap.groupsParameter);
  if (!Array.isArray(value)) return [];
  return value.filter((id): id is string => typeof id === 'string');
}

function findings(record: CloudTrailRecord): string[] {
  const swap = swapCallOf(record);
  const ids = newGroupIds(record);
  if (swap === undefined || ids.length === 0) return [];
  const name = requestString(record.requestParameters, swap.call.resource.nameParameter);
  const shown = ids.slice(0, MAX_GROUPS_SHOWN).map((id) => cleanText(id, 64));
  const more = ids.length > MAX_GROUPS_SHOWN ? ` and ${ids.length - MAX_GROUPS_SHOWN} more` : '';
  return [
    `security groups of ${swap.label} ${name !== undefined ? cleanText(name, 100) : '(identifier not in the request)'} set to ${shown.join(', ')}${more}`,
  ];
}

export const datastoreSecurityGroupsChanged: Detection = {
  id: 'aws.datastore.security-groups-changed',
  pack: 'exposure',
  title: 'Security groups swapped on a database or cache',
  shortTitle: 'DB/cache security groups swapped',
  description:
    'The VPC security groups of an RDS database or an ElastiCache cluster were replaced. The ' +
    'groups are the data store’s network firewall: swapping in a permissive or attacker-made ' +
    'group opens it without touching any rule an alert on rule changes would see.',
  severity: 'low',
  riskScore: 21,
  mitre: [
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: SWAP_CALLS.map(({ call }) => call),
  outcome: 'success',
  requestMatches: (record) => newGroupIds(record).length > 0,
  findings,
  investigation: [
    'Compare the new groups in the findings with the ones the data store had before (AWS Config history, or the previous ModifyDBInstance/ModifyCacheCluster call).',
    'Inspect each new group’s inbound rules (aws ec2 describe-security-group-rules --filters Name=group-id,Values=<id>) for internet-wide or unknown ranges.',
    'Check who created the new groups and when; a group created minutes earlier by the same principal deserves a close look.',
    'Confirm the change with the data store’s owner or the pipeline that made it.',
  ],
  falsePositives: [
    'Planned network changes and migrations between VPC designs.',
    'Infrastructure-as-code runs that send the full list of groups whenever the resource changes; register the pipeline role as an IaC role to lower the score, or add an exception.',
  ],
  response: [
    'If the change is not expected, restore the previous groups and remove the new ones if nobody owns them.',
    'Review the new groups’ rules and who may attach groups to data stores.',
    'If a permissive group was attached, treat the data store as exposed for that period: review its logs and rotate credentials.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html',
    'https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheCluster.html',
    'https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyReplicationGroup.html',
  ],
};
