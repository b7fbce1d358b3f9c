import type { CloudTrailRecord } from '../cloudtrail';
import type { Detection } from './detection';
import { matches } from './detection';
import { elasticacheSecurityGroupCreated } from './elasticache-security-group-created';
import { rdsSecurityGroupCreated } from './rds-security-group-created';
import { securityGroupCreationFailed } from './security-group-creation-failed';

export type {
  AttackMapping,
  BurstGroupField,
  Detection,
  Outcome,
  Severity,
  WatchedCall,
} from './detection';
export { matches, isFailure } from './detection';

/** Every detection sgwatch runs. Adding one here deploys its rule and feeds replay. */
export const CATALOG: readonly Detection[] = [
  rdsSecurityGroupCreated,
  elasticacheSecurityGroupCreated,
  securityGroupCreationFailed,
];

/** The detections that fire on `record`, in catalog order. */
export function detect(
  record: CloudTrailRecord,
  catalog: readonly Detection[] = CATALOG,
): Detection[] {
  return catalog.filter((detection) => matches(detection, record));
}

export function findDetection(
  id: string,
  catalog: readonly Detection[] = CATALOG,
): Detection | undefined {
  return catalog.find((detection) => detection.id === id);
}

/** Every CloudTrail eventName any detection watches; the replay prefilter looks for these. */
export function watchedEventNames(catalog: readonly Detection[] = CATALOG): string[] {
  return [
    ...new Set(catalog.flatMap((detection) => detection.calls.map((call) => call.eventName))),
  ];
}
export { eventPatternFor } from './event-pattern';
export type { EventPatternJson } from './event-pattern';
