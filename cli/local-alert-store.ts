import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type * as Lmdb from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import type { Alert, BurstPlacement, PrincipalHistory } from '../lambda/core/alert';
import type { IndexSchema } from '../lambda/core/alert-table';
import { ALERT_TABLE, historyFromTimes } from '../lambda/core/alert-table';
import type {
  AlertStore,
  ClaimToken,
  CountRequest,
  CreateResult,
  MarkResult,
} from '../lambda/core/ports';
import { ClaimLostError } from '../lambda/core/ports';
import type { TriagedAlert, TriageTarget } from '../lambda/core/triage';
import {
  ALERT_CREATE_BUDGET_BYTES,
  AlertStoreError,
  newAlertItem,
} from '../lambda/adapters/dynamodb-store';
import { MAX_ITEM_BYTES, fromItem, itemSize, toItem } from '../lambda/adapters/dynamodb-item';
import type { AlertFilter, AlertQueryPort } from './alerts/queries';
import type { MetAlerts } from './replay/met';
import {
  AlertNotFoundError,
  ConcurrentUpdateError,
  passesFilter,
  planList,
  planStatusWrite,
  readAndTransition,
  requestOf,
} from './alerts/queries';

/**
 * The fields of an alert that writes after `create` change: delivery, burst placement and
 * triage. They are kept apart from the rest, which is written once, compressed.
 */
const CHANGING_FIELDS = [
  'delivery',
  'status',
  'messageId',
  'notifiedAt',
  'burst',
  'statusVersion',
  'statusChangedBy',
  'statusChangedAt',
  'statusNote',
  'history',
  'historyCount',
] as const;

/**
 * The unchanging attributes the indexes are keyed on and `alerts list` filters on, kept
 * readable beside the compressed body (status, which changes, is in the fields).
 */
interface IndexedFields {
  readonly timeBucket: string;
  readonly principal: string;
  readonly account: string;
  readonly eventTime: string;
  readonly ruleId: string;
  readonly severity: string;
}

/** The part of an item later writes change, with the claim bookkeeping the table keeps. */
interface ItemState {
  /** The changing fields of the alert (see CHANGING_FIELDS). */
  fields: Record<string, unknown>;
  keys: IndexedFields;
  /** UTF-8 bytes of the compressed part's JSON, to tell cheaply when an item nears 400 KB. */
  bodyBytes: number;
  claimedUntil?: string;
  claimToken?: string;
  notifiedBy?: string;
}

/** An item as stored: the alert's unchanging fields as deflated JSON, and its state as JSON. */
interface StoredItem {
  readonly body: Uint8Array;
  readonly state: string;
}

/** A counter's members, in the order they were counted. */
interface StoredCounter {
  readonly members: string[];
  readonly expiresAt: number;
}

/**
 * A request DynamoDB would refuse (an empty or oversized key, an item over 400 KB), named as
 * DynamoDB names the refusal.
 */
export class LocalStoreValidationError extends Error {
  override readonly name = 'ValidationException';
}

/** DynamoDB's limits on key values, in UTF-8 bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;
/** Index partition values longer than this are stored by their hash (only equality is asked). */
const INLINE_KEY_BYTES = 512;
/** Sorts after any alert id, which is hex. */
const HIGHEST = '\uffff';

const INDEXES: readonly IndexSchema[] = Object.values(ALERT_TABLE.indexes);
/** Index entries naming alerts that hold a claim, released when the store is opened. */
const CLAIMS = 'claims';
/** Keys of the compression dictionaries, by version, in the `meta` database. */
const DICTIONARY = 'dictionary';
/**
 * Alerts share most of their text (attribute names, detection titles, MITRE mappings, links,
 * CloudTrail's own field names), so each is compressed against a dictionary made of the first
 * alerts the store took: it grows with each of the first DICTIONARY_ALERTS and then stays,
 * and every body names the version it was compressed with. An alert then takes about a
 * quarter of what it takes compressed alone. Four alerts say nearly all eight would (380
 * bytes an alert against 350) for a third of the time: deflate hashes its whole dictionary
 * on every call.
 */
const DICTIONARY_ALERTS = 4;
/** A bound on the dictionary, should the first alerts be unusually large. */
const MAX_DICTIONARY_BYTES = 16 * 1024;

type IndexKey = [string, string, string, string] | [string, string];

