import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { alertFromItem } from '../../lambda/adapters/dynamodb-store';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import type { Alert } from '../../lambda/core/alert';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import type { LocalSns } from './local-sns';
import { startLocalSns } from './local-sns';

export const TEST_TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:sgwatch-alerts-test';

export interface LocalAws {
  readonly dynamodb: EmbeddedDynamoDb;
  readonly sns: LocalSns;
  close(): Promise<void>;
}

/**
 * Starts dynalite (with the alert table) and the local SNS endpoint, and points the SDK's
 * standard endpoint variables at them, so production code runs unchanged against both.
 */
export async function startLocalAws(): Promise<LocalAws> {
  const [dynamodb, sns] = await Promise.all([startEmbeddedDynamoDb(), startLocalSns()]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ALERT_TABLE_NAME: dynamodb.tableName,
    ALERT_TOPIC_ARN: TEST_TOPIC_ARN,
  });
  return {
    dynamodb,
    sns,
    close: async () => {
      await Promise.all([dynamodb.close(), sns.close()]);
    },
  };
}

/** The alert stored under `alertId`, read consistently, or undefined. */
export async function readStoredAlert(
  dynamodb: EmbeddedDynamoDb,
  alertId: string,
): Promise<(Alert & { claimedUntil?: string }) | undefined> {
  const { Item } = await dynamodb.client.send(
    new GetItemCommand({
      TableName: dynamodb.tableName,
      Key: { alertId: { S: alertId } },
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return undefined;
  // The claim's expiry is bookkeeping, not part of the alert; tests waiting for a claim to
  // lapse read it here.
  const claimedUntil = Item.claimedUntil?.S;
  return { ...alertFromItem(Item), ...(claimedUntil !== undefined ? { claimedUntil } : {}) };
}
