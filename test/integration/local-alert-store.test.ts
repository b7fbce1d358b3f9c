/**
 * The embedded store on disk (LocalAlertStore) answers `alerts list`, `show` and triage as
 * AlertQueries answers them on a DynamoDB table (dynalite here): the same alerts are written
 * to both, and every filter, window, limit and status change must give the same result or
 * the same error. Then what only the local store has to do: keep alerts across reopening,
 * release the claims of a process that died, refuse what DynamoDB refuses, and refuse a
 * store written by an earlier sgwatch with one line saying what to do.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertFilter, AlertQueryPort } from '../../cli/alerts/queries';
import { AlertQueries } from '../../cli/alerts/queries';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { LocalAlertStore } from '../../cli/local-alert-store';
import { openDeliveryStore } from '../../cli/store';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { TriageTarget } from '../../lambda/core/triage';
import type { Seed } from '../support/alert-seeds';
import { alertFor, DANA, ERIN, NOW, QUERY_SEEDS, storeSeeds } from '../support/alert-seeds';

const SEEDS: readonly Seed[] = [
  ...QUERY_SEEDS,
  // Two alerts at the same second: the order of ties must agree too.
  { eventID: 'tie-1', eventTime: '2026-03-12T07:00:00Z' },
  { eventID: 'tie-2', eventTime: '2026-03-12T07:00:00Z', principal: ERIN },
];

const seed = storeSeeds;

/** Resident bytes of this process's maps of the file at `path`, from /proc/self/smaps. */
function residentBytesOf(path: string): number {
  let inFile = false;
  let kb = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inFile = line.trimEnd().endsWith(` ${path}`);
    else if (inFile && line.startsWith('Rss:')) kb += Number(line.split(/\s+/)[1]);
  }
  return kb * 1024;
}

/** A result or the name of the error, so both stores can be compared on either. */
async function outcome<T>(call: () => Promise<T>): Promise<T | { threw: string }> {
  try {
    return await call();
  } catch (error) {
    return { threw: error instanceof Error ? error.name : String(error) };
  }
}

let dir: string;
let db: EmbeddedDynamoDb;
let local: LocalAlertStore;
let table: AlertQueries;
let onDisk: AlertQueryPort;
const ids: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-local-'));
  db = await startEmbeddedDynamoDb();
  local = LocalAlertStore.open({ path: join(dir, 'alerts.mdb'), now: () => NOW });
  const written = await seed(new DynamoDbAlertStore(db.direct, db.tableName), SEEDS);
  await seed(local, SEEDS);
  for (const alert of written) ids[alert.eventId] = alert.alertId;
  table = new AlertQueries(db.direct, db.tableName, { now: () => NOW });
  onDisk = local;
  for (const queries of [table, onDisk]) {
    await queries.transition(ids.a1 ?? '', 'acknowledged', 'alice', NOW);
    await queries.transition(ids.a4 ?? '', 'resolved', 'alice', NOW, 'expected change');
  }
});

afterAll(async () => {
  await local.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalAlertStore queries', () => {
  const filters: [string, AlertFilter][] = [
    ['the default window', {}],
    ['a limit', { limit: 2 }],
    ['each status', { status: 'open' }],
    ['acknowledged', { status: 'acknowledged' }],
    ['resolved', { status: 'resolved' }],
    ['suppressed', { status: 'suppressed' }],
    ['a rule', { ruleId: 'aws.elasticache.create-cache-security-group' }],
    ['an account', { account: '444455556666' }],
    ['a principal', { principal: ERIN }],
    ['a principal and status', { principal: DANA, status: 'resolved' }],
    ['a principal and account', { principal: DANA, account: '111122223333' }],
    ['a minimum severity', { severity: 'high' }],
    ['severity medium', { severity: 'medium' }],
    ['account and severity', { account: '111122223333', severity: 'high' }],
    ['status and rule', { status: 'open', ruleId: 'aws.rds.create-db-security-group' }],
    [
      'an inclusive window at the second',
      { since: new Date('2026-02-28T23:59:59Z'), until: new Date('2026-03-01T00:00:00Z') },
    ],
    ['older months', { since: new Date('2026-01-01T00:00:00Z') }],
    ['future events', { until: new Date('2026-03-31T00:00:00Z') }],
    ['a limit over months', { limit: 7, since: new Date('2025-12-01T00:00:00Z') }],
    ['an unknown principal', { principal: 'arn:aws:iam::999999999999:user/nobody' }],
  ];

  it.each(filters)('lists %s as the DynamoDB table does', async (_name, filter) => {
    const expected = await table.list(filter);
    expect(expected.length).toBeGreaterThanOrEqual(0);
    expect(await onDisk.list(filter)).toEqual(expected);
  });

  it('rejects the filters the table rejects, with the same errors', async () => {
    for (const filter of [
      { since: new Date('2026-03-02T00:00:00Z'), until: new Date('2026-03-01T00:00:00Z') },
      { limit: 0 },
      { principal: '' },
      { account: '' },
    ]) {
      expect(await outcome(() => onDisk.list(filter))).toEqual(
        await outcome(() => table.list(filter)),
      );
    }
  });

  it('shows one alert as the table does, and nothing for an unknown or empty id', async () => {
    expect(await onDisk.get(ids.a1 ?? '')).toEqual(await table.get(ids.a1 ?? ''));
    expect(await onDisk.get('0123456789abcdef0123')).toBeUndefined();
    expect(await onDisk.get('')).toBeUndefined();
  });
});

