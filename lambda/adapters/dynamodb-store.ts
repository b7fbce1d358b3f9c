import { randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Alert, BurstPlacement, PrincipalHistory } from '../core/alert';
import { ALERT_TABLE } from '../core/alert-table';
import type { AlertStore, BurstCount, BurstCountRequest, CreateResult } from '../core/ports';
import { fromItem, toItem } from './dynamodb-item';
import { describeSdkError } from './sdk-error';

/**
 * Attributes the store keeps on an item that are not part of the alert itself: the claim's
 * expiry, and a token naming the write that took it (see `create`).
 */
const BOOKKEEPING = ['claimedUntil', 'claimToken'] as const;

const DAY_MS = 86_400_000;
/** Counter items live a day past their window, then TTL removes them. */
const COUNTER_TTL_SECONDS = 86_400;

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

/**
 * A DynamoDB call failed for a reason the pipeline cannot handle (throttled past the SDK's
 * retries, unreachable, timed out, rejected). The message names the step and the cause, since
 * it is all that reaches the failure queue.
 */
export class AlertStoreError extends Error {
  override readonly name = 'AlertStoreError';
  constructor(
    readonly operation: string,
    readonly alertId: string | undefined,
    options: { cause: unknown },
  ) {
    super(
      `alert store ${operation}${alertId !== undefined ? ` of alert ${alertId}` : ''} failed: ${describeSdkError(options.cause)}`,
      options,
    );
  }
}

/** Runs one DynamoDB call; a failed condition passes through for the caller to judge. */
async function attempt<T>(
  operation: string,
  alertId: string | undefined,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailure(error)) throw error;
    throw new AlertStoreError(operation, alertId, { cause: error });
  }
}