function keyPart(value: string): string {
  return Buffer.byteLength(value, 'utf8') <= INLINE_KEY_BYTES
    ? value
    : `#sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/**
 * The index entries of an alert: one key per index, each valued with what `alerts list`
 * filters on (principal, account, status, rule, severity), so a filtered listing reads the
 * index alone and opens only the alerts it returns.
 */
function indexEntries(alertId: string, keys: IndexedFields, status: string): [IndexKey, string][] {
  const item: Record<string, string> = { ...keys, status };
  const value = JSON.stringify([keys.principal, keys.account, status, keys.ruleId, keys.severity]);
  return INDEXES.filter(
    (index) => item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined,
  ).map((index) => [
    [index.name, keyPart(item[index.partitionKey] ?? ''), item[index.sortKey] ?? '', alertId],
    value,
  ]);
}

/** What an index entry's value says about its alert, as `passesFilter` reads an alert. */
function filterFieldsOf(value: string): TriagedAlert {
  const [principal, account, status, ruleId, severity] = JSON.parse(value) as string[];
  return { principal, account, status, ruleId, severity } as unknown as TriagedAlert;
}

/**
 * Refuses what DynamoDB refuses of an item's keys: an empty string (table or index key) and
 * a key over DynamoDB's size limits.
 */
function checkKeys(item: Record<string, unknown>): void {
  const check = (attribute: string, limit: number, indexName?: string) => {
    const value = item[attribute];
    if (value === undefined && indexName !== undefined) return;
    const text = typeof value === 'string' ? value : '';
    const where =
      indexName !== undefined
        ? ` IndexName: ${indexName}, IndexKey: ${attribute}`
        : ` Key: ${attribute}`;
    if (text === '') {
      throw new LocalStoreValidationError(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value.${where}`,
      );
    }
    if (Buffer.byteLength(text, 'utf8') > limit) {
      throw new LocalStoreValidationError(
        `One or more parameter values were invalid: Size of key ${attribute} has exceeded the maximum size limit of ${limit} bytes.${where}`,
      );
    }
  };
  check(ALERT_TABLE.partitionKey, MAX_PARTITION_KEY_BYTES);
  for (const index of INDEXES) {
    check(index.partitionKey, MAX_PARTITION_KEY_BYTES, index.name);
    check(index.sortKey, MAX_SORT_KEY_BYTES, index.name);
  }
}

/** An alert as stored: its unchanging part as JSON, and its changing fields. */
interface SplitAlert {
  readonly bodyJson: string;
  readonly body: Record<string, unknown>;
  readonly fields: Record<string, unknown>;
}

function split(item: Record<string, unknown>): SplitAlert {
  const body = { ...item };
  const fields: Record<string, unknown> = {};
  for (const name of CHANGING_FIELDS) {
    const value = body[name];
    delete body[name];
    if (value === undefined) continue;
    // Plain JSON, as the table stores it: nested undefined values dropped.
    fields[name] =
      typeof value === 'object' ? (JSON.parse(JSON.stringify(value)) as unknown) : value;
  }
  return { bodyJson: JSON.stringify(body), body, fields };
}

/**
 * The alert as the table would hold it (plain JSON, undefined attributes dropped) split in
 * its two parts; for an alert over the item budget, with the start of its CloudTrail record
 * only, exactly as `newAlertItem` cuts it, measured with the claim it is written with.
 */
function storedForm(alert: Alert, bookkeeping: Record<string, string>): SplitAlert {
  const whole = split(alert as unknown as Record<string, unknown>);
  // Below this many characters of JSON no alert can near the budget as DynamoDB counts it
  // (UTF-8 takes at most 3 bytes a character, and an alert has only a handful of numbers).
  if (whole.bodyJson.length * 3 < ALERT_CREATE_BUDGET_BYTES / 2) return whole;
  const item = fromItem(newAlertItem(alert, bookkeeping));
  for (const name of Object.keys(bookkeeping)) delete item[name];
  return split(item);
}

/** Options of `openLocalAlertStore`. */
export interface LocalAlertStoreOptions {
  /** The store's file (with `-lock` beside it). */
  readonly path: string;
  /** The clock for the default time window of `list`. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Pages of the file this process may hold mapped beyond what it held at open, before
   * it maps the file afresh (see `fresh`). @default 48 MB
   */
  readonly mappedBudgetBytes?: number;
  /**
   * Index entries a scan of `list` reads between two looks at the pages mapped.
   * @default 2048
   */
  readonly scanCheckEvery?: number;
}

/**
 * Address space reserved for the file's map, where it costs nothing. Left to itself, `lmdb`
 * starts with a 128 KB map and maps the file again at twice the size whenever it outgrows it,
 * keeping every earlier map (for readers that may still use it) until the environment closes,
 * so a growing store held the pages of each outgrown map too: a replay of 42,020 alerts
 * without a remap peaked at 475 MB with growing maps and 275 MB with one fixed map. The map is
 * only address space: Linux and macOS extend the file as pages are written. Windows sizes the
 * file to the map, so there the growing map stays.
 */
function fixedMap(): { mapSize?: number } {
  return process.platform === 'win32' || process.arch.endsWith('32') ? {} : { mapSize: MAP_BYTES };
}

/** 64 GB: some 20 million alerts at about 3 KB each. */
const MAP_BYTES = 64 * 2 ** 30;

