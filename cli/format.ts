import type { Alert } from '../lambda/core/alert';
import { cleanText, truncate } from '../lambda/core/text';

/** Longest cell when the table is not fitted to a terminal and not `--wide`. */
const DEFAULT_CELL = 48;
/** Longest cell with `--wide`: enough for any ARN, bounded for hostile input. */
const WIDE_CELL = 1024;
/** A cut column keeps at least this many characters; its header is cut too if longer. */
const MIN_COLUMN = 6;
const GAP = 2;

export interface TableLayout {
  /**
   * Columns of the terminal to fit into: the widest columns not listed in `keep` are cut, with
   * an ellipsis, until the table fits. Undefined: no fitting (output to a file or a pipe).
   */
  readonly width?: number;
  /** Headers of the columns never cut (an id, a time). @default [] */
  readonly keep?: readonly string[];
  /** Show every cell whole (up to a bound for hostile input), whatever the width. @default false */
  readonly wide?: boolean;
}

/** How a command's table is laid out: fitted to a terminal, whole with --wide or when piped. */
export function layoutFor(
  output: { readonly isTTY?: boolean; readonly columns?: number },
  wide: boolean,
  keep: readonly string[],
): TableLayout {
  if (wide) return { wide: true };
  const columns = output.columns;
  return output.isTTY === true && columns !== undefined && columns > 0
    ? { width: columns, keep }
    : {};
}

/** Column widths that fit `width`, cutting the widest cuttable column one character at a time. */
function fitWidths(
  natural: readonly number[],
  headers: readonly string[],
  layout: TableLayout,
): number[] {
  const widths = [...natural];
  const width = layout.width;
  if (width === undefined) return widths;
  const keep = new Set(layout.keep ?? []);
  const floor = natural.map((w) => Math.min(w, MIN_COLUMN));
  const total = () => widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1);
  while (total() > width) {
    let widest = -1;
    widths.forEach((w, i) => {
      const header = headers[i] ?? '';
      if (keep.has(header) || w <= (floor[i] ?? 0)) return;
      if (widest === -1 || w > (widths[widest] ?? 0)) widest = i;
    });
    // Nothing left to cut: the table cannot be narrower; the terminal wraps it.
    if (widest === -1) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/**
 * A fixed-width text table; every cell is cleaned of control characters first. Without a
 * layout, cells are cut at 48 characters (the historical default).
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  layout: TableLayout = {},
): string {
  const limit = layout.wide === true ? WIDE_CELL : DEFAULT_CELL;
  const cells = rows.map((row) => row.map((cell) => cleanText(cell, limit)));
  const natural = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const widths = fitWidths(natural, headers, layout);
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => truncate(value, widths[i] ?? 0).padEnd(widths[i] ?? 0))
      .join(' '.repeat(GAP))
      .trimEnd();
  return (
    [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n'
  );
}

/** The short principal shown in tables: the part of the ARN after the account. */
export function shortPrincipal(principal: string, max = 40): string {
  const match = /^arn:[^:]*:[^:]*::\d{12}:(.+)$/.exec(principal);
  return truncate(match?.[1] ?? principal, max);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** One row per alert for the replay summary and `alerts list`; `wide` keeps the principal whole. */
export function alertRows(alerts: readonly Alert[], wide = false): string[][] {
  return alerts.map((alert) => [
    alert.alertId,
    alert.eventTime.replace(/\.\d{3}Z$/, 'Z'),
    alert.severity,
    alert.eventName,
    alert.outcome === 'failure' ? `failed: ${alert.error?.code ?? ''}` : 'success',
    `${alert.account}/${alert.region}`,
    shortPrincipal(alert.principal, wide ? Number.MAX_SAFE_INTEGER : 40),
    alert.resource.name,
    alert.status,
  ]);
}

/** Columns of the alert tables that are never cut to fit a terminal. */
export const ALERT_KEY_HEADERS = ['ID', 'TIME', 'SEV'];

export const ALERT_HEADERS = [
  'ID',
  'TIME',
  'SEV',
  'CALL',
  'RESULT',
  'ACCOUNT/REGION',
  'PRINCIPAL',
  'GROUP',
  'STATUS',
];
