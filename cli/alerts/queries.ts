import type { AttributeValue, DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AlertStatus } from '../../lambda/core/alert';
import type { IndexSchema } from '../../lambda/core/alert-table';
import { ALERT_TABLE, timeBucketOf } from '../../lambda/core/alert-table';
import type { Severity } from '../../lambda/core/catalog';
import { SEVERITIES } from '../../lambda/core/model';
import { alertFromItem } from '../../lambda/adapters/dynamodb-store';
import {
  MAX_ITEM_BYTES,
  attributeSize,
  itemSize,
  toAttribute,
  toItem,
} from '../../lambda/adapters/dynamodb-item';
import type {
  ChangeRequest,
  StatusChange,
  TriagedAlert,
  TriageTarget,
} from '../../lambda/core/triage';
import { checkChangeRequest, planChange } from '../../lambda/core/triage';

// A `severity` filter keeps its level and those after it in this order.
export { SEVERITIES } from '../../lambda/core/model';

export const DEFAULT_LIST_LIMIT = 50;
export const DEFAULT_WINDOW_DAYS = 30;

export interface AlertFilter {
  /** Oldest event time to include. @default 30 days before `until` */
  readonly since?: Date;
  /** Newest event time to include. @default now */
  readonly until?: Date;
  readonly status?: AlertStatus;
  readonly ruleId?: string;
  readonly account?: string;
  /** The caller's full ARN (or service principal), matched exactly. */
  readonly principal?: string;
  /** Minimum severity: `high` returns high and critical alerts. */
  readonly severity?: Severity;
  /** @default 50 */
  readonly limit?: number;
}

export interface AlertQueriesOptions {
  /**
   * Items DynamoDB evaluates per Query page when a FilterExpression is in play (the Limit
   * applies before filtering). Small values are only useful to exercise pagination.
   * @default 100
   */
  readonly pageSize?: number;
  /** The clock for default time bounds. @default () => new Date() */
  readonly now?: () => Date;
}

export class AlertNotFoundError extends Error {
  override readonly name = 'AlertNotFoundError';
  constructor(readonly alertId: string) {
    super(`no alert with id ${alertId}`);
  }
}

/** Someone else changed the alert's status between our read and our write. */
export class ConcurrentUpdateError extends Error {
  override readonly name = 'ConcurrentUpdateError';
  constructor(
    readonly alertId: string,
    readonly current: TriagedAlert,
  ) {
    const who =
      current.statusChangedBy !== undefined
        ? ` by ${current.statusChangedBy} at ${current.statusChangedAt ?? 'an unknown time'}`
        : '';
    super(
      `alert ${alertId} was changed${who} while this change was being made; it is now ` +
        `${current.status}. Nothing was written: look at it again and retry if still needed`,
    );
  }
}

