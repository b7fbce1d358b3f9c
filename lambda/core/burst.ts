import { createHash } from 'node:crypto';
import type { Alert, BurstPlacement } from './alert';
import type { BurstGroupField, Detection } from './catalog';
import type { BurstSettings } from './policy';

/** Account, Region and principal: one change by one caller is one burst. */
export const DEFAULT_GROUP_BY: readonly BurstGroupField[] = ['account', 'region', 'principal'];

function fieldValue(alert: Alert, field: BurstGroupField): string {
  return field === 'resourceName' ? alert.resource.name : alert[field];
}

/** Stable id of the burst group an alert belongs to (the same for every alert in it). */
export function burstGroupId(detection: Detection, alert: Alert): string {
  const fields = detection.burstGroupBy ?? DEFAULT_GROUP_BY;
  const key = [detection.id, ...fields.map((field) => `${field}=${fieldValue(alert, field)}`)];
  return createHash('sha256').update(key.join('\n')).digest('hex').slice(0, 20);
}

/** What the counters say about one alert, read before it is placed. */
export interface BurstCount {
  /** 1 when this alert opened the group's window; 0 when it was not counted (capped). */
  readonly sequence: number;
  /** Stays the same for every alert of one group window: one Slack thread. */
  readonly threadId: string;
  /**
   * This alert's place among its detection's alerts in the window, 1 for the first;
   * undefined when the window was already full (cap + 1 alerts) and this one is past it.
   */
  readonly detectionCount: number | undefined;
}

/**
 * The fixed window an event time falls in, as the epoch second it starts at. Windows are
 * fixed (every `windowMinutes` from the epoch) rather than opened by a group's first alert,
 * so every retry, however late, finds the same window and the same counters.
 */
export function windowStartOf(eventTime: Date, windowMinutes: number): number {
  const windowMs = windowMinutes * 60_000;
  return (Math.floor(eventTime.getTime() / windowMs) * windowMs) / 1000;
}

/** The counters an alert is placed with: its detection's window and its group's. */
export function burstCounters(
  groupId: string,
  ruleId: string,
  windowStart: number,
): { readonly detection: string; readonly group: string; readonly threadId: string } {
  return {
    detection: `cap#${ruleId}#${windowStart}`,
    group: `burst#${groupId}#${windowStart}`,
    threadId: `${groupId}-${windowStart}`,
  };
}

/**
 * Turns the counters into a decision. The first alert of a group window notifies as new,
 * later ones as updates in the same thread, until the detection's cap for the window is
 * reached: the alert past the cap sends one summary, and the rest are only recorded.
 */
export function placeInBurst(
  groupId: string,
  count: BurstCount,
  settings: BurstSettings,
): BurstPlacement {
  const cap = settings.maxNotificationsPerWindow;
  if (count.detectionCount === undefined) {
    return {
      kind: 'capped',
      groupId,
      threadId: count.threadId,
      sequence: 0,
      detectionCount: cap + 1,
      windowMinutes: settings.windowMinutes,
      cap,
    };
  }
  const kind =
    count.detectionCount <= cap
      ? count.sequence === 1
        ? 'new'
        : 'update'
      : count.detectionCount === cap + 1
        ? 'summary'
        : 'capped';
  return {
    kind,
    groupId,
    threadId: count.threadId,
    sequence: count.sequence,
    detectionCount: count.detectionCount,
    windowMinutes: settings.windowMinutes,
    cap,
  };
}
