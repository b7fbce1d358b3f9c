import type { CloudTrailRecord } from '../cloudtrail';
import type { Detection } from './detection';
import { matches } from './detection';
import { datastoreSecurityGroupsChanged } from './detections/aws.datastore.security-groups-changed';
import { snapshotShared } from './detections/aws.datastore.snapshot-shared';
import { datastorePortOpenToInternet } from './detections/aws.ec2.datastore-port-open-to-internet';
import { elasticacheSecurityGroupCreated } from './detections/aws.elasticache.create-cache-security-group';
import { securityGroupCreationFailed } from './detections/aws.legacy-security-group.create-failed';
import { legacySecurityGroupIngressAuthorized } from './detections/aws.legacy-security-group.ingress-authorized';
import { rdsSecurityGroupCreated } from './detections/aws.rds.create-db-security-group';
import { rdsMadePublic } from './detections/aws.rds.instance-made-public';
import { snapshotExported } from './detections/aws.rds.snapshot-exported';
import { snapshotPublicShareFailed } from './detections/aws.rds.snapshot-public-share-failed';
import { redshiftMadePublic } from './detections/aws.redshift.made-public';

export type {
  AttackMapping,
  BurstGroupField,
  Detection,
  DetectionContext,
  DetectionPack,
  DetectionRiskRule,
  OwnCondition,
  Outcome,
  Severity,
  WatchedCall,
} from './detection';
export { matches, isFailure, detectionRiskFactors, EMPTY_DETECTION_CONTEXT } from './detection';
export { requestString } from './request';

/** The two Elastic seed rules and their failed attempts. */
export const SEED_PACK: readonly Detection[] = [
  rdsSecurityGroupCreated,
  elasticacheSecurityGroupCreated,
  securityGroupCreationFailed,
];

/** Calls that put a database or cache within reach of the internet. */
export const EXPOSURE_PACK: readonly Detection[] = [
  datastorePortOpenToInternet,
  rdsMadePublic,
  datastoreSecurityGroupsChanged,
  legacySecurityGroupIngressAuthorized,
  redshiftMadePublic,
];

/** Calls that hand a copy of a database to another account or to a bucket. */
export const EXFILTRATION_PACK: readonly Detection[] = [
  snapshotShared,
  snapshotExported,
  snapshotPublicShareFailed,
];

/** Every detection sgwatch runs. Adding one here deploys its rule and feeds replay. */
export const CATALOG: readonly Detection[] = [...SEED_PACK, ...EXPOSURE_PACK, ...EXFILTRATION_PACK];

/** What a deployment can choose to run. */
export const DETECTION_SELECTIONS = ['seed', 'exposure', 'exfiltration', 'all'] as const;
export type DetectionSelection = (typeof DETECTION_SELECTIONS)[number];

/** The detections of one pack, or all of them, in catalog order. */
export function catalogFor(selection: DetectionSelection): readonly Detection[] {
  switch (selection) {
    case 'seed':
      return SEED_PACK;
    case 'exposure':
      return EXPOSURE_PACK;
    case 'exfiltration':
      return EXFILTRATION_PACK;
    case 'all':
      return CATALOG;
    default:
      // Reachable only from untyped callers; name the value rather than deploy nothing.
      throw new RangeError(
        `unknown detection selection "${String(selection)}" (use seed, exposure, exfiltration or all)`,
      );
  }
}

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

/**
 * Every CloudTrail eventName the built-in detections watch (a detection with its own
 * condition adds the names it pins); the replay prefilter looks for these. See
 * `eventNameScope` for a catalog whose detections may not pin a name.
 */
export function watchedEventNames(catalog: readonly Detection[] = CATALOG): string[] {
  return [
    ...new Set(
      catalog.flatMap((detection) =>
        detection.condition !== undefined
          ? (detection.condition.eventNames ?? [])
          : detection.calls.map((call) => call.eventName),
      ),
    ),
  ];
}

/**
 * The eventNames any detection of the catalog can match, or undefined when one can match any
 * name (a Sigma rule that does not pin eventName): then no record may be passed over by its
 * name.
 */
export function eventNameScope(catalog: readonly Detection[]): string[] | undefined {
  return catalog.some(
    (detection) =>
      detection.condition !== undefined && detection.condition.eventNames === undefined,
  )
    ? undefined
    : watchedEventNames(catalog);
}

/** True when some detection compares eventNames case-insensitively (a Sigma rule does). */
export function matchesNamesInAnyCase(catalog: readonly Detection[]): boolean {
  return catalog.some((detection) => detection.condition !== undefined);
}
export {
  eventPatternFor,
  eventPatternsFor,
  forwardingPatterns,
  MAX_EVENT_PATTERN_CHARS,
  needsReadOnlyEvents,
} from './event-pattern';
export type { EventPatternJson } from './event-pattern';
