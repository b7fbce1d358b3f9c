import { existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AlertStore } from '../lambda/core/ports';
import type { AlertQueryPort } from './alerts/queries';
import type { LocalAlertStore } from './local-alert-store';
import { UsageError } from './args';
import { explainFailuresOf, STACK_OUTPUTS } from './aws';
import { commandPrefix } from './io';
import type { MetAlerts } from './replay/met';
import { MetInMemory } from './replay/met';

export type StoreKind = 'embedded' | 'memory' | 'table';

/** The folder that marks a local sgwatch store, as `.git/` marks a repository. */
export const STATE_DIR_NAME = '.sgwatch';
/** Environment variable naming the local store's folder, for every command. */
export const STATE_DIR_ENV = 'SGWATCH_STATE_DIR';

export interface StoreOptions {
  /** `embedded` (default), `memory`, or a deployed table when `table` is set. */
  readonly store?: string;
  readonly table?: string;
  readonly region?: string;
  /** Where the embedded store keeps its files. */
  readonly stateDir: string;
  /** The option that names the table's Region, for messages. @default '--region' */
  readonly regionFlag?: string;
}

export interface OpenStore {
  readonly kind: StoreKind;
  /** Human description for messages, e.g. "embedded store at .sgwatch/alerts.mdb". */
  readonly description: string;
  /** Reads and triage; `now` sets the default time window of `list`. */
  queries(now: () => Date): AlertQueryPort;
  close(): Promise<void>;
}

/** The embedded store's file in the state folder. */
export const LOCAL_STORE_FILE = 'alerts.mdb';
/** Where sgwatch before 0.2 kept the embedded store (dynalite's LevelDB files). */
const EARLIER_STORE_DIR = 'store';

/** No local store where one was expected: the message says where it looked and what to do. */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
}

/** Where the local store is, and how it was found. */
export interface StateDir {
  readonly path: string;
  /** `flag`: --state-dir; `env`: $SGWATCH_STATE_DIR; `found`: a `.sgwatch/` in the cwd or above; `new`: none yet. */
  readonly source: 'flag' | 'env' | 'found' | 'new';
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Finds the local store the way git finds a repository: `--state-dir`, else
 * `$SGWATCH_STATE_DIR`, else the nearest `.sgwatch/` in the current folder or one above it,
 * else `.sgwatch/` in the current folder, which only a command that writes (replay) creates.
 */
export function locateStateDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): StateDir {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError('--state-dir must not be empty');
    return { path: resolve(cwd, flag), source: 'flag' };
  }
  const fromEnv = env[STATE_DIR_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    return { path: resolve(cwd, fromEnv), source: 'env' };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, STATE_DIR_NAME);
    if (isDirectory(candidate)) return { path: candidate, source: 'found' };
    if (dirname(dir) === dir) break;
  }
  return { path: join(resolve(cwd), STATE_DIR_NAME), source: 'new' };
}

/**
 * The state folder of a command that only reads or triages stored alerts: one that does not
 * exist yet is an error (opening it would create an empty store and report "no alerts").
 */
export function existingStateDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string {
  const state = locateStateDir(flag, env, cwd);
  const replay = `${commandPrefix(env)} replay <path>`;
  if (state.source === 'new') {
    throw new StoreNotFoundError(
      `no local sgwatch store in ${resolve(cwd)} or any folder above it: run "${replay}" to create one, or pass --state-dir DIR, or --table NAME for a deployed table`,
    );
  }
  if (!existsSync(state.path)) {
    const named = state.source === 'flag' ? '--state-dir' : `$${STATE_DIR_ENV}`;
    throw new StoreNotFoundError(
      `no local sgwatch store at ${state.path} (from ${named}): check the path, or run "${replay}" with it to create one`,
    );
  }
  if (existsSync(join(state.path, LOCAL_STORE_FILE))) return state.path;
  // The store's own folder of an earlier layout (`.sgwatch/store`) names its state folder.
  if (basename(state.path) === 'store' && existsSync(join(dirname(state.path), LOCAL_STORE_FILE))) {
    return dirname(state.path);
  }
  // A folder without a store is refused, never filled with an empty one.
  const found = state.source === 'found' ? undefined : locateStateDir(undefined, {}, cwd);
  const nearest =
    found !== undefined &&
    found.source === 'found' &&
    existsSync(join(found.path, LOCAL_STORE_FILE))
      ? `; the nearest store from here is in ${found.path}`
      : '';
  throw new StoreNotFoundError(
    `${state.path} holds no sgwatch store: a state folder holds ${LOCAL_STORE_FILE}, which "${replay}" writes there${nearest}`,
  );
}

/** The kind of store the options name; option mistakes throw a UsageError. */
function storeKind(options: StoreOptions): StoreKind {
  if (options.table !== undefined) {
    if (options.store !== undefined && options.store !== 'table') {
      throw new UsageError(`--store ${options.store} cannot be combined with --table`);
    }
    return 'table';
  }
  const kind = options.store ?? 'embedded';
  if (kind !== 'embedded' && kind !== 'memory') {
    throw new UsageError(
      `--store must be "embedded" or "memory", got "${kind}" (use --table NAME for a deployed table)`,
    );
  }
  return kind;
}

