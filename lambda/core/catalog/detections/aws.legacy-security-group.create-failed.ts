import type { Detection } from '../detection';
import { ELASTICACHE_CREATE_CACHE_SECURITY_GROUP } from './aws.elasticache.create-cache-security-group';
import {
  CREATE_ACCOUNT,
  CLOUD_ACCOUNT,
  DEFENSE_EVASION,
  DISABLE_CLOUD_FIREWALL,
  IMPAIR_DEFENSES,
  PERSISTENCE,
} from '../mitre';
import { RDS_CREATE_DB_SECURITY_GROUP } from './aws.rds.create-db-security-group';

/**
 * Failed attempts at either legacy call. Kept apart from the two seed detections so they
 * stay faithful to their rules (success only), while a probe of a retired API, which is
 * what most attempts now are, still leaves a trace.
 */
export const securityGroupCreationFailed: Detection = {
  id: 'aws.legacy-security-group.create-failed',
  pack: 'seed',
  title: 'Failed attempt to create an RDS or ElastiCache security group',
  shortTitle: 'Legacy SG creation failed',
  description:
    'Someone called CreateDBSecurityGroup or CreateCacheSecurityGroup and the call failed. Both ' +
    'APIs belong to the retired EC2-Classic platform, so attempts usually come from old tooling ' +
    'or from someone probing permissions and legacy paths, which is worth a look.',
  severity: 'low',
  riskScore: 15,
  mitre: [
    { tactic: PERSISTENCE, technique: CREATE_ACCOUNT, subtechnique: CLOUD_ACCOUNT },
    { tactic: DEFENSE_EVASION, technique: IMPAIR_DEFENSES, subtechnique: DISABLE_CLOUD_FIREWALL },
  ],
  calls: [RDS_CREATE_DB_SECURITY_GROUP, ELASTICACHE_CREATE_CACHE_SECURITY_GROUP],
  outcome: 'failure',
  investigation: [
    'Read the errorCode and errorMessage: AccessDenied points at permission probing, while a platform error points at old tooling.',
    'Identify the caller and check whether they or their tooling still target EC2-Classic.',
    'Look for a burst of other denied calls from the same principal or source IP, a common sign of enumeration.',
  ],
  falsePositives: [
    'Old scripts or templates that still call EC2-Classic APIs and now fail.',
    'Permission testing by your own security team.',
  ],
  response: [
    'If the caller cannot explain the attempt, treat the credentials as exposed: rotate them and review their recent activity.',
    'Retire or update any automation that still calls these APIs.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSecurityGroup.html',
    'https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheSecurityGroup.html',
  ],
};
