import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudTrailEnvelope, CloudTrailRecord } from '../../lambda/core/cloudtrail';

const FIXTURES = join(__dirname, '..', 'fixtures');

export interface FixtureCase {
  readonly file: string;
  /** Detection ids expected to fire, in catalog order; empty for a negative case. */
  readonly detections: readonly string[];
  readonly why?: string;
}

/** Every catalogued fixture with the detections it must (and must only) trigger. */
export function fixtureCases(): FixtureCase[] {
  return JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as FixtureCase[];
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
}

function isEnvelope(value: Record<string, unknown>): boolean {
  return typeof value['detail-type'] === 'string' && typeof value.detail === 'object';
}

/** A fresh copy of the fixture's CloudTrail record (the `detail` when stored as an envelope). */
export function loadRecord(file: string): CloudTrailRecord {
  const value = readJson(file);
  return (isEnvelope(value) ? value.detail : value) as CloudTrailRecord;
}

/** The EventBridge source CloudTrail uses for a service: `rds.amazonaws.com` → `aws.rds`. */
export function sourceFor(eventSource: string): string {
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`;
}

/** Wraps a record the way EventBridge delivers it to the detector. */
export function toEnvelope(
  record: CloudTrailRecord,
  id = `evt-${record.eventID}`,
): CloudTrailEnvelope {
  return {
    version: '0',
    id,
    'detail-type': 'AWS API Call via CloudTrail',
    source: sourceFor(record.eventSource),
    account: record.recipientAccountId ?? record.userIdentity.accountId ?? '111122223333',
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  } as CloudTrailEnvelope;
}

/** A fresh copy of the fixture as an EventBridge event (wrapped if stored bare). */
export function loadEnvelope(file: string): CloudTrailEnvelope {
  const value = readJson(file);
  return isEnvelope(value)
    ? (value as unknown as CloudTrailEnvelope)
    : toEnvelope(value as unknown as CloudTrailRecord);
}
