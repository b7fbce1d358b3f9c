import type { CloudTrailRecord } from '../cloudtrail';
import type { AccountDirectory } from '../enrich/account-context';
import type { Outcome, RiskFactor, Severity } from '../model';

export type { Outcome, Severity } from '../model';

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

/** The Elastic rule a detection re-implements, when it has one. */
export interface ElasticOrigin {
  readonly ruleId: string;
  readonly name: string;
}

/** An EventBridge event pattern, or part of one, as plain JSON (what CloudFormation takes). */
export type EventPatternJson = Record<string, unknown>;

/**
 * The packs a deployment chooses from: `seed` re-implements the two Elastic rules (and keeps
 * their failed attempts); `exposure` watches the calls that put a data store in reach of the
 * internet; `exfiltration` watches the calls that hand a copy of its data to another account
 * or a bucket (snapshots shared or exported). `sigma` marks a detection compiled from the
 * user's own Sigma rule.
 */
export type DetectionPack = 'seed' | 'exposure' | 'exfiltration' | 'sigma';

/**
 * What the operator told sgwatch that a detection may read beside the record, for the parts
 * of an alert that depend on it (findings, risk rules). Never for `requestMatches`: whether a
 * detection fires depends on the record alone, as its EventBridge pattern does.
 */
export interface DetectionContext {
  /** The account directory (`accounts` in sgwatch.config.json). */
  readonly accounts: AccountDirectory;
  /**
   * The organization's member accounts, when the deployment may look them up
   * (`lookups=true`) and the lookup answered.
   * @default - unknown: only the account directory tells known accounts
   */
  readonly organizationAccounts?: ReadonlySet<string>;
}

/** The context of a deployment that lists no accounts. */
export const EMPTY_DETECTION_CONTEXT: DetectionContext = Object.freeze({
  accounts: Object.freeze({}),
});

/**
 * A detection's own condition, for detections not described by their calls (those compiled
 * from Sigma rules): a predicate with the rule's exact meaning, and EventBridge patterns that
 * are each a superset of it.
 */
export interface OwnCondition {
  /** The whole condition; replaces the calls-and-outcome check. Pure and total. */
  readonly matches: (record: CloudTrailRecord) => boolean;
  /** The patterns deployed for the detection, one rule each; never empty. */
  readonly eventPatterns: readonly EventPatternJson[];
  /**
   * The eventNames the condition can match, compared case-insensitively.
   * @default - any eventName: replay reads every record, hunt cannot narrow by name
   */
  readonly eventNames?: readonly string[];
  /**
   * The eventSources the condition can match, compared case-insensitively.
   * @default - any eventSource
   */
  readonly eventSources?: readonly string[];
  /**
   * True when the condition can match a read-only call (Describe*, Get*, List* ...), which
   * EventBridge delivers only to rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
   */
  readonly readOnly: boolean;
}

/** A CloudTrail API call a detection watches: the EventBridge source and CloudTrail names. */
export interface WatchedCall {
  /** EventBridge `source`, e.g. `aws.rds`. */
  readonly source: string;
  /** CloudTrail `eventSource`, e.g. `rds.amazonaws.com`. */
  readonly eventSource: string;
  /** CloudTrail `eventName`, exactly as CloudTrail writes it. */
  readonly eventName: string;
  /** What the call creates or changes, and where its request parameters name it. */
  readonly resource: {
    readonly type: string;
    /** A request parameter, or a dot-separated path of them (`Request.GroupId`). */
    readonly nameParameter: string;
    /** @default - the call carries no description */
    readonly descriptionParameter?: string;
    /** The service console page an analyst opens next, without the Region host. */
    readonly consolePath: string;
  };
  /**
   * Extra conditions on the CloudTrail record (the event's `detail`), merged into this call's
   * rule pattern so EventBridge drops what it can before the detector runs. It may admit
   * records the detection then rejects (EventBridge cannot express everything), but it must
   * never reject one the detection accepts; the tests hold every pattern to that.
   * @default - no condition beyond source, name and outcome
   */
  readonly detailFilter?: EventPatternJson;
}

