import type { Detection } from '../detection';
import { DEFENSE_EVASION, DISABLE_CLOUD_FIREWALL, IMPAIR_DEFENSES } from '../mitre';

export const ELASTICACHE_CREATE_CACHE_SECURITY_GROUP = {
  source: 'aws.elasticache',
  eventSource: 'elasticache.amazonaws.com',
  // The Elastic seed rule matches "Create Cache Security Group" (with spaces) and so never
  // fires; CloudTrail writes the API name verbatim, and that is what we match.
  eventName: 'CreateCacheSecurityGroup',
  resource: {
    type: 'ElastiCache cache security group',
    nameParameter: 'cacheSecurityGroupName',
    descriptionParameter: 'description',
    consolePath: 'elasticache/home',
  },
} as const;

export const elasticacheSecurityGroupCreated: Detection = {
  id: 'aws.elasticache.create-cache-security-group',
  pack: 'seed',
  title: 'ElastiCache cache security group created',
  shortTitle: 'ElastiCache cache SG created',
  description:
    'A cache security group was created in Amazon ElastiCache. Cache security groups control ' +
    'which hosts may reach a cache cluster; they belong to EC2-Classic, which AWS retired in ' +
    '2023. A new one can be a way around the network controls that guard cached data.',
  severity: 'low',
  riskScore: 21,
  mitre: [
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: [ELASTICACHE_CREATE_CACHE_SECURITY_GROUP],
  outcome: 'success',
  elastic: {
    ruleId: '7b3da11a-60a2-412e-8aa7-011e1eb9ed47',
    name: 'AWS ElastiCache Security Group Created',
  },
  investigation: [
    'Identify the caller: principal ARN, role and session name, and whether they normally administer ElastiCache.',
    'Check the source IP and user agent against the places and tools this principal usually works from.',
    'Read the group name and description from the request, then inspect the group (aws elasticache describe-cache-security-groups) for the EC2 groups it authorizes.',
    'Look for AuthorizeCacheSecurityGroupIngress, ModifyCacheCluster or CreateCacheCluster calls by the same principal shortly after.',
    'Review the principal’s other recent activity: IAM changes, new keys, unusual logins.',
  ],
  falsePositives: [
    'Legacy automation that still provisions EC2-Classic ElastiCache resources.',
    'Infrastructure-as-code deployments by a known pipeline role.',
    'Development or test accounts where such calls are expected; cover them with a documented exception.',
  ],
  response: [
    'If the change is not expected, delete the cache security group and remove any ingress it allows.',
    'Restrict access to affected cache clusters until the review is complete.',
    'Disable or rotate the credentials used and tighten the principal’s permissions.',
    'Deny elasticache:CreateCacheSecurityGroup with an SCP or IAM policy where no workload needs it.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSecurityGroup.html',
    'https://aws.amazon.com/blogs/aws/ec2-classic-is-retiring-heres-how-to-prepare/',
  ],
};