/** The LMDB environment of a store and its databases. */
interface Environment {
  readonly root: RootDatabase;
  readonly items: Database<StoredItem, string>;
  readonly counters: Database<string, string>;
  readonly index: Database<string, IndexKey>;
  readonly meta: Database<Uint8Array, string>;
  /** The alerts the current replay has met (see `startRun`). */
  readonly met: Database<string, string>;
}

/**
 * `lmdb` keeps the file's list of free pages in memory from one write transaction to the
 * next, and the code that writes that list back at a commit sometimes fails the commit (see
 * LMDB_FAULTS): when the list it kept has shrunk below the part of it the transaction used,
 * the record it then looks up is absent. With nothing retained, each transaction reads the
 * free pages it needs from the file and writes back every part it read, and that case does
 * not arise. Measured on a replay of 280,000 events (196,009 alerts): the failing branch was
 * taken 6 times with the default and never with this; the run took as long and the file
 * came out the same size. `lmdb` reads these options but does not declare them; 50,000 is
 * its default for the first.
 */
const FREELIST = { maxFreeSpaceToLoad: 50_000, maxFreeSpaceToRetain: 0 };

/**
 * Opens the store's file. No fsync on commit: a commit is in the file once the call returns,
 * so a killed process loses nothing; only a power cut may lose the last commits.
 */
function openEnvironment(path: string): Environment {
  // Loaded here: only the commands that use the local store pay for the native module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { open } = require('lmdb') as typeof Lmdb;
  const root = open({ path, noSync: true, maxDbs: 6, ...fixedMap(), ...FREELIST });
  return {
    root,
    items: root.openDB<StoredItem, string>({ name: 'items', encoding: 'msgpack' }),
    counters: root.openDB<string, string>({ name: 'counters', encoding: 'string' }),
    index: root.openDB<string, IndexKey>({ name: 'index', encoding: 'string' }),
    meta: root.openDB<Uint8Array, string>({ name: 'meta', encoding: 'binary' }),
    met: root.openDB<string, string>({ name: 'met', encoding: 'string' }),
  };
}

/**
 * Closes the store's environment. `lmdb` keeps, with each environment, the list of free pages
 * its last write transaction read, and closing the environment does not free it (a
 * heap profile of 2,000 closes: 5.6 MB never freed, all allocated for that list); a write
 * transaction that aborts frees it, so one runs first. A replay maps its file afresh
 * thousands of times (8,857 for 392,054 alerts), and without this its anonymous memory grew
 * by 17 MB over the run; with it, 12,000 closes in a row leave it flat.
 */
function closeEnvironment(env: Environment): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ABORT } = require('lmdb') as typeof Lmdb;
  try {
    env.root.transactionSync(() => ABORT);
  } catch {
    // Only memory is at stake: an environment that cannot begin a write still closes.
  }
  return env.root.close();
}

/**
 * Store calls between two looks at how much of the file this process holds (a read of
 * /proc/self/statm, some microseconds). Every call that reads the file counts, reads as much
 * as writes: between two looks the pages held grow past the budget by what those calls map,
 * and in a large store nearly every page a call reads is one not yet mapped. Checking every
 * 64 writes and no reads, a replay of 196,009 alerts went 20 MB past the budget; every 16
 * calls, 3 MB.
 */
const CHECK_MAPPED_EVERY_CALLS = 16;
/** Index entries a principal's history reads that count as one more store call. */
const HISTORY_ENTRIES_PER_CALL = 16;
/** Store calls between two turns of the event loop (see `fresh`). */
const TURN_EVERY_CALLS = 256;
/** Mapped file pages this process may hold beyond what it held at open, before a remap. */
const MAPPED_BUDGET_BYTES = 48 * 1024 * 1024;
/** Without /proc, a remap every this many checks (1,024 store calls). */
const REOPEN_WITHOUT_PROC_CHECKS = 64;

/**
 * Resident pages of this process that are backed by files (its code, and the store's map),
 * in bytes, from /proc/self/statm; undefined where there is no /proc (macOS, Windows).
 */
function residentFileBytes(): number | undefined {
  try {
    const shared = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[2]);
    return Number.isFinite(shared) ? shared * PAGE_BYTES : undefined;
  } catch {
    return undefined;
  }
}

/** Meetings (see `startRun`) that wait for a store write before they are written alone. */
const MET_BATCH = 64;

/** Index entries a scan reads between two looks at the pages it has mapped (see `list`). */
const SCAN_CHECK_EVERY = 2048;

/**
 * LMDB's codes for a write transaction it failed on the state it keeps in this process
 * rather than on the request: `lmdb`'s own freelist code refuses some commits with
 * MDB_BAD_TXN ("reserved freelist had a data entry with zero-size"), reading a size it never
 * set when the freelist record it looks for is absent. LMDB rolls such a transaction back
 * whole, and the same transaction commits on the environment opened again. FREELIST keeps
 * that case from arising; the retry covers it and any other failure of LMDB's own state.
 * Codes a request earns (MDB_MAP_FULL, MDB_BAD_VALSIZE, ...) fail the same way every time
 * and are not here.
 */
