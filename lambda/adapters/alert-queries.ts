import type { AttributeValue, DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Alert, AlertStatus } from '../core/alert';
import type { IndexSchema } from '../core/alert-table';
import { ALERT_TABLE, timeBucketOf } from '../core/alert-table';
import type { Severity } from '../core/catalog';
import { alertFromItem } from './dynamodb-store';
import { toAttribute } from './dynamodb-item';

/** Severities from least to most severe; a `severity` filter keeps its level and those after. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
export const ALERT_STATUSES: readonly AlertStatus[] = [
  'open',
  'acknowledged',
  'resolved',
  'suppressed',
];

/** Statuses a person can move an alert to; `suppressed` is only ever set by suppression rules. */
export type TriageTarget = 'acknowledged' | 'resolved' | 'open';

export const DEFAULT_LIST_LIMIT = 50;
export const DEFAULT_WINDOW_DAYS = 30;
/** Longest note kept on a status change; notes are typed by people but still stored verbatim. */
export const MAX_NOTE_LENGTH = 2000;
/** Longest name recorded as the person making a change. */
export const MAX_ACTOR_LENGTH = 200;

/** Which statuses each target may be reached from. */
const ALLOWED_FROM: Readonly<Record<TriageTarget, readonly AlertStatus[]>> = {
  acknowledged: ['open'],
  resolved: ['open', 'acknowledged'],
  // Reopening also overrides a suppression, for when an exception turns out to be wrong.
  open: ['acknowledged', 'resolved', 'suppressed'],
};

/** The targets reachable from `status`, in the order a person usually takes them. */
export function allowedTargets(status: AlertStatus): TriageTarget[] {
  return (['acknowledged', 'resolved', 'open'] as const).filter((target) =>
    ALLOWED_FROM[target].includes(status),
  );
}

/** One entry in an alert's triage history. */
export interface StatusChange {
  readonly from: AlertStatus;
  readonly to: AlertStatus;
  readonly by: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly note?: string;
}

/** Attributes triage adds to a stored alert; absent until the first status change. */
export interface TriageState {
  /** Bumped by every status change; absent means 0. Used for optimistic concurrency. */
  readonly statusVersion?: number;
  readonly statusChangedBy?: string;
  readonly statusChangedAt?: string;
  readonly statusNote?: string;
  readonly history?: readonly StatusChange[];
}

export type TriagedAlert = Alert & TriageState;

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

export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  readonly allowed: readonly TriageTarget[];
  constructor(
    readonly alertId: string,
    readonly current: AlertStatus,
    readonly target: TriageTarget,
  ) {
    const allowed = allowedTargets(current);
    super(
      `alert ${alertId} is ${current} and cannot become ${target}; from ${current} it can become ` +
        (allowed.length > 0 ? allowed.join(' or ') : 'nothing else'),
    );
    this.allowed = allowed;
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

/** Bad input to a triage call (missing or oversized note, empty actor, invalid time). */
export class TriageInputError extends Error {
  override readonly name = 'TriageInputError';
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

/**
 * Read and triage access to the alert table for people (the CLI). Every read is a GetItem
 * or a Query on one of the table's indexes: never a Scan, so cost tracks the answer, not
 * the table.
 */
export class AlertQueries {
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
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    const until = requireValidDate(filter.until ?? this.now(), 'until');
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

    const indexes = ALERT_TABLE.indexes;
    let index: IndexSchema;
    let keyValues: string[];
    if (filter.principal !== undefined) {
      index = indexes.byPrincipal;
      keyValues = [filter.principal];
    } else if (filter.account !== undefined) {
      index = indexes.byAccount;
      keyValues = [filter.account];
    } else if (filter.status !== undefined) {
      index = indexes.byStatus;
      keyValues = [filter.status];
    } else {
      index = indexes.byTime;
      keyValues = monthBucketsBetween(since, until);
    }

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
          ':since': { S: since.toISOString() },
          ':until': { S: until.toISOString() },
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
      if (from < 0) throw new RangeError(`unknown severity ${String(filter.severity)}`);
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
   * Reads the alert and moves it to `to`, recording who, when and why. Throws
   * AlertNotFoundError, InvalidTransitionError, ConcurrentUpdateError or TriageInputError.
   */
  async transition(
    alertId: string,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert> {
    const change = validateChange(to, by, at, note);
    const current = await this.get(alertId);
    if (current === undefined) throw new AlertNotFoundError(alertId);
    return this.write(current, change);
  }

  /**
   * Moves an alert that was read earlier to `to`. The write only succeeds if the alert is
   * still exactly as read (same status and statusVersion), so a change someone else made
   * in between is reported as ConcurrentUpdateError instead of being overwritten.
   */
  async applyTransition(
    current: TriagedAlert,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert> {
    return this.write(current, validateChange(to, by, at, note));
  }

  private async write(current: TriagedAlert, change: ValidChange): Promise<TriagedAlert> {
    const { alertId } = current;
    if (!ALLOWED_FROM[change.to].includes(current.status)) {
      throw new InvalidTransitionError(alertId, current.status, change.to);
    }
    const expected = current.statusVersion ?? 0;
    const entry: StatusChange = {
      from: current.status,
      to: change.to,
      by: change.by,
      at: change.at,
      ...(change.note !== undefined ? { note: change.note } : {}),
    };
    const set = [
      '#status = :to',
      'statusVersion = :next',
      'statusChangedBy = :by',
      'statusChangedAt = :at',
      'history = list_append(if_not_exists(history, :empty), :entry)',
    ];
    // A note belongs to the change it was written for: reopening without one must not leave
    // the resolve note looking like the reason for the reopen.
    if (change.note !== undefined) set.push('statusNote = :note');
    const values: Record<string, AttributeValue> = {
      ':to': { S: change.to },
      ':from': { S: current.status },
      ':next': { N: String(expected + 1) },
      ':by': { S: change.by },
      ':at': { S: change.at },
      ':empty': { L: [] },
      ':entry': { L: [toAttribute(entry) ?? { NULL: true }] },
      ...(change.note !== undefined ? { ':note': { S: change.note } } : {}),
      ...(expected > 0 ? { ':expected': { N: String(expected) } } : {}),
    };
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [ALERT_TABLE.partitionKey]: { S: alertId } },
          UpdateExpression: `SET ${set.join(', ')}${change.note === undefined ? ' REMOVE statusNote' : ''}`,
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

interface ValidChange {
  readonly to: TriageTarget;
  readonly by: string;
  readonly at: string;
  readonly note?: string;
}

function validateChange(to: TriageTarget, by: string, at: Date, note?: string): ValidChange {
  if (!Object.hasOwn(ALLOWED_FROM, to))
    throw new TriageInputError(`unknown target status ${String(to)}`);
  const actor = by.trim();
  if (actor === '') throw new TriageInputError('the person making the change must be named');
  if (actor.length > MAX_ACTOR_LENGTH) {
    throw new TriageInputError(`the name of the person is over ${MAX_ACTOR_LENGTH} characters`);
  }
  if (Number.isNaN(at.getTime())) throw new TriageInputError('the change time is not valid');
  const text = note?.trim();
  if (text !== undefined && text.length > MAX_NOTE_LENGTH) {
    throw new TriageInputError(`the note is over ${MAX_NOTE_LENGTH} characters`);
  }
  if (to === 'resolved' && (text === undefined || text === '')) {
    throw new TriageInputError('resolving an alert requires a note saying why');
  }
  return {
    to,
    by: actor,
    at: at.toISOString(),
    ...(text !== undefined && text !== '' ? { note: text } : {}),
  };
}
