import { Duration } from 'aws-cdk-lib';
import { DETECTOR_RULE_RETRY } from './constructs/detection-rules';
import { DETECTOR_MAX_EVENT_AGE } from './constructs/detector-function';
import { DEAD_LETTER_RETENTION_DAYS } from './constructs/queues';
import { SPOKE_RETRY } from './spoke-stack';

/** One stretch of time an event can spend on its way to the detector, as deployed. */
export interface DeliveryDelay {
  readonly what: string;
  readonly hours: number;
}

/**
 * The longest path a copy of an event can take before the detector sees it, read from the
 * same constants the constructs deploy: a spoke retries the hub bus, the hub's rule retries
 * the detector, Lambda keeps retrying the async invocation, and then a failure queue keeps
 * it until an operator redrives it. Every other path (a spoke's own queue, the hub rule's
 * queue) is a prefix of this one followed by the same queue retention, so it is shorter.
 */
export const DELIVERY_DELAYS: readonly DeliveryDelay[] = [
  { what: 'spoke retries', hours: SPOKE_RETRY.maxEventAge.toHours() },
  { what: 'hub rule retries', hours: DETECTOR_RULE_RETRY.maxEventAge.toHours() },
  { what: 'Lambda event age', hours: DETECTOR_MAX_EVENT_AGE.toHours() },
  {
    what: 'failure queue retention',
    hours: Duration.days(DEAD_LETTER_RETENTION_DAYS).toHours(),
  },
];

/** Hours from an event to the last moment a redriven copy of it can reach the detector. */
export const LONGEST_DELIVERY_HOURS = DELIVERY_DELAYS.reduce((sum, delay) => sum + delay.hours, 0);

/**
 * The fewest whole days an alert may be kept: strictly longer than the longest delivery.
 * TTL counts from when the alert was written, which is no earlier than the event, so an
 * alert kept this long outlives every copy of its event and a redrive finds it instead of
 * notifying again.
 */
export const MIN_ALERT_RETENTION_DAYS = Math.floor(LONGEST_DELIVERY_HOURS / 24) + 1;

/** `6 h`, `24 h`, `14 days`, `15 days 8 h`: hours up to two days, days past them. */
function showHours(hours: number): string {
  if (hours < 48) return `${hours} h`;
  const days = Math.floor(hours / 24);
  const rest = hours - days * 24;
  return rest === 0 ? `${days} days` : `${days} days ${rest} h`;
}

/** Why the floor is what it is, in one line: the path and its parts. */
export function retentionFloorReason(): string {
  const parts = DELIVERY_DELAYS.map((delay) => `${showHours(delay.hours)} ${delay.what}`);
  return `a redriven event can reach the detector ${showHours(LONGEST_DELIVERY_HOURS)} after it happened (${parts.join(' + ')})`;
}
