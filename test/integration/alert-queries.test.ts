import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { AlertFilter } from '../../cli/alerts/queries';
import {
  AlertNotFoundError,
  AlertQueries,
  ConcurrentUpdateError,
  monthBucketsBetween,
} from '../../cli/alerts/queries';
import { InvalidTransitionError, TriageInputError } from '../../lambda/core/triage';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import type { Alert, AlertStatus } from '../../lambda/core/alert';
import type { Seed } from '../support/alert-seeds';
import { DANA, ERIN, NOW, QUERY_SEEDS, storeSeeds } from '../support/alert-seeds';

const RDS_RULE = 'aws.rds.create-db-security-group';
const CACHE_RULE = 'aws.elasticache.create-cache-security-group';

/** Writes alerts to the table the way the detector does. */
function seed(db: EmbeddedDynamoDb, seeds: readonly Seed[]): Promise<Alert[]> {
  return storeSeeds(new DynamoDbAlertStore(db.client, db.tableName), seeds);
}

interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** Records every command the client sends, to check which API calls and indexes were used. */
function recordCommands(db: EmbeddedDynamoDb): SentCommand[] {
  const sent: SentCommand[] = [];
  db.client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push({
        name: String(context.commandName),
        input: args.input as Record<string, unknown>,
      });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandsForTest' },
  );
  return sent;
}

