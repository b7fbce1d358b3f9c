import type { CloudTrailRecord } from '../cloudtrail';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** The alert fields a burst group can be keyed on. */
export type BurstGroupField = 'account' | 'region' | 'principal' | 'resourceName';

export interface AttackReference {
  readonly id: string;
  readonly name: string;
  readonly url: string;
}

export interface AttackMapping {
  readonly tactic: AttackReference;
  readonly technique: AttackReference;
  readonly subtechnique?: AttackReference;
}

/** Which outcome of the API call a detection fires on. */
export type Outcome = 'success' | 'failure';

/** The Elastic rule a detection re-implements, when it has one. */
export interface ElasticOrigin {
  readonly ruleId: string;
  readonly name: string;
}

/** A CloudTrail API call a detection watches: the EventBridge source and CloudTrail names. */
export interface WatchedCall {
  /** EventBridge `source`, e.g. `aws.rds`. */
  readonly source: string;
  /** CloudTrail `eventSource`, e.g. `rds.amazonaws.com`. */
  readonly eventSource: string;
  /** CloudTrail `eventName`, exactly as CloudTrail writes it. */
  readonly eventName: string;
  /** What the call creates, and where its request parameters name it. */
  readonly resource: {
    readonly type: string;
    readonly nameParameter: string;
    readonly descriptionParameter: string;
    /** The service console page an analyst opens next, without the Region host. */
    readonly consolePath: string;
  };
}

/**
 * A detection is data plus one pure predicate. The same object drives the EventBridge
 * rule pattern (lib/), the Lambda and the replay CLI, so a condition lives in one place.
 */
export interface Detection {
  /** Stable id, used in alert keys and message attributes. Never rename. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly riskScore: number;
  readonly mitre: readonly AttackMapping[];
  readonly calls: readonly WatchedCall[];
  readonly outcome: Outcome;
  readonly elastic?: ElasticOrigin;
  readonly investigation: readonly string[];
  readonly falsePositives: readonly string[];
  readonly response: readonly string[];
  readonly references: readonly string[];
  /**
   * What makes alerts one burst (one thread, one new notification per window).
   * @default - account, Region and principal
   */
  readonly burstGroupBy?: readonly BurstGroupField[];
}

/**
 * A call failed when CloudTrail logged an `errorCode` for it, which is how Elastic's
 * CloudTrail ingest sets `event.outcome`. Presence is what counts, as with the EventBridge
 * `exists` operator the deployed rules use, so both paths agree on every record.
 */
export function isFailure(record: CloudTrailRecord): boolean {
  return record.errorCode !== undefined && record.errorCode !== null;
}

/** True when `record` is one of the detection's calls with the detection's outcome. */
export function matches(detection: Detection, record: CloudTrailRecord): boolean {
  const isCall = detection.calls.some(
    (call) => call.eventSource === record.eventSource && call.eventName === record.eventName,
  );
  if (!isCall) return false;
  return detection.outcome === 'failure' ? isFailure(record) : !isFailure(record);
}
