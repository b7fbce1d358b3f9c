import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { Detection } from '../../lambda/core/catalog';
import { CATALOG, detect, eventNameScope, matchesNamesInAnyCase } from '../../lambda/core/catalog';
import type { SigmaSource } from '../../lambda/core/sigma';
import { sigmaDetections } from '../../lambda/core/sigma';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { accountOf, MAX_EVENT_BYTES, validateRecord } from '../../lambda/core/cloudtrail';
import { decode, inflate, UnreadableFileError } from './decode';
import type { Prefilter } from './prefilter';
import { createPrefilter, sliceRecords } from './prefilter';

/** Which records replay considers; all bounds optional. */
export interface RecordFilter {
  readonly since?: number;
  readonly until?: number;
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
}

export interface ScanOptions {
  readonly filter: RecordFilter;
  /** Parse every file, skipping the byte-level prefilter (for proofs and debugging). */
  readonly fullParse?: boolean;
  /**
   * Sigma rules run beside the built-in catalog, as text: options cross into worker threads,
   * where each thread compiles them once (compiled rules hold functions, which cannot cross).
   * @default - the built-in catalog only
   */
  readonly sigmaRules?: readonly SigmaSource[];
}

/** What a scan runs: the detections, and how to tell a record no detection can match by name. */
interface ScanCatalog {
  readonly detections: readonly Detection[];
  /** Undefined when some detection can match any eventName: every record is read. */
  readonly prefilter?: Prefilter;
  /** Whether a record with this eventName can match; names folded when `ignoreCase`. */
  readonly watches: (name: string) => boolean;
}

const BUILT_IN: ScanCatalog = scanCatalog(CATALOG);
/** Per options object: a thread is handed one and keeps it for every file. */
const catalogs = new WeakMap<readonly SigmaSource[], ScanCatalog>();

function scanCatalog(detections: readonly Detection[]): ScanCatalog {
  const names = eventNameScope(detections);
  if (names === undefined) return { detections, watches: () => true };
  const ignoreCase = matchesNamesInAnyCase(detections);
  const fold = (name: string): string =>
    ignoreCase ? name.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : name;
  const watched = new Set(names.map(fold));
  return {
    detections,
    prefilter: createPrefilter(names, { ignoreCase }),
    watches: (name) => watched.has(fold(name)),
  };
}

function catalogOf(options: ScanOptions): ScanCatalog {
  const rules = options.sigmaRules;
  if (rules === undefined || rules.length === 0) return BUILT_IN;
  let catalog = catalogs.get(rules);
  if (catalog === undefined) {
    catalog = scanCatalog([...CATALOG, ...sigmaDetections(rules)]);
    catalogs.set(rules, catalog);
  }
  return catalog;
}

export interface InvalidRecord {
  readonly index: number;
  /** For JSON lines, the line of the file (1-based), which is what to look at. */
  readonly line?: number;
  readonly reason: string;
}

/** What one file contributed; plain data so it can cross a worker boundary. */
export interface FileScan {
  readonly path: string;
  readonly bytes: number;
  readonly rawBytes: number;
  readonly records: number;
  /** Records that passed the filter and match at least one detection, in file order. */
  readonly matches: CloudTrailRecord[];
  /** For each of `matches`, the ids of the detections it matched: delivery need not match again. */
  readonly matchedRules: string[][];
  readonly filteredOut: number;
  readonly invalid: InvalidRecord[];
  readonly error?: string;
}

export function passesFilter(record: CloudTrailRecord, filter: RecordFilter): boolean {
  if (filter.since !== undefined || filter.until !== undefined) {
    const time = Date.parse(record.eventTime);
    if (filter.since !== undefined && time < filter.since) return false;
    if (filter.until !== undefined && time > filter.until) return false;
  }
  if (filter.accounts !== undefined && !filter.accounts.includes(accountOf(record))) return false;
  if (filter.regions !== undefined && !filter.regions.includes(record.awsRegion)) return false;
  return true;
}

/**
 * Whether replay reads a record further than its name: only records whose eventName a
 * detection watches can match, so only they are validated in full (as the Lambda validates
 * an event). Every record must still be an object with a non-empty string eventName.
 */
function needsValidation(item: unknown, catalog: ScanCatalog): boolean {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return true;
  const name = (item as { eventName?: unknown }).eventName;
  if (typeof name !== 'string' || name === '') return true;
  return catalog.watches(name);
}

/**
 * Validates items, runs the catalog and the filters; the record-level part of a scan. The
 * prefilter's fast path and `--full-parse` both end here, so they judge records alike.
 */