/** A score adjustment that only makes sense for one detection, read from the record. */
export interface DetectionRiskRule {
  readonly id: string;
  readonly delta: number;
  /** One line for the documentation. */
  readonly description: string;
  /** Pure and total over any record. */
  readonly applies: (record: CloudTrailRecord, context: DetectionContext) => boolean;
  readonly reason: string;
}

/**
 * A detection is data plus one pure predicate. The same object drives the EventBridge
 * rule pattern (lib/), the Lambda and the replay CLI, so a condition lives in one place.
 */
export interface Detection {
  /** Stable id, used in alert keys and message attributes. Never rename. */
  readonly id: string;
  readonly pack: DetectionPack;
  readonly title: string;
  /**
   * The title in at most 32 characters (`MAX_SHORT_TITLE_LENGTH`), for email subjects, where
   * the account and Region must fit beside it: shorter wording, the same detection.
   */
  readonly shortTitle: string;
  readonly description: string;
  readonly severity: Severity;
  readonly riskScore: number;
  readonly mitre: readonly AttackMapping[];
  /** The calls it watches; empty for a detection with its own condition. */
  readonly calls: readonly WatchedCall[];
  /** The outcome it fires on; a detection with its own condition decides in it instead. */
  readonly outcome: Outcome;
  /**
   * The detection's own condition and patterns, replacing those derived from `calls` and
   * `outcome`.
   * @default - the calls, the outcome and requestMatches decide
   */
  readonly condition?: OwnCondition;
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
  /**
   * A condition on the call's content, checked after the call and outcome match. It reads an
   * attacker-influenced record, so it must be pure and total: false, never an exception, for
   * any JSON in any field.
   * @default - every matching call with the detection's outcome fires
   */
  readonly requestMatches?: (record: CloudTrailRecord) => boolean;
  /**
   * What the call opened or changed, in short sentences built from the record (group ids,
   * ports, address ranges, identifiers). Shown in every message; the values in them are
   * attacker-influenced and are escaped by each renderer. Without a context, findings read as
   * for a deployment that lists no accounts.
   * @default - none
   */
  readonly findings?: (record: CloudTrailRecord, context?: DetectionContext) => readonly string[];
  /**
   * The security groups whose network interfaces are worth looking up, when the deployment
   * turns lookups on. Only well-formed group ids.
   * @default - no lookup
   */
  readonly attachmentGroups?: (record: CloudTrailRecord) => readonly string[];
  /**
   * Whether the findings and risk rules tell accounts of the organization from others, so
   * the delivery looks the organization up first (when the deployment has lookups on).
   * @default false
   */
  readonly readsOrganization?: boolean;
  /**
   * Adjustments of this detection's base score that depend on the call's content. They apply
   * before, and add to, the general risk rules.
   * @default - none
   */
  readonly riskRules?: readonly DetectionRiskRule[];
}

/**
 * A call failed when CloudTrail logged an `errorCode` for it, which is how Elastic's
 * CloudTrail ingest sets `event.outcome`. Presence is what counts, as with the EventBridge
 * `exists` operator the deployed rules use, so both paths agree on every record: for that
 * operator a key holding `null` exists, so it does here.
 */
export function isFailure(record: CloudTrailRecord): boolean {
  return record.errorCode !== undefined;
}

/**
 * True when `record` is one of the detection's calls with the detection's outcome and, for
 * detections that look at the request, content the detection fires on.
 */
export function matches(detection: Detection, record: CloudTrailRecord): boolean {
  if (detection.condition !== undefined) return detection.condition.matches(record);
  const isCall = detection.calls.some(
    (call) => call.eventSource === record.eventSource && call.eventName === record.eventName,
  );
  if (!isCall) return false;
  const outcomeMatches = detection.outcome === 'failure' ? isFailure(record) : !isFailure(record);
  if (!outcomeMatches) return false;
  return detection.requestMatches === undefined || detection.requestMatches(record);
}

/** The detection's own risk adjustments that apply to `record`, in declaration order. */
export function detectionRiskFactors(
  detection: Detection,
  record: CloudTrailRecord,
  context: DetectionContext = EMPTY_DETECTION_CONTEXT,
): RiskFactor[] {
  return (detection.riskRules ?? [])
    .filter((rule) => rule.applies(record, context))
    .map((rule) => ({ id: rule.id, delta: rule.delta, reason: rule.reason }));
}
