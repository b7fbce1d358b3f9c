import { createHash } from 'node:crypto';
import { timeBucketOf } from './alert-table';
import type { Detection, Outcome, Severity, WatchedCall } from './catalog';
import { detectionRiskFactors, requestString } from './catalog';
import type { CloudTrailRecord } from './cloudtrail';
import { accountOf } from './cloudtrail';
import type { AccountContext } from './enrich/account-context';
import { accountContext } from './enrich/account-context';
import type { IdentitySummary } from './enrich/identity';
import { summarizeIdentity } from './enrich/identity';
import type { RiskFactor } from './enrich/risk';
import { scoreRisk } from './enrich/risk';
import type { SourceIpInfo } from './enrich/source-ip';
import { classifySourceIp } from './enrich/source-ip';
import type { UserAgentInfo } from './enrich/user-agent';
import { classifyRecordUserAgent } from './enrich/user-agent';
import type { ExceptionRule, Policy } from './policy';
import { DEFAULT_POLICY, findException, isIacRole } from './policy';
import type { AttachmentResult } from './ports';
import { MAX_FIELD_LENGTH, stringField, truncate } from './text';

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

export interface BuildAlertOptions {
  readonly now: Date;
  readonly retentionDays: number;
  /** Accounts, exceptions and IaC roles. @default - no accounts, exceptions or roles */
  readonly policy?: Policy;
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

/** Most findings an alert keeps; detections already summarise beyond this. */
const MAX_FINDINGS = 25;

function findingsOf(detection: Detection, record: CloudTrailRecord): string[] {
  return (detection.findings?.(record) ?? []).slice(0, MAX_FINDINGS).map(clip);
}

function clampScore(score: number): number {
  return Math.min(100, Math.max(0, score));
}

function suppressionOf(exception: ExceptionRule): Suppression {
  return {
    exceptionId: exception.id,
    reason: exception.reason,
    owner: exception.owner,
    expires: exception.expires,
  };
}

/**
 * Turns a matched record into the alert to store and send: enriched, scored, and checked
 * against the policy's exceptions. Pure: the clock and the policy are inputs; the delivery adds
 * the principal's history and the attachment context, which need the store and EC2.
 */
export function buildAlert(
  detection: Detection,
  record: CloudTrailRecord,
  options: BuildAlertOptions,
): Alert {
  const policy = options.policy ?? DEFAULT_POLICY;
  const call = callOf(detection, record);
  const params = record.requestParameters ?? undefined;
  const actor = summarizeIdentity(record.userIdentity);
  const eventTime = new Date(record.eventTime).toISOString();
  const errorCode = record.errorCode ?? undefined;
  const expiresAt = Math.floor(options.now.getTime() / 1000) + options.retentionDays * 86_400;
  const account = accountOf(record);
  const userAgent = classifyRecordUserAgent(record);
  const iacRole = isIacRole(policy, actor.principalArn, actor.roleArn);
  const accountInfo = accountContext(policy.accounts, account);
  // The detection's own adjustments read the request; the general rules then apply on top.
  const ownFactors = detectionRiskFactors(detection, record);
  const general = scoreRisk({
    baseScore: clampScore(ownFactors.reduce((sum, f) => sum + f.delta, detection.riskScore)),
    identity: actor,
    userAgent,
    iacRole,
    ...(accountInfo.environment !== undefined ? { environment: accountInfo.environment } : {}),
  });
  const risk = { ...general, factors: [...ownFactors, ...general.factors] };
  const groupName =
    call !== undefined ? (requestString(params, call.resource.nameParameter) ?? '') : '';
  const descriptionParameter = call?.resource.descriptionParameter;
  const findings = findingsOf(detection, record);
  const exception = findException(
    policy,
    {
      ruleId: detection.id,
      principalArn: actor.principalArn,
      ...(actor.roleArn !== undefined ? { roleArn: actor.roleArn } : {}),
      userAgent: record.userAgent ?? '',
      userAgentKind: userAgent.kind,
      account,
      groupName,
      eventTime: new Date(eventTime),
    },
    options.now,
  );
  return {
    alertId: alertIdFor(detection.id, record.eventID),
    ruleId: detection.id,
    ruleTitle: detection.title,
    severity: risk.severity,
    riskScore: risk.score,
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
    account,
    region: record.awsRegion,
    principal: actor.principalArn !== '' ? clip(actor.principalArn) : 'unknown',
    actor,
    sourceIp: clip(record.sourceIPAddress),
    userAgent: clip(record.userAgent),
    resource: {
      type: call?.resource.type ?? '',
      name: clip(groupName),
      description: clip(
        descriptionParameter !== undefined ? stringField(params, descriptionParameter) : undefined,
      ),
    },
    ...(findings.length > 0 ? { findings } : {}),
    ...(errorCode !== undefined
      ? { error: { code: clip(errorCode), message: clip(record.errorMessage) } }
      : {}),
    links: linksFor(record, call),
    context: {
      userAgent,
      sourceIp: classifySourceIp(record.sourceIPAddress),
      account: accountInfo,
      iacRole,
    },
    risk: {
      baseScore: detection.riskScore,
      baseSeverity: detection.severity,
      factors: risk.factors,
    },
    ...(exception !== undefined ? { suppression: suppressionOf(exception) } : {}),
    timeBucket: timeBucketOf(eventTime),
    status: exception !== undefined ? 'suppressed' : 'open',
    delivery: exception !== undefined ? 'suppressed' : 'pending',
    detectedAt: options.now.toISOString(),
    expiresAt,
    cloudTrailEvent: JSON.stringify(record),
  };
}
