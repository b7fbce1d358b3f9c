import type { Alert, BurstPlacement } from './alert';
import { buildAlert } from './alert';
import { burstGroupId, placeInBurst } from './burst';
import type { Detection } from './catalog';
import { CATALOG, detect } from './catalog';
import type { CloudTrailRecord } from './cloudtrail';
import { recordFinding } from './finding-sink';
import type { Policy } from './policy';
import { DEFAULT_POLICY } from './policy';
import type {
  AlertPublisher,
  AlertStore,
  AttachmentLookup,
  AttachmentResult,
  Clock,
  FindingSink,
  Logger,
} from './ports';
import { renderMessage } from './render';

export interface ProcessDeps {
  readonly store: AlertStore;
  readonly publisher: AlertPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly catalog?: readonly Detection[];
  /** Accounts, exceptions, IaC roles and burst settings. @default - none, 60 min, 100 */
  readonly policy?: Policy;
  /** Days an alert is kept before TTL removes it. */
  readonly retentionDays: number;
  /** How long one delivery may hold an alert before another may take it over. */
  readonly claimSeconds: number;
  /**
   * Tells what an exposed security group protects, for detections that name groups.
   * @default - no lookup; alerts carry no attachment context
   */
  readonly attachmentLookup?: AttachmentLookup;
  /**
   * Where findings go beside SNS (AWS Security Hub); its failures never reach the caller.
   * @default - no findings
   */
  readonly findings?: FindingSink;
}

/**
 * - `notified`: this call created the alert and published it (new, update or summary).
 * - `resumed`: an earlier delivery stored it but never finished publishing; this one did.
 * - `duplicate`: the alert already existed and needed nothing more; nothing was sent.
 * - `suppressed`: an exception matched; the alert was recorded and not sent.
 * - `capped`: the detection's notification cap for the window was reached; recorded only.
 */
export type AlertOutcome = 'notified' | 'resumed' | 'duplicate' | 'suppressed' | 'capped';

export interface ProcessResult {
  readonly alert: Alert;
  readonly outcome: AlertOutcome;
}

/** Another delivery of the same event is publishing right now; retry later. */
export class AlertInFlightError extends Error {
  override readonly name = 'AlertInFlightError';
  constructor(readonly alertId: string) {
    super(`alert ${alertId} is being delivered by another invocation; retry later`);
  }
}

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

async function publishAndMark(
  alert: Alert,
  detection: Detection,
  deps: ProcessDeps,
): Promise<Alert> {
  let messageId: string;
  try {
    ({ messageId } = await deps.publisher.publish(renderMessage(alert, detection)));
  } catch (error) {
    // Hand the claim back so an immediate retry need not wait for it to lapse. If that
    // write fails too, the claim simply expires; the publish error is what matters.
    await deps.store.release(alert.alertId).catch((releaseError: unknown) => {
      deps.logger.warn('could not release claim', {
        alertId: alert.alertId,
        releaseError: String(releaseError),
      });
    });
    throw new PublishError(alert.alertId, { cause: error });
  }
  const at = deps.clock.now();
  await deps.store.markNotified(alert.alertId, messageId, at);
  return { ...alert, delivery: 'notified', messageId, notifiedAt: at.toISOString() };
}

/**
 * Places a stored, pending alert in its burst and saves the placement before anything is
 * sent, so a retry after a failed publish sends the same kind of message again instead of
 * counting the alert a second time.
 */
async function placeAndRecord(
  alert: Alert,
  detection: Detection,
  deps: ProcessDeps,
): Promise<Alert> {
  if (alert.burst !== undefined) return alert;
  const settings = (deps.policy ?? DEFAULT_POLICY).burst;
  const groupId = burstGroupId(detection, alert);
  const count = await deps.store.countInBurst({
    groupId,
    ruleId: detection.id,
    eventTime: new Date(alert.eventTime),
    windowMinutes: settings.windowMinutes,
  });
  const burst: BurstPlacement = placeInBurst(groupId, count, settings);
  await deps.store.recordBurst(alert.alertId, burst);
  return { ...alert, burst, ...(burst.kind === 'capped' ? { delivery: 'capped' as const } : {}) };
}

async function send(
  alert: Alert,
  detection: Detection,
  deps: ProcessDeps,
  outcome: AlertOutcome,
): Promise<ProcessResult> {
  const placed = await placeAndRecord(alert, detection, deps);
  if (placed.delivery === 'capped') return { alert: placed, outcome: 'capped' };
  return { alert: await publishAndMark(placed, detection, deps), outcome };
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
 * Delivers the alert `detection` raises on `record` exactly once per (detection, eventID):
 * the caller has already established that the detection matches.
 */
export async function deliver(
  detection: Detection,
  record: CloudTrailRecord,
  deps: ProcessDeps,
): Promise<ProcessResult> {
  const result = await deliverAlert(detection, record, deps);
  // Optional finding sink (Security Hub), once the alert is notified or recorded as
  // suppressed, duplicates and resumes included; it logs its own errors and never throws.
  await recordFinding(result.alert, detection, deps);
  return result;
}

async function deliverAlert(
  detection: Detection,
  record: CloudTrailRecord,
  deps: ProcessDeps,
): Promise<ProcessResult> {
  const now = deps.clock.now();
  const claimUntil = new Date(now.getTime() + deps.claimSeconds * 1000);
  const draft = buildAlert(detection, record, {
    now,
    retentionDays: deps.retentionDays,
    ...(deps.policy !== undefined ? { policy: deps.policy } : {}),
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
    return send(alert, detection, deps, 'notified');
  }
  const existing = created.existing;
  if (existing.delivery !== 'pending') {
    return { alert: existing, outcome: 'duplicate' };
  }
  if (!(await deps.store.claim(existing.alertId, now, claimUntil))) {
    throw new AlertInFlightError(existing.alertId);
  }
  // Send what was stored first, so a resumed alert reads exactly like the original.
  return send(existing, detection, deps, 'resumed');
}

/**
 * Runs every detection over one CloudTrail record and delivers each alert exactly once
 * per (detection, eventID), however often the record arrives.
 */
export async function processRecord(
  record: CloudTrailRecord,
  deps: ProcessDeps,
): Promise<ProcessResult[]> {
  const results: ProcessResult[] = [];
  for (const detection of detect(record, deps.catalog ?? CATALOG)) {
    results.push(await deliver(detection, record, deps));
  }
  return results;
}
