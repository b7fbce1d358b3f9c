/**
 * Alert items stay under DynamoDB's 400 KB, counted as DynamoDB counts them (UTF-8 bytes),
 * not as dynalite does (UTF-16 units), for the largest events EventBridge can deliver,
 * written in ASCII and in 3-byte characters.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  MAX_ITEM_BYTES,
  attributeSize,
  itemSize,
  toItem,
} from '../../lambda/adapters/dynamodb-item';
import { AlertQueries } from '../../cli/alert-queries';
import { ALERT_CREATE_BUDGET_BYTES, newAlertItem } from '../../lambda/adapters/dynamodb-store';
import { alertIdFor, buildAlert } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { MAX_EVENT_BYTES } from '../../lambda/core/cloudtrail';
import { MAX_HISTORY_ENTRIES, MAX_NOTE_LENGTH } from '../../lambda/core/triage';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { loadRecord, toEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';

const RDS_FIXTURE = 'cloudtrail/rds-create-db-security-group.success.iam-user.json';
const rds = findDetection('aws.rds.create-db-security-group') as Detection;

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.close();
});

/** A record whose JSON is `bytes` long in UTF-8, padded with `unit` in a request field. */
function recordOf(bytes: number, unit: string, tag: string): CloudTrailRecord {
  const base = loadRecord(RDS_FIXTURE);
  const record: CloudTrailRecord = {
    ...base,
    eventID: `size-${tag}-${Date.now()}`,
    requestParameters: { dBSecurityGroupName: 'big', dBSecurityGroupDescription: '' },
  };
  const room = bytes - Buffer.byteLength(JSON.stringify(record), 'utf8');
  const padding = unit.repeat(Math.floor(room / Buffer.byteLength(unit, 'utf8')));
  return {
    ...record,
    requestParameters: { dBSecurityGroupName: 'big', dBSecurityGroupDescription: padding },
  };
}

describe('attributeSize', () => {
  it.each([
    ['an ASCII string', { S: 'abc' }, 3],
    ['a 3-byte character', { S: '€' }, 3],
    ['a 4-byte character, two UTF-16 units', { S: '😀' }, 4],
    ['a boolean', { BOOL: true }, 1],
    ['a small number', { N: '7' }, 2],
    ['an empty list', { L: [] }, 3],
  ])('counts %s as DynamoDB does', (_label, attribute: AttributeValue, size) => {
    expect(attributeSize(attribute)).toBe(size);
  });

  it('counts attribute names in UTF-8 bytes too', () => {
    expect(itemSize({ é: { S: 'x' } })).toBe(3);
  });
});

describe('a new alert item', () => {
  it.each([
    ['ASCII', 'a'],
    ['3-byte characters', '€'],
  ])(
    'stays within the budget for a 250 KB record in %s, keeping the whole record',
    async (label, unit) => {
      // Given the largest record EventBridge delivers, through the real handler
      const record = recordOf(250 * 1024, unit, label);
      const handler = createHandler(handlerDepsFromEnvironment(process.env));
      // When it is delivered
      const result = await handler(toEnvelope(record));
      // Then the stored item is under the budget as DynamoDB counts it, with the record whole
      const alertId = alertIdFor(rds.id, record.eventID);
      expect(result.alerts.map((a) => a.outcome)).toEqual(['notified']);
      const stored = await aws.dynamodb.client.send(
        new GetItemCommand({ TableName: aws.dynamodb.tableName, Key: { alertId: { S: alertId } } }),
      );
      const item = stored.Item ?? {};
      expect(itemSize(item)).toBeLessThanOrEqual(ALERT_CREATE_BUDGET_BYTES + 1024);
      expect(JSON.parse(item.cloudTrailEvent?.S ?? '{}')).toEqual(record);
    },
  );

  it('keeps the start of a record that would not fit, and says how long it was', () => {
    // Given an alert whose enrichment and record together exceed the budget
    const record = recordOf(MAX_EVENT_BYTES, '€', 'over');
    const alert = buildAlert(rds, record, { now: new Date(), retentionDays: 30 });
    const swollen = { ...alert, findings: Array.from({ length: 25 }, () => '€'.repeat(2000)) };
    expect(itemSize(toItem({ ...swollen }))).toBeGreaterThan(ALERT_CREATE_BUDGET_BYTES);
    // When it is turned into an item
    const item = newAlertItem(swollen, { claimToken: 't' });
    // Then the item fits, and it keeps a prefix of the record and the record's full size
    expect(itemSize(item)).toBeLessThanOrEqual(ALERT_CREATE_BUDGET_BYTES);
    expect(itemSize(item)).toBeLessThan(MAX_ITEM_BYTES);
    expect(swollen.cloudTrailEvent.startsWith(item.cloudTrailEvent?.S ?? 'missing')).toBe(true);
    expect(item.cloudTrailEventBytes?.N).toBe(
      String(Buffer.byteLength(swollen.cloudTrailEvent, 'utf8')),
    );
  });
});

describe('triage on the largest alerts', () => {
  it.each([
    ['ASCII', 'a'],
    ['3-byte characters', '€'],
  ])(
    'keeps 200 status changes with %s notes of the longest length from ever failing for size',
    async (label, unit) => {
      // Given a stored alert carrying a 250 KB record
      const record = recordOf(250 * 1024, unit, `triage-${label}`);
      const handler = createHandler(handlerDepsFromEnvironment(process.env));
      await handler(toEnvelope(record));
      const alertId = alertIdFor(rds.id, record.eventID);
      const queries = new AlertQueries(aws.dynamodb.client, aws.dynamodb.tableName);
      const note = unit.repeat(MAX_NOTE_LENGTH);
      // When it is acknowledged, resolved and reopened over and over, 200 changes in all
      const cycle = ['acknowledged', 'resolved', 'open'] as const;
      for (let i = 0; i < 200; i += 1) {
        await queries.transition(alertId, cycle[i % 3] ?? 'open', `analyst-${i}`, new Date(), note);
      }
      // Then every change went through, the item fits as DynamoDB counts it, and the
      // history keeps the latest changes and the count of all of them
      const stored = await aws.dynamodb.client.send(
        new GetItemCommand({ TableName: aws.dynamodb.tableName, Key: { alertId: { S: alertId } } }),
      );
      const item = stored.Item ?? {};
      expect(itemSize(item)).toBeLessThanOrEqual(MAX_ITEM_BYTES);
      const alert = await queries.get(alertId);
      expect(alert?.historyCount).toBe(200);
      expect(alert?.history?.length).toBeGreaterThanOrEqual(1);
      expect(alert?.history?.length).toBeLessThanOrEqual(MAX_HISTORY_ENTRIES);
      expect(alert?.history?.at(-1)).toMatchObject({ by: 'analyst-199', note });
      expect(alert?.status).toBe(cycle[199 % 3]);
    },
    120_000,
  );
});
