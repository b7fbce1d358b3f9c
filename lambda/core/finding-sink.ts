import type { Alert } from './alert';
import { isImportable } from './asff';
import type { Detection } from './catalog';
import { errorFields } from './logging';
import type { DetectorMetric } from './metric-names';
import type { AlertStore, FindingRetries, FindingSink, Logger } from './ports';

/**
 * Hands a delivered alert to the optional finding sink. Nothing here may cost the alert: it
 * runs after the alert is recorded and published (or recorded as suppressed), and an error
 * is logged, never thrown, so SNS delivery is neither failed nor retried because of it.
 * Redelivered and resumed alerts are handed over again: the sink's import is idempotent, and
 * that repairs a finding an earlier invocation never got to import.
 */
export async function recordFinding(
  alert: Alert,
  detection: Detection,
  deps: {
    readonly findings?: FindingSink;
    readonly logger: Logger;
    readonly metrics?: { add(name: DetectorMetric): void };
    readonly findingRetries?: FindingRetries;
  },
): Promise<void> {
  if (deps.findings === undefined || !isImportable(alert)) return;
  try {
    await deps.findings.record(alert, detection);
  } catch (error) {
    deps.metrics?.add('SecurityHubFailures');
    deps.logger.warn('finding not recorded; the alert itself was delivered', {
      sink: 'securityhub',
      ...errorFields(error),
    });
    // Kept for the next retry run, which imports it again; if even this write fails, a later
    // delivery of the event still imports it, and the failure is counted above.
    await deps.findingRetries?.add(alert.alertId).catch((retryError: unknown) => {
      deps.logger.warn('finding not kept for a retry', { ...errorFields(retryError) });
    });
  }
}

/** The input of the scheduled rule that imports findings Security Hub did not take before. */
export const FINDING_RETRY_RUN = { sgwatch: 'retry-findings' } as const;

/** How often that rule runs. */
export const FINDING_RETRY_MINUTES = 15;

export interface FindingRetryResult {
  readonly alertId: string;
  readonly ruleId?: string;
  /** `imported`, still `pending`, or `dropped` (the alert or its detection is gone). */
  readonly outcome: 'imported' | 'pending' | 'dropped';
}

/**
 * Imports again the findings that could not be imported when their alerts were delivered:
 * the scheduled retry run. An id whose alert expired or whose detection is no longer
 * deployed is dropped; one whose import fails again stays for the next run.
 */
export async function retryFindings(
  deps: {
    readonly store: Pick<AlertStore, 'get'>;
    readonly findings: FindingSink;
    readonly findingRetries: FindingRetries;
    readonly catalog: readonly Detection[];
    readonly logger: Logger;
  },
  limit = 100,
): Promise<FindingRetryResult[]> {
  const results: FindingRetryResult[] = [];
  for (const alertId of await deps.findingRetries.pending(limit)) {
    const alert = await deps.store.get(alertId);
    const detection = deps.catalog.find((d) => d.id === alert?.ruleId);
    if (alert === undefined || detection === undefined) {
      results.push({ alertId, outcome: 'dropped' });
      continue;
    }
    try {
      await deps.findings.record(alert, detection);
      results.push({ alertId, ruleId: alert.ruleId, outcome: 'imported' });
    } catch (error) {
      deps.logger.warn('finding retry failed; it stays for the next run', {
        alertId,
        ...errorFields(error),
      });
      results.push({ alertId, ruleId: alert.ruleId, outcome: 'pending' });
    }
  }
  const finished = results.filter((r) => r.outcome !== 'pending').map((r) => r.alertId);
  if (finished.length > 0) await deps.findingRetries.remove(finished);
  return results;
}
