/** Small text and time formats shared by templates and identities. */
import type { Prng } from './random';

// ---------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------

/** CloudTrail writes eventTime to the second, without milliseconds. */
export function isoSeconds(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** STS reports credential expiry in this US locale style, e.g. "Mar 5, 2025, 3:04:05 PM". */
export function stsExpiration(time: Date): string {
  const h = time.getUTCHours();
  const pad = (n: number): string => String(n).padStart(2, '0');
  const clock = `${h % 12 === 0 ? 12 : h % 12}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())}`;
  return `${MONTHS[time.getUTCMonth()] ?? 'Jan'} ${time.getUTCDate()}, ${time.getUTCFullYear()}, ${clock} ${h < 12 ? 'AM' : 'PM'}`;
}

export function minutesBefore(time: Date, rng: Prng, maxMinutes: number): string {
  return isoSeconds(new Date(time.getTime() - rng.between(1, maxMinutes * 60) * 1000));
}

export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Lambda's CloudTrail names carry an API version suffix the IAM action does not. */
export function actionName(eventName: string): string {
  return eventName.replace(/\d{8}(v\d+)?$/, '');
}
