import type { Alert } from './alert';
import { alertIdFor, buildAlert } from './alert';
import { burstCounters, burstGroupId, placeInBurst, windowStartOf } from './burst';
import type { Detection } from './catalog';
import { CATALOG, detect } from './catalog';
import type { CloudTrailRecord } from './cloudtrail';
import { errorFields, logText, withFields } from './logging';
import type { DetectorMetric } from './metric-names';
import { recordFinding } from './finding-sink';
import type { Policy } from './policy';
import { DEFAULT_POLICY } from './policy';
import type {
  AlertPublisher,
  AlertStore,
  AttachmentLookup,
  AttachmentResult,
  ClaimToken,
  Clock,
  FindingRetries,
  FindingSink,
  Logger,
  OrganizationLookup,
} from './ports';
import { ClaimLostError } from './ports';
import { renderMessage } from './render';

/** Counts what happened to each event and alert; the detector turns them into metrics. */
export interface MetricSink {
  add(name: DetectorMetric): void;
}

export interface ProcessDeps {
  readonly store: AlertStore;
  readonly publisher: AlertPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly catalog?: readonly Detection[];
  /** Accounts, exceptions, IaC roles and burst settings. @default - none, 60 min, 100 */
  readonly policy?: Policy;
  /** Days an alert (and its burst counters) are kept before TTL removes them. */
  readonly retentionDays: number;
  /** How long one delivery may hold an alert before another may take it over. */
  readonly claimSeconds: number;
  /**
   * Tells what an exposed security group protects, for detections that name groups.
   * @default - no lookup; alerts carry no attachment context
   */
  readonly attachmentLookup?: AttachmentLookup;
  /**
   * The organization's accounts, for detections that tell them from others (snapshots
   * shared with an account).
   * @default - no lookup; only the account directory names known accounts
   */
  readonly organization?: OrganizationLookup;
  /** @default - nothing is counted */
  readonly metrics?: MetricSink;
  /**
   * Where findings go beside SNS (AWS Security Hub); its failures never reach the caller.
   * @default - no findings
   */
  readonly findings?: FindingSink;
  /**
   * Where a finding that could not be imported waits for the retry run.
   * @default - nowhere: only a later delivery of the event imports it again
   */
  readonly findingRetries?: FindingRetries;
  /**
   * The `account` of the EventBridge event being processed: the alert's account when the
   * record names no recipient account (see `accountOf`).
   * @default - none: replay reads bare records
   */
  readonly eventAccount?: string;
}

/**
 * - `notified`: this call created the alert and published it (new, update or summary).
 * - `resumed`: an earlier delivery stored it but never finished publishing; this one did.
 * - `duplicate`: the alert already existed and needed nothing more; nothing was sent.
 * - `suppressed`: an exception matched; the alert was recorded and not sent.
 * - `capped`: the detection's notification cap for the window was reached; recorded only.
 * - `in-flight`: another delivery holds a live claim on the alert and is sending it now; this
 *   copy leaves it to that one. Nothing is lost: if the holder fails, its own retry (Lambda's,
 *   or the failure queue's redrive) takes the alert over once the claim lapses.
 */
export type AlertOutcome =
  'notified' | 'resumed' | 'duplicate' | 'suppressed' | 'capped' | 'in-flight';

export interface ProcessResult {
  readonly alert: Alert;
  readonly outcome: AlertOutcome;
}

const METRIC_BY_OUTCOME: Readonly<Record<AlertOutcome, DetectorMetric>> = {
  notified: 'AlertsCreated',
  resumed: 'AlertsResumed',
  duplicate: 'Duplicates',
  suppressed: 'Suppressed',
  capped: 'Capped',
  'in-flight': 'AlertsInFlight',
};

/** Publishing failed; the alert stays pending so a retry sends it. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly alertId: string,
    options: { cause: unknown },
  ) {
    // The cause goes into the message: it is all Lambda's failure queue keeps of the error.
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `publishing alert ${alertId} failed; it stays pending for the next attempt: ${cause}`,
      options,
    );
  }
}

/** The delivery's claim on one alert, carried through every write it makes on it. */
interface Claimed {
  readonly alert: Alert;
  readonly token: ClaimToken;
}

