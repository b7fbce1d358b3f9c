import { measured } from '../../cli/display-width';

/** A printed table read back: its headers and the cells of each row, padding trimmed. */
export interface ParsedTable {
  readonly headers: string[];
  readonly rows: string[][];
  /** The table's lines as printed, header and rule included. */
  readonly lines: string[];
}

/**
 * The text of `line` between two display columns (a wide character counts two). Columns are
 * two spaces apart, so a zero-width mark on either edge belongs to this cell.
 */
function sliceColumns(line: string, from: number, to: number): string {
  let column = 0;
  let text = '';
  for (const [char, width] of measured(line)) {
    if (column >= from && column + width <= to) text += char;
    column += width;
  }
  return text;
}

/**
 * Reads a table printed by the CLI from the start of `text` up to the first empty line. The
 * rule line under the header (`----  ------`) gives each column's place, so cells with spaces
 * or empty cells are read correctly.
 */
export function parseTable(text: string): ParsedTable {
  const all = text.split('\n');
  const end = all.indexOf('');
  const lines = all.slice(0, end === -1 ? all.length : end);
  const rule = lines[1] ?? '';
  const spans = [...rule.matchAll(/-+/g)].map(
    (match) => [match.index, match.index + match[0].length] as const,
  );
  const cells = (line: string) => spans.map(([from, to]) => sliceColumns(line, from, to).trim());
  return { headers: cells(lines[0] ?? ''), rows: lines.slice(2).map(cells), lines };
}
