import type { Alert } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import { findDetection } from '../../lambda/core/catalog';
import type { Detection } from '../../lambda/core/catalog';
import { recordFinding } from '../../lambda/core/finding-sink';
import type { FindingSink, Logger } from '../../lambda/core/ports';
import { loadRecord } from '../support/fixtures';

const detection = findDetection('aws.rds.create-db-security-group') as Detection;
const base = buildAlert(
  detection,
  loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  ),
  { now: new Date('2026-03-15T12:00:00Z'), retentionDays: 365 },
);

function recordingSink(error?: Error): FindingSink & { recorded: Alert[] } {
  const recorded: Alert[] = [];
  return {
    recorded,
    record: (alert) => {
      recorded.push(alert);
      return error === undefined ? Promise.resolve() : Promise.reject(error);
    },
  };
}

function memoryLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => undefined,
    warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
    error: () => undefined,
  };
}

describe('recordFinding', () => {
  it('hands notified and suppressed alerts to the sink, and skips pending and capped ones', async () => {
    // Prepare
    const sink = recordingSink();
    const logger = memoryLogger();
    // Act
    for (const delivery of ['notified', 'suppressed', 'pending', 'capped'] as const) {
      await recordFinding({ ...base, delivery }, detection, { findings: sink, logger });
    }
    // Assess
    expect(sink.recorded.map((alert) => alert.delivery)).toEqual(['notified', 'suppressed']);
  });

  it('logs a failing sink and never throws', async () => {
    const sink = recordingSink(new Error('InvalidAccessException: not subscribed'));
    const logger = memoryLogger();
    await expect(
      recordFinding({ ...base, delivery: 'notified' }, detection, { findings: sink, logger }),
    ).resolves.toBeUndefined();
    expect(logger.warnings).toEqual([
      expect.stringMatching(
        /^finding not recorded; the alert itself was delivered .*InvalidAccessException/,
      ),
    ]);
  });

  it('does nothing without a sink', async () => {
    const logger = memoryLogger();
    await recordFinding({ ...base, delivery: 'notified' }, detection, { logger });
    expect(logger.warnings).toEqual([]);
  });
});