const LMDB_FAULTS: ReadonlySet<number> = new Set([
  -30782, // MDB_BAD_TXN
  -30779, // MDB_PROBLEM
  -30795, // MDB_PANIC
  -30796, // MDB_CORRUPTED
  -30797, // MDB_PAGE_NOTFOUND
]);

/** Whether `error` is LMDB failing a transaction on its own state (see LMDB_FAULTS). */
function isLmdbFault(error: unknown): boolean {
  const code: unknown = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' && LMDB_FAULTS.has(code);
}

/** Whether two index keys are the same entry. */
function sameKey(a: IndexKey, b: IndexKey): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** Settles after the event loop has run its due timers (a timer of 0 runs after them). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The page size /proc/self/statm counts in, on the platforms that have it. */
const PAGE_BYTES = 4096;

/**
 * The default alert store of `replay` and `alerts`: the answers of `DynamoDbAlertStore` and
 * `AlertQueries` (same conditions, claim fencing, counters, history bounds, indexes, filters,
 * triage and refusals) kept in one LMDB file. Each store call is one LMDB write transaction,
 * committed before it answers, so a process killed at any point leaves every answered call
 * applied and none half-applied; commits are not flushed to the disk (a power cut may lose
 * the last ones, a crash of sgwatch loses nothing). Alerts are written once, compressed, and
 * later writes replace only their small changing part; indexes are keys, so reading a window
 * touches only its entries. Nothing is cached in this process, and the pages of the file it
 * maps are let go as they grow (see `fresh`), so memory stays flat however many alerts the
 * store holds. See docs/embedded-store.md.
 *
 * Its equivalence with the DynamoDB store is tested by running both through the same random
 * programs (test/property/memory-store.property.test.ts).
 */
export class LocalAlertStore implements AlertStore, AlertQueryPort {
  private now: () => Date;
  /** The compression dictionaries, oldest first: version n is at n - 1. */
  private readonly dictionaries: Buffer[] = [];

  /** Store calls, weighed by what they read, since the pages held were last checked. */
  private calls = 0;
  /** Store calls since the event loop last turned (see `fresh`). */
  private callsSinceTurn = 0;
  /** Checks since the file was last mapped afresh, where /proc cannot tell the pages held. */
  private checks = 0;
  private readonly mappedBudget: number;
  private readonly scanCheckEvery: number;
  /** Alerts the current run met since the last write transaction (see `startRun`). */
  private readonly unwrittenMeetings = new Set<string>();
  /** Resident file-backed bytes of this process just after the file was last mapped. */
  private mappedAtOpen = residentFileBytes() ?? 0;

  private constructor(
    private env: Environment,
    private readonly path: string,
    options: LocalAlertStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.mappedBudget = options.mappedBudgetBytes ?? MAPPED_BUDGET_BYTES;
    this.scanCheckEvery = options.scanCheckEvery ?? SCAN_CHECK_EVERY;
  }

  private get root(): RootDatabase {
    return this.env.root;
  }

  private get items(): Database<StoredItem, string> {
    return this.env.items;
  }

  private get counters(): Database<string, string> {
    return this.env.counters;
  }

  private get index(): Database<string, IndexKey> {
    return this.env.index;
  }

  private get meta(): Database<Uint8Array, string> {
    return this.env.meta;
  }

  /**
   * Runs `change` as one write transaction, committed when it returns, with the meetings
   * noted since the last one (see `startRun`). A transaction LMDB fails on its own state
   * (see LMDB_FAULTS) is rolled back whole; it is run once more on the environment opened
   * afresh, and a second failure is the caller's. `change` may run twice, so it keeps its
   * effects in the transaction and in what it returns (`createNow` adds a grown dictionary
   * only once the transaction has committed).
   */
  private transact<T>(change: () => T): T {
    this.calls += 1;
    const meetings = this.unwrittenMeetings;
    const withMeetings = (): T => {
      for (const alertId of meetings) this.env.met.putSync(alertId, '');
      return change();
    };
    let result: T;
    try {
      result = this.root.transactionSync(withMeetings);
    } catch (error) {
      if (!isLmdbFault(error)) throw error;
      this.reopen();
      result = this.root.transactionSync(withMeetings);
    }
    // Kept for the next transaction if this one threw (and so wrote nothing).
    meetings.clear();
    return result;
  }

  /**
   * Closes the environment and opens it again at once. `lmdb` may finish closing the old one
   * after this returns (it first waits for its last commit's flush), and then the new one
   * shares it until it does; either way the transaction run again has committed every time it
   * was measured (10 of 10, and 9 of 9 retried without reopening).
   */
  private reopen(): void {
    void this.root.close();
    this.openAgain();
  }

