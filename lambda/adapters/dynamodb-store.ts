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
import { ALERT_TABLE, HISTORY_COUNT_LIMIT } from '../core/alert-table';
import type { AlertStore, ClaimToken, CountRequest, CreateResult, MarkResult } from '../core/ports';
import { ClaimLostError } from '../core/ports';
import { MAX_ITEM_BYTES, fromItem, itemSize, toItem } from './dynamodb-item';
import { describeSdkError } from './sdk-error';

/**
 * Attributes the store keeps on an item that are not part of the alert itself: the claim's
 * expiry, the token of the delivery holding it, and the token of the delivery that marked
 * the alert notified (how a retried mark recognises its own write).
 */
const BOOKKEEPING = ['claimedUntil', 'claimToken', 'notifiedBy'] as const;

const DAY_MS = 86_400_000;

/**
 * Room a new alert item leaves for what later writes add: the burst placement, the message
 * id and times, and triage (whose history is itself bounded to fit; see cli/alerts/queries.ts).
 */
export const ALERT_CREATE_BUDGET_BYTES = MAX_ITEM_BYTES - 48 * 1024;

/**
 * The item a new alert is stored as. An alert over the budget (only an event near
 * EventBridge's 256 KB limit written in multi-byte characters can get there) keeps the
 * start of its CloudTrail record and says how long the whole was: the item must fit, and
 * the event itself is still in CloudTrail.
 */
