import type { Alert } from '../lambda/core/alert';
import { cleanText, truncate } from '../lambda/core/text';

/** A fixed-width text table; every cell is cleaned of control characters first. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  maxWidth = 48,
): string {
  const clean = rows.map((row) => row.map((cell) => cleanText(cell, maxWidth)));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...clean.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return (
    [line(headers), line(widths.map((w) => '-'.repeat(w))), ...clean.map(line)].join('\n') + '\n'
  );
}

/** The short principal shown in tables: the part of the ARN after the account. */
export function shortPrincipal(principal: string): string {
  const match = /^arn:[^:]*:[^:]*::\d{12}:(.+)$/.exec(principal);
  return truncate(match?.[1] ?? principal, 40);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** One row per alert for the replay summary and `alerts list`. */
export function alertRows(alerts: readonly Alert[]): string[][] {
  return alerts.map((alert) => [
    alert.alertId,
    alert.eventTime.replace(/\.\d{3}Z$/, 'Z'),
    alert.severity,
    alert.eventName,
    alert.outcome === 'failure' ? `failed: ${alert.error?.code ?? ''}` : 'success',
    `${alert.account}/${alert.region}`,
    shortPrincipal(alert.principal),
    alert.resource.name,
    alert.status,
  ]);
}

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
