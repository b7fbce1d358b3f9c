/**
 * The types the core's modules share: the alert and its parts, severity and its order,
 * risk factors, attachment results and rendered messages. Types only, importing nothing
 * from the modules that use them, so the core's import graph stays a tree.
 */
import type { AccountContext } from './enrich/account-context';
import type { IdentitySummary } from './enrich/identity';
import type { SourceIpInfo } from './enrich/source-ip';
import type { UserAgentInfo } from './enrich/user-agent';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Every severity, least severe first: the order filters and thresholds compare by. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** Which outcome of the API call a detection fires on. */
export type Outcome = 'success' | 'failure';

export interface RiskFactor {
  readonly id: string;
  readonly delta: number;
  readonly reason: string;
}

/**
 * What sits behind a security group, as far as its network interfaces tell: an RDS or an
 * ElastiCache resource, something else, nothing at all, or `unknown` when the question could
 * not be answered (lookups off for this event, a timeout, a denial, an error).
 */
export type AttachmentStatus = 'rds' | 'elasticache' | 'other' | 'none' | 'unknown';

export interface AttachmentResult {
  readonly status: AttachmentStatus;
  /**
   * The interfaces found, one short line each (`eni-… amazon-rds: RDSNetworkInterface`).
   * Descriptions of interfaces people created are theirs to write: treat them as untrusted.
   */
  readonly resources: readonly string[];
  /** Why the status is `unknown`, or a note on a partial answer. */
  readonly reason?: string;
}

/** What the publisher port sends: an SNS message with `MessageStructure: json`. */
export interface RenderedMessage {
  readonly subject: string;
  /** JSON text with `default`, `email`, `sqs` and `lambda` keys, every value a string. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Triage state, set by people (and `suppressed` by a matching exception). */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'suppressed';
/**
 * Notification state, set by the pipeline: pending, then notified (two-phase); suppressed
 * by an exception; capped when the detection's notification cap for the window was reached.
 */
export type DeliveryState = 'pending' | 'notified' | 'suppressed' | 'capped';

/** What the principal's earlier alerts say, read from the by-principal index. */
export interface PrincipalHistory {
  readonly last24h: number;
  readonly last7d: number;
  /** True when the table holds no earlier alert for this principal. */
  readonly firstSeen: boolean;
}

/** Everything learned about the call beyond the record itself. */
export interface AlertContext {
  readonly userAgent: UserAgentInfo;
  readonly sourceIp: SourceIpInfo;
  readonly account: AccountContext;
  readonly iacRole: boolean;
  readonly history?: PrincipalHistory;
  /** What the exposed security groups protect, when the deployment looks it up. */
  readonly attachment?: AttachmentResult;
}

/** How the score moved from the detection's base score. */
export interface AlertRisk {
  readonly baseScore: number;
  readonly baseSeverity: Severity;
  readonly factors: readonly RiskFactor[];
}

/** The exception that suppressed an alert, copied so the record explains itself. */
export interface Suppression {
  readonly exceptionId: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
}

/**
 * Where an alert sits in its burst: `new` opens a group and notifies at once; `update`s
 * follow in the same thread; `summary` is sent once when the detection's cap for the
 * window is reached; after that alerts are `capped` (recorded, not sent). Windows are fixed
 * spans of `windowMinutes` (see `windowStartOf`).
 */
export interface BurstPlacement {
  readonly kind: 'new' | 'update' | 'summary' | 'capped';
  readonly groupId: string;
  readonly threadId: string;
  /** This alert's position in its group's window, 1 for the first; 0 when capped. */
  readonly sequence: number;
  /**
   * This alert's position among its detection's alerts in the window (cap + 1 is the
   * summary); for a capped alert, cap + 1: the window was full before it.
   */
  readonly detectionCount: number;
  readonly windowMinutes: number;
  readonly cap: number;
}

export interface AlertResource {
  readonly type: string;
  readonly name: string;
  readonly description: string;
}

/**
 * One alert: one detection firing on one CloudTrail event. This is the item stored in the
 * alert table and the JSON that machines receive; the original record rides along verbatim.
 */
export interface Alert {
  readonly alertId: string;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly severity: Severity;
  readonly riskScore: number;
  readonly outcome: Outcome;
  /** ATT&CK ids, most specific last: tactic, technique, sub-technique. */
  readonly mitre: readonly string[];
  readonly eventId: string;
  /** Event time as canonical ISO-8601 UTC, so it sorts as text. */
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly account: string;
  readonly region: string;
  /** The caller's ARN (or `unknown`): the key of the by-principal index. */
  readonly principal: string;
  readonly actor: IdentitySummary;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly resource: AlertResource;
  /**
   * What the call opened or changed, in the detection's words (ports, ranges, identifiers);
   * absent when the detection has nothing to add to the resource name.
   */
  readonly findings?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
  readonly links: { readonly cloudTrail?: string; readonly console?: string };
  readonly context: AlertContext;
  readonly risk: AlertRisk;
  readonly suppression?: Suppression;
  readonly burst?: BurstPlacement;
  readonly timeBucket: string;
  readonly status: AlertStatus;
  readonly delivery: DeliveryState;
  readonly detectedAt: string;
  /** Epoch seconds after which DynamoDB TTL may delete the item. */
  readonly expiresAt: number;
  /** The original CloudTrail record, exactly as received, as JSON text. */
  readonly cloudTrailEvent: string;
  readonly messageId?: string;
  readonly notifiedAt?: string;
}
