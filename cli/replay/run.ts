import type { ProcessDeps, ProcessResult } from '../../lambda/core/process';
import { CATALOG } from '../../lambda/core/catalog';
import { processRecord } from '../../lambda/core/process';
import type { InputFile } from './files';
import type { MetAlerts } from './met';
import { MetInMemory } from './met';
import { scanAll } from './pool';
import type { FileScan, InvalidRecord, RecordFilter, ScanOptions } from './scan';

/** Log files from elsewhere than the local disk (S3), scanned after the local ones. */
export interface ScanSource {
  readonly files: number;
  readonly bytes: number;
  scans(options: ScanOptions): AsyncIterable<FileScan>;
}

/**
 * What a replay found, in words that add up:
 *   matched = new + already stored          (distinct alerts this run met)
 *   new     = notified + suppressed + capped (stored by this run)
 * A repeat (the same event delivered twice) is counted once, in `repeats`.
 */
export interface ReplayCounts {
  files: number;
  records: number;
  /** Distinct alerts this run met: records matching a detection, past the filters. */
  matched: number;
  /** Alerts this run stored. */
  new: number;
  /** Alerts stored before this run met them (an earlier replay, or an interrupted one). */
  alreadyStored: number;
  /** New alerts notified (to the local stand-in for SNS unless --publish). */
  notified: number;
  /** New alerts stored but not notified because an exception matched. */
  suppressed: number;
  /** New alerts stored but not notified because the detection's cap for the window was reached. */
  capped: number;
  /** Matches of an alert this run had already met: an event delivered more than once. */
  repeats: number;
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
  /** Every match; `repeat` when this run had already met the alert. */
  onAlert?(result: ProcessResult, repeat: boolean): void;
  onFileError?(path: string, reason: string): void;
  onInvalidRecord?(path: string, invalid: InvalidRecord): void;
  /**
   * After every file. A promise holds the run until it settles: the command waits here for
   * its output to drain, so alerts written faster than a pipe reads them do not pile up.
   */
  onProgress?(progress: ReplayProgress): void | Promise<void>;
}

export interface ReplayOptions {
  readonly files: readonly InputFile[];
  readonly filter: RecordFilter;
  readonly workers: number;
  readonly fullParse?: boolean;
  /** Sigma rules the scan runs beside the built-in catalog. @default - none */
  readonly sigmaRules?: ScanOptions['sigmaRules'];
  /** May still be settling (a store being opened): only the first match waits for it. */
  readonly deps: ProcessDeps | Promise<ProcessDeps>;
  /** The run's record of the alerts it met, settling with `deps`. @default - kept in memory */
  readonly met?: MetAlerts | Promise<MetAlerts>;
  /** @default - local files only */
  readonly sources?: readonly ScanSource[];
}

export function emptyCounts(): ReplayCounts {
  return {
    files: 0,
    records: 0,
    matched: 0,
    new: 0,
    alreadyStored: 0,
    notified: 0,
    suppressed: 0,
    capped: 0,
    repeats: 0,
    unreadable: 0,
    invalidRecords: 0,
    filteredOut: 0,
    bytes: 0,
    rawBytes: 0,
  };
}

/** Adds one match to the counts; returns whether this run had already met the alert. */
function countMatch(counts: ReplayCounts, met: MetAlerts, result: ProcessResult): boolean {
  if (met.meet(result.alert.alertId)) {
    counts.repeats += 1;
    return true;
  }
  counts.matched += 1;
  switch (result.outcome) {
    case 'duplicate':
    case 'resumed':
    case 'in-flight':
      // A resumed alert was stored by a run that stopped before notifying; this one sends it.
      // One in flight is being sent right now by another delivery (a live detector).
      counts.alreadyStored += 1;
      break;
    case 'suppressed':
    case 'capped':
    case 'notified':
      counts.new += 1;
      counts[result.outcome] += 1;
      break;
  }
  return false;
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
  let met: MetAlerts | undefined;
  const started = Date.now();
  const sources = options.sources ?? [];
  const bytesTotal =
    options.files.reduce((sum, file) => sum + file.size, 0) +
    sources.reduce((sum, source) => sum + source.bytes, 0);
  const filesTotal = options.files.length + sources.reduce((sum, source) => sum + source.files, 0);
  const scanOptions = {
    filter: options.filter,
    ...(options.fullParse === true ? { fullParse: true } : {}),
    ...(options.sigmaRules !== undefined ? { sigmaRules: options.sigmaRules } : {}),
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
      listener.onInvalidRecord?.(scan.path, invalid);
    }
    const deps = scan.matches.length > 0 ? await options.deps : undefined;
    if (deps !== undefined) met ??= (await options.met) ?? new MetInMemory();
    for (const [index, record] of scan.matches.entries()) {
      if (deps === undefined || met === undefined) break;
      // The scan already ran the catalog; deliver what it found, of the selected packs.
      const ruleIds = scan.matchedRules[index] ?? [];
      const detections = (deps.catalog ?? CATALOG).filter((d) => ruleIds.includes(d.id));
      if (detections.length === 0) continue;
      for (const result of await processRecord(record, deps, detections)) {
        listener.onAlert?.(result, countMatch(counts, met, result));
      }
    }
    await listener.onProgress?.({
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
