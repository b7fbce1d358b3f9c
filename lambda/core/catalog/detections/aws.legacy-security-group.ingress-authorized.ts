import type { CloudTrailRecord } from '../../cloudtrail';
import { cleanText } from '../../text';
import type { Detection, WatchedCall } from '../detection';
import { isInternetRange } from '../ingress';
import { DEFENSE_EVASION, DISABLE_CLOUD_FIREWALL, IMPAIR_DEFENSES } from '../mitre';
import { ownField } from '../request';

export const RDS_AUTHORIZE_DB_SECURITY_GROUP_INGRESS: WatchedCall = {
  source: 'aws.rds',
  eventSource: 'rds.amazonaws.com',
  eventName: 'AuthorizeDBSecurityGroupIngress',
  resource: {
    type: 'RDS DB security group',
    nameParameter: 'dBSecurityGroupName',
    consolePath: 'rds/home',
  },
};

export const ELASTICACHE_AUTHORIZE_CACHE_SECURITY_GROUP_INGRESS: WatchedCall = {
  source: 'aws.elasticache',
  eventSource: 'elasticache.amazonaws.com',
  eventName: 'AuthorizeCacheSecurityGroupIngress',
  resource: {
    type: 'ElastiCache cache security group',
    nameParameter: 'cacheSecurityGroupName',
    consolePath: 'elasticache/home',
  },
};

function text(record: CloudTrailRecord, key: string): string | undefined {
  const value = ownField(record.requestParameters, key);
  return typeof value === 'string' ? cleanText(value, 100) : undefined;
}

/** RDS names the address range `cIDRIP`; ElastiCache groups only ever admit EC2 groups. */
function admitsInternet(record: CloudTrailRecord): boolean {
  return isInternetRange(ownField(record.requestParameters, 'cIDRIP'));
}

function findings(record: CloudTrailRecord): string[] {
  const group = text(record, 'dBSecurityGroupName') ?? text(record, 'cacheSecurityGroupName');
  const target = group !== undefined ? `${group}: ` : '';
  const range = text(record, 'cIDRIP');
  if (range !== undefined) return [`${target}ingress allowed from ${range}`];
  const ec2Group = text(record, 'eC2SecurityGroupId') ?? text(record, 'eC2SecurityGroupName');
  if (ec2Group === undefined) return [];
  const owner = text(record, 'eC2SecurityGroupOwnerId');
  return [
    `${target}ingress allowed from EC2 security group ${ec2Group}${owner !== undefined ? ` owned by account ${owner}` : ''}`,
  ];
}

export const legacySecurityGroupIngressAuthorized: Detection = {
  id: 'aws.legacy-security-group.ingress-authorized',
  pack: 'exposure',
  title: 'Ingress authorized on a legacy RDS or ElastiCache security group',
  shortTitle: 'Legacy SG ingress authorized',
  description:
    'A DB security group or cache security group was opened to an address range or an EC2 ' +
    'security group. These groups belong to EC2-Classic, which AWS retired in 2023, so a ' +
    'successful call today is unusual; it widens who can reach the databases or caches the ' +
    'group still guards.',
  severity: 'medium',
  riskScore: 47,
  mitre: [
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: [
    RDS_AUTHORIZE_DB_SECURITY_GROUP_INGRESS,
    ELASTICACHE_AUTHORIZE_CACHE_SECURITY_GROUP_INGRESS,
  ],
  outcome: 'success',
  findings,
  riskRules: [
    {
      id: 'internet-wide-range',
      delta: 26,
      description: 'The ingress admits an internet-wide range (prefix length 0).',
      applies: admitsInternet,
      reason: 'the ingress admits the whole internet (a /0 range)',
    },
  ],
  investigation: [
    'Read what was admitted from the findings: an address range (is it internal, a partner, or the whole internet?) or an EC2 security group (whose account owns it?).',
    'List the group’s current rules (aws rds describe-db-security-groups or aws elasticache describe-cache-security-groups) and the resources still using it.',
    'Identify the caller and why anything still manages EC2-Classic groups.',
    'Look for a CreateDBSecurityGroup or CreateCacheSecurityGroup by the same principal shortly before.',
  ],
  falsePositives: [
    'Old automation that still manages EC2-Classic era groups.',
    'Permission or platform testing by your own team.',
  ],
  response: [
    'Revoke the ingress (aws rds revoke-db-security-group-ingress or aws elasticache revoke-cache-security-group-ingress) unless the owner confirms it.',
    'Move whatever still depends on the legacy group to VPC security groups and delete the legacy group.',
    'If the whole internet was admitted, rotate the credentials of the data stores behind the group and review their logs.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_AuthorizeDBSecurityGroupIngress.html',
    'https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_AuthorizeCacheSecurityGroupIngress.html',
    'https://aws.amazon.com/blogs/aws/ec2-classic-is-retiring-heres-how-to-prepare/',
  ],
};