/** The alert table in DynamoDB (or anything speaking its API, such as dynalite). */
/** The alert table in DynamoDB (or anything speaking its API, such as dynalite). */
export class DynamoDbAlertStore implements AlertStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(alertId: string) {
    return { [ALERT_TABLE.partitionKey]: { S: alertId } };
  }

  /**
   * Each write that takes a claim also stores a fresh random token. When the SDK retries a
   * write whose first attempt succeeded but whose response was lost, the retry meets its
   * own claim: the token tells it so, and it carries on instead of reporting the alert as
   * held by someone else (which would delay it until the claim lapsed).
   */
  async create(alert: Alert, claimUntil: Date): Promise<CreateResult> {
    const token = randomUUID();
    try {
      await attempt('create', alert.alertId, () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: toItem({ ...alert, claimedUntil: claimUntil.toISOString(), claimToken: token }),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': ALERT_TABLE.partitionKey },
          }),
        ),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const item = await this.getItem(alert.alertId, 'read after create');
    if (item === undefined) {
      // The item existed a moment ago; only TTL or a manual delete removes alerts.
      throw new AlertStoreError('create', alert.alertId, {
        cause: new Error('the alert vanished between write and read'),
      });
    }
    if (item.claimToken?.S === token) return { created: true };
    return { created: false, existing: alertFromItem(item) };
  }

  private async getItem(
    alertId: string,
    operation: string,
  ): Promise<Record<string, AttributeValue> | undefined> {
    const result = await attempt(operation, alertId, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: this.key(alertId),
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item;
  }

  async get(alertId: string): Promise<Alert | undefined> {
    const item = await this.getItem(alertId, 'get');
    return item === undefined ? undefined : alertFromItem(item);
  }

  async claim(alertId: string, now: Date, claimUntil: Date): Promise<boolean> {
    const token = randomUUID();
    try {
      await attempt('claim', alertId, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(alertId),
            UpdateExpression: 'SET claimedUntil = :until, claimToken = :token',
            ConditionExpression:
              'delivery = :pending AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now OR claimToken = :token)',
            ExpressionAttributeValues: {
              ':until': { S: claimUntil.toISOString() },
              ':now': { S: now.toISOString() },
              ':pending': { S: 'pending' },
              ':token': { S: token },
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async markNotified(alertId: string, messageId: string, at: Date): Promise<void> {
    try {
      await attempt('mark notified', alertId, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(alertId),
            UpdateExpression:
              'SET delivery = :notified, messageId = :messageId, notifiedAt = :at REMOVE claimedUntil, claimToken',
            ConditionExpression: 'delivery = :pending',
            ExpressionAttributeValues: {
              ':notified': { S: 'notified' },
              ':pending': { S: 'pending' },
              ':messageId': { S: messageId },
              ':at': { S: at.toISOString() },
            },
          }),
        ),
      );
    } catch (error) {
      // Already notified by a delivery whose claim we outlived (or by this very call, when
      // the SDK retried it after a lost response): the alert went out, which is all this
      // step records.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async release(alertId: string): Promise<void> {
    try {
      await attempt('release', alertId, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(alertId),
            UpdateExpression: 'REMOVE claimedUntil, claimToken',
            ConditionExpression: 'delivery = :pending',
            ExpressionAttributeValues: { ':pending': { S: 'pending' } },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async principalHistory(principal: string, before: Date): Promise<PrincipalHistory> {
    const index = ALERT_TABLE.indexes.byPrincipal;
    const dayAgo = new Date(before.getTime() - DAY_MS).toISOString();
    const weekAgo = new Date(before.getTime() - 7 * DAY_MS).toISOString();
    let last24h = 0;
    let last7d = 0;
    let seen = false;
    let startKey: Record<string, AttributeValue> | undefined;
    // Newest first; stop at the first alert older than a week, which already answers
    // "seen before" and cannot add to either count.
    do {
      const page = await attempt('principal history query', undefined, () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: '#pk = :principal AND #sk < :before',
            ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
            ExpressionAttributeValues: {
              ':principal': { S: principal },
              ':before': { S: before.toISOString() },
            },
            ProjectionExpression: '#sk',
            ScanIndexForward: false,
            ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        seen = true;
        const time = item[index.sortKey]?.S ?? '';
        if (time < weekAgo) return { last24h, last7d, firstSeen: false };
        last7d += 1;
        if (time >= dayAgo) last24h += 1;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return { last24h, last7d, firstSeen: !seen };
  }

  /**
   * Opens a counter's window if it has lapsed (or never existed), else adds one to it.
   * Both are single conditional updates, so concurrent alerts serialize on the item.
   */
  private async count(
    key: string,
    eventTime: Date,
    windowMinutes: number,
    threadId: string,
  ): Promise<{ count: number; threadId: string }> {
    const windowStart = eventTime.toISOString();
    const floor = new Date(eventTime.getTime() - windowMinutes * 60_000).toISOString();
    const expiresAt =
      Math.floor(eventTime.getTime() / 1000) + windowMinutes * 60 + COUNTER_TTL_SECONDS;
    try {
      const opened = await attempt(`open burst counter ${key}`, undefined, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(key),
            UpdateExpression:
              'SET windowStart = :start, windowCount = :one, threadId = :thread, expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(#pk) OR windowStart < :floor',
            ExpressionAttributeNames: { '#pk': ALERT_TABLE.partitionKey },
            ExpressionAttributeValues: {
              ':start': { S: windowStart },
              ':one': { N: '1' },
              ':thread': { S: threadId },
              ':expires': { N: String(expiresAt) },
              ':floor': { S: floor },
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return { count: 1, threadId: opened.Attributes?.threadId?.S ?? threadId };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Not idempotent: an SDK retry after a lost response counts the alert twice. The
    // counters only shape notifications (update numbers, the cap), so that is tolerated.
    const added = await attempt(`add to burst counter ${key}`, undefined, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(key),
          UpdateExpression: 'ADD windowCount :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return {
      count: Number(added.Attributes?.windowCount?.N ?? '1'),
      threadId: added.Attributes?.threadId?.S ?? threadId,
    };
  }

  async countInBurst(request: BurstCountRequest): Promise<BurstCount> {
    const windowId = `${request.groupId}-${Math.floor(request.eventTime.getTime() / 1000)}`;
    // Two independent items: the group's counter and the detection's; no need to wait in turn.
    const [group, detection] = await Promise.all([
      this.count(`burst#${request.groupId}`, request.eventTime, request.windowMinutes, windowId),
      this.count(`cap#${request.ruleId}`, request.eventTime, request.windowMinutes, windowId),
    ]);
    return { sequence: group.count, threadId: group.threadId, detectionCount: detection.count };
  }

  async recordBurst(alertId: string, placement: BurstPlacement): Promise<void> {
    const capped = placement.kind === 'capped';
    try {
      await attempt('record burst', alertId, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(alertId),
            UpdateExpression: capped
              ? 'SET burst = :burst, delivery = :capped REMOVE claimedUntil, claimToken'
              : 'SET burst = :burst',
            ConditionExpression: 'delivery = :pending',
            ExpressionAttributeValues: {
              ':burst': { M: toItem({ ...placement }) },
              ':pending': { S: 'pending' },
              ...(capped ? { ':capped': { S: 'capped' } } : {}),
            },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Marking an alert capped is final; when the SDK retried that write after a lost
      // response, the retry finds it done. Anything else means the claim was lost.
      const item = capped ? await this.getItem(alertId, 'read after record burst') : undefined;
      if (item?.delivery?.S === 'capped') return;
      throw new AlertStoreError('record burst', alertId, {
        cause: new Error('the alert is no longer pending; another delivery finished it'),
      });
    }
  }
}