export function newAlertItem(
  alert: Alert,
  bookkeeping: Record<string, string>,
): Record<string, AttributeValue> {
  const item = toItem({ ...alert, ...bookkeeping });
  const size = itemSize(item);
  if (size <= ALERT_CREATE_BUDGET_BYTES) return item;
  const record = Buffer.from(alert.cloudTrailEvent, 'utf8');
  const keep = Math.max(0, record.byteLength - (size - ALERT_CREATE_BUDGET_BYTES) - 64);
  // Cut on a character boundary: decoding a cut multi-byte sequence would add U+FFFD.
  const text = record
    .subarray(0, keep)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return toItem({
    ...alert,
    ...bookkeeping,
    cloudTrailEvent: text,
    cloudTrailEventBytes: record.byteLength,
  });
}

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
export class DynamoDbAlertStore implements AlertStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(alertId: string) {
    return { [ALERT_TABLE.partitionKey]: { S: alertId } };
  }

  /**
   * Each write that takes a claim stores a fresh random token. When the SDK retries a write
   * whose first attempt succeeded but whose response was lost, the retry meets its own
   * claim: the token tells it so, and it carries on instead of reporting the alert as held
   * by someone else (which would delay it until the claim lapsed).
   */
  async create(alert: Alert, claimUntil: Date): Promise<CreateResult> {
    const token = randomUUID() as ClaimToken;
    try {
      await attempt('create', alert.alertId, () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: newAlertItem(alert, {
              claimedUntil: claimUntil.toISOString(),
              claimToken: token,
            }),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': ALERT_TABLE.partitionKey },
          }),
        ),
      );
      return { created: true, token };
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
    if (item.claimToken?.S === token) return { created: true, token };
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

  /** Runs a write that is allowed only while `token` holds the alert's claim. */
  private async fenced(
    operation: string,
    alertId: string,
    token: ClaimToken,
    update: string,
    values: Record<string, AttributeValue>,
  ): Promise<boolean> {
    try {
      await attempt(operation, alertId, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(alertId),
            UpdateExpression: update,
            ConditionExpression: 'delivery = :pending AND claimToken = :token',
            ExpressionAttributeValues: {
              ...values,
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

  async claim(alertId: string, now: Date, claimUntil: Date): Promise<ClaimToken | undefined> {
    const token = randomUUID() as ClaimToken;
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
      return token;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async markNotified(
    alertId: string,
    token: ClaimToken,
    messageId: string,
    at: Date,
  ): Promise<MarkResult> {
    const marked = await this.fenced(
      'mark notified',
      alertId,
      token,
      'SET delivery = :notified, messageId = :messageId, notifiedAt = :at, notifiedBy = :token REMOVE claimedUntil, claimToken',
      {
        ':notified': { S: 'notified' },
        ':messageId': { S: messageId },
        ':at': { S: at.toISOString() },
      },
    );
    if (marked) return 'marked';
    // Either this very write, applied once already by an SDK retry whose first answer was
    // lost, or another delivery that took the claim over while this one published.
    const item = await this.getItem(alertId, 'read after mark notified');
    return item?.notifiedBy?.S === token ? 'marked' : 'claim-lost';
  }

  async release(alertId: string, token: ClaimToken): Promise<void> {
    // A claim that is no longer this delivery's is not this delivery's to hand back.
    await this.fenced('release', alertId, token, 'REMOVE claimedUntil, claimToken', {});
  }

  /**
   * One query on the by-principal index, newest first, that stops at the first alert older
   * than a week (which already answers "seen before") or after `HISTORY_COUNT_LIMIT`
   * alerts: the work per delivery does not grow with the principal's history or a burst.
   */
  async principalHistory(principal: string, before: Date): Promise<PrincipalHistory> {
    const index = ALERT_TABLE.indexes.byPrincipal;
    const dayAgo = new Date(before.getTime() - DAY_MS).toISOString();
    const weekAgo = new Date(before.getTime() - 7 * DAY_MS).toISOString();
    let last24h = 0;
    let last7d = 0;
    let startKey: Record<string, AttributeValue> | undefined;
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
            // One more than is left to count: the extra one, if older than a week, ends it.
            Limit: HISTORY_COUNT_LIMIT - last7d + 1,
            ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const time = item[index.sortKey]?.S ?? '';
        if (time < weekAgo || last7d === HISTORY_COUNT_LIMIT) {
          return { last24h, last7d, firstSeen: false };
        }
        last7d += 1;
        if (time >= dayAgo) last24h += 1;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return { last24h, last7d, firstSeen: last7d === 0 };
  }

  /**
   * Appends the alert to the counter's member list unless it is already there (or the list
   * is full), in one conditional update; otherwise reads the list. The alert's position is
   * its index in the list, so the SDK's retry of an applied update, a Lambda retry and a
   * takeover all get the answer the first call got.
   */
  async countOnce(request: CountRequest): Promise<number | undefined> {
    const operation = `count ${request.counter}`;
    const limit = request.limit !== undefined ? ' AND size(members) < :limit' : '';
    try {
      const result = await attempt(operation, request.alertId, () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(request.counter),
            UpdateExpression:
              'SET members = list_append(if_not_exists(members, :empty), :me), expiresAt = if_not_exists(expiresAt, :expires)',
            ConditionExpression: `attribute_not_exists(members) OR (NOT contains(members, :id)${limit})`,
            ExpressionAttributeValues: {
              ':empty': { L: [] },
              ':me': { L: [{ S: request.alertId }] },
              ':id': { S: request.alertId },
              ':expires': { N: String(Math.floor(request.expiresAt.getTime() / 1000)) },
              ...(request.limit !== undefined ? { ':limit': { N: String(request.limit) } } : {}),
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      const members = result.Attributes?.members?.L ?? [];
      const position = members.findIndex((member) => member.S === request.alertId);
      if (position >= 0) return position + 1;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const item = await this.getItem(request.counter, `read ${request.counter}`);
    const position = (item?.members?.L ?? []).findIndex((m) => m.S === request.alertId);
    return position >= 0 ? position + 1 : undefined;
  }

  async recordBurst(alertId: string, token: ClaimToken, placement: BurstPlacement): Promise<void> {
    const capped = placement.kind === 'capped';
    const recorded = await this.fenced(
      'record burst',
      alertId,
      token,
      capped
        ? 'SET burst = :burst, delivery = :capped REMOVE claimedUntil, claimToken'
        : 'SET burst = :burst',
      {
        ':burst': { M: toItem({ ...placement }) },
        ...(capped ? { ':capped': { S: 'capped' } } : {}),
      },
    );
    if (recorded) return;
    // Marking an alert capped is final, and the same for every delivery (placement is
    // reproducible): when the SDK retried that write after a lost response, the retry
    // finds it done. Anything else means the claim is another delivery's now.
    const item = capped ? await this.getItem(alertId, 'read after record burst') : undefined;
    if (item?.delivery?.S === 'capped') return;
    throw new ClaimLostError(alertId, 'recording its burst placement');
  }
}