/**
 * Opens the alert table the options name, for commands that query it. Option mistakes throw
 * at once (not from the returned promise), so a command can start the store in the
 * background and still fail fast.
 */
export function openStore(options: StoreOptions): Promise<OpenStore> {
  const kind = storeKind(options);
  if (options.table !== undefined) {
    return deployedTable(options.table, options.region, options.regionFlag ?? '--region');
  }
  if (kind === 'memory') return memoryTable();
  return Promise.resolve(options.stateDir)
    .then(localStore)
    .then((local) => ({
      kind: 'embedded' as const,
      description: local.description,
      queries: (now: () => Date) => local.store.withClock(now),
      close: local.close,
    }));
}

/** Where a replay records alerts: the store's answers, and how to describe and close it. */
export interface DeliveryStore {
  readonly kind: StoreKind;
  readonly store: AlertStore;
  readonly description: string;
  /** Starts the run's record of the alerts it meets. */
  startRun(): MetAlerts;
  close(): Promise<void>;
}

/**
 * The alert store a replay delivers to. `--store memory` is kept in this process (no
 * DynamoDB, HTTP or SDK to load: a throwaway run costs what its scan costs); the embedded
 * store is one local file that answers as the alert table does (LocalAlertStore); a
 * deployed table is written as the Lambda writes it. Option mistakes throw at once, as in
 * `openStore`.
 */
export function openDeliveryStore(options: StoreOptions): Promise<DeliveryStore> {
  if (storeKind(options) === 'memory') {
    return import('./memory-alert-store').then(({ MemoryAlertStore }) => ({
      kind: 'memory',
      store: new MemoryAlertStore(),
      description: 'in-memory store',
      startRun: () => new MetInMemory(),
      close: () => Promise.resolve(),
    }));
  }
  if (options.table === undefined) {
    return Promise.resolve(options.stateDir)
      .then(localStore)
      .then((local) => ({
        kind: 'embedded' as const,
        store: local.store,
        description: local.description,
        startRun: () => local.store.startRun(),
        close: local.close,
      }));
  }
  return Promise.all([
    deployedTable(options.table, options.region, options.regionFlag ?? '--region'),
    import('../lambda/adapters/dynamodb-store'),
  ]).then(([table, { DynamoDbAlertStore }]) => ({
    kind: table.kind,
    store: new DynamoDbAlertStore(table.client, table.tableName),
    description: table.description,
    startRun: () => new MetInMemory(),
    close: () => table.close(),
  }));
}

/**
 * Opens the embedded store in `stateDir`, holding its lock until closed. A store written by
 * an earlier sgwatch (dynalite's files in `store/`) is refused with what to do: its alerts
 * are a replay away.
 */
async function localStore(stateDir: string): Promise<{
  store: LocalAlertStore;
  description: string;
  close: () => Promise<void>;
}> {
  const path = join(stateDir, LOCAL_STORE_FILE);
  const earlier = join(stateDir, EARLIER_STORE_DIR);
  if (isDirectory(earlier)) {
    throw new StoreFormatError(
      `${earlier} holds alerts in the format of an earlier sgwatch, which this one does not read: remove it and replay again to rebuild it, or run with --state-dir NEW`,
    );
  }
  mkdirSync(stateDir, { recursive: true });
  const [{ acquireLock }, { LocalAlertStore: Store }] = await Promise.all([
    import('./store-lock'),
    import('./local-alert-store'),
  ]);
  const releaseLock = acquireLock(path);
  try {
    const store = Store.open({ path });
    return {
      store,
      description: `embedded store at ${path}`,
      close: () => store.close().finally(releaseLock),
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/** The local store on disk is of a format this sgwatch does not read. */
export class StoreFormatError extends Error {
  override readonly name = 'StoreFormatError';
}

async function deployedTable(
  table: string,
  region: string | undefined,
  regionFlag: string,
): Promise<OpenStore & { readonly client: DynamoDBClient; readonly tableName: string }> {
  const [{ DynamoDBClient }, { AlertQueries }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('./alerts/queries'),
  ]);
  const client = new DynamoDBClient(region !== undefined ? { region } : {});
  const description = `DynamoDB table ${table}${region !== undefined ? ` in ${region}` : ''}`;
  // Every command that reads or writes the table gets one line saying what to do when AWS
  // refuses, instead of the SDK's text.
  explainFailuresOf(client, {
    subject: description,
    notFound: `${description} does not exist: pass the stack's ${STACK_OUTPUTS.alertTable} output as --table, and the stack's Region as ${regionFlag}`,
    regionFlag,
  });
  return {
    kind: 'table',
    client,
    tableName: table,
    description,
    queries: (now) => new AlertQueries(client, table, { now }),
    close: () => {
      client.destroy();
      return Promise.resolve();
    },
  };
}

/** `alerts --store memory`: an empty throwaway table, for trying the commands out. */
async function memoryTable(): Promise<OpenStore> {
  const [{ startEmbeddedDynamoDb }, { AlertQueries }] = await Promise.all([
    import('./embedded-dynamodb'),
    import('./alerts/queries'),
  ]);
  const db = await startEmbeddedDynamoDb();
  return {
    kind: 'memory',
    description: 'in-memory store',
    queries: (now) => new AlertQueries(db.direct, db.tableName, { now }),
    close: () => db.close(),
  };
}
