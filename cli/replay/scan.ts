import { readFile } from 'node:fs/promises';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { accountOf, validateRecord } from '../../lambda/core/cloudtrail';
import { checkShape, decode, inflate, UnreadableFileError } from './decode';
import type { Prefilter } from './prefilter';
import { countRecords, createPrefilter } from './prefilter';

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

function scanDecoded(path: string, bytes: number, buffer: Buffer, options: ScanOptions): FileScan {
  const decoded = decode(buffer);
  const matches: CloudTrailRecord[] = [];
  const invalid: InvalidRecord[] = [];
  let filteredOut = 0;
  decoded.records.forEach((item, index) => {
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
  return {
    path,
    bytes,
    rawBytes: buffer.length,
    records: decoded.records.length,
    parsed: true,
    matches,
    filteredOut,
    invalid,
  };
}

let sharedPrefilter: Prefilter | undefined;

/** Reads, decompresses and scans one file. Never throws: failures come back in `error`. */
export async function scanFile(path: string, options: ScanOptions): Promise<FileScan> {
  let bytes = 0;
  try {
    const compressed = await readFile(path);
    bytes = compressed.length;
    const buffer = inflate(compressed);
    sharedPrefilter ??= createPrefilter();
    if (options.fullParse !== true && !sharedPrefilter.mayMatch(buffer)) {
      checkShape(buffer);
      return {
        path,
        bytes,
        rawBytes: buffer.length,
        records: countRecords(buffer),
        parsed: false,
        matches: [],
        filteredOut: 0,
        invalid: [],
      };
    }
    return scanDecoded(path, bytes, buffer, options);
  } catch (error) {
    const reason =
      error instanceof UnreadableFileError
        ? error.message
        : `cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    return {
      path,
      bytes,
      rawBytes: 0,
      records: 0,
      parsed: false,
      matches: [],
      filteredOut: 0,
      invalid: [],
      error: reason,
    };
  }
}
