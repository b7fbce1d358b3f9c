/**
 * The rows of a piped replay table are held a chunk at a time and the rest written out in
 * sorted runs: read back, they must be every row, by event time, ties in arrival order, as a
 * stable sort of everything held in memory gives them, whatever the chunk size and whatever
 * the cells hold. The replay output built on it must print the table `renderTable` prints.
 */
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessResult } from '../../../lambda/core/process';
import { ALERT_COLUMNS, alertRows } from '../../../cli/format';
import type { CliIo, Output } from '../../../cli/io';
import { ReplayOutput } from '../../../cli/replay/output';
import type { SpillRow } from '../../../cli/replay/row-spill';
import { RowSpill, RowSpillError } from '../../../cli/replay/row-spill';
import type { ReplayCounts } from '../../../cli/replay/run';
import { renderTable } from '../../../cli/table';
import { alertFor } from '../../support/alert-seeds';

let parent: string;

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'sgwatch-spill-test-'));
});

afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
});

function randomOf(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
}

/** Text a run file must carry unchanged: quotes, newlines, non-ASCII, emoji, lone surrogates. */
const AWKWARD = ['plain', 'a "quoted"\nline', 'Zürich ☃', '🦆 duck', 'lone \ud800 high', '\\u0041'];

function rowsFor(seed: number, count: number): SpillRow[] {
  const random = randomOf(seed);
  return Array.from({ length: count }, (_, i) => ({
    alertId: `id-${i}`,
    // Few distinct times, so ties are many.
    eventTime: `2026-03-0${1 + random(4)}T0${random(3)}:00:00Z`,
    isNew: random(2) === 0,
    cells: [AWKWARD[random(AWKWARD.length)] ?? '', `cell ${i}`],
  }));
}

/** A row as it was added, without what the spill adds to it. */
function strip({ alertId, eventTime, isNew, cells }: SpillRow): SpillRow {
  return { alertId, eventTime, isNew, cells };
}

/** The model: every row, stably sorted by event time as code points order it. */
function model(rows: readonly SpillRow[]): SpillRow[] {
  return [...rows].sort((a, b) =>
    a.eventTime === b.eventTime ? 0 : a.eventTime < b.eventTime ? -1 : 1,
  );
}

