import { createHash } from 'node:crypto';
import { timeBucketOf } from './alert-table';
import type { Detection, Outcome, Severity, WatchedCall } from './catalog';
import type { CloudTrailRecord } from './cloudtrail';
import { accountOf } from './cloudtrail';
import type { IdentitySummary } from './enrich/identity';
import { summarizeIdentity } from './enrich/identity';
import { MAX_FIELD_LENGTH, stringField, truncate } from './text';

/** Triage state, set by people. */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'suppressed';
/** Notification state, set by the pipeline (two-phase: pending, then notified). */
export type DeliveryState = 'pending' | 'notified' | 'suppressed';

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
  readonly error?: { readonly code: string; readonly message: string };
  readonly links: { readonly cloudTrail?: string; readonly console?: string };
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

export interface BuildAlertOptions {
  readonly now: Date;
  readonly retentionDays: number;
}

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Deterministic from the rule and the CloudTrail event, so a redelivery lands on the same item. */
export function alertIdFor(ruleId: string, eventId: string): string {
  return createHash('sha256').update(`${ruleId}\n${eventId}`).digest('hex').slice(0, 20);
}

function callOf(detection: Detection, record: CloudTrailRecord): WatchedCall | undefined {
  return detection.calls.find(
    (call) => call.eventSource === record.eventSource && call.eventName === record.eventName,
  );
}

function linksFor(record: CloudTrailRecord, call: WatchedCall | undefined): Alert['links'] {
  const region = record.awsRegion;
  // The Region becomes part of a host name; anything that is not a Region shape gets no link.
  if (!REGION_PATTERN.test(region)) return {};
  const host = `https://${region}.console.aws.amazon.com`;
  const query = `?region=${region}`;
  return {
    cloudTrail: `${host}/cloudtrailv2/home${query}#/events/${encodeURIComponent(record.eventID)}`,
    ...(call !== undefined ? { console: `${host}/${call.resource.consolePath}${query}` } : {}),
  };
}

function clip(value: string | undefined): string {
  return truncate(value ?? '', MAX_FIELD_LENGTH);
}

/** Turns a matched record into the alert to store and send. Pure: the clock is an input. */
export function buildAlert(
  detection: Detection,
  record: CloudTrailRecord,
  options: BuildAlertOptions,
): Alert {
  const call = callOf(detection, record);
  const params = record.requestParameters ?? undefined;
  const actor = summarizeIdentity(record.userIdentity);
  const eventTime = new Date(record.eventTime).toISOString();
  const errorCode = record.errorCode ?? undefined;
  const expiresAt = Math.floor(options.now.getTime() / 1000) + options.retentionDays * 86_400;
  return {
    alertId: alertIdFor(detection.id, record.eventID),
    ruleId: detection.id,
    ruleTitle: detection.title,
    severity: detection.severity,
    riskScore: detection.riskScore,
    outcome: detection.outcome,
    mitre: detection.mitre.flatMap((m) => [
      m.tactic.id,
      m.technique.id,
      ...(m.subtechnique !== undefined ? [m.subtechnique.id] : []),
    ]),
    eventId: record.eventID,
    eventTime,
    eventSource: record.eventSource,
    eventName: record.eventName,
    account: accountOf(record),
    region: record.awsRegion,
    principal: actor.principalArn !== '' ? clip(actor.principalArn) : 'unknown',
    actor,
    sourceIp: clip(record.sourceIPAddress),
    userAgent: clip(record.userAgent),
    resource: {
      type: call?.resource.type ?? '',
      name: clip(call !== undefined ? stringField(params, call.resource.nameParameter) : undefined),
      description: clip(
        call !== undefined ? stringField(params, call.resource.descriptionParameter) : undefined,
      ),
    },
    ...(errorCode !== undefined
      ? { error: { code: clip(errorCode), message: clip(record.errorMessage) } }
      : {}),
    links: linksFor(record, call),
    timeBucket: timeBucketOf(eventTime),
    status: 'open',
    delivery: 'pending',
    detectedAt: options.now.toISOString(),
    expiresAt,
    cloudTrailEvent: JSON.stringify(record),
  };
}
