import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Alert } from '../core/alert';
import { ALERT_TABLE } from '../core/alert-table';
import type { AlertStore, CreateResult } from '../core/ports';
import { fromItem, toItem } from './dynamodb-item';

/** Attributes the store keeps on an item that are not part of the alert itself. */
const BOOKKEEPING = ['claimedUntil'] as const;

export function alertFromItem(item: Record<string, AttributeValue>): Alert {
  const obj = fromItem(item);
  for (const key of BOOKKEEPING) delete obj[key];
  return obj as unknown as Alert;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** The alert table in DynamoDB (or anything speaking its API, such as dynalite). */
export class DynamoDbAlertStore implements AlertStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(alertId: string) {
    return { [ALERT_TABLE.partitionKey]: { S: alertId } };
  }

  async create(alert: Alert, claimUntil: Date): Promise<CreateResult> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...alert, claimedUntil: claimUntil.toISOString() }),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ALERT_TABLE.partitionKey },
        }),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.get(alert.alertId);
    if (existing === undefined) {
      // The item existed a moment ago; only TTL or a manual delete removes alerts.
      throw new Error(`alert ${alert.alertId} vanished between write and read`);
    }
    return { created: false, existing };
  }

  async get(alertId: string): Promise<Alert | undefined> {
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: this.key(alertId),
        ConsistentRead: true,
      }),
    );
    return result.Item === undefined ? undefined : alertFromItem(result.Item);
  }

  async claim(alertId: string, now: Date, claimUntil: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(alertId),
          UpdateExpression: 'SET claimedUntil = :until',
          ConditionExpression:
            'delivery = :pending AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)',
          ExpressionAttributeValues: {
            ':until': { S: claimUntil.toISOString() },
            ':now': { S: now.toISOString() },
            ':pending': { S: 'pending' },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markNotified(alertId: string, messageId: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(alertId),
          UpdateExpression:
            'SET delivery = :notified, messageId = :messageId, notifiedAt = :at REMOVE claimedUntil',
          ConditionExpression: 'delivery = :pending',
          ExpressionAttributeValues: {
            ':notified': { S: 'notified' },
            ':pending': { S: 'pending' },
            ':messageId': { S: messageId },
            ':at': { S: at.toISOString() },
          },
        }),
      );
    } catch (error) {
      // Already notified by a delivery whose claim we outlived: the alert went out, which
      // is all this step records.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async release(alertId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(alertId),
          UpdateExpression: 'REMOVE claimedUntil',
          ConditionExpression: 'delivery = :pending',
          ExpressionAttributeValues: { ':pending': { S: 'pending' } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
