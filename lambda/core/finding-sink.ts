import type { Alert } from './alert';
import { isImportable } from './asff';
import type { Detection } from './catalog';
import { errorFields } from './logging';
import type { DetectorMetric } from './metric-names';
import type { FindingSink, Logger } from './ports';

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
  }
}
