import type {
  Alert,
  AttachmentResult,
  BurstPlacement,
  PrincipalHistory,
  RenderedMessage,
} from './model';
import type { Detection } from './catalog';

/**
 * Names the delivery that holds an alert's claim. Every write a delivery makes on the alert
 * after taking the claim is conditional on it, so a delivery that lost its claim (it paused
 * past the lease, or its clock ran late) changes nothing.
 */
export type ClaimToken = string & { readonly __brand: 'ClaimToken' };

/** Result of trying to create an alert that may already exist. */
export type CreateResult =
  | { readonly created: true; readonly token: ClaimToken }
  | { readonly created: false; readonly existing: Alert };

/**
 * How marking an alert notified ended. `claim-lost`: another delivery took the alert over
 * (or finished it) while this one was publishing, so this one's copy was an extra one and
 * the record was left to the holder.
 */
export type MarkResult = 'marked' | 'claim-lost';

/**
 * Where alerts live. Implementations must make `create`, `claim` and `countOnce` atomic
 * conditional writes: they are what keeps a redelivered event from notifying twice, and a
 * retried alert from being counted twice.
 */
export interface AlertStore {
  /** Stores `alert` as pending with a delivery claim until `claimUntil`, unless it exists. */
  create(alert: Alert, claimUntil: Date): Promise<CreateResult>;
  /** The stored alert, or undefined when there is none (never written, or expired). */
  get(alertId: string): Promise<Alert | undefined>;
  /**
   * Takes over delivery of a pending alert whose claim has lapsed by `now`. Returns the new
   * claim's token, or undefined when the alert is no longer pending or another delivery
   * holds a live claim.
   */
  claim(alertId: string, now: Date, claimUntil: Date): Promise<ClaimToken | undefined>;
  /** Records that the alert was published, if `token` still holds its claim. */
  markNotified(
    alertId: string,
    token: ClaimToken,
    messageId: string,
    at: Date,
  ): Promise<MarkResult>;
  /** Gives up a claim after a failed publish so the next delivery can retry at once. */
  release(alertId: string, token: ClaimToken): Promise<void>;
  /** Earlier alerts of `principal` before `before`, counted over 24 hours and 7 days. */
  principalHistory(principal: string, before: Date): Promise<PrincipalHistory>;
  /**
   * Counts `alertId` into the counter named `counter`, once: the first call appends it and
   * every later call for the same alert answers the same position, whatever happened to
   * the first call's answer. With `limit`, a counter that already holds `limit` alerts
   * takes no more and answers undefined to every alert not in it.
   */
  countOnce(request: CountRequest): Promise<number | undefined>;
  /**
   * Saves an alert's burst placement before it is published (and marks it capped), if
   * `token` still holds its claim; throws `ClaimLostError` otherwise.
   */
  recordBurst(alertId: string, token: ClaimToken, placement: BurstPlacement): Promise<void>;
}

export interface CountRequest {
  readonly counter: string;
  readonly alertId: string;
  readonly limit?: number;
  /** When TTL may remove the counter: measured from processing time, not event time. */
  readonly expiresAt: Date;
}

/** A delivery tried to act on an alert whose claim another delivery now holds. */
export class ClaimLostError extends Error {
  override readonly name = 'ClaimLostError';
  constructor(
    readonly alertId: string,
    step: string,
  ) {
    super(
      `alert ${alertId} was taken over by another delivery before ${step}; that delivery finishes it`,
    );
  }
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

/**
 * Alerts whose finding could not be imported, kept until a later import succeeds, so the
 * findings converge on the alerts however long Security Hub was slow or away.
 */
export interface FindingRetries {
  add(alertId: string): Promise<void>;
  /** Up to `limit` alert ids waiting for their finding, oldest order not promised. */
  pending(limit: number): Promise<string[]>;
  remove(alertIds: readonly string[]): Promise<void>;
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

export type { AttachmentResult, AttachmentStatus } from './model';

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

/**
 * The accounts of the organization the detector belongs to. It answers undefined rather
 * than throw when it cannot tell (not allowed, too slow, not in an organization): an alert
 * never waits on it or fails for it.
 */
export interface OrganizationLookup {
  accounts(): Promise<ReadonlySet<string> | undefined>;
}
