/**
 * Deterministic generator of CloudTrail management-event records and of S3-style
 * CloudTrail archives, for tests, the shipped sample and the replay benchmark.
 *
 * Everything random comes from a seeded PRNG, so a seed names an archive: the same
 * options always produce the same records and the same bytes. The background traffic
 * imitates what an ordinary AWS account logs (lots of reads from workloads and AWS
 * services, some deploys, a few humans, the odd intruder) so that detection runs
 * against realistic noise rather than a file of nothing but targets.
 */
export { Prng, Weighted, hash32 } from './cloudtrail/random';
export { isoSeconds } from './cloudtrail/format';
export type { IdentityKindOption, UserAgentKind } from './cloudtrail/identities';
export { userAgentFor } from './cloudtrail/identities';
export type {
  CallRecordOptions,
  GenerateOptions,
  IngressPermission,
  TargetEventName,
  TargetFailureCode,
  TargetRecordOptions,
} from './cloudtrail/records';
export {
  TARGET_EVENTS,
  TARGET_EVENT_NAMES,
  authorizeSecurityGroupIngressRecord,
  createCacheSecurityGroupRecord,
  createDbSecurityGroupRecord,
  createRedshiftClusterRecord,
  generateRecords,
  isTargetRecord,
  makeIdentity,
  modifyDbInstanceRecord,
  modifyDbSnapshotAttributeRecord,
  startExportTaskRecord,
} from './cloudtrail/records';
export type {
  ArchiveStats,
  PlantedRecord,
  TargetEventInfo,
  WriteArchiveOptions,
} from './cloudtrail/archive';
export { CLOUDTRAIL_KEY_PATTERN, cloudTrailKey, writeArchive } from './cloudtrail/archive';