function evaluate(
  items: readonly unknown[],
  options: ScanOptions,
): Pick<FileScan, 'matches' | 'matchedRules' | 'filteredOut' | 'invalid'> {
  const matches: CloudTrailRecord[] = [];
  const matchedRules: string[][] = [];
  const invalid: InvalidRecord[] = [];
  const catalog = catalogOf(options);
  let filteredOut = 0;
  items.forEach((item, index) => {
    if (!needsValidation(item, catalog)) return;
    let record: CloudTrailRecord;
    try {
      record = validateRecord(item);
    } catch (error) {
      invalid.push({ index, reason: (error as Error).message });
      return;
    }
    const ruleIds = detect(record, catalog.detections).map((detection) => detection.id);
    if (ruleIds.length === 0) return;
    // A match the detector would refuse from EventBridge, replay refuses from a file: no
    // CloudTrail event is this large, and its alert would not fit the alert table.
    const bytes = Buffer.byteLength(JSON.stringify(record), 'utf8');
    if (bytes > MAX_EVENT_BYTES) {
      invalid.push({
        index,
        reason: `record is too large: ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit (a CloudTrail event is at most 256 KB)`,
      });
      return;
    }
    if (!passesFilter(record, options.filter)) {
      filteredOut += 1;
      return;
    }
    matches.push(record);
    matchedRules.push(ruleIds);
  });
  return { matches, matchedRules, filteredOut, invalid };
}

function scanDecoded(path: string, bytes: number, buffer: Buffer, options: ScanOptions): FileScan {
  const decoded = decode(buffer);
  const evaluated = evaluate(decoded.records, options);
  const lines = decoded.lines;
  const invalid =
    lines === undefined
      ? evaluated.invalid
      : [
          ...(decoded.broken ?? []).map((b) => ({ index: -1, line: b.line, reason: b.reason })),
          ...evaluated.invalid.map((v) => ({ ...v, line: lines[v.index] ?? v.index + 1 })),
        ].sort((a, b) => a.line - b.line);
  return {
    ...evaluated,
    invalid,
    path,
    bytes,
    rawBytes: buffer.length,
    // A broken line of JSON lines was a record too, one that could not be read.
    records: decoded.records.length + (decoded.broken?.length ?? 0),
  };
}

function reasonOf(error: unknown): string {
  return error instanceof UnreadableFileError
    ? error.message
    : `cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
}

/** The scan of a file that could not be read: nothing in it counted, the reason kept. */
export function failedScan(path: string, bytes: number, error: string): FileScan {
  return {
    path,
    bytes,
    rawBytes: 0,
    records: 0,
    matches: [],
    matchedRules: [],
    filteredOut: 0,
    invalid: [],
    error,
  };
}

/** Files up to this size are read into one buffer the thread keeps; larger ones get their own. */
const REUSED_READ_BYTES = 16 * 1024 * 1024;
let readBuffer = Buffer.alloc(0);

/**
 * The bytes of a file, in a buffer this thread reuses for the next file (valid until then):
 * reading each file into fresh memory costs page faults that cost more than the read. Scans
 * keep nothing of the bytes they were given, so the next read may overwrite them.
 */
function readWhole(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const info = fstatSync(fd);
    const size = info.size;
    // A pipe (`replay <(zcat ...)`) has no size to read up to: read it to its end.
    if (!info.isFile() || size > REUSED_READ_BYTES) return readFileSync(fd);
    if (size > readBuffer.length) readBuffer = Buffer.allocUnsafe(Math.max(size, 1024 * 1024));
    let length = 0;
    while (length < size) {
      const read = readSync(fd, readBuffer, length, size - length, length);
      if (read === 0) break;
      length += read;
    }
    return readBuffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads, decompresses and scans one file: the prefilter first, then a parse of only what
 * can hold a match. Never throws: failures come back in `error`. Synchronous on purpose:
 * an asynchronous read of a cached file costs more in event-loop round trips than it
 * overlaps, since this thread is busy inflating and scanning in between.
 */
export function scanFile(path: string, options: ScanOptions): FileScan {
  let data: Buffer;
  try {
    data = readWhole(path);
  } catch (error) {
    return failedScan(path, 0, reasonOf(error));
  }
  return scanBuffer(path, data, options);
}

/** `scanFile` for bytes already read (an object streamed from S3, say). Never throws. */
export function scanBuffer(path: string, data: Buffer, options: ScanOptions): FileScan {
  const bytes = data.length;
  try {
    const buffer = inflate(data);
    const { prefilter } = catalogOf(options);
    const look = options.fullParse === true ? undefined : prefilter?.scan(buffer);
    // An exact look has seen the file open and close as CloudTrail's layout does, so an
    // empty, non-JSON or truncated file never takes this path.
    if (look?.exact === true) {
      const records = look.hits.length === 0 ? [] : sliceRecords(buffer, look.hits);
      const evaluated = records === undefined ? undefined : evaluate(records, options);
      // An invalid record is reported with its index in the file, which only a full parse knows.
      if (evaluated !== undefined && evaluated.invalid.length === 0) {
        return {
          ...evaluated,
          path,
          bytes,
          rawBytes: buffer.length,
          records: look.records,
        };
      }
    }
    return scanDecoded(path, bytes, buffer, options);
  } catch (error) {
    return failedScan(path, bytes, reasonOf(error));
  }
}
