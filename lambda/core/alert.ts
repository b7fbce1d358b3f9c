import { createHash } from 'node:crypto';
import { EmptyIndexKeyError, emptyIndexKey, timeBucketOf } from './alert-table';
import type { Detection, DetectionContext, WatchedCall } from './catalog';
import { detectionRiskFactors, requestString } from './catalog';
import type { CloudTrailRecord } from './cloudtrail';
import { accountOf } from './cloudtrail';
import { accountContext } from './enrich/account-context';
import { summarizeIdentity } from './enrich/identity';
import { scoreRisk } from './enrich/risk';
import { classifySourceIp } from './enrich/source-ip';
import { classifyRecordUserAgent } from './enrich/user-agent';
import type { ExceptionRule, Policy } from './policy';
import { DEFAULT_POLICY, findException, isIacRole } from './policy';
import type { Alert, Suppression } from './model';
import { MAX_FIELD_LENGTH, stringField, truncate, wellFormed } from './text';

export type {
  Alert,
  AlertContext,
  AlertResource,
  AlertRisk,
  AlertStatus,
  BurstPlacement,
  DeliveryState,
  PrincipalHistory,
  Suppression,
} from './model';

export interface BuildAlertOptions {
  readonly now: Date;
  readonly retentionDays: number;
  /** Accounts, exceptions and IaC roles. @default - no accounts, exceptions or roles */
  readonly policy?: Policy;
  /**
   * The `account` of the EventBridge event that carried the record, for a record whose
   * recipient account is missing or empty.
   * @default - none: replay reads bare records
   */
  readonly eventAccount?: string;
  /**
   * The organization's member accounts, for detections that tell them from others.
   * @default - unknown
   */
  readonly organizationAccounts?: ReadonlySet<string>;
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
    cloudTrail: `${host}/cloudtrailv2/home${query}#/events/${encodeURIComponent(wellFormed(record.eventID))}`,
    ...(call !== undefined ? { console: `${host}/${call.resource.consolePath}${query}` } : {}),
  };
}

function clip(value: string | undefined): string {
  return truncate(value ?? '', MAX_FIELD_LENGTH);
}

/** Most findings an alert keeps; detections already summarise beyond this. */
const MAX_FINDINGS = 25;

function findingsOf(
  detection: Detection,
  record: CloudTrailRecord,
  context: DetectionContext,
): string[] {
  return (detection.findings?.(record, context) ?? []).slice(0, MAX_FINDINGS).map(clip);
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
  const account = accountOf(record, options.eventAccount);
  const userAgent = classifyRecordUserAgent(record);
  const iacRole = isIacRole(policy, actor.principalArn, actor.roleArn);
  const accountInfo = accountContext(policy.accounts, account);
  // The detection's own adjustments read the request; the general rules then apply on top.
  const detectionContext: DetectionContext = {
    accounts: policy.accounts,
    ...(options.organizationAccounts !== undefined
      ? { organizationAccounts: options.organizationAccounts }
      : {}),
  };
  const ownFactors = detectionRiskFactors(detection, record, detectionContext);
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
  const findings = findingsOf(detection, record, detectionContext);
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
  const alert: Alert = {
    alertId: alertIdFor(detection.id, record.eventID),
    ruleId: detection.id,
    ruleTitle: detection.title,
    severity: risk.severity,
    riskScore: risk.score,
    // A detection with its own condition may fire on either outcome: the record tells.
    outcome:
      detection.condition === undefined
        ? detection.outcome
        : record.errorCode !== undefined
          ? 'failure'
          : 'success',
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
  // Every index key has a fallback (account and principal `unknown`, times from the validated
  // eventTime); this holds the next field that keys an index to the same rule, here, where
  // the detector and replay both pass, rather than in AWS alone.
  const empty = emptyIndexKey(alert);
  if (empty !== undefined) throw new EmptyIndexKeyError(alert.alertId, empty);
  return alert;
}
