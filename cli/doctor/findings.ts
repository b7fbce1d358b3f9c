import { cleanText } from '../../lambda/core/text';
import { explainAwsError } from '../aws';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One check's result: a one-line finding and, unless ok, the concrete steps to fix it. */
export interface Finding {
  readonly check: string;
  readonly status: CheckStatus;
  readonly finding: string;
  readonly fix: readonly string[];
}

export interface DoctorReport {
  readonly stack: string;
  readonly region: string;
  readonly account: string | null;
  readonly status: CheckStatus;
  readonly findings: readonly Finding[];
}

/** Where the checked sgwatch lives: what every fix names. */
export interface DoctorTarget {
  readonly region: string;
  readonly stackName: string;
}

/** Event text for a finding: control characters out, bounded, `-` when empty. */
export function clean(value: string | undefined, max = 300): string {
  const cleaned = cleanText(value, max);
  return cleaned === '' ? '-' : cleaned;
}

export function ok(check: string, finding: string): Finding {
  return { check, status: 'ok', finding, fix: [] };
}

export function problem(
  check: string,
  status: 'warn' | 'fail',
  finding: string,
  fix: readonly string[],
): Finding {
  return { check, status, finding, fix };
}

/** A check that could not run: a warning, since nothing is known to be broken. */
export function unreadable(check: string, what: string, error: unknown, grant: string): Finding {
  return problem(check, 'warn', `could not read ${what}: ${explainAwsError(error)}`, [
    `grant ${grant} to the credentials running sgwatch doctor, then run it again`,
  ]);
}

export function overall(findings: readonly Finding[]): CheckStatus {
  if (findings.some((f) => f.status === 'fail')) return 'fail';
  return findings.some((f) => f.status === 'warn') ? 'warn' : 'ok';
}
