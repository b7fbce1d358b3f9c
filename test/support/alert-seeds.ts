import type { Alert, AlertStatus } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import type { Severity } from '../../lambda/core/catalog';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { AlertStore } from '../../lambda/core/ports';
import { loadRecord } from './fixtures';

export const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
export const CACHE =
  'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.json';
export const DANA = 'arn:aws:iam::111122223333:user/dana';
export const ERIN = 'arn:aws:iam::444455556666:user/erin';
/** When the seeded alerts were built. */
export const NOW = new Date('2026-03-15T12:00:00Z');

/** One stored alert for the query tests: a fixture record, varied where a test needs it. */
export interface Seed {
  readonly eventID: string;
  readonly eventTime: string;
  readonly file?: string;
  readonly principal?: string;
  readonly account?: string;
  readonly severity?: Severity;
  readonly status?: AlertStatus;
}

/**
 * The alerts both query suites list: around a month boundary, in and out of the default
 * 30-day window, one in the future, every index partition and a suppressed one.
 */
export const QUERY_SEEDS: readonly Seed[] = [
  { eventID: 'a1', eventTime: '2026-03-14T10:00:00Z' },
  { eventID: 'a2', eventTime: '2026-03-10T08:00:00Z', file: CACHE, severity: 'high' },
  {
    eventID: 'a3',
    eventTime: '2026-03-01T00:00:00Z',
    principal: ERIN,
    account: '444455556666',
    severity: 'critical',
  },
  { eventID: 'a4', eventTime: '2026-02-28T23:59:59Z', severity: 'medium' },
  { eventID: 'a5', eventTime: '2026-02-20T12:00:00Z', file: CACHE, account: '444455556666' },
  { eventID: 'old', eventTime: '2026-01-05T09:00:00Z' },
  { eventID: 'future', eventTime: '2026-03-20T09:00:00Z' },
  { eventID: 'muted', eventTime: '2026-03-05T09:00:00Z', status: 'suppressed' },
];

/** An alert built by the real pipeline code from a fixture record, varied per seed. */
export function alertFor(seed: Seed): Alert {
  const base = loadRecord(seed.file ?? RDS);
  const record: CloudTrailRecord = {
    ...base,
    eventID: seed.eventID,
    eventTime: seed.eventTime,
    ...(seed.principal !== undefined
      ? { userIdentity: { ...base.userIdentity, arn: seed.principal } }
      : {}),
    ...(seed.account !== undefined ? { recipientAccountId: seed.account } : {}),
  };
  const detection = detect(record)[0];
  if (detection === undefined) throw new Error(`fixture ${seed.file ?? RDS} matched nothing`);
  const alert = buildAlert(detection, record, { now: NOW, retentionDays: 365 });
  // Severity comes from risk scoring; these tests set it directly to exercise the filter.
  return {
    ...alert,
    ...(seed.severity !== undefined ? { severity: seed.severity } : {}),
    ...(seed.status !== undefined ? { status: seed.status } : {}),
  };
}

/** Writes the seeds' alerts the way the detector does: create (claimed), then mark notified. */
export async function storeSeeds(store: AlertStore, seeds: readonly Seed[]): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const s of seeds) {
    const alert = alertFor(s);
    const result = await store.create(alert, new Date(NOW.getTime() + 60_000));
    if (!result.created) throw new Error(`seed alert ${alert.alertId} existed already`);
    await store.markNotified(alert.alertId, result.token, `msg-${s.eventID}`, NOW);
    alerts.push(alert);
  }
  return alerts;
}
