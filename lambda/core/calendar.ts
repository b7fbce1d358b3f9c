/**
 * Calendar checks shared by every reader of dates typed by people (the policy file, the CLI's
 * time options). `Date.parse` rolls impossible dates over (2025-02-30 becomes March 2), so
 * each part is checked before a text is turned into a time. Pure: no clock, no environment.
 */

export const DAY_MS = 86_400_000;

const CLOCK = /^(\d{2}):(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-](\d{2}):(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True when `month` (1-12) and `day` name a day that exists in `year`. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Milliseconds at which the UTC day `date` (YYYY-MM-DD) starts, or undefined if no such day. */
export function startOfUtcDay(date: string): number | undefined {
  const parts = DATE.exec(date);
  if (parts === null) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!isCalendarDate(year, month, day)) return undefined;
  return Date.UTC(year, month - 1, day);
}

export interface IsoTimeOptions {
  /**
   * Whether the text must carry a time of day and a zone. The policy file does: it is read in
   * Lambda (UTC) and on laptops (any zone). Without one, a date alone is UTC midnight and a
   * date with a time is local time, as `Date.parse` reads them.
   * @default true
   */
  readonly requireZone?: boolean;
}

/**
 * Milliseconds of an ISO 8601 time (`2026-05-01T22:00Z`, `2026-05-01T22:00:00.000+02:00`,
 * and without a zone `2026-05-01`), or undefined when it is malformed or names a time that
 * does not exist.
 */
export function isoTimeMs(text: string, options: IsoTimeOptions = {}): number | undefined {
  const parts = ISO_TIME.exec(text);
  if (parts === null) return undefined;
  if ((options.requireZone ?? true) && parts[7] === undefined) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [hour, minute, second] = [
    Number(parts[4] ?? 0),
    Number(parts[5] ?? 0),
    Number(parts[6] ?? 0),
  ];
  const [zoneHour, zoneMinute] = [Number(parts[8] ?? 0), Number(parts[9] ?? 0)];
  if (!isCalendarDate(year, month, day)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Minutes since midnight of `HH:MM`; `24:00` only where the caller allows the end of the day. */
export function clockMinutes(text: string, allowEndOfDay: boolean): number | undefined {
  const parts = CLOCK.exec(text);
  if (parts === null) return undefined;
  const [hour, minute] = [Number(parts[1]), Number(parts[2])];
  if (allowEndOfDay && hour === 24 && minute === 0) return 24 * 60;
  if (hour > 23 || minute > 59) return undefined;
  return hour * 60 + minute;
}
