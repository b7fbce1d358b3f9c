/**
 * DynamoDB refuses an empty string in an index key and an item over 400 KB counted in UTF-8;
 * dynalite and the memory store would take both, so no local test would see a write that
 * fails every time in AWS. These hold the stand-ins to DynamoDB's answers, and the detector
 * to keys DynamoDB takes.
 */
import {
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { MemoryAlertStore } from '../../cli/memory-alert-store';
import { toItem } from '../../lambda/adapters/dynamodb-item';
import type { Alert } from '../../lambda/core/alert';
import { alertIdFor, buildAlert } from '../../lambda/core/alert';
import { ALERT_TABLE } from '../../lambda/core/alert-table';
import { findDetection } from '../../lambda/core/catalog';
import type { Detection } from '../../lambda/core/catalog';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { loadEnvelope, loadRecord } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { readStoredAlert, startLocalAws } from '../support/servers';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const rds = findDetection('aws.rds.create-db-security-group') as Detection;
const EMPTY_ACCOUNT_KEY =
  'One or more parameter values are not valid. A value specified for a secondary index key ' +
  'is not supported. The AttributeValue for a key attribute cannot contain an empty string ' +
  'value. IndexName: byAccount, IndexKey: account';

let aws: LocalAws;
let counter = 0;

beforeAll(async () => {
  aws = await startLocalAws();
});

afterAll(async () => {
  await aws.close();
});

function freshAlert(overrides: Partial<Alert> = {}): Alert {
  counter += 1;
  const record = { ...loadRecord(RDS_FIXTURE), eventID: `index-keys-${Date.now()}-${counter}` };
  return { ...buildAlert(rds, record, { now: new Date(), retentionDays: 30 }), ...overrides };
}

/** Both ways the adapters reach the embedded store; resolved once the servers run. */
const CLIENTS: [string, () => DynamoDBClient][] = [
  ['over HTTP', () => aws.dynamodb.client],
  ['in process', () => aws.dynamodb.direct],
];

async function refusal(write: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await write;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('the write was accepted');
}

describe('the detector', () => {
  it('files an alert whose record has an empty recipient account under the event account', async () => {
    // Arrange
    const handler = createHandler(handlerDepsFromEnvironment(process.env));
    const event = loadEnvelope(RDS_FIXTURE) as unknown as {
      account: string;
      detail: Record<string, unknown>;
    };
    counter += 1;
    event.account = '444455556666';
    event.detail.eventID = `index-keys-empty-account-${Date.now()}-${counter}`;
    event.detail.recipientAccountId = '';

    // Act
    const result = await handler(event);

    // Assert
    const alertId = alertIdFor(rds.id, event.detail.eventID as string);
    expect(result.alerts).toEqual([{ alertId, ruleId: rds.id, outcome: 'notified' }]);
    expect(await readStoredAlert(aws.dynamodb, alertId)).toMatchObject({
      account: '444455556666',
    });
    const byAccount = await aws.dynamodb.client.send(
      new QueryCommand({
        TableName: aws.dynamodb.tableName,
        IndexName: ALERT_TABLE.indexes.byAccount.name,
        KeyConditionExpression: '#account = :account',
        ExpressionAttributeNames: { '#account': 'account' },
        ExpressionAttributeValues: { ':account': { S: '444455556666' } },
      }),
    );
    expect(byAccount.Items?.map((item) => item.alertId?.S)).toContain(alertId);
  });
});

describe.each(CLIENTS)('the embedded store %s', (_label, clientOf) => {
  let client: DynamoDBClient;
  beforeAll(() => {
    client = clientOf();
  });

  it('rejects an item with an empty index key as DynamoDB does', async () => {
    const item = toItem({ ...freshAlert(), account: '' });

    const error = await refusal(
      client.send(new PutItemCommand({ TableName: aws.dynamodb.tableName, Item: item })),
    );

    expect(error).toEqual({ name: 'ValidationException', message: EMPTY_ACCOUNT_KEY });
  });

  it('rejects an empty index key before it checks the condition', async () => {
    const alert = freshAlert();
    const put = (item: Record<string, AttributeValue>) =>
      client.send(
        new PutItemCommand({
          TableName: aws.dynamodb.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(alertId)',
        }),
      );
    await put(toItem({ ...alert }));

    const error = await refusal(put(toItem({ ...alert, account: '' })));

    expect(error.name).toBe('ValidationException');
  });

  it('rejects an update that empties an index key, and keeps the item as it was', async () => {
    const alert = freshAlert();
    await client.send(
      new PutItemCommand({ TableName: aws.dynamodb.tableName, Item: toItem({ ...alert }) }),
    );

    const error = await refusal(
      client.send(
        new UpdateItemCommand({
          TableName: aws.dynamodb.tableName,
          Key: { alertId: { S: alert.alertId } },
          UpdateExpression: 'SET #account = :empty',
          ExpressionAttributeNames: { '#account': 'account' },
          ExpressionAttributeValues: { ':empty': { S: '' } },
        }),
      ),
    );

    expect(error).toEqual({ name: 'ValidationException', message: EMPTY_ACCOUNT_KEY });
    expect((await readStoredAlert(aws.dynamodb, alert.alertId))?.account).toBe(alert.account);
  });

  it('rejects an item over 400 KB in UTF-8 that dynalite would count as under it', async () => {
    // 150,000 three-byte characters: 450,000 bytes, 150,000 UTF-16 units.
    const item = toItem({ ...freshAlert(), cloudTrailEvent: '€'.repeat(150_000) });

    const error = await refusal(
      client.send(new PutItemCommand({ TableName: aws.dynamodb.tableName, Item: item })),
    );

    expect(error).toEqual({
      name: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    });
  });

  it('rejects an update that takes an item over 400 KB in UTF-8', async () => {
    const alert = freshAlert();
    await client.send(
      new PutItemCommand({ TableName: aws.dynamodb.tableName, Item: toItem({ ...alert }) }),
    );

    const error = await refusal(
      client.send(
        new UpdateItemCommand({
          TableName: aws.dynamodb.tableName,
          Key: { alertId: { S: alert.alertId } },
          UpdateExpression: 'SET statusNote = :note',
          ExpressionAttributeValues: { ':note': { S: '€'.repeat(150_000) } },
        }),
      ),
    );

    expect(error).toEqual({
      name: 'ValidationException',
      message: 'Item size to update has exceeded the maximum allowed size',
    });
  });

  it('still takes an item just under 400 KB in UTF-8', async () => {
    const alert = freshAlert();
    const rest = JSON.stringify(toItem({ ...alert, cloudTrailEvent: '' })).length;
    const item = toItem({ ...alert, cloudTrailEvent: 'x'.repeat(400 * 1024 - rest - 2048) });

    await expect(
      client.send(new PutItemCommand({ TableName: aws.dynamodb.tableName, Item: item })),
    ).resolves.toBeDefined();
  });
});

describe('the memory store', () => {
  it('rejects an alert with an empty index key as DynamoDB does, and keeps nothing', async () => {
    const store = new MemoryAlertStore();
    const alert = { ...freshAlert(), account: '' };

    const error = await refusal(store.create(alert, new Date(Date.now() + 60_000)));

    expect(error).toEqual({ name: 'ValidationException', message: EMPTY_ACCOUNT_KEY });
    expect(await store.get(alert.alertId)).toBeUndefined();
  });

  it('takes the same alert with its account filled in', async () => {
    const store = new MemoryAlertStore();
    const alert = freshAlert();

    await expect(store.create(alert, new Date(Date.now() + 60_000))).resolves.toMatchObject({
      created: true,
    });
  });
});
