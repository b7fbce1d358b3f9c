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

export type AlertIndexName = keyof typeof ALERT_TABLE.indexes;

/** The byTime partition an ISO timestamp falls in. */
export function timeBucketOf(isoTime: string): string {
  return isoTime.slice(0, 7);
}
