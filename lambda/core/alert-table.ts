import { DAY_MS } from './calendar';
import type { PrincipalHistory } from './model';
/**
 * The alert table's key schema and indexes, shared by the CDK construct that deploys it,
 * the DynamoDB adapter that writes it and the embedded store that recreates it locally.
 */
export interface IndexSchema {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const ALERT_TABLE = {
  partitionKey: 'alertId',
  timeToLiveAttribute: 'expiresAt',
  indexes: {
    /** Recent alerts: one partition per calendar month (UTC) of the event time. */
    byTime: { name: 'byTime', partitionKey: 'timeBucket', sortKey: 'eventTime' },
    byPrincipal: { name: 'byPrincipal', partitionKey: 'principal', sortKey: 'eventTime' },
    byAccount: { name: 'byAccount', partitionKey: 'account', sortKey: 'eventTime' },
    /** Triage queue: open alerts are one Query away. */
    byStatus: { name: 'byStatus', partitionKey: 'status', sortKey: 'eventTime' },
  },
} as const satisfies {
  partitionKey: string;
  timeToLiveAttribute: string;
  indexes: Record<string, IndexSchema>;
};

/** Earlier alerts a principal's history counts at most; "1,000 in a week" says enough. */
export const HISTORY_COUNT_LIMIT = 1000;

/**
 * A principal's history from the event times of its earlier alerts, newest first and all
 * before `before`, as the table's index query returns them: counted until a week back or
 * the limit, whichever comes first.
 */
export function historyFromTimes(newestFirst: Iterable<string>, before: Date): PrincipalHistory {
  const dayAgo = new Date(before.getTime() - DAY_MS).toISOString();
  const weekAgo = new Date(before.getTime() - 7 * DAY_MS).toISOString();
  let last24h = 0;
  let last7d = 0;
  for (const time of newestFirst) {
    if (time < weekAgo || last7d === HISTORY_COUNT_LIMIT) {
      return { last24h, last7d, firstSeen: false };
    }
    last7d += 1;
    if (time >= dayAgo) last24h += 1;
  }
  return { last24h, last7d, firstSeen: last7d === 0 };
}

export type AlertIndexName = keyof typeof ALERT_TABLE.indexes;

/** An index key attribute that holds an empty string, and the index it keys. */
export interface EmptyIndexKey {
  readonly indexName: string;
  readonly attribute: string;
}

/**
 * The first index key attribute of `item` holding an empty string: DynamoDB refuses such an
 * item whole (dynalite would store it). An absent attribute only leaves the item out of the
 * index, which DynamoDB allows.
 */
export function emptyIndexKey(item: object): EmptyIndexKey | undefined {
  const values = item as Readonly<Record<string, unknown>>;
  for (const index of Object.values<IndexSchema>(ALERT_TABLE.indexes)) {
    for (const attribute of [index.partitionKey, index.sortKey]) {
      if (values[attribute] === '') return { indexName: index.name, attribute };
    }
  }
  return undefined;
}

/** Thrown when an alert would reach the table with an empty string in an index key. */
export class EmptyIndexKeyError extends Error {
  override readonly name = 'EmptyIndexKeyError';

  constructor(
    readonly alertId: string,
    readonly key: EmptyIndexKey,
  ) {
    super(
      `alert ${alertId} has an empty ${key.attribute}, which keys the ${key.indexName} index: DynamoDB refuses an empty string there`,
    );
  }
}

/** The byTime partition an ISO timestamp falls in. */
export function timeBucketOf(isoTime: string): string {
  return isoTime.slice(0, 7);
}
