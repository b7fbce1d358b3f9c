/**
 * The rows of a replay's table, for output that gets every row (a pipe, a file): held in
 * memory up to a chunk, then written out sorted, a run file per chunk, in a temporary
 * directory; runs are merged sixteen at a time as they pile up, and what is left is merged
 * when read. A backtest of hundreds of thousands of alerts then holds one chunk and a block
 * of each open run, not every row.
 */
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../store-lock';

/** One alert's row, before the column that says what this run did with it. */
export interface SpillRow {
  readonly alertId: string;
  readonly eventTime: string;
  readonly isNew: boolean;
  readonly cells: readonly string[];
}

interface Ranked extends SpillRow {
  /** Arrival order: rows at the same event time keep it. */
  readonly seq: number;
}

/** Rows held in memory before they are written out as a sorted run. */
const CHUNK_ROWS = 10_000;
/**
 * Runs of one size merged into one run of the next: what is open at once while merging stays
 * FAN_IN runs, and each row is written again once per level (three for a million rows).
 */
const FAN_IN = 16;
/** Bytes read from a run file at a time. */
const READ_BYTES = 16 * 1024;
/** Characters written to a run file at a time. */
const WRITE_CHARS = 64 * 1024;

/** Event time, then arrival: a total order, so sorted runs merge into one sorted list. */
function order(a: Ranked, b: Ranked): number {
  if (a.eventTime !== b.eventTime) return a.eventTime < b.eventTime ? -1 : 1;
  return a.seq - b.seq;
}

/** The lines of a file, read a block at a time. */
function* linesOf(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const block = Buffer.alloc(READ_BYTES);
    let pending = '';
    for (;;) {
      const read = readSync(fd, block, 0, READ_BYTES, null);
      if (read === 0) break;
      // lineOf escapes every character past ASCII, so a block's end splits none.
      pending += block.toString('latin1', 0, read);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      yield* lines;
    }
    if (pending !== '') yield pending;
  } finally {
    closeSync(fd);
  }
}

/** A row as a run file holds it: one line of JSON, ASCII only (see linesOf). */
function lineOf(row: Ranked): string {
  return JSON.stringify(row).replace(/[\u0080-\uffff]/g, escapeChar);
}

/** A run file's rows, in the order they were written. */
function* rowsOf(path: string): Generator<Ranked> {
  for (const line of linesOf(path)) yield JSON.parse(line) as Ranked;
}

interface Head {
  row: Ranked;
  readonly source: Iterator<Ranked>;
}

