import type { CloudTrailRecord } from '../../cloudtrail';
import type { Detection, WatchedCall } from '../detection';
import {
  AUTHORIZE_INGRESS_FILTER,
  MODIFY_RULES_FILTER,
  describeExposure,
  exposedGroupIds,
  internetExposures,
} from '../ingress';
import { DEFENSE_EVASION, DISABLE_CLOUD_FIREWALL, IMPAIR_DEFENSES } from '../mitre';

/** More lines than this say nothing new to a reader; the raw record keeps every rule. */
const MAX_FINDINGS = 20;

const SECURITY_GROUP = {
  type: 'EC2 security group',
  consolePath: 'ec2/home',
} as const;

export const EC2_AUTHORIZE_SECURITY_GROUP_INGRESS: WatchedCall = {
  source: 'aws.ec2',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'AuthorizeSecurityGroupIngress',
  resource: { ...SECURITY_GROUP, nameParameter: 'groupId' },
  detailFilter: AUTHORIZE_INGRESS_FILTER,
};

export const EC2_MODIFY_SECURITY_GROUP_RULES: WatchedCall = {
  source: 'aws.ec2',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'ModifySecurityGroupRules',
  resource: { ...SECURITY_GROUP, nameParameter: 'ModifySecurityGroupRulesRequest.GroupId' },
  detailFilter: MODIFY_RULES_FILTER,
};

function exposuresOf(record: CloudTrailRecord) {
  return internetExposures(record.eventName, record.requestParameters);
}

function findings(record: CloudTrailRecord): string[] {
  const lines = exposuresOf(record).map(describeExposure);
  if (lines.length <= MAX_FINDINGS) return lines;
  return [
    ...lines.slice(0, MAX_FINDINGS),
    `…and ${lines.length - MAX_FINDINGS} more (see the CloudTrail record)`,
  ];
}

export const datastorePortOpenToInternet: Detection = {
  id: 'aws.ec2.datastore-port-open-to-internet',
  pack: 'exposure',
  title: 'Database or cache port opened to the internet',
  shortTitle: 'DB/cache port open to internet',
  description:
    'A security group rule now lets the whole internet (0.0.0.0/0 or ::/0) reach a port that ' +
    'databases and caches listen on, such as 5432 for PostgreSQL or 6379 for Redis. Anything ' +
    'behind the group that listens there can be scanned, brute-forced or exploited from ' +
    'anywhere; automated scanners usually find such ports within hours.',
  severity: 'high',
  riskScore: 73,
  mitre: [
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: [EC2_AUTHORIZE_SECURITY_GROUP_INGRESS, EC2_MODIFY_SECURITY_GROUP_RULES],
  outcome: 'success',
  requestMatches: (record) => exposuresOf(record).length > 0,
  findings,
  attachmentGroups: (record) => exposedGroupIds(record.eventName, record.requestParameters),
  investigation: [
    'Read the findings: which group, which port or range, and whether the rule was added (AuthorizeSecurityGroupIngress) or rewritten (ModifySecurityGroupRules).',
    'Find what the group protects: aws ec2 describe-network-interfaces --filters Name=group-id,Values=<group id> lists the RDS, ElastiCache or EC2 resources behind it (the alert shows this when lookups are on).',
    'Ask the caller, or the owner of the pipeline role, why the data store must be reachable from any address; a vendor or office range would normally be enough.',
    'Check the data store for logins or queries from unfamiliar addresses since the rule appeared (database logs, RDS Performance Insights, ElastiCache metrics, VPC flow logs).',
    'Look for related changes by the same principal: ModifyDBInstance with publiclyAccessible, new snapshots, snapshot sharing, or credential changes.',
  ],
  falsePositives: [
    'A short-lived test database deliberately opened for a demo or a migration; agree an expiry and prefer a narrower range.',
    'Rewriting an egress rule with ModifySecurityGroupRules: the request does not say whether a rule is inbound or outbound, so editing an allow-all outbound rule looks the same.',
    'A group that protects nothing listening on the port (an empty group, or a web tier that never runs a database); the lookup, when on, reports what sits behind the group.',
  ],
  response: [
    'Remove the rule now (aws ec2 revoke-security-group-ingress, or revoke-security-group-rules with the rule id) unless the owner confirms it is intended; re-adding a reviewed rule later is cheap.',
    'Replace internet-wide access with the specific ranges or security groups that need it, or a bastion, VPN or AWS PrivateLink.',
    'If the data store was reachable, rotate its credentials and review its logs for access during the exposure window.',
    'Prevent a repeat: an AWS Config rule or SCP that blocks 0.0.0.0/0 and ::/0 on data-store ports, and a review of who may edit security groups.',
  ],
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySecurityGroupRules.html',
    'https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html',
  ],
};