  /** Opens the store's file again, the environment before it closed or closing. */
  private openAgain(): void {
    this.env = openEnvironment(this.path);
    this.mappedAtOpen = residentFileBytes() ?? 0;
  }

  /**
   * Runs `call`; every CHECK_MAPPED_EVERY_CALLS store calls, first maps the file afresh when
   * the pages of it this process holds grew past the budget, and every TURN_EVERY_CALLS calls
   * lets the event loop turn once. A call that only reads goes through here too: in a large
   * store its pages are as new to the map as a write's.
   *
   * - The remap: LMDB reads through a map of the file, and Linux maps 64 KB of cached file
   *   around each page read, so random reads over a growing store would keep the whole file
   *   resident. Closing and opening the environment (a few milliseconds) lets those pages
   *   go; the file and the page cache are untouched.
   * - The turn: `lmdb` ends each read transaction on a timer. A replay whose store calls all
   *   answer at once is one long chain of resolved promises in which no timer runs, so every
   *   read transaction, and with them the buffers of each environment closed above, stayed
   *   alive: 74 MB of buffers after 98,139 alerts.
   */
  private fresh<T>(call: () => Promise<T>): Promise<T> {
    if (this.calls < CHECK_MAPPED_EVERY_CALLS) return call();
    this.callsSinceTurn += this.calls;
    this.calls = 0;
    const turn = this.callsSinceTurn >= TURN_EVERY_CALLS;
    if (turn) this.callsSinceTurn = 0;
    const remapped = (): Promise<T> => (this.overBudget() ? this.remap().then(call) : call());
    return turn ? nextTurn().then(remapped) : remapped();
  }

  /** Whether the pages of the file this process holds grew past the budget since open. */
  private overBudget(): boolean {
    const mapped = residentFileBytes();
    const due =
      mapped === undefined
        ? (this.checks += 1) >= REOPEN_WITHOUT_PROC_CHECKS
        : mapped - this.mappedAtOpen > this.mappedBudget;
    if (due) this.checks = 0;
    return due;
  }

  /** Closes the environment and opens it again, which lets the pages it mapped go. */
  private remap(): Promise<void> {
    return closeEnvironment(this.env).then(() => this.openAgain());
  }

  /**
   * Opens (or creates) the store at `options.path`. Claims left by a process that ended
   * without finishing its deliveries are released: only one process opens the store at a
   * time (the caller holds its lock), so no claim can still be live.
   */
  static open(options: LocalAlertStoreOptions): LocalAlertStore {
    mkdirSync(dirname(options.path), { recursive: true });
    const store = new LocalAlertStore(openEnvironment(options.path), options.path, options);
    store.loadDictionaries();
    store.releaseClaims();
    return store;
  }

  close(): Promise<void> {
    return closeEnvironment(this.env);
  }

  /**
   * Starts a replay's record of the alerts it meets, kept in the store's file, and forgets the
   * record of the run before (only the lock holder can have written it). A meeting is written
   * with the store's next write transaction: each delivery makes several, so only the last
   * few meetings wait in memory, and no transaction is added. Meetings that pile up anyway
   * (MET_BATCH of them without a store write) are written on their own.
   */
  startRun(): MetAlerts {
    this.unwrittenMeetings.clear();
    this.transact(() => this.env.met.clearSync());
    return {
      meet: (alertId) => {
        // Counted, not checked: the answer is synchronous; the next store call checks.
        this.calls += 1;
        if (this.unwrittenMeetings.has(alertId) || this.env.met.doesExist(alertId)) return true;
        this.unwrittenMeetings.add(alertId);
        if (this.unwrittenMeetings.size >= MET_BATCH) this.transact(() => undefined);
        return false;
      },
    };
  }

  /** This store, answering `list` with `now` as the end of its default window. */
  withClock(now: () => Date): AlertQueryPort {
    this.now = now;
    return this;
  }

  private loadDictionaries(): void {
    for (let version = 1; version <= DICTIONARY_ALERTS; version++) {
      const dictionary = this.meta.get(`${DICTIONARY}#${version}`);
      if (dictionary === undefined) return;
      this.dictionaries.push(Buffer.from(dictionary));
    }
  }

  private releaseClaims(): void {
    this.transact(() => {
      for (const { key } of this.index.getRange({ start: [CLAIMS, ''], end: [CLAIMS, HIGHEST] })) {
        const alertId = key[1];
        const stored = this.read(alertId);
        if (stored !== undefined) {
          delete stored.state.claimedUntil;
          delete stored.state.claimToken;
          this.writeState(alertId, stored.body, stored.state);
        }
        this.index.removeSync(key);
      }
    });
  }

  private read(alertId: string): { body: Uint8Array; state: ItemState } | undefined {
    const item = this.items.get(alertId);
    if (item === undefined) return undefined;
    return { body: item.body, state: JSON.parse(item.state) as ItemState };
  }

