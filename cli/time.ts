import { UsageError } from './store';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `--since`/`--until` values: an ISO-8601 time (`2026-03-01`, `2026-03-01T12:00Z`)
 * or an age relative to now (`90m`, `12h`, `7d`, `2w`). Returns epoch milliseconds.
 */
export function parseTime(value: string, flag: string, now: Date): number {
  const relative = /^(\d+)([mhdw])$/.exec(value.trim());
  if (relative !== null) {
    const [, amount, unit] = relative;
    return now.getTime() - Number(amount) * (UNITS[unit ?? 'd'] ?? 0);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const time = Date.parse(value);
    if (!Number.isNaN(time)) return time;
  }
  throw new UsageError(
    `${flag} must be an ISO time (2026-03-01T12:00Z) or an age like 90m, 12h, 7d or 2w; got "${value}"`,
  );
}