describe('RowSpill', () => {
  it.each([
    [1, 0],
    [1, 1],
    [2, 7],
    [3, 50],
    [7, 500],
    [1000, 2500],
    [64, 64],
  ])('reads back every row sorted, with %i rows a chunk, of %i', (chunkRows, count) => {
    const rows = rowsFor(chunkRows * 31 + count, count);
    const spill = new RowSpill({ chunkRows, parent });
    for (const row of rows) spill.add(row);
    expect(spill.size).toBe(count);
    const expected = model(rows);
    expect([...spill.sorted()].map(strip)).toEqual(expected);
    // A second read (the table reads once for widths, once to write) gives the same.
    expect([...spill.sorted()].map(strip)).toEqual(expected);
    spill.release();
    expect(readdirSync(parent)).toEqual([]);
  });

  it.each([
    [2, 2, 300],
    [3, 3, 1000],
    [1, 4, 777],
  ])(
    'merges every %i runs of a level into one (chunks of %i rows, %i rows): the same rows, few files',
    (fanIn, chunkRows, count) => {
      const rows = rowsFor(fanIn * 7 + count, count);
      const spill = new RowSpill({ chunkRows, parent, fanIn });
      for (const row of rows) spill.add(row);
      const [dir] = readdirSync(parent);
      // At most fanIn - 1 runs a level, and levels grow as the log of the runs written.
      const levels = Math.ceil(Math.log(count / chunkRows) / Math.log(Math.max(2, fanIn))) + 1;
      expect(readdirSync(join(parent, dir ?? '')).length).toBeLessThanOrEqual(
        (Math.max(2, fanIn) - 1) * levels,
      );
      expect([...spill.sorted()].map(strip)).toEqual(model(rows));
      spill.release();
      expect(readdirSync(parent)).toEqual([]);
    },
  );

  // Linux only: open files are counted in /proc.
  (existsSync('/proc/self/fd') ? it : it.skip)(
    'closes its run files when a reader stops part-way',
    () => {
      const spill = new RowSpill({ chunkRows: 5, parent });
      for (const row of rowsFor(9, 60)) spill.add(row);
      const open = () => readdirSync('/proc/self/fd').length;
      const before = open();
      for (const row of spill.sorted()) {
        expect(open()).toBeGreaterThan(before);
        expect(row.alertId).toMatch(/^id-/);
        break;
      }
      expect(open()).toBe(before);
      spill.release();
    },
  );

  it('holds no more than a chunk in memory: the rest is in run files until released', () => {
    const spill = new RowSpill({ chunkRows: 100, parent });
    for (const row of rowsFor(5, 99)) spill.add(row);
    // Under a chunk: nothing written.
    expect(readdirSync(parent)).toEqual([]);
    for (const row of rowsFor(6, 951)) spill.add(row);
    const [dir] = readdirSync(parent);
    expect(readdirSync(join(parent, dir ?? '')).length).toBe(10);
    spill.release();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('removes the run files a replay killed part-way left, and only those', () => {
    // A process that has ended: its id names a directory nobody will clean up.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid ?? 0;
    expect(dead).toBeGreaterThan(0);
    const left = (name: string) => {
      mkdirSync(join(parent, name));
      writeFileSync(join(parent, name, 'run-0.jsonl'), '{}\n');
    };
    left(`sgwatch-rows-${dead}-abc123`);
    left(`sgwatch-rows-${process.ppid}-live01`);
    left('sgwatch-rows-odd');
    left('unrelated');
    const spill = new RowSpill({ chunkRows: 2, parent });
    for (const row of rowsFor(3, 3)) spill.add(row);
    const names = readdirSync(parent);
    expect(names).not.toContain(`sgwatch-rows-${dead}-abc123`);
    expect(names).toEqual(
      expect.arrayContaining([
        `sgwatch-rows-${process.ppid}-live01`,
        'sgwatch-rows-odd',
        'unrelated',
      ]),
    );
    expect(names.filter((name) => name.startsWith(`sgwatch-rows-${process.pid}-`))).toHaveLength(1);
    spill.release();
    expect(readdirSync(parent)).toHaveLength(3);
  });

  it('says in one line where it could not write its rows and what to do', () => {
    // A file where the directory for the run files should be made.
    const blocked = join(parent, 'not-a-directory');
    writeFileSync(blocked, '');
    const spill = new RowSpill({ chunkRows: 2, parent: blocked });
    spill.add(rowsFor(1, 1)[0] as SpillRow);
    const adding = () => spill.add(rowsFor(2, 1)[0] as SpillRow);
    expect(adding).toThrow(RowSpillError);
    expect(adding).toThrow(/^cannot keep the table's rows in .*not-a-directory: .*--format jsonl/);
    expect(() => adding()).not.toThrow(/\n/);
  });
});

/** Output to a file: takes everything at once. */
class Collected implements Output {
  text = '';
  readonly isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/**
 * A pipe whose reader takes each write only after the writer waits for it: full after every
 * write until 'drain', which comes once somebody waits. Counts writes made while full.
 */
class SlowPipe extends EventEmitter implements Output {
  text = '';
  full = false;
  writesWhileFull = 0;
  writes = 0;
  readonly isTTY = false;
  get writableNeedDrain(): boolean {
    return this.full;
  }
  write(chunk: string): boolean {
    if (this.full) this.writesWhileFull += 1;
    this.writes += 1;
    this.text += chunk;
    this.full = true;
    return false;
  }
  override once(event: string, listener: () => void): this {
    super.once(event, listener);
    if (event === 'drain') {
      setImmediate(() => {
        this.full = false;
        this.emit('drain');
      });
    }
    return this;
  }
}

describe('a piped replay table held in run files', () => {
  async function outputOf(
    results: readonly [ProcessResult, boolean][],
    chunkRows: number,
    stdout: Output & { readonly text: string } = new Collected(),
  ): Promise<string> {
    const io: CliIo = {
      stdout,
      stderr: { write: () => true, isTTY: false },
      env: {},
      cwd: parent,
      now: () => new Date('2026-03-15T12:00:00Z'),
    };
    const output = new ReplayOutput(io, {
      format: 'table',
      quiet: true,
      spill: { chunkRows, parent },
    });
    for (const [result, repeat] of results) output.alert(result, repeat);
    const counts: ReplayCounts = {
      files: 1,
      records: results.length,
      bytes: 0,
      rawBytes: 0,
      unreadable: 0,
      invalidRecords: 0,
      filteredOut: 0,
      matched: results.filter(([, repeat]) => !repeat).length,
      new: 0,
      alreadyStored: 0,
      notified: 0,
      suppressed: 0,
      capped: 0,
      repeats: results.filter(([, repeat]) => repeat).length,
    };
    await output.finish(counts, { kind: 'embedded', description: 'test store' }, 1);
    output.release();
    return stdout.text;
  }

  it('prints the table renderTable prints of every row, sorted, repeats counted', async () => {
    const random = randomOf(42);
    const firsts: ProcessResult[] = Array.from({ length: 240 }, (_, i) => ({
      alert: alertFor({
        eventID: `e-${i}-${AWKWARD[random(AWKWARD.length)] ?? ''}`,
        eventTime: `2026-03-${String(1 + random(9)).padStart(2, '0')}T0${random(4)}:00:00Z`,
      }),
      outcome: random(3) === 0 ? 'duplicate' : 'notified',
    }));
    const results: [ProcessResult, boolean][] = [];
    const seen = new Map<string, number>();
    for (const first of firsts) {
      results.push([first, false]);
      seen.set(first.alert.alertId, 1);
      // Some alerts met again, later in the run.
      if (random(5) === 0) {
        const again = firsts[random(results.length)];
        if (again !== undefined && seen.has(again.alert.alertId)) {
          results.push([again, true]);
          seen.set(again.alert.alertId, (seen.get(again.alert.alertId) ?? 1) + 1);
        }
      }
    }
    const sorted = [...firsts].sort((a, b) =>
      a.alert.eventTime === b.alert.eventTime ? 0 : a.alert.eventTime < b.alert.eventTime ? -1 : 1,
    );
    const rows = sorted.map((result) => {
      const state = result.outcome === 'duplicate' ? 'already stored' : 'new';
      const times = seen.get(result.alert.alertId) ?? 1;
      return [
        ...(alertRows([result.alert])[0] ?? []),
        times > 1 ? `${state}, seen ${times}x` : state,
      ];
    });
    const expected = renderTable(
      [...ALERT_COLUMNS, { header: 'THIS RUN', priority: 0 }],
      rows,
    ).text;
    expect([...seen.values()].some((times) => times > 1)).toBe(true);
    for (const chunkRows of [1, 7, 10_000]) {
      const printed = await outputOf(results, chunkRows);
      expect(printed.slice(0, expected.length)).toBe(expected);
    }
    expect(readdirSync(parent)).toEqual([]);
  });

  it('waits for a slow reader between blocks, so the table never queues in the process', async () => {
    const results: [ProcessResult, boolean][] = Array.from({ length: 600 }, (_, i) => [
      {
        alert: alertFor({ eventID: `slow-${i}`, eventTime: `2026-03-0${1 + (i % 9)}T00:00:00Z` }),
        outcome: 'notified',
      },
      false,
    ]);
    const pipe = new SlowPipe();
    const printed = await outputOf(results, 50, pipe);
    expect(printed).toBe(await outputOf(results, 50));
    // Several blocks of 64 K characters, and not one written before the last was taken.
    expect(pipe.writes).toBeGreaterThan(2);
    expect(pipe.writesWhileFull).toBe(0);
  });
});