  private writeState(alertId: string, body: Uint8Array, state: ItemState): void {
    this.items.putSync(alertId, { body, state: JSON.stringify(state) });
    if (state.claimToken !== undefined) this.index.putSync([CLAIMS, alertId], '');
    else this.index.removeSync([CLAIMS, alertId]);
  }

  private alertOf(body: Uint8Array, state: ItemState): TriagedAlert {
    const version = body[0] ?? 0;
    const dictionary = this.dictionaries[version - 1];
    const compressed = body.subarray(1);
    const json = (
      dictionary !== undefined
        ? inflateRawSync(compressed, { dictionary })
        : inflateRawSync(compressed)
    ).toString('utf8');
    const alert = JSON.parse(json) as Record<string, unknown>;
    return { ...alert, ...state.fields } as unknown as TriagedAlert;
  }

  /**
   * Compresses an alert's unchanging part against the store's newest dictionary, and grows
   * the dictionary from the first alerts stored (see DICTIONARY_ALERTS). Runs in the create's
   * transaction; returns the body and the dictionary it added, if any.
   */
  private compress(json: string): { body: Uint8Array; added?: Buffer } {
    const version = this.dictionaries.length;
    const dictionary = this.dictionaries[version - 1];
    const deflated =
      dictionary !== undefined
        ? deflateRawSync(json, { level: 6, dictionary })
        : deflateRawSync(json, { level: 6 });
    const body = Buffer.concat([Buffer.of(version), deflated]);
    if (version >= DICTIONARY_ALERTS) return { body };
    const grown = Buffer.from(
      dictionary === undefined ? json : `${dictionary.toString('utf8')}\n${json}`,
    );
    const added = grown.subarray(Math.max(0, grown.length - MAX_DICTIONARY_BYTES));
    this.meta.putSync(`${DICTIONARY}#${version + 1}`, added);
    return { body, added };
  }

  /** The stored alert, as `alerts show` reads it. */
  get(alertId: string): Promise<TriagedAlert | undefined> {
    if (alertId === '') return Promise.resolve(undefined);
    this.calls += 1;
    return this.fresh(() => {
      const stored = this.read(alertId);
      return Promise.resolve(
        stored === undefined ? undefined : this.alertOf(stored.body, stored.state),
      );
    });
  }

  create(alert: Alert, claimUntil: Date): Promise<CreateResult> {
    return this.fresh(() => this.createNow(alert, claimUntil));
  }

  private createNow(alert: Alert, claimUntil: Date): Promise<CreateResult> {
    try {
      const token = randomUUID() as ClaimToken;
      const claimedUntil = claimUntil.toISOString();
      const {
        bodyJson,
        body: item,
        fields,
      } = storedForm(alert, {
        claimedUntil,
        claimToken: token,
      });
      checkKeys({ ...item, ...fields });
      let grown: Buffer | undefined;
      const created = this.transact(() => {
        const existing = this.read(alert.alertId);
        if (existing !== undefined) return this.alertOf(existing.body, existing.state);
        const keys: IndexedFields = {
          timeBucket: String(item.timeBucket),
          principal: String(item.principal),
          account: String(item.account),
          eventTime: String(item.eventTime),
          ruleId: String(item.ruleId),
          severity: String(item.severity),
        };
        const { body, added } = this.compress(bodyJson);
        grown = added;
        this.writeState(alert.alertId, body, {
          fields,
          keys,
          bodyBytes: Buffer.byteLength(bodyJson, 'utf8'),
          claimedUntil,
          claimToken: token,
        });
        for (const [key, value] of indexEntries(alert.alertId, keys, String(fields.status))) {
          this.index.putSync(key, value);
        }
        return undefined;
      });
      if (grown !== undefined) this.dictionaries.push(grown);
      return Promise.resolve(
        created === undefined ? { created: true, token } : { created: false, existing: created },
      );
    } catch (error) {
      return Promise.reject(new AlertStoreError('create', alert.alertId, { cause: error }));
    }
  }

  claim(alertId: string, now: Date, claimUntil: Date): Promise<ClaimToken | undefined> {
    return this.fresh(() => this.claimNow(alertId, now, claimUntil));
  }

  private claimNow(alertId: string, now: Date, claimUntil: Date): Promise<ClaimToken | undefined> {
    const token = randomUUID() as ClaimToken;
    return this.write('claim', alertId, () => {
      const stored = this.read(alertId);
      if (stored?.state.fields.delivery !== 'pending') return undefined;
      const { state } = stored;
      if (state.claimedUntil !== undefined && state.claimedUntil >= now.toISOString()) {
        return undefined;
      }
      state.claimedUntil = claimUntil.toISOString();
      state.claimToken = token;
      this.writeState(alertId, stored.body, state);
      return token;
    });
  }