describe('AlertQueries.list against the embedded store', () => {
  let db: EmbeddedDynamoDb;
  let queries: AlertQueries;
  let sent: SentCommand[];
  const ids: Record<string, string> = {};

  const listIds = async (filter: AlertFilter, q = queries) => {
    const alerts = await q.list(filter);
    return alerts.map((alert) => alert.eventId);
  };
  const queried = () => sent.filter((command) => command.name === 'QueryCommand');

  beforeAll(async () => {
    db = await startEmbeddedDynamoDb();
    const alerts = await seed(db, QUERY_SEEDS);
    for (const alert of alerts) ids[alert.eventId] = alert.alertId;
    queries = new AlertQueries(db.client, db.tableName, { now: () => NOW });
    await queries.transition(ids.a1 ?? '', 'acknowledged', 'alice', NOW);
    await queries.transition(ids.a4 ?? '', 'resolved', 'alice', NOW, 'expected change');
    sent = recordCommands(db);
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(() => {
    sent.length = 0;
  });

  it('lists the last 30 days newest first, across a month boundary, from the byTime index', async () => {
    expect(await listIds({})).toEqual(['a1', 'a2', 'muted', 'a3', 'a4', 'a5']);
    expect(queried().map((command) => command.input.IndexName)).toEqual(['byTime', 'byTime']);
    expect(
      queried().map(
        (command) =>
          (command.input.ExpressionAttributeValues as Record<string, { S: string }>)[':pk'],
      ),
    ).toEqual([{ S: '2026-03' }, { S: '2026-02' }]);
  });

  it('puts the time window in the key condition, not in a filter', async () => {
    await queries.list({});
    const input = queried()[0]?.input;
    expect(input?.KeyConditionExpression).toBe('#pk = :pk AND #sk BETWEEN :since AND :until');
    expect(input?.FilterExpression).toBeUndefined();
    expect(input?.ScanIndexForward).toBe(false);
  });

  it('returns the stored alerts intact, including delivery and triage fields', async () => {
    const [first] = await queries.list({ limit: 1 });
    expect(first).toMatchObject({
      eventId: 'a1',
      delivery: 'notified',
      messageId: 'msg-a1',
      status: 'acknowledged',
      statusChangedBy: 'alice',
    });
    expect(first).not.toHaveProperty('claimedUntil');
  });

  it('filters by status through the byStatus index, so open alerts form a triage queue', async () => {
    expect(await listIds({ status: 'open' })).toEqual(['a2', 'a3', 'a5']);
    expect(await listIds({ status: 'acknowledged' })).toEqual(['a1']);
    expect(await listIds({ status: 'resolved' })).toEqual(['a4']);
    expect(await listIds({ status: 'suppressed' })).toEqual(['muted']);
    expect(new Set(queried().map((command) => command.input.IndexName))).toEqual(
      new Set(['byStatus']),
    );
  });

  it('filters by rule with a FilterExpression on the byTime index', async () => {
    expect(await listIds({ ruleId: CACHE_RULE })).toEqual(['a2', 'a5']);
    expect(await listIds({ ruleId: RDS_RULE })).toEqual(['a1', 'muted', 'a3', 'a4']);
    expect(queried()[0]?.input).toMatchObject({
      IndexName: 'byTime',
      FilterExpression: '#ruleId = :ruleId',
    });
  });

  it('filters by account through the byAccount index', async () => {
    expect(await listIds({ account: '444455556666' })).toEqual(['a3', 'a5']);
    expect(queried().map((command) => command.input.IndexName)).toEqual(['byAccount']);
  });

  it('filters by principal through the byPrincipal index, with other filters applied on top', async () => {
    expect(await listIds({ principal: ERIN })).toEqual(['a3']);
    expect(await listIds({ principal: DANA, status: 'resolved' })).toEqual(['a4']);
    expect(await listIds({ principal: DANA, account: '111122223333' })).toEqual([
      'a1',
      'muted',
      'a4',
    ]);
    expect(queried().map((command) => command.input.IndexName)).toEqual([
      'byPrincipal',
      'byPrincipal',
      'byPrincipal',
    ]);
    expect(queried()[1]?.input.FilterExpression).toBe('#status = :status');
  });

  it('treats severity as a minimum', async () => {
    expect(await listIds({ severity: 'critical' })).toEqual(['a3']);
    expect(await listIds({ severity: 'high' })).toEqual(['a2', 'a3']);
    expect(await listIds({ severity: 'medium' })).toEqual(['a2', 'a3', 'a4']);
    expect(await listIds({ severity: 'low' })).toEqual(['a1', 'a2', 'muted', 'a3', 'a4', 'a5']);
  });

  it('combines filters', async () => {
    expect(await listIds({ account: '111122223333', severity: 'high' })).toEqual(['a2']);
    expect(await listIds({ status: 'open', ruleId: RDS_RULE })).toEqual(['a3']);
  });

  it('honours since and until inclusively, at the second', async () => {
    expect(
      await listIds({
        since: new Date('2026-02-28T23:59:59Z'),
        until: new Date('2026-03-01T00:00:00Z'),
      }),
    ).toEqual(['a3', 'a4']);
    expect(
      await listIds({
        since: new Date('2026-03-01T00:00:01Z'),
        until: new Date('2026-03-10T08:00:00Z'),
      }),
    ).toEqual(['a2', 'muted']);
  });

  it('reaches older months and future events when the window is widened', async () => {
    expect(await listIds({ since: new Date('2026-01-01T00:00:00Z') })).toContain('old');
    expect(await listIds({ until: new Date('2026-03-31T00:00:00Z') })).toEqual([
      'future',
      'a1',
      'a2',
      'muted',
      'a3',
    ]);
    expect(
      await listIds({ account: '111122223333', since: new Date('2025-12-01T00:00:00Z') }),
    ).toEqual(['a1', 'a2', 'muted', 'a4', 'old']);
  });

  it('stops at the limit and does not query older months once it is reached', async () => {
    expect(await listIds({ limit: 2 })).toEqual(['a1', 'a2']);
    expect(queried()).toHaveLength(1);
    expect(queried()[0]?.input.Limit).toBe(2);
  });

  it('follows LastEvaluatedKey across pages and months until the limit is met', async () => {
    const paged = new AlertQueries(db.client, db.tableName, { now: () => NOW, pageSize: 1 });
    expect(await listIds({ limit: 5 }, paged)).toEqual(['a1', 'a2', 'muted', 'a3', 'a4']);
    expect(await listIds({ severity: 'medium' }, paged)).toEqual(['a2', 'a3', 'a4']);
    expect(await listIds({ status: 'open', limit: 2 }, paged)).toEqual(['a2', 'a3']);
    const continued = queried().filter((command) => command.input.ExclusiveStartKey !== undefined);
    expect(continued.length).toBeGreaterThan(5);
  });

  it('answers every kind of filter with Query and never issues a Scan', async () => {
    await queries.list({});
    await queries.list({ status: 'open' });
    await queries.list({ ruleId: RDS_RULE, severity: 'high' });
    await queries.list({ account: '111122223333' });
    await queries.list({ principal: DANA, since: new Date('2025-01-01T00:00:00Z') });
    await queries.get(ids.a1 ?? '');
    const names = new Set(sent.map((command) => command.name));
    expect(names).toEqual(new Set(['QueryCommand', 'GetItemCommand']));
    expect(names.has('ScanCommand')).toBe(false);
  });

  it('rejects a window whose since is after its until, and a non-positive limit', async () => {
    await expect(
      queries.list({
        since: new Date('2026-03-02T00:00:00Z'),
        until: new Date('2026-03-01T00:00:00Z'),
      }),
    ).rejects.toThrow(RangeError);
    await expect(queries.list({ limit: 0 })).rejects.toThrow(/limit/);
    await expect(queries.list({ principal: '' })).rejects.toThrow(/principal/);
    expect(sent).toHaveLength(0);
  });
});

describe('monthBucketsBetween', () => {
  it('lists every month from until back to since, crossing a year boundary', () => {
    expect(
      monthBucketsBetween(new Date('2025-11-30T23:00:00Z'), new Date('2026-02-01T00:00:00Z')),
    ).toEqual(['2026-02', '2026-01', '2025-12', '2025-11']);
    expect(
      monthBucketsBetween(new Date('2026-03-01T00:00:00Z'), new Date('2026-03-31T23:59:59Z')),
    ).toEqual(['2026-03']);
  });
});

describe('AlertQueries triage transitions against the embedded store', () => {
  let db: EmbeddedDynamoDb;
  let queries: AlertQueries;
  let counter = 0;
  const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

  /** A fresh open (or given-status) alert, so each test owns its item. */
  async function freshAlert(status?: AlertStatus): Promise<string> {
    counter += 1;
    const [alert] = await seed(db, [
      {
        eventID: `t-${counter}`,
        eventTime: '2026-03-14T10:00:00Z',
        ...(status !== undefined ? { status } : {}),
      },
    ]);
    if (alert === undefined) throw new Error('seeding failed');
    return alert.alertId;
  }

  beforeAll(async () => {
    db = await startEmbeddedDynamoDb();
    queries = new AlertQueries(db.client, db.tableName, { now: () => NOW });
  });

  afterAll(async () => {
    await db.close();
  });

  it('moves an alert open -> acknowledged -> resolved -> open, recording who, when and why', async () => {
    const id = await freshAlert();

    const acked = await queries.transition(id, 'acknowledged', 'alice', at(1));
    expect(acked).toMatchObject({
      status: 'acknowledged',
      statusVersion: 1,
      statusChangedBy: 'alice',
      statusChangedAt: at(1).toISOString(),
    });
    expect(acked.statusNote).toBeUndefined();

    const resolved = await queries.transition(id, 'resolved', 'bob', at(2), '  approved change  ');
    expect(resolved).toMatchObject({
      status: 'resolved',
      statusVersion: 2,
      statusChangedBy: 'bob',
      statusNote: 'approved change',
    });

    const reopened = await queries.transition(id, 'open', 'carol', at(3));
    expect(reopened).toMatchObject({ status: 'open', statusVersion: 3, statusChangedBy: 'carol' });
    // The resolve note does not linger as if it explained the reopen.
    expect(reopened.statusNote).toBeUndefined();

    const stored = await queries.get(id);
    expect(stored?.history).toEqual([
      { from: 'open', to: 'acknowledged', by: 'alice', at: at(1).toISOString() },
      {
        from: 'acknowledged',
        to: 'resolved',
        by: 'bob',
        at: at(2).toISOString(),
        note: 'approved change',
      },
      { from: 'resolved', to: 'open', by: 'carol', at: at(3).toISOString() },
    ]);
    expect(stored?.delivery).toBe('notified');
  });

  it('moves the alert between byStatus partitions as its status changes', async () => {
    const id = await freshAlert();
    const openIds = async () => (await queries.list({ status: 'open' })).map((a) => a.alertId);
    expect(await openIds()).toContain(id);
    await queries.transition(id, 'resolved', 'alice', at(1), 'false positive');
    expect(await openIds()).not.toContain(id);
    expect((await queries.list({ status: 'resolved' })).map((a) => a.alertId)).toContain(id);
  });

  it('reopens a suppressed alert when someone overrides the exception', async () => {
    const id = await freshAlert('suppressed');
    const reopened = await queries.transition(id, 'open', 'dana', at(1), 'exception expired');
    expect(reopened).toMatchObject({ status: 'open', statusNote: 'exception expired' });
    expect(reopened.history).toEqual([
      {
        from: 'suppressed',
        to: 'open',
        by: 'dana',
        at: at(1).toISOString(),
        note: 'exception expired',
      },
    ]);
  });

  it('rejects resolving without a note and leaves the alert untouched', async () => {
    const id = await freshAlert();
    await expect(queries.transition(id, 'resolved', 'alice', at(1))).rejects.toThrow(
      TriageInputError,
    );
    await expect(queries.transition(id, 'resolved', 'alice', at(1), '   ')).rejects.toThrow(
      /requires a note/,
    );
    const stored = await queries.get(id);
    expect(stored?.status).toBe('open');
    expect(stored?.statusVersion).toBeUndefined();
  });

  it('rejects notes over 2,000 characters and an empty actor', async () => {
    const id = await freshAlert();
    await expect(
      queries.transition(id, 'acknowledged', 'alice', at(1), 'x'.repeat(2001)),
    ).rejects.toThrow(/2000/);
    await expect(queries.transition(id, 'acknowledged', ' ', at(1))).rejects.toThrow(
      TriageInputError,
    );
    expect((await queries.get(id))?.status).toBe('open');
  });

  it('rejects transitions the current status does not allow, naming it and the allowed targets', async () => {
    const id = await freshAlert();
    await queries.transition(id, 'acknowledged', 'alice', at(1));
    const error: unknown = await queries
      .transition(id, 'acknowledged', 'bob', at(2))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error).toMatchObject({ current: 'acknowledged', allowed: ['resolved', 'open'] });
    expect((error as Error).message).toMatch(/is acknowledged .* resolved or open/);

    const fresh = await freshAlert();
    await expect(queries.transition(fresh, 'open', 'bob', at(2))).rejects.toThrow(
      InvalidTransitionError,
    );
    const muted = await freshAlert('suppressed');
    await expect(queries.transition(muted, 'acknowledged', 'bob', at(2))).rejects.toMatchObject({
      current: 'suppressed',
      allowed: ['open'],
    });
    expect((await queries.get(id))?.statusVersion).toBe(1);
  });

  it('lets exactly one of two changes made from the same read win', async () => {
    const id = await freshAlert();
    const read = await queries.get(id);
    if (read === undefined) throw new Error('seeded alert missing');

    const winner = await queries.applyTransition(read, 'acknowledged', 'alice', at(1));
    expect(winner.statusVersion).toBe(1);
    const error: unknown = await queries
      .applyTransition(read, 'resolved', 'bob', at(2), 'duplicate of INC-7')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect((error as Error).message).toMatch(/changed by alice .* now acknowledged/);

    const stored = await queries.get(id);
    expect(stored).toMatchObject({ status: 'acknowledged', statusChangedBy: 'alice' });
    expect(stored?.history).toHaveLength(1);
  });

  it('detects a lost update on a versioned alert even when both changes are allowed', async () => {
    const id = await freshAlert();
    await queries.transition(id, 'acknowledged', 'alice', at(1));
    const read = await queries.get(id);
    if (read === undefined) throw new Error('seeded alert missing');

    const results = await Promise.allSettled([
      queries.applyTransition(read, 'resolved', 'alice', at(2), 'fixed'),
      queries.applyTransition(read, 'open', 'bob', at(2)),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.status === 'rejected' ? lost[0].reason : undefined).toBeInstanceOf(
      ConcurrentUpdateError,
    );
    const stored = await queries.get(id);
    expect(stored?.statusVersion).toBe(2);
    expect(stored?.history).toHaveLength(2);
  });

  it('throws AlertNotFoundError for an unknown id, and get returns undefined', async () => {
    await expect(
      queries.transition('0123456789abcdef0123', 'acknowledged', 'alice', at(1)),
    ).rejects.toThrow(AlertNotFoundError);
    expect(await queries.get('0123456789abcdef0123')).toBeUndefined();
    expect(await queries.get('')).toBeUndefined();
  });

  it('throws AlertNotFoundError when the alert disappears between the read and the write', async () => {
    const id = await freshAlert();
    const read = await queries.get(id);
    if (read === undefined) throw new Error('seeded alert missing');
    await db.client.send(
      new DeleteItemCommand({ TableName: db.tableName, Key: { alertId: { S: id } } }),
    );
    await expect(queries.applyTransition(read, 'acknowledged', 'alice', at(1))).rejects.toThrow(
      AlertNotFoundError,
    );
    expect(await queries.get(id)).toBeUndefined();
  });
});