describe('LocalAlertStore triage', () => {
  const steps: [string, TriageTarget, string | undefined][] = [
    ['ack', 'acknowledged', undefined],
    ['ack again', 'acknowledged', undefined],
    ['resolve without a note', 'resolved', undefined],
    ['resolve', 'resolved', 'fixed in CHG-1'],
    ['reopen', 'open', undefined],
    ['resolve from open', 'resolved', 'false positive'],
  ];

  it('moves alerts through every status change as the table does, errors included', async () => {
    for (const id of [ids.a2 ?? '', ids.muted ?? '', '0123456789abcdef0123']) {
      for (const [, to, note] of steps) {
        const at = new Date(NOW.getTime() + 60_000);
        const expected = await outcome(() => table.transition(id, to, 'bob', at, note));
        expect(await outcome(() => onDisk.transition(id, to, 'bob', at, note))).toEqual(expected);
      }
      expect(await onDisk.get(id)).toEqual(await table.get(id));
    }
  });

  it('lets exactly one of two changes made from the same read win, as the table does', async () => {
    for (const queries of [table, onDisk]) {
      const read = await queries.get(ids.a5 ?? '');
      if (read === undefined) throw new Error('seeded alert missing');
      await queries.applyTransition(read, 'acknowledged', 'carol', NOW);
      expect(
        await outcome(() => queries.applyTransition(read, 'resolved', 'dave', NOW, 'x')),
      ).toEqual({ threw: 'ConcurrentUpdateError' });
    }
    expect(await onDisk.get(ids.a5 ?? '')).toEqual(await table.get(ids.a5 ?? ''));
    // The status index follows the change.
    expect(await onDisk.list({ status: 'acknowledged' })).toEqual(
      await table.list({ status: 'acknowledged' }),
    );
    expect(await onDisk.list({ status: 'open' })).toEqual(await table.list({ status: 'open' }));
  });
});