  /** Runs `change` in one write transaction; failures other than conditions are the store's. */
  private write<T>(operation: string, alertId: string | undefined, change: () => T): Promise<T> {
    try {
      return Promise.resolve(this.transact(change));
    } catch (error) {
      if (error instanceof ClaimLostError) return Promise.reject(error);
      return Promise.reject(new AlertStoreError(operation, alertId, { cause: error }));
    }
  }

  /** The stored item while `token` holds its pending claim: what a fenced write requires. */
  private held(alertId: string, token: ClaimToken) {
    const stored = this.read(alertId);
    return stored?.state.fields.delivery === 'pending' && stored.state.claimToken === token
      ? stored
      : undefined;
  }

  markNotified(
    alertId: string,
    token: ClaimToken,
    messageId: string,
    at: Date,
  ): Promise<MarkResult> {
    return this.fresh(() => this.markNotifiedNow(alertId, token, messageId, at));
  }

  private markNotifiedNow(
    alertId: string,
    token: ClaimToken,
    messageId: string,
    at: Date,
  ): Promise<MarkResult> {
    return this.write('mark notified', alertId, (): MarkResult => {
      const stored = this.held(alertId, token);
      if (stored === undefined) {
        return this.read(alertId)?.state.notifiedBy === token ? 'marked' : 'claim-lost';
      }
      const { state } = stored;
      Object.assign(state.fields, {
        delivery: 'notified',
        messageId,
        notifiedAt: at.toISOString(),
      });
      state.notifiedBy = token;
      delete state.claimedUntil;
      delete state.claimToken;
      this.writeState(alertId, stored.body, state);
      return 'marked';
    });
  }

  release(alertId: string, token: ClaimToken): Promise<void> {
    return this.fresh(() => this.releaseNow(alertId, token));
  }

  private releaseNow(alertId: string, token: ClaimToken): Promise<void> {
    return this.write('release', alertId, () => {
      const stored = this.held(alertId, token);
      if (stored === undefined) return;
      delete stored.state.claimedUntil;
      delete stored.state.claimToken;
      this.writeState(alertId, stored.body, stored.state);
    });
  }

  principalHistory(principal: string, before: Date): Promise<PrincipalHistory> {
    this.calls += 1;
    return this.fresh(() => Promise.resolve(this.principalHistoryNow(principal, before)));
  }

  private principalHistoryNow(principal: string, before: Date): PrincipalHistory {
    const index = ALERT_TABLE.indexes.byPrincipal;
    const cutoff = before.toISOString();
    const keys = this.index.getKeys({
      start: [index.name, keyPart(principal), cutoff],
      end: [index.name, keyPart(principal), ''],
      reverse: true,
    });
    let read = 0;
    // Newest first from just before `before`, as the DynamoDB store's query reads them.
    function* newestFirst(): Generator<string> {
      for (const key of keys) {
        read += 1;
        const time = String(key[2] ?? '');
        if (time < cutoff) yield time;
      }
    }
    const history = historyFromTimes(newestFirst(), before);
    // A long history maps pages as several calls would; the next call checks them.
    this.calls += Math.floor(read / HISTORY_ENTRIES_PER_CALL);
    return history;
  }

  countOnce(request: CountRequest): Promise<number | undefined> {
    return this.fresh(() => this.countOnceNow(request));
  }

  private countOnceNow(request: CountRequest): Promise<number | undefined> {
    return this.write(`count ${request.counter}`, request.alertId, () => {
      const text = this.counters.get(request.counter);
      const counter: StoredCounter =
        text === undefined
          ? { members: [], expiresAt: Math.floor(request.expiresAt.getTime() / 1000) }
          : (JSON.parse(text) as StoredCounter);
      const position = counter.members.indexOf(request.alertId);
      if (position >= 0) return position + 1;
      if (request.limit !== undefined && counter.members.length >= request.limit) {
        return undefined;
      }
      counter.members.push(request.alertId);
      this.counters.putSync(request.counter, JSON.stringify(counter));
      return counter.members.length;
    });
  }

  recordBurst(alertId: string, token: ClaimToken, placement: BurstPlacement): Promise<void> {
    return this.fresh(() => this.recordBurstNow(alertId, token, placement));
  }

  private recordBurstNow(
    alertId: string,
    token: ClaimToken,
    placement: BurstPlacement,
  ): Promise<void> {
    const capped = placement.kind === 'capped';
    return this.write('record burst', alertId, () => {
      const stored = this.held(alertId, token);
      if (stored === undefined) {
        // As in the DynamoDB store: a capped alert is final, so a repeat finds it done.
        if (capped && this.read(alertId)?.state.fields.delivery === 'capped') return;
        throw new ClaimLostError(alertId, 'recording its burst placement');
      }
      const { state } = stored;
      state.fields.burst = JSON.parse(JSON.stringify(placement)) as unknown;
      if (capped) {
        state.fields.delivery = 'capped';
        delete state.claimedUntil;
        delete state.claimToken;
      }
      this.writeState(alertId, stored.body, state);
    });
  }