async function publishAndMark(
  { alert, token }: Claimed,
  detection: Detection,
  deps: ProcessDeps,
): Promise<Alert> {
  let messageId: string;
  try {
    ({ messageId } = await deps.publisher.publish(renderMessage(alert, detection)));
  } catch (error) {
    deps.metrics?.add('PublishFailures');
    // Hand the claim back so an immediate retry need not wait for it to lapse. If that
    // write fails too, the claim simply expires; the publish error is what matters.
    await deps.store.release(alert.alertId, token).catch((releaseError: unknown) => {
      deps.logger.warn('could not release claim', {
        alertId: alert.alertId,
        releaseError: String(releaseError),
      });
    });
    throw new PublishError(alert.alertId, { cause: error });
  }
  const at = deps.clock.now();
  if ((await deps.store.markNotified(alert.alertId, token, messageId, at)) === 'claim-lost') {
    // The publish went out, so nothing is lost; the delivery that took the claim over
    // finishes the record (and may send a copy of its own, with the same alert id).
    deps.logger.warn('alert was taken over while this delivery published it', {
      alertId: alert.alertId,
      messageId,
    });
  }
  return { ...alert, delivery: 'notified', messageId, notifiedAt: at.toISOString() };
}

/**
 * Places a stored, pending alert in its burst and saves the placement before anything is
 * sent. Each counter takes an alert at most once and answers every later ask with the same
 * position, so a retry, a resume or a takeover reproduces the placement whatever failed
 * before: the first alert of a group is `new`, and the detection's window yields exactly
 * one `summary`. The detection's window is counted first and holds at most cap + 1 alerts;
 * only alerts it took are counted into their group, so no counter grows past cap + 1.
 */
async function placeAndRecord(
  { alert, token }: Claimed,
  detection: Detection,
  deps: ProcessDeps,
): Promise<Alert> {
  if (alert.burst !== undefined) return alert;
  const settings = (deps.policy ?? DEFAULT_POLICY).burst;
  const groupId = burstGroupId(detection, alert);
  const windowStart = windowStartOf(new Date(alert.eventTime), settings.windowMinutes);
  const counters = burstCounters(groupId, detection.id, windowStart);
  // Counters outlive any retry of the alerts they count: they expire with the alerts,
  // measured from now (a late event's window may be long past).
  const expiresAt = new Date(deps.clock.now().getTime() + deps.retentionDays * 86_400_000);
  const detectionCount = await deps.store.countOnce({
    counter: counters.detection,
    alertId: alert.alertId,
    limit: settings.maxNotificationsPerWindow + 1,
    expiresAt,
  });
  const sequence =
    detectionCount === undefined
      ? 0
      : ((await deps.store.countOnce({
          counter: counters.group,
          alertId: alert.alertId,
          expiresAt,
        })) ?? 0);
  const burst = placeInBurst(
    groupId,
    { sequence, detectionCount, threadId: counters.threadId },
    settings,
  );
  await deps.store.recordBurst(alert.alertId, token, burst);
  return { ...alert, burst, ...(burst.kind === 'capped' ? { delivery: 'capped' as const } : {}) };
}

async function send(
  claimed: Claimed,
  detection: Detection,
  deps: ProcessDeps,
  outcome: AlertOutcome,
): Promise<ProcessResult> {
  const placed = await placeAndRecord(claimed, detection, deps);
  if (placed.delivery === 'capped') return { alert: placed, outcome: 'capped' };
  return {
    alert: await publishAndMark({ alert: placed, token: claimed.token }, detection, deps),
    outcome,
  };
}

/**
 * The attachment context for an alert, or undefined when the detection names no group or
 * lookups are off. A failed lookup must not cost the alert: adapters answer `unknown`
 * themselves, and anything they throw anyway is turned into `unknown` here, with the error
 * as the reason, so the alert still goes out.
 */
async function attachmentOf(
  detection: Detection,
  record: CloudTrailRecord,
  account: string,
  deps: ProcessDeps,
): Promise<AttachmentResult | undefined> {
  const groupIds = detection.attachmentGroups?.(record) ?? [];
  if (deps.attachmentLookup === undefined || groupIds.length === 0) return undefined;
  try {
    return await deps.attachmentLookup.lookup({ groupIds, region: record.awsRegion, account });
  } catch (error) {
    deps.logger.warn('attachment lookup failed', {
      detectionId: detection.id,
      error: String(error),
    });
    return { status: 'unknown', resources: [], reason: `lookup failed: ${String(error)}` };
  }
}

/**
 * The organization's accounts for a detection that tells them from others, when the
 * deployment can look them up. Like the attachment lookup, it never costs the alert: the
 * adapter answers undefined when it cannot tell, and anything it throws anyway is logged and
 * taken as unknown.
 */
async function organizationOf(
  detection: Detection,
  deps: ProcessDeps,
): Promise<ReadonlySet<string> | undefined> {
  if (detection.readsOrganization !== true || deps.organization === undefined) return undefined;
  try {
    return await deps.organization.accounts();
  } catch (error) {
    deps.logger.warn('organization lookup failed', {
      detectionId: detection.id,
      error: String(error),
    });
    return undefined;
  }
}