export function requestOf(to: TriageTarget, by: string, at: Date, note?: string): ChangeRequest {
  return { to, by, at, ...(note !== undefined ? { note } : {}) };
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

function requireValidDate(value: Date, what: string): Date {
  if (Number.isNaN(value.getTime())) throw new RangeError(`${what} is not a valid time`);
  return value;
}

/** The YYYY-MM buckets from `until`'s month back to `since`'s month, newest first. */
export function monthBucketsBetween(since: Date, until: Date): string[] {
  const buckets: string[] = [];
  const last = timeBucketOf(since.toISOString());
  let year = until.getUTCFullYear();
  let month = until.getUTCMonth();
  for (;;) {
    const bucket = timeBucketOf(new Date(Date.UTC(year, month, 1)).toISOString());
    if (bucket < last) break;
    buckets.push(bucket);
    month -= 1;
    if (month < 0) {
      month = 11;
      year -= 1;
    }
  }
  return buckets;
}

interface Expression {
  readonly clauses: string[];
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
}

/** What `alerts list` reads: the validated window and limit, and the index and keys to read. */
export interface ListPlan {
  readonly limit: number;
  /** ISO times, both inclusive. */
  readonly since: string;
  readonly until: string;
  readonly index: IndexSchema;
  /** The index partitions to read, in order (newest month first for the time index). */
  readonly keyValues: readonly string[];
}

/**
 * Checks `filter` and picks what to read: the most selective key in the filter picks the
 * index (principal, then account, then status, else the monthly time buckets), and the time
 * window is part of the key condition. Shared by every store, so they choose alike.
 */
export function planList(filter: AlertFilter, now: Date): ListPlan {
  const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  const until = requireValidDate(filter.until ?? now, 'until');
  const since = requireValidDate(
    filter.since ?? new Date(until.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000),
    'since',
  );
  if (since.getTime() > until.getTime()) {
    throw new RangeError('since must not be later than until');
  }
  // DynamoDB rejects an empty string as a key value; an empty filter would match nothing.
  for (const [name, value] of Object.entries({
    principal: filter.principal,
    account: filter.account,
    ruleId: filter.ruleId,
  })) {
    if (value === '') throw new RangeError(`${name} must not be empty`);
  }
  if (filter.severity !== undefined && !SEVERITIES.includes(filter.severity)) {
    throw new RangeError(`unknown severity ${String(filter.severity)}`);
  }
  const indexes = ALERT_TABLE.indexes;
  const chosen: [IndexSchema, string[]] =
    filter.principal !== undefined
      ? [indexes.byPrincipal, [filter.principal]]
      : filter.account !== undefined
        ? [indexes.byAccount, [filter.account]]
        : filter.status !== undefined
          ? [indexes.byStatus, [filter.status]]
          : [indexes.byTime, monthBucketsBetween(since, until)];
  return {
    limit,
    since: since.toISOString(),
    until: until.toISOString(),
    index: chosen[0],
    keyValues: chosen[1],
  };
}

/**
 * Whether `alert` passes the filter conditions the index key does not enforce: what the
 * table's FilterExpression checks, for a store that reads its index itself.
 */
export function passesFilter(
  alert: TriagedAlert,
  filter: AlertFilter,
  index: IndexSchema,
): boolean {
  const equal = (attribute: keyof TriagedAlert, value: string | undefined) =>
    value === undefined || index.partitionKey === attribute || alert[attribute] === value;
  if (
    !equal('principal', filter.principal) ||
    !equal('account', filter.account) ||
    !equal('status', filter.status) ||
    !equal('ruleId', filter.ruleId)
  ) {
    return false;
  }
  if (filter.severity === undefined) return true;
  return SEVERITIES.slice(SEVERITIES.indexOf(filter.severity)).includes(alert.severity);
}

/** What a status change writes: every store applies it if the alert is still as read. */
export interface StatusWrite {
  readonly entry: StatusChange;
  /** The statusVersion the alert must still have (0: never changed, attribute absent). */
  readonly expectedVersion: number;
  readonly history: StatusChange[];
  readonly historyCount: number;
}

/** Plans `request` on the alert as read: the entry, the version to expect and the history. */
export function planStatusWrite(current: TriagedAlert, request: ChangeRequest): StatusWrite {
  const { entry, expectedVersion, historyCount, history } = planChange(current, request);
  return {
    entry,
    expectedVersion,
    history: fittingHistory(current, entry, history),
    historyCount,
  };
}

/** Reads and triage of stored alerts, whichever store holds them: what `alerts` commands use. */
export interface AlertQueryPort {
  /** Alerts matching `filter`, newest event first. */
  list(filter?: AlertFilter): Promise<TriagedAlert[]>;
  /** One alert by its full id. */
  get(alertId: string): Promise<TriagedAlert | undefined>;
  /**
   * Reads the alert and moves it as asked, recording who, when and why. Throws
   * AlertNotFoundError, InvalidTransitionError, ConcurrentUpdateError or TriageInputError.
   */
  transition(
    alertId: string,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert>;
  /** Moves an alert read earlier, only if it is still exactly as read. */
  applyTransition(
    current: TriagedAlert,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert>;
}

/**
 * The `transition` of every AlertQueryPort: checks the request before any read, reads the
 * alert, and moves it as read (so a change made in between is a ConcurrentUpdateError).
 */
export async function readAndTransition(
  port: Pick<AlertQueryPort, 'get' | 'applyTransition'>,
  alertId: string,
  to: TriageTarget,
  by: string,
  at: Date,
  note?: string,
): Promise<TriagedAlert> {
  checkChangeRequest(requestOf(to, by, at, note));
  const current = await port.get(alertId);
  if (current === undefined) throw new AlertNotFoundError(alertId);
  return port.applyTransition(current, to, by, at, note);
}

/**
 * Read and triage access to the alert table for people (the CLI). Every read is a GetItem
 * or a Query on one of the table's indexes: never a Scan, so cost tracks the answer, not
 * the table.
 */
export class AlertQueries implements AlertQueryPort {
  private readonly pageSize: number;
  private readonly now: () => Date;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    options: AlertQueriesOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 100;
    this.now = options.now ?? (() => new Date());
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError(`pageSize must be a positive integer, got ${this.pageSize}`);
    }
  }

  /**
   * Alerts matching `filter`, newest event first. The most selective key in the filter picks
   * the index (principal, then account, then status, else the monthly time buckets); the
   * time window is always part of the key condition and the rest is filtered server-side.
   */
  async list(filter: AlertFilter = {}): Promise<TriagedAlert[]> {
    const { limit, since, until, index, keyValues } = planList(filter, this.now());
    const rest = this.filterExpression(filter, index);
    const alerts: TriagedAlert[] = [];
    for (const keyValue of keyValues) {
      await this.queryInto(alerts, limit, {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :since AND :until',
        ...(rest.clauses.length > 0 ? { FilterExpression: rest.clauses.join(' AND ') } : {}),
        ExpressionAttributeNames: {
          '#pk': index.partitionKey,
          '#sk': index.sortKey,
          ...rest.names,
        },
        ExpressionAttributeValues: {
          ':pk': { S: keyValue },
          ':since': { S: since },
          ':until': { S: until },
          ...rest.values,
        },
        ScanIndexForward: false,
      });
      if (alerts.length >= limit) break;
    }
    return alerts;
  }

  /** Every filter condition the chosen index's key does not already enforce. */
  private filterExpression(filter: AlertFilter, index: IndexSchema): Expression {
    const expression: Expression = { clauses: [], names: {}, values: {} };
    const equal = (attribute: string, value: string | undefined) => {
      if (value === undefined || index.partitionKey === attribute) return;
      expression.names[`#${attribute}`] = attribute;
      expression.values[`:${attribute}`] = { S: value };
      expression.clauses.push(`#${attribute} = :${attribute}`);
    };
    equal('principal', filter.principal);
    equal('account', filter.account);
    equal('status', filter.status);
    equal('ruleId', filter.ruleId);
    if (filter.severity !== undefined) {
      const from = SEVERITIES.indexOf(filter.severity);
      // Nothing to filter when every severity qualifies.
      if (from > 0) {
        const accepted = SEVERITIES.slice(from);
        expression.names['#severity'] = 'severity';
        accepted.forEach((severity, i) => {
          expression.values[`:severity${i}`] = { S: severity };
        });
        expression.clauses.push(
          `#severity IN (${accepted.map((_, i) => `:severity${i}`).join(', ')})`,
        );
      }
    }
    return expression;
  }

  /** Runs one Query page by page, appending matches until `limit` alerts are collected. */
  private async queryInto(
    alerts: TriagedAlert[],
    limit: number,
    input: QueryCommandInput,
  ): Promise<void> {
    const filtered = input.FilterExpression !== undefined;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const remaining = limit - alerts.length;
      // Without a filter every evaluated item is returned, so reading exactly what is still
      // needed is cheapest; with one, Limit counts items before filtering, so read full pages.
      const pageLimit = filtered ? this.pageSize : Math.min(remaining, this.pageSize);
      const page = await this.client.send(
        new QueryCommand({
          ...input,
          Limit: pageLimit,
          ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (alerts.length >= limit) return;
        alerts.push(alertFromItem(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && alerts.length < limit);
  }

  /**
   * One alert by its full id, read strongly consistent. Ids are the table's partition key,
   * so a prefix cannot be looked up without a Scan; callers must pass the whole id.
   */
  async get(alertId: string): Promise<TriagedAlert | undefined> {
    if (alertId === '') return undefined;
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [ALERT_TABLE.partitionKey]: { S: alertId } },
        ConsistentRead: true,
      }),
    );
    return result.Item === undefined ? undefined : alertFromItem(result.Item);
  }

  /**
   * Reads the alert and moves it as `request` asks, recording who, when and why. Throws
   * AlertNotFoundError, InvalidTransitionError, ConcurrentUpdateError or TriageInputError.
   */
  transition(
    alertId: string,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert> {
    return readAndTransition(this, alertId, to, by, at, note);
  }

  /**
   * Moves an alert that was read earlier. The write only succeeds if the alert is still
   * exactly as read (same status and statusVersion), so a change someone else made in
   * between is reported as ConcurrentUpdateError instead of being overwritten.
   */
  async applyTransition(
    current: TriagedAlert,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert> {
    return this.write(current, requestOf(to, by, at, note));
  }

  private async write(current: TriagedAlert, request: ChangeRequest): Promise<TriagedAlert> {
    const { alertId } = current;
    const {
      entry,
      expectedVersion: expected,
      history,
      historyCount,
    } = planStatusWrite(current, request);
    const set = [
      '#status = :to',
      'statusVersion = :next',
      'statusChangedBy = :by',
      'statusChangedAt = :at',
      'history = :history',
      'historyCount = :count',
    ];
    // A note belongs to the change it was written for: reopening without one must not leave
    // the resolve note looking like the reason for the reopen.
    if (entry.note !== undefined) set.push('statusNote = :note');
    const values: Record<string, AttributeValue> = {
      ':to': { S: entry.to },
      ':from': { S: entry.from },
      ':next': { N: String(expected + 1) },
      ':by': { S: entry.by },
      ':at': { S: entry.at },
      ':history': toAttribute(history) ?? { L: [] },
      ':count': { N: String(historyCount) },
      ...(entry.note !== undefined ? { ':note': { S: entry.note } } : {}),
      ...(expected > 0 ? { ':expected': { N: String(expected) } } : {}),
    };
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [ALERT_TABLE.partitionKey]: { S: alertId } },
          UpdateExpression: `SET ${set.join(', ')}${entry.note === undefined ? ' REMOVE statusNote' : ''}`,
          // Checking the exact status read (not just any allowed one) keeps the history's
          // `from` truthful even if something changes status without bumping the version.
          ConditionExpression:
            '#status = :from AND ' +
            (expected > 0 ? 'statusVersion = :expected' : 'attribute_not_exists(statusVersion)'),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (result.Attributes === undefined) {
        throw new Error(`update of alert ${alertId} returned no attributes`);
      }
      return alertFromItem(result.Attributes);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // The condition failed: either the alert is gone or someone changed it since it was read.
    const now = await this.get(alertId);
    if (now === undefined) throw new AlertNotFoundError(alertId);
    throw new ConcurrentUpdateError(alertId, now);
  }
}

/** Room an item keeps below DynamoDB's limit for the attributes other writers add. */
const TRIAGE_HEADROOM_BYTES = 8 * 1024;

/**
 * The history to store with a status change: `planned` (the kept entries and the new one),
 * less its oldest entries while the item would not fit in DynamoDB's 400 KB as DynamoDB
 * counts it (UTF-8). The newest entry always stays, so no status change fails for size.
 * The item is written whole by the update (versioned), so the list replaces the old one.
 */
export function fittingHistory(
  current: TriagedAlert,
  entry: StatusChange,
  planned: readonly StatusChange[],
): StatusChange[] {
  // Everything but the history is measured once; the list then costs what DynamoDB counts
  // for a list (3 bytes, and 1 per element) plus its entries, each measured once.
  const rest = itemSize(
    toItem({
      ...current,
      status: entry.to,
      statusChangedBy: entry.by,
      statusChangedAt: entry.at,
      statusNote: entry.note,
      history: [],
    }),
  );
  const entrySizes = planned.map((kept) => 1 + attributeSize(toAttribute(kept) ?? { NULL: true }));
  let listSize = entrySizes.reduce((sum, size) => sum + size, 0);
  let first = 0;
  while (planned.length - first > 1 && rest + listSize > MAX_ITEM_BYTES - TRIAGE_HEADROOM_BYTES) {
    listSize -= entrySizes[first] ?? 0;
    first += 1;
  }
  const history = planned.slice(first);
  return history;
}
