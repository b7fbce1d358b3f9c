import type { ProcessDeps, ProcessResult } from '../../lambda/core/process';
import { processRecord } from '../../lambda/core/process';
import type { InputFile } from './files';
import { scanAll } from './pool';
import type { FileScan, RecordFilter, ScanOptions } from './scan';

/** Log files from elsewhere than the local disk (S3), scanned after the local ones. */
export interface ScanSource {
  readonly files: number;
  readonly bytes: number;
  scans(options: ScanOptions): AsyncIterable<FileScan>;
}

export interface ReplayCounts {
  files: number;
  records: number;
  /** Records that matched a detection and passed the filters. */
  matched: number;
  /** Alerts this run created. */
  alerts: number;
  /** Alerts that already existed (a redelivered event, or an earlier replay). */
  duplicates: number;
  /** Alerts recorded but not notified because an exception matched. */
  suppressed: number;
  /** Alerts recorded but not notified because the detection's cap for the window was reached. */
  capped: number;
  unreadable: number;
  invalidRecords: number;
  /** Matching records left out by --since/--until/--account/--region. */
  filteredOut: number;
  bytes: number;
  rawBytes: number;
}

export interface ReplayProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly records: number;
  readonly elapsedMs: number;
}

export interface ReplayListener {
  onAlert?(result: ProcessResult): void;
  onFileError?(path: string, reason: string): void;
  onInvalidRecord?(path: string, index: number, reason: string): void;
  onProgress?(progress: ReplayProgress): void;
}

export interface ReplayOptions {
  readonly files: readonly InputFile[];
  readonly filter: RecordFilter;
  readonly workers: number;
  readonly fullParse?: boolean;
  /** May still be settling (a store being opened): only the first match waits for it. */
  readonly deps: ProcessDeps | Promise<ProcessDeps>;
  /** @default - local files only */
  readonly sources?: readonly ScanSource[];
}

export function emptyCounts(): ReplayCounts {
  return {
    files: 0,
    records: 0,
    matched: 0,
    alerts: 0,
    duplicates: 0,
    suppressed: 0,
    capped: 0,
    unreadable: 0,
    invalidRecords: 0,
    filteredOut: 0,
    bytes: 0,
    rawBytes: 0,
  };
}

/**
 * Runs the catalog over log files through the same `processRecord` the Lambda uses, so a
 * replayed alert is stored exactly as a live one would be.
 */
export async function runReplay(
  options: ReplayOptions,
  listener: ReplayListener = {},
): Promise<ReplayCounts> {
  const counts = emptyCounts();
  const started = Date.now();
  const sources = options.sources ?? [];
  const bytesTotal =
    options.files.reduce((sum, file) => sum + file.size, 0) +
    sources.reduce((sum, source) => sum + source.bytes, 0);
  const filesTotal = options.files.length + sources.reduce((sum, source) => sum + source.files, 0);
  const scanOptions = {
    filter: options.filter,
    ...(options.fullParse === true ? { fullParse: true } : {}),
  };
  async function* everyScan(): AsyncGenerator<FileScan> {
    yield* scanAll(options.files, scanOptions, options.workers);
    for (const source of sources) yield* source.scans(scanOptions);
  }
  for await (const scan of everyScan()) {
    counts.files += 1;
    counts.bytes += scan.bytes;
    counts.rawBytes += scan.rawBytes;
    counts.records += scan.records;
    counts.filteredOut += scan.filteredOut;
    if (scan.error !== undefined) {
      counts.unreadable += 1;
      listener.onFileError?.(scan.path, scan.error);
    }
    for (const invalid of scan.invalid) {
      counts.invalidRecords += 1;
      listener.onInvalidRecord?.(scan.path, invalid.index, invalid.reason);
    }
    for (const record of scan.matches) {
      counts.matched += 1;
      for (const result of await processRecord(record, await options.deps)) {
        if (result.outcome === 'duplicate') counts.duplicates += 1;
        else if (result.outcome === 'suppressed') counts.suppressed += 1;
        else {
          counts.alerts += 1;
          if (result.outcome === 'capped') counts.capped += 1;
        }
        listener.onAlert?.(result);
      }
    }
    listener.onProgress?.({
      filesDone: counts.files,
      filesTotal,
      bytesDone: counts.bytes,
      bytesTotal,
      records: counts.records,
      elapsedMs: Date.now() - started,
    });
  }
  return counts;
}
