/**
 * Alert items stay under DynamoDB's 400 KB, counted as DynamoDB counts them (UTF-8 bytes),
 * not as dynalite does (UTF-16 units), for the largest events EventBridge can deliver,
 * written in ASCII and in 3-byte characters.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  MAX_ITEM_BYTES,
  attributeSize,
  itemSize,
  toItem,
} from '../../lambda/adapters/dynamodb-item';
import { AlertQueries, fittingHistory } from '../../cli/alerts/queries';
import {
  ALERT_CREATE_BUDGET_BYTES,
  alertFromItem,
  newAlertItem,
} from '../../lambda/adapters/dynamodb-store';
import { alertIdFor, buildAlert } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { MAX_EVENT_BYTES } from '../../lambda/core/cloudtrail';
import type { ChangeRequest, TriagedAlert } from '../../lambda/core/triage';
import { MAX_HISTORY_ENTRIES, MAX_NOTE_LENGTH, planChange } from '../../lambda/core/triage';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { loadRecord, toEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
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

/**
 * An alert as large as the table lets a new alert be: a 250 KB record and findings that fill
 * what is left of the create budget, in `unit` characters. No server needed.
 */
function largestAlert(unit: string, tag: string): TriagedAlert {
  const alert = buildAlert(rds, recordOf(250 * 1024, unit, tag), {
    now: new Date(),
    retentionDays: 30,
  });
  const findings: string[] = [];
  const finding = unit.repeat(500);
  const sizeWith = (extra: number) =>
    itemSize(
      newAlertItem(
        { ...alert, findings: [...findings, ...Array(extra).fill(finding)] },
        { claimToken: 't' },
      ),
    );
  while (sizeWith(1) <= ALERT_CREATE_BUDGET_BYTES) findings.push(finding);
  const item = newAlertItem({ ...alert, findings }, { claimToken: 't' });
  expect(itemSize(item)).toBeGreaterThan(ALERT_CREATE_BUDGET_BYTES - 2 * 1024);
  return alertFromItem(item);
}

/** The alert after `change`, as the triage update writes it (the test's model of that write). */
function afterChange(current: TriagedAlert, request: ChangeRequest): TriagedAlert {
  const { entry, expectedVersion, historyCount, history: planned } = planChange(current, request);
  const { statusNote: _previousNote, ...rest } = current;
  return {
    ...rest,
    status: entry.to,
    statusVersion: expectedVersion + 1,
    statusChangedBy: entry.by,
    statusChangedAt: entry.at,
    history: fittingHistory(current, entry, planned),
    historyCount,
    ...(entry.note !== undefined ? { statusNote: entry.note } : {}),
  };
}

const CYCLE = ['acknowledged', 'resolved', 'open'] as const;

function change(i: number, note: string): ChangeRequest {
  return {
    to: CYCLE[i % 3] ?? 'open',
    by: `analyst-${i}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, i)),
    note,
  };
}

describe('triage on the largest alerts', () => {
  it.each([
    ['ASCII', 'a'],
    ['3-byte characters', '€'],
  ])(
    'keeps 200 status changes with %s notes of the longest length within the item limit',
    (_label, unit) => {
      // Given an alert as large as a new one can be, and notes of the longest length
      let alert = largestAlert(unit, 'budget');
      const note = unit.repeat(MAX_NOTE_LENGTH);
      // When it is acknowledged, resolved and reopened over and over, 200 changes in all,
      // then every state it passes through fits as DynamoDB counts it
      for (let i = 0; i < 200; i += 1) {
        alert = afterChange(alert, change(i, note));
        expect(itemSize(toItem({ ...alert }))).toBeLessThanOrEqual(MAX_ITEM_BYTES);
      }
      // And the history keeps the latest changes and the count of all of them
      expect(alert.historyCount).toBe(200);
      expect(alert.history?.length).toBeGreaterThanOrEqual(1);
      expect(alert.history?.length).toBeLessThanOrEqual(MAX_HISTORY_ENTRIES);
      expect(alert.history?.at(-1)).toMatchObject({ by: 'analyst-199', note });
      expect(alert.status).toBe(CYCLE[199 % 3]);
    },
  );

  it('writes a change to an alert whose history is already at its largest, and the item fits', async () => {
    // Given the largest alert, in 3-byte characters, after 199 changes with the longest notes
    const note = '€'.repeat(MAX_NOTE_LENGTH);
    let alert = largestAlert('€', `triage-${Date.now()}`);
    for (let i = 0; i < 199; i += 1) alert = afterChange(alert, change(i, note));
    await aws.dynamodb.client.send(
      new PutItemCommand({ TableName: aws.dynamodb.tableName, Item: toItem({ ...alert }) }),
    );
    // When the 200th change is written through the real triage path
    const queries = new AlertQueries(aws.dynamodb.client, aws.dynamodb.tableName);
    const next = change(199, note);
    const written = await queries.transition(alert.alertId, next.to, next.by, next.at, note);
    // Then it went through as the model says, and the stored item fits as DynamoDB counts it
    expect(written).toMatchObject({
      status: next.to,
      historyCount: 200,
      history: afterChange(alert, next).history,
    });
    const stored = await aws.dynamodb.client.send(
      new GetItemCommand({
        TableName: aws.dynamodb.tableName,
        Key: { alertId: { S: alert.alertId } },
      }),
    );
    expect(itemSize(stored.Item ?? {})).toBeLessThanOrEqual(MAX_ITEM_BYTES);
  });
});