  /**
   * The alerts `filter` selects, newest first, as `AlertQueries.list` answers them. A filter
   * the index does not cover reads every entry of the window; every `scanCheckEvery` entries
   * the scan looks at the pages it has mapped and, past the budget, maps the file afresh
   * and goes on from the entry it stopped at, so even a scan of the whole store holds no
   * more of it than a replay does.
   */
  async list(filter: AlertFilter = {}): Promise<TriagedAlert[]> {
    try {
      const { limit, since, until, index, keyValues } = planList(filter, this.now());
      const alerts: TriagedAlert[] = [];
      for (const keyValue of keyValues) {
        const pk = keyPart(keyValue);
        let from: IndexKey = [index.name, pk, until, HIGHEST];
        let resumed = false;
        for (;;) {
          let stoppedAt: IndexKey | undefined;
          let scanned = 0;
          for (const { key, value } of this.index.getRange({
            start: from,
            end: [index.name, pk, since],
            reverse: true,
          })) {
            // A resumed scan starts on the entry the last one stopped at, already taken.
            if (resumed && sameKey(key, from)) continue;
            scanned += 1;
            const time = key[2] ?? '';
            if (
              time <= until &&
              time >= since &&
              passesFilter(filterFieldsOf(value), filter, index)
            ) {
              const stored = this.read(key[3] ?? '');
              if (stored !== undefined) {
                alerts.push(this.alertOf(stored.body, stored.state));
                if (alerts.length >= limit) return alerts;
              }
            }
            if (scanned % this.scanCheckEvery === 0 && this.overBudget()) {
              stoppedAt = key;
              break;
            }
          }
          if (stoppedAt === undefined) break;
          await this.remap();
          from = stoppedAt;
          resumed = true;
        }
      }
      return alerts;
    } catch (error) {
      throw error instanceof Error ? error : new Error(String(error));
    }
  }

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
   * Moves an alert read earlier, if it is still exactly as read (same status and
   * statusVersion), as `AlertQueries` does with a conditional update.
   */
  applyTransition(
    current: TriagedAlert,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert> {
    return this.fresh(() => this.applyTransitionNow(current, to, by, at, note));
  }

  private applyTransitionNow(
    current: TriagedAlert,
    to: TriageTarget,
    by: string,
    at: Date,
    note?: string,
  ): Promise<TriagedAlert> {
    try {
      const { alertId } = current;
      const { entry, expectedVersion, history, historyCount } = planStatusWrite(
        current,
        requestOf(to, by, at, note),
      );
      const updated = this.transact(() => {
        const stored = this.read(alertId);
        if (stored === undefined) return undefined;
        const { fields } = stored.state;
        const version = fields.statusVersion;
        if (
          fields.status !== entry.from ||
          (expectedVersion > 0 ? version !== expectedVersion : version !== undefined)
        ) {
          return undefined;
        }
        const { keys } = stored.state;
        const byStatus = ALERT_TABLE.indexes.byStatus;
        this.index.removeSync([
          byStatus.name,
          keyPart(String(fields.status)),
          keys.eventTime,
          alertId,
        ]);
        Object.assign(fields, {
          status: entry.to,
          statusVersion: expectedVersion + 1,
          statusChangedBy: entry.by,
          statusChangedAt: entry.at,
          history: JSON.parse(JSON.stringify(history)) as unknown,
          historyCount,
        });
        if (entry.note !== undefined) fields.statusNote = entry.note;
        else delete fields.statusNote;
        const alert = this.alertOf(stored.body, stored.state);
        this.checkSize(stored.state, alert);
        for (const [key, value] of indexEntries(alertId, keys, entry.to)) {
          this.index.putSync(key, value);
        }
        this.writeState(alertId, stored.body, stored.state);
        return alert;
      });
      if (updated !== undefined) return Promise.resolve(updated);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.get(current.alertId).then((now) => {
      if (now === undefined) throw new AlertNotFoundError(current.alertId);
      throw new ConcurrentUpdateError(current.alertId, now);
    });
  }

  /** Refuses an update DynamoDB would refuse: an item over 400 KB as DynamoDB counts it. */
  private checkSize(state: ItemState, alert: TriagedAlert): void {
    const approximate = state.bodyBytes + JSON.stringify(state.fields).length * 3;
    if (approximate * 3 < MAX_ITEM_BYTES) return;
    const size = itemSize(toItem({ ...alert, ...bookkeepingOf(state) }));
    if (size > MAX_ITEM_BYTES) {
      throw new LocalStoreValidationError(
        'Item size to update has exceeded the maximum allowed size',
      );
    }
  }
}

function bookkeepingOf(state: ItemState): Record<string, string | undefined> {
  return {
    claimedUntil: state.claimedUntil,
    claimToken: state.claimToken,
    notifiedBy: state.notifiedBy,
  };
}
