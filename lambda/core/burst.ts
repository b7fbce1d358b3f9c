import { createHash } from 'node:crypto';
import type { Alert, BurstPlacement } from './alert';
import type { BurstGroupField, Detection } from './catalog';
import type { BurstSettings } from './policy';
import type { BurstCount } from './ports';

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