/** The rows of several sorted streams as one sorted stream: a binary heap of their heads. */
function* merged(sources: readonly Iterator<Ranked>[]): Generator<Ranked> {
  const heap: Head[] = [];
  const before = (a: Head | undefined, b: Head | undefined): boolean =>
    a !== undefined && b !== undefined && order(a.row, b.row) < 0;
  const swap = (i: number, j: number): void => {
    const a = heap[i];
    const b = heap[j];
    if (a === undefined || b === undefined) return;
    heap[i] = b;
    heap[j] = a;
  };
  const up = (start: number): void => {
    for (let i = start; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (start: number): void => {
    for (let i = start; ;) {
      let least = i;
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (before(heap[child], heap[least])) least = child;
      }
      if (least === i) return;
      swap(i, least);
      i = least;
    }
  };
  try {
    for (const source of sources) {
      const first = source.next();
      if (first.done === true) continue;
      heap.push({ row: first.value, source });
      up(heap.length - 1);
    }
    for (let top = heap[0]; top !== undefined; top = heap[0]) {
      yield top.row;
      const next = top.source.next();
      if (next.done === true) {
        const last = heap.pop();
        if (heap.length === 0 || last === undefined) return;
        heap[0] = last;
      } else {
        top.row = next.value;
      }
      down(0);
    }
  } finally {
    // A reader stopped early (or failed) still closes every run file it had open.
    for (const source of sources) source.return?.();
  }
}

export interface RowSpillOptions {
  /** Rows held before a sorted run is written out. @default 10,000 */
  readonly chunkRows?: number;
  /** Where the run files' directory is made. @default the system's temporary directory */
  readonly parent?: string;
  /** Runs of one level merged into one of the next. @default 16 */
  readonly fanIn?: number;
}

/** Rows to be read back sorted by event time (ties in arrival order), held a chunk at a time. */
export class RowSpill {
  private readonly chunkRows: number;
  private readonly parent: string;
  private readonly fanIn: number;
  private chunk: Ranked[] = [];
  /** The run files, each with its level: 0 for a chunk, n + 1 for FAN_IN runs of level n. */
  private runs: { readonly path: string; readonly level: number }[] = [];
  private dir: string | undefined;
  private added = 0;
  private files = 0;

  constructor(options: RowSpillOptions = {}) {
    this.chunkRows = options.chunkRows ?? CHUNK_ROWS;
    this.parent = options.parent ?? tmpdir();
    this.fanIn = Math.max(2, options.fanIn ?? FAN_IN);
  }

  /** Rows added. */
  get size(): number {
    return this.added;
  }

  add(row: SpillRow): void {
    this.chunk.push({ ...row, seq: this.added });
    this.added += 1;
    if (this.chunk.length >= this.chunkRows) this.writeRun();
  }

  /** Every row added, by event time then arrival; may be read more than once. */
  *sorted(): Generator<SpillRow> {
    this.chunk.sort(order);
    if (this.runs.length === 0) {
      yield* this.chunk;
      return;
    }
    yield* merged([...this.runs.map((run) => rowsOf(run.path)), this.chunk[Symbol.iterator]()]);
  }

  /** Lets every row go and removes the run files. */
  release(): void {
    this.chunk = [];
    this.runs = [];
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Writes the chunk out as a run, then merges every FAN_IN runs of a level into one. */
  private writeRun(): void {
    this.chunk.sort(order);
    this.spilling(() => {
      this.runs.push({ path: this.write(this.chunk), level: 0 });
      for (let level = 0; ; level++) {
        const same = this.runs.filter((run) => run.level === level);
        if (same.length < this.fanIn) break;
        const path = this.write(merged(same.map((run) => rowsOf(run.path))));
        for (const run of same) rmSync(run.path, { force: true });
        this.runs = [...this.runs.filter((run) => run.level !== level), { path, level: level + 1 }];
      }
    });
    this.chunk = [];
  }

  /** Writes sorted rows to a new run file, a block at a time, and answers its path. */
  private write(rows: Iterable<Ranked>): string {
    if (this.dir === undefined) {
      sweepAbandoned(this.parent);
      this.dir = mkdtempSync(join(this.parent, `${DIR_PREFIX}${process.pid}-`));
    }
    const path = join(this.dir, `run-${this.files}.jsonl`);
    this.files += 1;
    const fd = openSync(path, 'w');
    try {
      let text = '';
      for (const row of rows) {
        text += `${lineOf(row)}\n`;
        if (text.length >= WRITE_CHARS) {
          writeAll(fd, text);
          text = '';
        }
      }
      writeAll(fd, text);
    } finally {
      closeSync(fd);
    }
    return path;
  }

  /** Runs `work`, turning a failure to write the run files into one line saying what to do. */
  private spilling(work: () => void): void {
    try {
      work();
    } catch (error) {
      throw new RowSpillError(
        `cannot keep the table's rows in ${this.dir ?? this.parent}: ${error instanceof Error ? error.message : String(error)}; ` +
          'free some space there, point TMPDIR elsewhere, or use --format jsonl, which keeps no rows',
      );
    }
  }
}

/** The run files of a piped table could not be written. */
export class RowSpillError extends Error {
  override readonly name = 'RowSpillError';
}

/** The run files' directory: this prefix, the process id, a dash, then mkdtemp's letters. */
const DIR_PREFIX = 'sgwatch-rows-';

/**
 * Removes the run files' directories that replays killed part-way left in `parent` (a
 * SIGKILL leaves no time to clean up): those of processes no longer running. Another
 * user's, or one that cannot be read, stays.
 */
function sweepAbandoned(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const pid = Number(name.slice(DIR_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
    } catch {
      // Not ours to remove: it stays.
    }
  }
}

/** Writes all of `text` (ASCII) to `fd`, however many writes the system takes for it. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  for (let done = 0; done < bytes.length;) {
    done += writeSync(fd, bytes, done, bytes.length - done);
  }
}

function escapeChar(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
