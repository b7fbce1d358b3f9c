import { readFile } from 'node:fs/promises';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { accountOf, validateRecord } from '../../lambda/core/cloudtrail';
import { checkShape, decode, inflate, UnreadableFileError } from './decode';
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
}

export interface InvalidRecord {
  readonly index: number;
  readonly reason: string;
}

/** What one file contributed; plain data so it can cross a worker boundary. */
export interface FileScan {
  readonly path: string;
  readonly bytes: number;
  readonly rawBytes: number;
  readonly records: number;
  readonly parsed: boolean;
  /** Records that passed the filter and match at least one detection, in file order. */
  readonly matches: CloudTrailRecord[];
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

/** Validates items, runs the catalog and the filters; the record-level part of a scan. */
function evaluate(
  items: readonly unknown[],
  options: ScanOptions,
): Pick<FileScan, 'matches' | 'filteredOut' | 'invalid'> {
  const matches: CloudTrailRecord[] = [];
  const invalid: InvalidRecord[] = [];
  let filteredOut = 0;
  items.forEach((item, index) => {
    let record: CloudTrailRecord;
    try {
      record = validateRecord(item);
    } catch (error) {
      invalid.push({ index, reason: (error as Error).message });
      return;
    }
    if (detect(record).length === 0) return;
    if (!passesFilter(record, options.filter)) {
      filteredOut += 1;
      return;
    }
    matches.push(record);
  });
  return { matches, filteredOut, invalid };
}

function scanDecoded(path: string, bytes: number, buffer: Buffer, options: ScanOptions): FileScan {
  const decoded = decode(buffer);
  return {
    ...evaluate(decoded.records, options),
    path,
    bytes,
    rawBytes: buffer.length,
    records: decoded.records.length,
    parsed: true,
  };
}

let sharedPrefilter: Prefilter | undefined;

/** A file read and decompressed, or the reason it could not be. */
export type LoadedFile =
  | { readonly path: string; readonly bytes: number; readonly buffer: Buffer }
  | { readonly path: string; readonly bytes: number; readonly error: string };

function reasonOf(error: unknown): string {
  return error instanceof UnreadableFileError
    ? error.message
    : `cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
}

function failed(path: string, bytes: number, error: string): FileScan {
  return {
    path,
    bytes,
    rawBytes: 0,
    records: 0,
    parsed: false,
    matches: [],
    filteredOut: 0,
    invalid: [],
    error,
  };
}

/** Reads and decompresses one file. Never throws: failures come back in `error`. */
export async function loadFile(path: string): Promise<LoadedFile> {
  let bytes = 0;
  try {
    const compressed = await readFile(path);
    bytes = compressed.length;
    return { path, bytes, buffer: inflate(compressed) };
  } catch (error) {
    return { path, bytes, error: reasonOf(error) };
  }
}

/** Scans a loaded file: prefilter, then a parse only if it can hold a match. */
export function scanLoaded(loaded: LoadedFile, options: ScanOptions): FileScan {
  if ('error' in loaded) return failed(loaded.path, loaded.bytes, loaded.error);
  const { path, bytes, buffer } = loaded;
  try {
    sharedPrefilter ??= createPrefilter();
    const look = options.fullParse === true ? undefined : sharedPrefilter.scan(buffer);
    if (look?.exact === true) {
      checkShape(buffer);
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
          parsed: false,
        };
      }
    }
    return scanDecoded(path, bytes, buffer, options);
  } catch (error) {
    return failed(path, bytes, reasonOf(error));
  }
}

export async function scanFile(path: string, options: ScanOptions): Promise<FileScan> {
  return scanLoaded(await loadFile(path), options);
}
