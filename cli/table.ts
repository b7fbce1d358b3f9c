import { cleanText } from '../lambda/core/text';
import { cutToWidth, displayWidth, padToWidth } from './display-width';
import type { CliIo, Output } from './io';

/**
 * Longest cell, in UTF-16 units, before any fitting. Alert fields are stored at most 1,024
 * units long and a cell joins at most two (account and Region), so nothing an alert holds
 * is cut by it; it still bounds the work a hostile cell can cause.
 */
const MAX_CELL = 4096;
/**
 * A cut column keeps at least this many display columns, ellipsis included, while a column
 * can still be dropped: enough of a name to recognise it.
 */
const MIN_CUT = 12;
const GAP = 2;
/** The note about left-out columns stays within the narrowest terminal tables are fitted to. */
const NOTE_WIDTH = 80;

/** A column's header and cells, as shown or in a shorter form. */
export interface ColumnText {
  readonly header: string;
  readonly cells: readonly string[];
}

/** What a table's column holds and how it gives way when the terminal is too narrow. */
export interface Column {
  readonly header: string;
  /**
   * How much the column is worth on a narrow terminal: the lowest is abbreviated first and,
   * when abbreviating is not enough, dropped first.
   */
  readonly priority: number;
  /**
   * Never cut with an ellipsis: ids a person pastes into the next command, names that tell
   * one service from another, words and codes that mean nothing cut (a droppable one is
   * dropped instead).
   * @default false
   */
  readonly whole?: boolean;
  /** May be left out entirely when the table does not fit. @default false */
  readonly droppable?: boolean;
  /**
   * A shorter form of the whole column, header included, that loses little (a time without
   * its seconds, a Region by its code). It sees every cell, so it can leave out what they share.
   * @default - no short form
   */
  readonly abbreviate?: (cells: readonly string[]) => ColumnText;
}

export interface RenderedTable {
  /** The table, a line per row after the header and its rule, each ending in a newline. */
  readonly text: string;
  /** Headers of the columns left out to fit, in the order they were dropped. */
  readonly leftOut: readonly string[];
}

interface Part extends ColumnText {
  readonly column: Column;
  /** Display columns of the widest cell or the header. */
  readonly natural: number;
}

function part(column: Column, text: ColumnText): Part {
  // A fold, not Math.max(...cells): a piped replay may list more rows than a call takes.
  const natural = text.cells.reduce(
    (widest, cell) => Math.max(widest, displayWidth(cell)),
    displayWidth(text.header),
  );
  return { column, ...text, natural };
}

function lineWidth(widths: readonly number[]): number {
  return widths.reduce((sum, width) => sum + width, 0) + GAP * Math.max(0, widths.length - 1);
}

/** The parts, least worth first; ties keep the table's order. */
function byPriority(parts: readonly Part[]): Part[] {
  return [...parts].sort((a, b) => a.column.priority - b.column.priority);
}

/** First rule: short forms, least useful column first, until the table fits. */
function abbreviate(parts: readonly Part[], width: number): Part[] {
  let current = [...parts];
  for (const next of byPriority(parts)) {
    if (lineWidth(current.map((p) => p.natural)) <= width) break;
    const shorten = next.column.abbreviate;
    if (shorten === undefined) continue;
    const short = part(next.column, shorten(next.cells));
    current = current.map((p) => (p === next ? short : p));
  }
  return current;
}

/** The narrowest a part can be made without dropping it. */
function floorOf(p: Part): number {
  return p.column.whole === true ? p.natural : Math.min(p.natural, MIN_CUT);
}

/**
 * Second rule: drop droppable columns, least useful first, until cutting can do the rest
 * without narrowing any cut column below MIN_CUT.
 */
function drop(parts: readonly Part[], width: number): { kept: Part[]; dropped: Part[] } {
  let kept = [...parts];
  const dropped: Part[] = [];
  for (const next of byPriority(parts)) {
    if (lineWidth(kept.map(floorOf)) <= width) break;
    if (next.column.droppable !== true) continue;
    kept = kept.filter((p) => p !== next);
    dropped.push(next);
  }
  return { kept, dropped };
}

/** The cuttable column to narrow next: the widest above `floor`, or -1 when there is none. */
function widestAbove(parts: readonly Part[], widths: readonly number[], floor: number): number {
  let widest = -1;
  widths.forEach((w, i) => {
    if (parts[i]?.column.whole === true || w <= floor) return;
    if (widest === -1 || w > (widths[widest] ?? 0)) widest = i;
  });
  return widest;
}

