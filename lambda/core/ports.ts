import type { Alert } from './alert';
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
}

export interface AlertPublisher {
  publish(message: RenderedMessage): Promise<{ readonly messageId: string }>;
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
