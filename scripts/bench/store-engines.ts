/**
 * How the candidate engines for the embedded store compare on what a delivery asks of a
 * store, alert after alert: the caller's history (an index range read), create (a write
 * if absent, with four index entries), two burst counters (read-modify-write), the burst
 * placement and "mark notified" (read-modify-write of the alert). Every step is its own
 * committed transaction, as the AlertStore contract needs.
 *
 * Two tables:
 * - engines: the same layout (alert body deflated once, a small JSON state record, index
 *   keys) on LMDB (the `lmdb` package, native) and on SQLite (`node-sqlite3-wasm`: SQLite
 *   compiled to WebAssembly, WAL journal, exclusive lock, no fsync, as crash-safe for a
 *   killed process as LMDB without fsync);
 * - stores: the real AlertStore implementations on the same alerts: the memory store, the
 *   LMDB store (LocalAlertStore) and DynamoDbAlertStore on dynalite over LevelDB (the
 *   earlier default), the last on the first alerts only (it is slow).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { open } from 'lmdb';
import { Database } from 'node-sqlite3-wasm';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { LocalAlertStore } from '../../cli/local-alert-store';
import { MemoryAlertStore } from '../../cli/memory-alert-store';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { Alert } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailEnvelope } from '../../lambda/core/cloudtrail';
import type { AlertStore, ClaimToken } from '../../lambda/core/ports';

/** The alerts the archive's events raise, built by the pipeline's own code. */
export function alertsOf(files: readonly string[]): Alert[] {
  const now = new Date('2026-03-01T00:00:00Z');
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .flatMap((line) => {
        const record = (JSON.parse(line) as CloudTrailEnvelope).detail;
        return detect(record).map((detection) =>
          buildAlert(detection, record, { now, retentionDays: 90 }),
        );
      }),
  );
}

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

export interface EngineFigure {
  readonly name: string;
  readonly alerts: number;
  readonly microsPerAlert: number;
  readonly bytesPerAlert: number;
}

/** The steps of one delivery on an engine, each committed on its own. */
interface EngineSteps {
  history(principal: string, before: string): void;
  create(alert: Alert, body: Uint8Array, state: string): void;
  count(counter: string, alertId: string): void;
  update(alertId: string, change: (state: Record<string, unknown>) => void): void;
  close(): void;
}

function lmdbSteps(path: string): EngineSteps {
  const root = open({ path, noSync: true, maxDbs: 4 });
  const items = root.openDB<{ body: Uint8Array; state: string }, string>({
    name: 'items',
    encoding: 'msgpack',
  });
  const counters = root.openDB<string, string>({ name: 'counters', encoding: 'string' });
  const index = root.openDB<Uint8Array, string[]>({ name: 'index', encoding: 'binary' });
  const empty = new Uint8Array(0);
  return {
    history: (principal, before) =>
      void index.getRange({
        start: ['byPrincipal', principal, before],
        end: ['byPrincipal', principal, ''],
        reverse: true,
        limit: 1001,
      }).asArray,
    create: (alert, body, state) =>
      root.transactionSync(() => {
        if (items.get(alert.alertId) !== undefined) return;
        items.putSync(alert.alertId, { body, state });
        for (const [name, pk] of [
          ['byTime', alert.timeBucket],
          ['byPrincipal', alert.principal],
          ['byAccount', alert.account],
          ['byStatus', alert.status],
        ] as const) {
          index.putSync([name, pk, alert.eventTime, alert.alertId], empty);
        }
      }),
    count: (counter, alertId) =>
      root.transactionSync(() => {
        const members = JSON.parse(counters.get(counter) ?? '[]') as string[];
        if (members.includes(alertId)) return;
        members.push(alertId);
        counters.putSync(counter, JSON.stringify(members));
      }),
    update: (alertId, change) =>
      root.transactionSync(() => {
        const item = items.get(alertId);
        if (item === undefined) return;
        const state = JSON.parse(item.state) as Record<string, unknown>;
        change(state);
        items.putSync(alertId, { body: item.body, state: JSON.stringify(state) });
      }),
    close: () => void root.close(),
  };
}