/**
 * Delivers the alert `detection` raises on `record` exactly once per (detection, eventID):
 * the caller has already established that the detection matches. Findings are not this
 * function's: `processRecord` imports them once every alert of the record has gone out.
 */
export async function deliver(
  detection: Detection,
  record: CloudTrailRecord,
  deps: ProcessDeps,
): Promise<ProcessResult> {
  const now = deps.clock.now();
  const claimUntil = new Date(now.getTime() + deps.claimSeconds * 1000);
  const organizationAccounts = await organizationOf(detection, deps);
  const draft = buildAlert(detection, record, {
    now,
    retentionDays: deps.retentionDays,
    ...(deps.policy !== undefined ? { policy: deps.policy } : {}),
    ...(deps.eventAccount !== undefined ? { eventAccount: deps.eventAccount } : {}),
    ...(organizationAccounts !== undefined ? { organizationAccounts } : {}),
  });
  const [history, attachment] = await Promise.all([
    deps.store.principalHistory(draft.principal, new Date(draft.eventTime)),
    attachmentOf(detection, record, draft.account, deps),
  ]);
  const alert: Alert = {
    ...draft,
    context: { ...draft.context, history, ...(attachment !== undefined ? { attachment } : {}) },
  };
  const created = await deps.store.create(alert, claimUntil);
  if (created.created) {
    if (alert.delivery === 'suppressed') return { alert, outcome: 'suppressed' };
    return send({ alert, token: created.token }, detection, deps, 'notified');
  }
  const existing = created.existing;
  if (existing.delivery !== 'pending') {
    return { alert: existing, outcome: 'duplicate' };
  }
  const token = await deps.store.claim(existing.alertId, now, claimUntil);
  if (token === undefined) return { alert: existing, outcome: 'in-flight' };
  // Send what was stored first, so a resumed alert reads exactly like the original.
  return send({ alert: existing, token }, detection, deps, 'resumed');
}

/**
 * The one delivery path, for the detector and for replay alike: delivers each alert the
 * record raises exactly once per (detection, eventID), however often the record arrives,
 * and reports each outcome to the logs and metrics. `detections` are the matches the
 * caller already found (replay's scan finds them); by default the catalog is run here.
 *
 * Detections are delivered in turn; the first failure stops the record, after logging it
 * (a retry skips whatever already finished).
 */
export async function processRecord(
  record: CloudTrailRecord,
  deps: ProcessDeps,
  detections: readonly Detection[] = detect(record, deps.catalog ?? CATALOG),
): Promise<ProcessResult[]> {
  if (detections.length === 0) {
    deps.metrics?.add('EventsUnmatched');
    deps.logger.warn('event matched no detection', {
      outcome: 'unmatched',
      eventSource: logText(record.eventSource),
      eventName: logText(record.eventName),
    });
  }
  const results: { result: ProcessResult; detection: Detection; logger: Logger }[] = [];
  for (const detection of detections) {
    const alertId = alertIdFor(detection.id, record.eventID);
    const logger = withFields(deps.logger, { ruleId: detection.id, alertId });
    try {
      const result = await deliver(detection, record, { ...deps, logger });
      deps.metrics?.add(METRIC_BY_OUTCOME[result.outcome]);
      logger.info('alert processed', {
        outcome: result.outcome,
        delivery: result.alert.delivery,
        severity: result.alert.severity,
        ...(result.alert.burst !== undefined ? { notification: result.alert.burst.kind } : {}),
      });
      results.push({ result, detection, logger });
    } catch (error) {
      if (error instanceof ClaimLostError) {
        logger.warn('alert was taken over by another delivery; failing so it is retried later', {
          outcome: 'claim-lost',
          ...errorFields(error),
        });
      } else {
        logger.error('alert delivery failed; it will be retried', {
          outcome: 'failed',
          ...errorFields(error),
        });
      }
      if (typeof error === 'object' && error !== null) loggedFailures.add(error);
      throw error;
    }
  }
  // The optional finding sink (Security Hub) comes after every notification of the record has
  // left, so no import can hold one up; its calls are bounded by its client, and it logs
  // and counts its own failures, never throwing. Duplicates and resumes are imported again,
  // which repairs a finding an earlier invocation did not get to import.
  await Promise.all(
    results.map(({ result, detection, logger }) =>
      recordFinding(result.alert, detection, { ...deps, logger }),
    ),
  );
  return results.map(({ result }) => result);
}

const loggedFailures = new WeakSet<object>();

/** True for an error `processRecord` has already logged, so its caller need not again. */
export function isLoggedFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && loggedFailures.has(error);
}
