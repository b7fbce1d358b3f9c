/**
 * What a dead-letter queue message holds, read defensively: the body and the detector's
 * answer come from outside, and every text taken from them is cleaned and bounded before a
 * report carries it (event text is attacker-controlled).
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { cleanText } from '../../lambda/core/text';

type Json = Record<string, unknown>;

/** Width of an event field in a report; each field is cut to it. */
const FIELD = 100;

/** What a dead-letter queue message holds. */
export type DeadLetter =
  | { readonly kind: 'detector-failure'; readonly event: Json; readonly cause: string }
  | { readonly kind: 'undelivered'; readonly event: Json; readonly cause: string }
  | { readonly kind: 'unrecognised'; readonly reason: string };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The text cleaned and cut to `max`; undefined when nothing is left of it. */
export function cleaned(value: unknown, max = FIELD): string | undefined {
  const result = cleanText(typeof value === 'string' ? value : undefined, max);
  return result === '' ? undefined : result;
}

/** The shape the detector is invoked with; its own validation decides the rest. */
function isEventBridgeEvent(value: unknown): value is Json {
  return isObject(value) && typeof value['detail-type'] === 'string' && isObject(value.detail);
}

/** Why Lambda gave up on the event: `RetriesExhausted after 3 attempts: Error: ...`. */
function detectorFailureCause(record: Json): string {
  const context = isObject(record.requestContext) ? record.requestContext : {};
  const condition = text(context.condition) ?? 'failed';
  const attempts = context.approximateInvokeCount;
  const response = isObject(record.responsePayload) ? record.responsePayload : {};
  const error = [text(response.errorType), text(response.errorMessage)]
    .filter((part) => part !== undefined)
    .join(': ');
  return (
    condition +
    (typeof attempts === 'number' ? ` after ${attempts} attempt(s)` : '') +
    (error !== '' ? `: ${error}` : '')
  );
}

/** Why EventBridge gave up: its ERROR_CODE and ERROR_MESSAGE attributes. */
function undeliveredCause(attributes: Record<string, MessageAttributeValue> | undefined): string {
  const value = (name: string) => text(attributes?.[name]?.StringValue);
  const code = value('ERROR_CODE') ?? 'undelivered';
  const message = value('ERROR_MESSAGE');
  const condition = value('EXHAUSTED_RETRY_CONDITION');
  return (
    code +
    (message !== undefined ? `: ${message}` : '') +
    (condition !== undefined ? ` (${condition})` : '')
  );
}

/**
 * The EventBridge event inside a dead-letter message, from either queue: a Lambda
 * on-failure destination record carries it as `requestPayload`; EventBridge's own
 * dead-letter queue carries the event itself as the body.
 */
export function readDeadLetter(
  body: string | undefined,
  attributes?: Record<string, MessageAttributeValue>,
): DeadLetter {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { kind: 'unrecognised', reason: 'the body is not JSON' };
  }
  if (!isObject(parsed)) return { kind: 'unrecognised', reason: 'the body is not a JSON object' };
  if (isObject(parsed.requestContext) && 'requestPayload' in parsed) {
    return isEventBridgeEvent(parsed.requestPayload)
      ? {
          kind: 'detector-failure',
          event: parsed.requestPayload,
          cause: detectorFailureCause(parsed),
        }
      : {
          kind: 'unrecognised',
          reason: 'a Lambda failure record whose request payload is not an EventBridge event',
        };
  }
  if (isEventBridgeEvent(parsed)) {
    return { kind: 'undelivered', event: parsed, cause: undeliveredCause(attributes) };
  }
  return {
    kind: 'unrecognised',
    reason: 'neither a Lambda failure record nor an EventBridge event',
  };
}

/** The CloudTrail call a dead-lettered event is about; a field the event lacks is absent. */
export interface EventSummary {
  readonly eventId?: string;
  readonly eventName?: string;
  readonly account?: string;
  readonly region?: string;
}

export function eventSummary(event: Json): EventSummary {
  const detail = isObject(event.detail) ? event.detail : {};
  const eventId = cleaned(detail.eventID);
  const eventName = cleaned(detail.eventName);
  const account = cleaned(event.account, 20);
  const region = cleaned(event.region, 30);
  return {
    ...(eventId !== undefined ? { eventId } : {}),
    ...(eventName !== undefined ? { eventName } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(region !== undefined ? { region } : {}),
  };
}

/** One alert of the detector's answer. */
export interface AlertSummary {
  readonly ruleId: string;
  readonly outcome: string;
}

/** The detector's HandlerResult, read defensively: it crossed a process boundary. */
export function alertsOf(payload: string): AlertSummary[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.alerts)) return undefined;
  return parsed.alerts.filter(isObject).map((alert) => ({
    ruleId: cleaned(alert.ruleId) ?? '-',
    outcome: cleaned(alert.outcome, 30) ?? '-',
  }));
}

/** The function error Lambda returned: `errorType: errorMessage`. */
export function functionErrorOf(payload: string, kind: string): string {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (isObject(parsed)) {
      const parts = [text(parsed.errorType), text(parsed.errorMessage)].filter(
        (part) => part !== undefined,
      );
      if (parts.length > 0) return cleaned(parts.join(': '), 400) ?? '-';
    }
  } catch {
    // Not JSON: fall through to the bare kind Lambda reported.
  }
  return `${kind} function error`;
}