/**
 * Last rule: cut the widest cuttable column one column at a time, first down to the floor
 * that keeps a cut cell readable, then below it. Whole columns are never cut: if they alone
 * are wider than the terminal (only forged logs hold such names), the terminal wraps them.
 */
function cutWidths(parts: readonly Part[], width: number): number[] {
  const widths = parts.map((p) => p.natural);
  while (lineWidth(widths) > width) {
    let next = widestAbove(parts, widths, MIN_CUT);
    if (next === -1) next = widestAbove(parts, widths, 1);
    if (next === -1) break;
    widths[next] = (widths[next] ?? 0) - 1;
  }
  return widths;
}

function line(values: readonly string[], widths: readonly number[]): string {
  return values
    .map((value, i) => padToWidth(cutToWidth(value, widths[i] ?? 0), widths[i] ?? 0))
    .join(' '.repeat(GAP))
    .trimEnd();
}

/**
 * A fixed-width text table; every cell is cleaned of control characters first. With a
 * `width` (a terminal's), it fits that many display columns: short forms first, then
 * droppable columns left out, least useful first, then the widest cuttable cells cut with
 * "…". Without one (a pipe, a file, --wide), every cell is shown whole.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  width?: number,
): RenderedTable {
  const parts = columns.map((column, i) =>
    part(column, {
      header: column.header,
      cells: rows.map((row) => cleanText(row[i], MAX_CELL)),
    }),
  );
  let shown = parts;
  let dropped: Part[] = [];
  let widths = parts.map((p) => p.natural);
  if (width !== undefined) {
    ({ kept: shown, dropped } = drop(abbreviate(parts, width), width));
    widths = cutWidths(shown, width);
  }
  const text = [
    line(
      shown.map((p) => p.header),
      widths,
    ),
    line(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...rows.map((_, row) =>
      line(
        shown.map((p) => p.cells[row] ?? ''),
        widths,
      ),
    ),
  ];
  return { text: `${text.join('\n')}\n`, leftOut: dropped.map((p) => p.column.header) };
}

/**
 * A table with every cell whole, written a line at a time: what `renderTable` writes without
 * a width, for more rows than are worth holding at once. Every row is first shown to `widen`
 * (which answers it cleaned, as `renderTable` cleans cells); then `head` and one `line` per
 * cleaned row, in any order, give the same text.
 */
export class WholeTable {
  private readonly widths: number[];

  constructor(private readonly columns: readonly Column[]) {
    this.widths = columns.map((column) => displayWidth(column.header));
  }

  /** The row's cells cleaned; the columns widen to hold them. */
  widen(row: readonly (string | undefined)[]): string[] {
    return this.columns.map((_, i) => {
      const cell = cleanText(row[i], MAX_CELL);
      this.widths[i] = Math.max(this.widths[i] ?? 0, displayWidth(cell));
      return cell;
    });
  }

  /** The header and its rule. */
  head(): string {
    const rule = this.widths.map((w) => '-'.repeat(w));
    return `${line(
      this.columns.map((c) => c.header),
      this.widths,
    )}\n${line(rule, this.widths)}\n`;
  }

  /** One row, cleaned by `widen`. */
  line(cells: readonly string[]): string {
    return `${line(cells, this.widths)}\n`;
  }
}

/**
 * The width to fit tables into: the terminal's. Undefined with --wide, and when the output
 * is a pipe or a file, which is read by programs and never cut.
 */
export function fitWidth(output: Output, wide: boolean): number | undefined {
  const columns = output.columns;
  return !wide && output.isTTY === true && columns !== undefined && columns > 0
    ? columns
    : undefined;
}

/**
 * One line, within 80 columns, saying which columns a fitted table left out and how to see
 * them: as many names as fit, the rest counted.
 */
export function leftOutNote(leftOut: readonly string[]): string {
  const note = (what: string) => `sgwatch: left out ${what} (--wide or --format jsonl shows all)`;
  for (let count = leftOut.length; count > 0; count -= 1) {
    const more = leftOut.length - count;
    const text = note(
      `${leftOut.slice(0, count).join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
    );
    if (displayWidth(text) <= NOTE_WIDTH) return text;
  }
  return note(`${leftOut.length} columns`);
}

/** Prints a table on stdout, fitted to the terminal, and the note on what it left out. */
export function printTable(
  io: CliIo,
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  wide: boolean,
): void {
  const table = renderTable(columns, rows, fitWidth(io.stdout, wide));
  io.stdout.write(table.text);
  if (table.leftOut.length > 0) io.stderr.write(`${leftOutNote(table.leftOut)}\n`);
}
