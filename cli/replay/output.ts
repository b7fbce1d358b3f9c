/**
 * What a replay shows as it runs and when it ends, in the format asked for: a table of the
 * alerts (or, past a screenful in a terminal, a summary), JSON or JSON lines on stdout; the
 * progress bar, file problems and the counts on stderr. Replay and hunt print through it
 * alike, since a hunt is a replay of the files its query found.
 */
import type { ProcessResult } from '../../lambda/core/process';
import type { OutputFormat } from '../args';
import { ALERT_COLUMNS, alertRows, formatBytes } from '../format';
import type { CliIo } from '../io';
import { commandPrefix, drained, JsonRecords, shellWord } from '../io';
import type { StoreKind } from '../store';
import type { Column } from '../table';
import { fitWidth, printTable, WholeTable } from '../table';
import type { RowSpillOptions, SpillRow } from './row-spill';
import { RowSpill } from './row-spill';
import type { ReplayCounts, ReplayProgress } from './run';
import type { InvalidRecord } from './scan';
import { MAX_TERMINAL_ROWS, ReplaySummary } from './summary';

/** Characters of table written to stdout at a time, when the table is written a row at a time. */
const WRITE_CHARS = 64 * 1024;

/**
 * Whether this run stored the alert or found it stored, and how often it met the event. The
 * first column a narrow terminal gives up: the counts below the table say as much.
 */
const THIS_RUN: Column = {
  header: 'THIS RUN',
  priority: 0,
  whole: true,
  droppable: true,
  abbreviate: (cells) => ({
    header: 'THIS RUN',
    cells: cells.map((cell) => cell.replace(/^already stored/, 'stored').replace(', seen ', ' ')),
  }),
};

/** The store a run delivered to, as the closing lines describe it. */
export interface StoreDescription {
  readonly kind: StoreKind;
  readonly description: string;
}

