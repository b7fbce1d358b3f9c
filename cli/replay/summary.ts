import type { Alert } from '../../lambda/core/alert';
import { cleanText } from '../../lambda/core/text';

/** Rows a terminal gets before replay summarizes instead of listing every alert. */
export const MAX_TERMINAL_ROWS = 50;
/** Entries each "top" list shows. */
const TOP = 5;
/** Width of the longest bar of the histogram. */
const BAR = 30;
/** Days the histogram shows one by one; a longer span is shown by month. */
const MAX_DAYS = 31;

interface Tally {
  total: number;
  new: number;
}

function bump(counts: Map<string, Tally>, key: string, isNew: boolean): void {
  const tally = counts.get(key) ?? { total: 0, new: 0 };
  tally.total += 1;
  if (isNew) tally.new += 1;
  counts.set(key, tally);
}

/**
 * What a backtest found, for a person at a terminal when it found too many alerts to list:
 * counts per detection, a histogram of the days (or months) they fall on, and the principals,
 * accounts and Regions with the most alerts. It keeps counts only (one per distinct
 * detection, day, principal, account and Region), never the alerts, so its memory does not
 * grow with the alert count.
 */
export class ReplaySummary {
  private readonly detections = new Map<string, Tally>();
  private readonly days = new Map<string, Tally>();
  private readonly principals = new Map<string, Tally>();
  private readonly accounts = new Map<string, Tally>();
  private readonly regions = new Map<string, Tally>();

  add(alert: Alert, isNew: boolean): void {
    bump(this.detections, alert.ruleId, isNew);
    bump(this.days, alert.eventTime.slice(0, 10), isNew);
    bump(this.principals, alert.principal, isNew);
    bump(this.accounts, alert.account, isNew);
    bump(this.regions, alert.region, isNew);
  }

  /** The earliest event day, for the `alerts list --since` hint. */
  earliestDay(): string {
    return [...this.days.keys()].sort()[0] ?? '';
  }

  render(): string {
    const lines: string[] = ['By detection:'];
    lines.push(...ranked(this.detections, this.detections.size));
    lines.push('', ...this.histogram());
    for (const [title, counts] of [
      ['Top principals', this.principals],
      ['Top accounts', this.accounts],
      ['Top Regions', this.regions],
    ] as const) {
      lines.push('', `${title}${counts.size > TOP ? ` (${TOP} of ${counts.size})` : ''}:`);
      lines.push(...ranked(counts, TOP));
    }
    return `${lines.join('\n')}\n`;
  }

  private histogram(): string[] {
    const days = [...this.days.entries()].sort(([a], [b]) => a.localeCompare(b));
    const first = days[0]?.[0] ?? '';
    const last = days[days.length - 1]?.[0] ?? '';
    const span = (Date.parse(last) - Date.parse(first)) / 86_400_000 + 1;
    const byMonth = span > MAX_DAYS;
    const buckets = new Map<string, number>();
    if (byMonth) {
      for (const [day, tally] of days) {
        buckets.set(day.slice(0, 7), (buckets.get(day.slice(0, 7)) ?? 0) + tally.total);
      }
    } else {
      // Every day of the span, quiet ones included, so the shape of the activity shows.
      for (let time = Date.parse(first); time <= Date.parse(last); time += 86_400_000) {
        const day = new Date(time).toISOString().slice(0, 10);
        buckets.set(day, this.days.get(day)?.total ?? 0);
      }
    }
    const highest = Math.max(1, ...buckets.values());
    const width = Math.max(...[...buckets.values()].map((count) => String(count).length));
    return [
      `By ${byMonth ? 'month' : 'day'} of the event (UTC):`,
      ...[...buckets].map(
        ([bucket, count]) =>
          `  ${bucket.padEnd(10)}  ${String(count).padStart(width)}  ${'#'.repeat(Math.ceil((count / highest) * BAR))}`,
      ),
    ];
  }
}

/** The `limit` largest counts, largest first (ties by name), with their new alerts. */
function ranked(counts: Map<string, Tally>, limit: number): string[] {
  const entries = [...counts.entries()]
    .sort(([a, x], [b, y]) => y.total - x.total || a.localeCompare(b))
    .slice(0, limit);
  const width = Math.max(0, ...entries.map(([, tally]) => String(tally.total).length));
  return entries.map(
    ([name, tally]) =>
      `  ${String(tally.total).padStart(width)}  ${cleanText(name, 200)}${tally.new !== tally.total ? `  (new ${tally.new})` : ''}`,
  );
}