function sqliteSteps(path: string): EngineSteps {
  const db = new Database(path);
  db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;');
  db.exec(
    'CREATE TABLE items (id TEXT PRIMARY KEY, time_bucket TEXT, principal TEXT, account TEXT, status TEXT, event_time TEXT, body BLOB, state TEXT) WITHOUT ROWID;' +
      'CREATE INDEX by_time ON items (time_bucket, event_time);' +
      'CREATE INDEX by_principal ON items (principal, event_time);' +
      'CREATE INDEX by_account ON items (account, event_time);' +
      'CREATE INDEX by_status ON items (status, event_time);' +
      'CREATE TABLE counters (name TEXT PRIMARY KEY, members TEXT) WITHOUT ROWID;',
  );
  const history = db.prepare(
    'SELECT event_time FROM items WHERE principal = ? AND event_time < ? ORDER BY event_time DESC LIMIT 1001',
  );
  const insert = db.prepare(
    'INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const getCounter = db.prepare('SELECT members FROM counters WHERE name = ?');
  const putCounter = db.prepare('INSERT OR REPLACE INTO counters VALUES (?, ?)');
  const getState = db.prepare('SELECT state FROM items WHERE id = ?');
  const putState = db.prepare('UPDATE items SET state = ? WHERE id = ?');
  const transaction = (work: () => void) => {
    db.exec('BEGIN');
    work();
    db.exec('COMMIT');
  };
  return {
    history: (principal, before) => void history.all([principal, before]),
    create: (alert, body, state) =>
      void insert.run([
        alert.alertId,
        alert.timeBucket,
        alert.principal,
        alert.account,
        alert.status,
        alert.eventTime,
        body,
        state,
      ]),
    count: (counter, alertId) =>
      transaction(() => {
        // `all` rather than `get`: a statement left mid-result would hold its read open.
        const row = getCounter.all([counter])[0];
        const members = JSON.parse(
          typeof row?.members === 'string' ? row.members : '[]',
        ) as string[];
        if (members.includes(alertId)) return;
        members.push(alertId);
        putCounter.run([counter, JSON.stringify(members)]);
      }),
    update: (alertId, change) =>
      transaction(() => {
        const row = getState.all([alertId])[0];
        if (typeof row?.state !== 'string') return;
        const state = JSON.parse(row.state) as Record<string, unknown>;
        change(state);
        putState.run([JSON.stringify(state), alertId]);
      }),
    close: () => {
      for (const statement of [history, insert, getCounter, putCounter, getState, putState]) {
        statement.finalize();
      }
      db.close();
    },
  };
}

/** One delivery's steps for each alert, on `steps`; the time per alert and the disk used. */
function runEngine(name: string, make: (path: string) => EngineSteps, alerts: readonly Alert[]) {
  const dir = mkdtempSync(join(tmpdir(), `sgwatch-engine-${name}-`));
  try {
    const steps = make(join(dir, 'store'));
    const started = process.hrtime.bigint();
    for (const alert of alerts) {
      steps.history(alert.principal, alert.eventTime);
      const json = JSON.stringify(alert);
      // Both engines store the same bytes; compression is not what is compared here.
      const body = deflateRawSync(json, { level: 1 });
      steps.create(alert, body, JSON.stringify({ delivery: 'pending', status: alert.status }));
      steps.count(`cap#${alert.ruleId}#${alert.timeBucket}`, alert.alertId);
      steps.count(`burst#${alert.principal}#${alert.timeBucket}`, alert.alertId);
      steps.update(alert.alertId, (state) => (state.burst = { kind: 'new', sequence: 1 }));
      steps.update(alert.alertId, (state) => (state.delivery = 'notified'));
      inflateRawSync(body);
    }
    const elapsed = Number(process.hrtime.bigint() - started) / 1e3;
    steps.close();
    return {
      name,
      alerts: alerts.length,
      microsPerAlert: elapsed / alerts.length,
      bytesPerAlert: sizeOf(dir) / alerts.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `processRecord` asks of an AlertStore for a new alert, in its order. */
async function deliverTo(store: AlertStore, alert: Alert, now: Date): Promise<void> {
  await store.principalHistory(alert.principal, new Date(alert.eventTime));
  const created = await store.create(alert, new Date(now.getTime() + 45_000));
  if (!created.created) return;
  const token: ClaimToken = created.token;
  const expiresAt = new Date(now.getTime() + 90 * 86_400_000);
  const sequence = await store.countOnce({
    counter: `cap#${alert.ruleId}#${alert.timeBucket}`,
    alertId: alert.alertId,
    limit: 101,
    expiresAt,
  });
  await store.countOnce({
    counter: `burst#${createHash('sha256').update(alert.principal).digest('hex').slice(0, 16)}`,
    alertId: alert.alertId,
    expiresAt,
  });
  await store.recordBurst(alert.alertId, token, {
    kind: 'new',
    groupId: 'g',
    threadId: 't',
    sequence: sequence ?? 0,
    detectionCount: sequence ?? 0,
    windowMinutes: 60,
    cap: 100,
  });
  await store.markNotified(alert.alertId, token, 'bench', now);
}

async function runStore(
  name: string,
  open: (dir: string) => Promise<{ store: AlertStore; close: () => Promise<void> }>,
  alerts: readonly Alert[],
): Promise<EngineFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'sgwatch-store-'));
  try {
    const { store, close } = await open(dir);
    const now = new Date();
    const started = process.hrtime.bigint();
    for (const alert of alerts) await deliverTo(store, alert, now);
    const elapsed = Number(process.hrtime.bigint() - started) / 1e3;
    await close();
    return {
      name,
      alerts: alerts.length,
      microsPerAlert: elapsed / alerts.length,
      bytesPerAlert: sizeOf(dir) / alerts.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both tables, for `npm run bench -- --only store`. */
export async function benchStoreEngines(
  alerts: readonly Alert[],
  dynaliteAlerts: number,
): Promise<{ engines: EngineFigure[]; stores: EngineFigure[] }> {
  const engines = [
    runEngine('LMDB (lmdb)', lmdbSteps, alerts),
    runEngine('SQLite (node-sqlite3-wasm)', sqliteSteps, alerts),
  ];
  const stores = [
    await runStore(
      'MemoryAlertStore',
      () => Promise.resolve({ store: new MemoryAlertStore(), close: () => Promise.resolve() }),
      alerts,
    ),
    await runStore(
      'LocalAlertStore (LMDB)',
      (dir) => {
        const store = LocalAlertStore.open({ path: join(dir, 'alerts.mdb') });
        return Promise.resolve({ store, close: () => store.close() });
      },
      alerts,
    ),
    await runStore(
      'DynamoDbAlertStore on dynalite',
      async (dir) => {
        const db = await startEmbeddedDynamoDb({ path: join(dir, 'store') });
        return { store: new DynamoDbAlertStore(db.direct, db.tableName), close: () => db.close() };
      },
      alerts.slice(0, dynaliteAlerts),
    ),
  ];
  return { engines, stores };
}
