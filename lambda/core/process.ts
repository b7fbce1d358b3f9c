import type { Alert } from './alert';
import { buildAlert } from './alert';
import type { Detection } from './catalog';
import { CATALOG, detect } from './catalog';
import type { CloudTrailRecord } from './cloudtrail';
import type { AlertPublisher, AlertStore, Clock, Logger } from './ports';
import { renderMessage } from './render';

export interface ProcessDeps {
  readonly store: AlertStore;
  readonly publisher: AlertPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly catalog?: readonly Detection[];
  /** Days an alert is kept before TTL removes it. */
  readonly retentionDays: number;
  /** How long one delivery may hold an alert before another may take it over. */
  readonly claimSeconds: number;
}

/**
 * - `notified`: this call created the alert and published it.
 * - `resumed`: an earlier delivery stored it but never finished publishing; this one did.
 * - `duplicate`: the alert was already notified; nothing was sent.
 */
export type AlertOutcome = 'notified' | 'resumed' | 'duplicate';

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
    super(`publishing alert ${alertId} failed; it stays pending for the next attempt`, options);
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

async function deliver(
  detection: Detection,
  record: CloudTrailRecord,
  deps: ProcessDeps,
): Promise<ProcessResult> {
  const now = deps.clock.now();
  const claimUntil = new Date(now.getTime() + deps.claimSeconds * 1000);
  const alert = buildAlert(detection, record, { now, retentionDays: deps.retentionDays });
  const created = await deps.store.create(alert, claimUntil);
  if (created.created) {
    return { alert: await publishAndMark(alert, detection, deps), outcome: 'notified' };
  }
  const existing = created.existing;
  if (existing.delivery !== 'pending') {
    return { alert: existing, outcome: 'duplicate' };
  }
  if (!(await deps.store.claim(existing.alertId, now, claimUntil))) {
    throw new AlertInFlightError(existing.alertId);
  }
  // Send what was stored first, so a resumed alert reads exactly like the original.
  return { alert: await publishAndMark(existing, detection, deps), outcome: 'resumed' };
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