describe('LocalAlertStore on disk', () => {
  it('keeps its alerts and counters when closed and opened again', async () => {
    const path = join(dir, 'reopen.mdb');
    const first = LocalAlertStore.open({ path });
    const [alert] = await seed(first, [{ eventID: 'kept', eventTime: '2026-03-01T00:00:00Z' }]);
    const counted = { counter: 'cap#x', alertId: 'one', expiresAt: NOW };
    expect(await first.countOnce(counted)).toBe(1);
    await first.close();
    const second = LocalAlertStore.open({ path });
    try {
      expect((await second.get(alert?.alertId ?? ''))?.delivery).toBe('notified');
      expect(await second.countOnce(counted)).toBe(1);
      expect(await second.countOnce({ ...counted, alertId: 'two' })).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('keeps answering the same across the thousands of writes after which it maps its file afresh', async () => {
    // No budget for mapped pages: the file is mapped afresh at every check, every 16 store calls.
    const store = LocalAlertStore.open({
      path: join(dir, 'many-writes.mdb'),
      mappedBudgetBytes: Number.NEGATIVE_INFINITY,
    });
    try {
      const [alert] = await seed(store, [{ eventID: 'early', eventTime: '2026-03-01T00:00:00Z' }]);
      for (let write = 0; write < 5000; write++) {
        expect(
          await store.countOnce({
            counter: `c#${write % 50}`,
            alertId: `a${write}`,
            expiresAt: NOW,
          }),
        ).toBe(Math.floor(write / 50) + 1);
      }
      expect((await store.get(alert?.alertId ?? ''))?.messageId).toBe('msg-early');
      expect(await store.countOnce({ counter: 'c#0', alertId: 'a0', expiresAt: NOW })).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('lists the same when a scan stops to map its file afresh and goes on where it stopped', async () => {
    // 5,000 alerts over ten days; a filter the index does not cover (severity on the time
    // index) reads every entry. One store maps afresh at every look (here every 7 entries
    // read), the other never does: both must answer as the memory of what was written says.
    const seeds: Seed[] = Array.from({ length: 5000 }, (_, i) => ({
      eventID: `scan-${i}`,
      // Ties included: every fifth alert shares its second with the one before.
      eventTime: new Date(
        Date.parse('2026-03-05T00:00:00Z') + (i - (i % 5 === 4 ? 1 : 0)) * 170_000,
      )
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      severity: i % 7 === 0 ? 'critical' : 'low',
      ...(i % 3 === 0 ? { principal: ERIN } : {}),
    }));
    const remapping = LocalAlertStore.open({
      path: join(dir, 'remapping.mdb'),
      now: () => NOW,
      mappedBudgetBytes: Number.NEGATIVE_INFINITY,
      // A stop every 7 entries: some on an alert the filter takes, some on one it skips.
      scanCheckEvery: 7,
    });
    const steady = LocalAlertStore.open({
      path: join(dir, 'steady.mdb'),
      now: () => NOW,
      mappedBudgetBytes: Number.POSITIVE_INFINITY,
    });
    try {
      const written = await seed(steady, seeds);
      await seed(remapping, seeds);
      const ids = (alerts: readonly { alertId: string }[]) => alerts.map((a) => a.alertId);
      const since = new Date('2026-03-01T00:00:00Z');
      for (const filter of [
        { since, severity: 'critical', limit: 1000 },
        { since, principal: ERIN, severity: 'critical', limit: 1000 },
        { since, limit: 1000 },
      ] as const) {
        const expected = written
          .filter((a) => filter.severity === undefined || a.severity === 'critical')
          .filter((a) => !('principal' in filter) || a.principal === ERIN)
          .sort((a, b) => b.eventTime.localeCompare(a.eventTime) || 0);
        const fromRemapping = await remapping.list(filter);
        expect(ids(fromRemapping)).toEqual(ids(await steady.list(filter)));
        expect(new Set(ids(fromRemapping))).toEqual(new Set(ids(expected.slice(0, filter.limit))));
        expect(fromRemapping.length).toBe(Math.min(expected.length, filter.limit));
      }
    } finally {
      await remapping.close();
      await steady.close();
    }
  });

  // Linux only: the pages held are read from /proc.
  (existsSync('/proc/self/smaps') ? it : it.skip)(
    'holds no more of its file than the budget allows through a long run of calls that only read',
    async () => {
      // A file of some 15 MB, then 3,000 calls that only read, at random places: alerts by
      // id, principals' histories, a run's meetings. Unchecked, such reads map nearly the
      // whole file (Linux maps 64 KB around each page read); each must count towards the
      // next look at the pages held, so the map stays near the budget.
      const path = join(dir, 'reads.mdb');
      const budget = 1024 * 1024;
      const store = LocalAlertStore.open({ path, now: () => NOW, mappedBudgetBytes: budget });
      let state = 11;
      const random = (n: number) => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state % n;
      };
      // Hex noise that deflate cannot shrink much, so a few thousand alerts make a large file.
      const noise = (length: number) =>
        Array.from({ length }, () => random(16).toString(16)).join('');
      const principals = Array.from(
        { length: 100 },
        (_, i) => `arn:aws:iam::111122223333:user/p${i}-${noise(300)}`,
      );
      const seeds: Seed[] = Array.from({ length: 3000 }, (_, i) => ({
        eventID: `${i}-${noise(32)}`,
        eventTime: new Date(Date.parse('2026-03-08T00:00:00Z') + i * 60_000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        principal: principals[i % principals.length],
      }));
      const storeMapped = () => residentBytesOf(path);
      try {
        const written = await seed(store, seeds);
        const fileBytes = statSync(path).size;
        expect(fileBytes).toBeGreaterThan(12 * budget);
        const run = store.startRun();
        let most = 0;
        for (let call = 0; call < 3000; call++) {
          const pick = random(3);
          if (pick === 0) {
            const alert = written[random(written.length)];
            expect((await store.get(alert?.alertId ?? ''))?.eventId).toBe(alert?.eventId);
          } else if (pick === 1) {
            const history = await store.principalHistory(
              principals[random(principals.length)] ?? '',
              new Date('2026-03-13T00:00:00Z'),
            );
            expect(history.firstSeen).toBe(false);
          } else {
            run.meet(written[random(written.length)]?.alertId ?? '');
          }
          if (call % 25 === 0) most = Math.max(most, storeMapped());
        }
        // The budget, plus what 16 calls may map past it (measured: 3.6 MB), with room to
        // spare; without the reads counted, 93% of the file.
        expect(most).toBeLessThan(budget + 6 * 1024 * 1024);
        expect(most).toBeLessThan(fileBytes / 2);
      } finally {
        await store.close();
      }
    },
  );

  it('lets the event loop turn during a long run of calls, so what lmdb ends on a timer ends', async () => {
    // A replay's store calls answer at once: without a turn of the event loop no timer runs,
    // and lmdb's read transactions (each ended by a timer), with the buffers they hold,
    // pile up for as long as the run lasts. Count the timers waiting after 5,000 writes
    // made back to back.
    const store = LocalAlertStore.open({ path: join(dir, 'long-run.mdb') });
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    try {
      for (let write = 0; write < 5000; write++) {
        await store.countOnce({ counter: `c#${write % 50}`, alertId: `a${write}`, expiresAt: NOW });
        // A read outside a write opens (or renews) a read transaction.
        await store.get(`a${write}`);
      }
      const waiting = timers() - before;
      // At most the reads of the writes since the last turn (a turn every 256 store calls, reads included).
      expect(waiting).toBeLessThan(600);
    } finally {
      await store.close();
    }
  });

  it('records which alerts a run met as a set would, across batches and remaps, and forgets them at the next run', async () => {
    // A random walk over 3,000 ids, each met one to three times, interleaved with writes
    // that make the store map its file afresh at every check; a Set is the model.
    const path = join(dir, 'met.mdb');
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const ids = Array.from({ length: 3000 }, (_, i) => `${i.toString(16).padStart(20, '0')}`);
    const meetings = ids.flatMap((id) => Array.from({ length: 1 + random(3) }, () => id));
    for (let i = meetings.length - 1; i > 0; i--) {
      const j = random(i + 1);
      [meetings[i], meetings[j]] = [meetings[j] as string, meetings[i] as string];
    }
    const store = LocalAlertStore.open({ path, mappedBudgetBytes: Number.NEGATIVE_INFINITY });
    try {
      const run = store.startRun();
      const model = new Set<string>();
      for (const [n, id] of meetings.entries()) {
        expect(run.meet(id)).toBe(model.has(id));
        model.add(id);
        // Writes in the first half only: in the second, meetings wait for no store write.
        if (n < meetings.length / 2 && n % 5 === 0) {
          await store.countOnce({ counter: `c#${n % 9}`, alertId: id, expiresAt: NOW });
        }
      }
      const next = store.startRun();
      expect(next.meet(ids[0] ?? '')).toBe(false);
      expect(next.meet(ids[0] ?? '')).toBe(true);
      expect(next.meet(ids[2999] ?? '')).toBe(false);
    } finally {
      await store.close();
    }
    // A run in a later process starts with nothing met, whatever the last one left.
    const reopened = LocalAlertStore.open({ path });
    try {
      expect(reopened.startRun().meet(ids[0] ?? '')).toBe(false);
    } finally {
      await reopened.close();
    }
  });

  it('releases the claim of a delivery that never finished when the store is opened again', async () => {
    const path = join(dir, 'claims.mdb');
    const first = LocalAlertStore.open({ path });
    const alert = alertFor({ eventID: 'interrupted', eventTime: '2026-03-01T00:00:00Z' });
    await first.create(alert, new Date(NOW.getTime() + 45_000));
    // A live claim keeps another delivery out while the process that took it runs...
    expect(await first.claim(alert.alertId, NOW, new Date(NOW.getTime() + 45_000))).toBeUndefined();
    await first.close();
    // ...and is released with the store, whose lock no other process can hold meanwhile.
    const second = LocalAlertStore.open({ path });
    try {
      expect(await second.claim(alert.alertId, NOW, new Date(NOW.getTime() + 45_000))).toEqual(
        expect.any(String),
      );
    } finally {
      await second.close();
    }
  });

  it('rejects an alert with an empty index key, as DynamoDB does, and stores nothing', async () => {
    // dynalite accepts an empty string in a GSI key; DynamoDB refuses it (ValidationException).
    for (const emptied of ['principal', 'account', 'eventTime'] as const) {
      const alert = { ...alertFor({ eventID: `empty-${emptied}`, eventTime: NOW.toISOString() }) };
      const broken = { ...alert, [emptied]: '' };
      await expect(local.create(broken, NOW)).rejects.toThrow(
        /AlertStoreError|key attribute cannot contain an empty string/,
      );
      await expect(local.create(broken, NOW)).rejects.toMatchObject({ name: 'AlertStoreError' });
      expect(await local.get(alert.alertId)).toBeUndefined();
    }
  });

  it('rejects an index key over DynamoDB size limits', async () => {
    const alert = alertFor({ eventID: 'long-principal', eventTime: NOW.toISOString() });
    await expect(local.create({ ...alert, principal: 'p'.repeat(2049) }, NOW)).rejects.toThrow(
      /maximum size limit of 2048 bytes/,
    );
  });

  it('refuses a store written by an earlier sgwatch, saying in one line what to do', async () => {
    const stateDir = join(dir, 'earlier');
    mkdirSync(join(stateDir, 'store'), { recursive: true });
    await expect(openDeliveryStore({ stateDir })).rejects.toThrow(
      /format of an earlier sgwatch.*remove it and replay again to rebuild it, or run with --state-dir NEW$/,
    );
  });
});
