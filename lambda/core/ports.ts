import type { Alert, BurstPlacement, PrincipalHistory } from './alert';
import type { Detection } from './catalog';
import type { RenderedMessage } from './render';

/** Result of trying to create an alert that may already exist. */
export type CreateResult =
  { readonly created: true } | { readonly created: false; readonly existing: Alert };

/**
 * Where alerts live. Implementations must make `create` and `claim` atomic conditional
 * writes: they are what keeps a redelivered event from notifying twice.
 */
export interface AlertStore {
  /** Stores `alert` as pending with a delivery claim until `claimUntil`, unless it exists. */
  create(alert: Alert, claimUntil: Date): Promise<CreateResult>;
  /**
   * Takes over delivery of a pending alert whose claim has lapsed by `now`. Returns false
   * when the alert is no longer pending or another delivery holds a live claim.
   */
  claim(alertId: string, now: Date, claimUntil: Date): Promise<boolean>;
  /** Records that the alert was published; only from pending. */
  markNotified(alertId: string, messageId: string, at: Date): Promise<void>;
  /** Gives up a claim after a failed publish so the next delivery can retry at once. */
  release(alertId: string): Promise<void>;
  /** Earlier alerts of `principal` before `before`, counted over 24 hours and 7 days. */
  principalHistory(principal: string, before: Date): Promise<PrincipalHistory>;
  /**
   * Counts one alert into its burst group and into its detection's window, atomically
   * (concurrent alerts each get a distinct sequence number).
   */
  countInBurst(request: BurstCountRequest): Promise<BurstCount>;
  /** Saves an alert's burst placement before it is published (and marks it capped). */
  recordBurst(alertId: string, placement: BurstPlacement): Promise<void>;
}

export interface BurstCountRequest {
  readonly groupId: string;
  readonly ruleId: string;
  readonly eventTime: Date;
  readonly windowMinutes: number;
}

export interface BurstCount {
  /** 1 when this alert opened the group's window. */
  readonly sequence: number;
  /** Stays the same for every alert of one group window: one Slack thread. */
  readonly threadId: string;
  /** Alerts of this detection in its current window, this one included. */
  readonly detectionCount: number;
}

export interface AlertPublisher {
  publish(message: RenderedMessage): Promise<{ readonly messageId: string }>;
}

/**
 * An optional destination beside the alert topic (AWS Security Hub). It receives alerts that
 * were notified or suppressed; importing the same alert again must be harmless. It must
 * never decide an alert's fate: the core logs and drops whatever it throws.
 */
export interface FindingSink {
  record(alert: Alert, detection: Detection): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const systemClock: Clock = { now: () => new Date() };

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

export interface AttachmentLookupRequest {
  /** Well-formed security group ids from the request. */
  readonly groupIds: readonly string[];
  /** The Region and account the call was made in; groups exist only there. */
  readonly region: string;
  readonly account: string;
}

/**
 * Asks what the security groups of an exposure alert protect. Implementations bound their
 * own time and answer `unknown` rather than throw: an alert never waits long for, or fails
 * because of, this context.
 */
export interface AttachmentLookup {
  lookup(request: AttachmentLookupRequest): Promise<AttachmentResult>;
}