function progressLine(progress: ReplayProgress): string {
  const seconds = Math.max(progress.elapsedMs / 1000, 0.001);
  const share = progress.bytesTotal === 0 ? 1 : progress.bytesDone / progress.bytesTotal;
  const width = 24;
  const filled = Math.round(share * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const recordsPerSecond = Math.round(progress.records / seconds).toLocaleString('en-US');
  const mbPerSecond = (progress.bytesDone / 1024 / 1024 / seconds).toFixed(1);
  return `[${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${progress.filesDone}/${progress.filesTotal} files  ${formatBytes(progress.bytesDone)}  ${recordsPerSecond} records/s  ${mbPerSecond} MB/s read`;
}

/**
 * The run's counts, on two lines of their own unit each: records (what was read) and alerts
 * (what the detections raised), the alerts' parts adding up to their total.
 */
export function countsLines(counts: ReplayCounts, reading: string): string {
  const records =
    `records ${counts.records} in ${counts.files} file${counts.files === 1 ? '' : 's'} (${reading})` +
    (counts.filteredOut > 0 ? `, ${counts.filteredOut} filtered out` : '') +
    (counts.invalidRecords > 0 ? `, ${counts.invalidRecords} invalid` : '') +
    `; unreadable files ${counts.unreadable}`;
  const alerts =
    `alerts ${counts.matched} = new ${counts.new} + already stored ${counts.alreadyStored}; ` +
    `new ${counts.new} = notified ${counts.notified} + suppressed ${counts.suppressed} + capped ${counts.capped}` +
    (counts.repeats > 0 ? `; met again ${counts.repeats} (repeated events)` : '');
  return `${records}\n${alerts}\n`;
}

/** `sgwatch alerts <rest>`, as the person ran sgwatch, with the --state-dir they gave. */
function nextAlerts(io: CliIo, rest: string, stateDir: string | undefined): string {
  const dir = stateDir !== undefined ? ` --state-dir ${shellWord(stateDir)}` : '';
  return `${commandPrefix(io.env)} alerts ${rest}${dir}`;
}

export interface ReplayOutputOptions {
  readonly format: OutputFormat;
  /** No progress bar, even in a terminal. */
  readonly quiet: boolean;
  /** Every column of the table whole, whatever the terminal's width. @default false */
  readonly wide?: boolean;
  /** The --state-dir given, repeated in the hints that follow a run. @default - none */
  readonly stateDir?: string;
  /** Where and how the rows of a piped table are held. @default RowSpill's defaults */
  readonly spill?: RowSpillOptions;
}

/** The output of one run: fed each event of the scan, then the counts at its end. */
export class ReplayOutput {
  private readonly format: OutputFormat;
  private readonly wide: boolean;
  private readonly stateDir: string | undefined;
  private readonly showProgress: boolean;
  private lastDraw = 0;
  // For the table: a summary of every alert met, and its row while the rows are to be shown
  // (always on a pipe, which gets them all, held a chunk at a time in memory and the rest in
  // sorted run files; on a terminal only up to MAX_TERMINAL_ROWS, past which the summary
  // stands in for them and the rows are let go).
  private readonly summary = new ReplaySummary();
  private rows: RowSpill | undefined;
  /** How often this run met each alert it met more than once, while the rows are kept. */
  private readonly repeats = new Map<string, number>();
  private matched = 0;
  /** Where alerts go with --format json or jsonl. */
  private readonly records: JsonRecords | undefined;

  constructor(
    private readonly io: CliIo,
    options: ReplayOutputOptions,
  ) {
    this.format = options.format;
    this.wide = options.wide === true;
    this.stateDir = options.stateDir;
    this.showProgress = io.stderr.isTTY === true && !options.quiet;
    this.rows = options.format === 'table' ? new RowSpill(options.spill) : undefined;
    this.records =
      options.format === 'table' ? undefined : new JsonRecords(io.stdout, options.format);
  }

  /** Every match; `repeat` when this run had already met the alert. */
  alert(result: ProcessResult, repeat: boolean): void {
    if (repeat) {
      const { alertId } = result.alert;
      if (this.rows !== undefined) this.repeats.set(alertId, (this.repeats.get(alertId) ?? 1) + 1);
      return;
    }
    // One line per stored alert: a repeated event adds nothing to stdout.
    if (this.records !== undefined) {
      this.records.write(result.alert);
      return;
    }
    const isNew = !['duplicate', 'resumed', 'in-flight'].includes(result.outcome);
    this.summary.add(result.alert, isNew);
    this.matched += 1;
    if (
      this.rows !== undefined &&
      this.io.stdout.isTTY === true &&
      this.matched > MAX_TERMINAL_ROWS
    ) {
      this.release();
    }
    this.rows?.add({
      alertId: result.alert.alertId,
      cells: alertRows([result.alert])[0] ?? [],
      eventTime: result.alert.eventTime,
      isNew,
    });
  }

  /** Lets the table's rows go, and the files holding them; the run is over or failed. */
  release(): void {
    this.rows?.release();
    this.rows = undefined;
    this.repeats.clear();
  }

  fileError(path: string, reason: string): void {
    this.io.stderr.write(`${this.clearLine()}sgwatch: unreadable ${path}: ${reason}\n`);
  }

  invalidRecord(path: string, { index, line, reason }: InvalidRecord): void {
    this.io.stderr.write(
      `${this.clearLine()}sgwatch: ${line !== undefined ? `${path}:${line}: invalid line` : `invalid record #${index} in ${path}`}: ${reason}\n`,
    );
  }

  /**
   * After each file: the progress bar, then a wait until a slow reader of stdout has taken
   * the file's alerts, so they do not pile up in this process.
   */
  progress(progress: ReplayProgress): Promise<void> {
    const due =
      this.showProgress &&
      progress.elapsedMs >= 1000 &&
      (progress.elapsedMs - this.lastDraw >= 200 || progress.filesDone === progress.filesTotal);
    if (due) {
      this.lastDraw = progress.elapsedMs;
      this.io.stderr.write(`\r\x1b[K${progressLine(progress)}`);
    }
    return drained(this.io.stdout);
  }

  /** Takes the progress bar off the terminal, once the scan is over (or has failed). */
  endProgress(): void {
    if (this.showProgress && this.lastDraw > 0) this.io.stderr.write('\r\x1b[K');
  }

  /** The alerts of a run that finished, then its counts. */
  async finish(counts: ReplayCounts, store: StoreDescription, threads: number): Promise<void> {
    this.records?.end();
    if (this.format === 'table') this.io.stdout.write(await this.tableEnd(counts, store));
    this.io.stderr.write(
      countsLines(
        counts,
        `${formatBytes(counts.bytes)} read, ${formatBytes(counts.rawBytes)} uncompressed, ${threads} thread${threads === 1 ? '' : 's'}`,
      ),
    );
  }

  /**
   * The table of every alert met, oldest event first. On a terminal (at most
   * MAX_TERMINAL_ROWS rows) fitted to its width; otherwise every cell whole, written a row
   * at a time from the rows read back twice, once for the columns' widths and once to write,
   * each block after the reader has taken the one before (a pipe may not block the writer).
   */
  private async printRows(rows: RowSpill): Promise<void> {
    const columns = [...ALERT_COLUMNS, THIS_RUN];
    const cells = (row: SpillRow): string[] => {
      const state = row.isNew ? 'new' : 'already stored';
      const times = this.repeats.get(row.alertId) ?? 1;
      return [...row.cells, times > 1 ? `${state}, seen ${times}x` : state];
    };
    if (fitWidth(this.io.stdout, this.wide) !== undefined) {
      printTable(this.io, columns, [...rows.sorted()].map(cells), this.wide);
      return;
    }
    const table = new WholeTable(columns);
    for (const row of rows.sorted()) table.widen(cells(row));
    let text = table.head();
    for (const row of rows.sorted()) {
      text += table.line(table.widen(cells(row)));
      if (text.length >= WRITE_CHARS) {
        this.io.stdout.write(text);
        text = '';
        await drained(this.io.stdout);
      }
    }
    this.io.stdout.write(text);
    await drained(this.io.stdout);
  }

  private clearLine(): string {
    return this.showProgress ? '\r\x1b[K' : '';
  }

  private async tableEnd(counts: ReplayCounts, store: StoreDescription): Promise<string> {
    const io = this.io;
    const stored = `${counts.matched} alert${counts.matched === 1 ? '' : 's'} matched (new ${counts.new}, already stored ${counts.alreadyStored}), in the ${store.description}.\n`;
    const since = `--since ${this.summary.earliestDay()}`;
    if (counts.matched === 0) return 'No alerts: no record matched a detection.\n';
    if (this.rows !== undefined) {
      await this.printRows(this.rows);
      return store.kind === 'memory'
        ? `\n${stored}The in-memory store is gone when replay ends; run without --store memory to keep them.\n`
        : `\n${stored}Next: ${nextAlerts(io, `list ${since}`, this.stateDir)}   or   ${nextAlerts(io, 'show <ID>', this.stateDir)}\n`;
    }
    const jsonl = `${commandPrefix(io.env)} replay --format jsonl ...`;
    return (
      `${stored}\n${this.summary.render()}\n` +
      (store.kind === 'memory'
        ? `Every alert: ${jsonl} (the in-memory store is gone when replay ends; run without --store memory to keep them).\n`
        : `Every alert: ${nextAlerts(io, `list ${since} --limit 1000`, this.stateDir)} (newest first; narrow with --rule, --principal, --account, --status, --until), or ${jsonl}; piped to a file or another program, replay lists them all.\n`)
    );
  }
}
