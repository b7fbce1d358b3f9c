import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  CreateBackupCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { InProcessDynamoDbError } from '../../cli/in-process-dynamodb';

let db: EmbeddedDynamoDb;

beforeAll(async () => {
  db = await startEmbeddedDynamoDb();
});

afterAll(async () => {
  await db.close();
});

/** One scenario of writes and reads, run through a client; returns what each step gave. */
async function scenario(client: DynamoDBClient, id: string): Promise<unknown[]> {
  const TableName = db.tableName;
  const key = { alertId: { S: id } };
  const steps: unknown[] = [];
  await client.send(
    new PutItemCommand({
      TableName,
      Item: { ...key, timeBucket: { S: '2026-03' }, eventTime: { S: '2026-03-01' }, n: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(alertId)',
    }),
  );
  try {
    await client.send(
      new PutItemCommand({
        TableName,
        Item: key,
        ConditionExpression: 'attribute_not_exists(alertId)',
      }),
    );
    steps.push('second put succeeded');
  } catch (error) {
    steps.push([
      error instanceof ConditionalCheckFailedException,
      (error as Error).name,
      (error as { $fault?: string }).$fault,
    ]);
  }
  const updated = await client.send(
    new UpdateItemCommand({
      TableName,
      Key: key,
      UpdateExpression: 'ADD n :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    }),
  );
  steps.push(updated.Attributes);
  const got = await client.send(new GetItemCommand({ TableName, Key: key }));
  steps.push(got.Item);
  const queried = await client.send(
    new QueryCommand({
      TableName,
      IndexName: 'byTime',
      KeyConditionExpression: 'timeBucket = :b',
      FilterExpression: 'alertId = :id',
      ExpressionAttributeValues: { ':b': { S: '2026-03' }, ':id': { S: id } },
    }),
  );
  steps.push([queried.Count, queried.Items]);
  return steps;
}

describe('in-process DynamoDB client for the embedded store', () => {
  it('gives the same answers and errors as the SDK over HTTP', async () => {
    // Act: the same scenario on two different items, one per client.
    const overHttp = await scenario(db.client, 'over-http');
    const direct = await scenario(db.direct, 'direct');

    // Assess: identical apart from the item id, and the condition failure is the SDK's class.
    expect(JSON.stringify(direct).replaceAll('direct', 'ID')).toBe(
      JSON.stringify(overHttp).replaceAll('over-http', 'ID'),
    );
    expect(direct[0]).toEqual([true, 'ConditionalCheckFailedException', 'client']);
  });

  it('rejects a command dynalite does not implement, naming it', async () => {
    await expect(
      db.direct.send(new CreateBackupCommand({ TableName: db.tableName, BackupName: 'b' })),
    ).rejects.toThrow(InProcessDynamoDbError);
  });

  it('rejects binary attributes rather than storing them differently from DynamoDB', async () => {
    await expect(
      db.direct.send(
        new PutItemCommand({
          TableName: db.tableName,
          Item: { alertId: { S: 'binary' }, blob: { B: new Uint8Array([1, 2]) } },
        }),
      ),
    ).rejects.toThrow(/binary attributes/);
  });
});
