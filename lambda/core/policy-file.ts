/**
 * Reading the policy file. Everything in it is checked in, so it is validated strictly at the
 * boundary: an unknown key is an error, because a misspelt criterion would otherwise be
 * ignored and widen the exception to every event. How a valid policy is applied to an event
 * is `policy.ts`. Pure: no I/O, no environment.
 */
import { clockMinutes, isoTimeMs } from './calendar';
import { CATALOG } from './catalog';
import { SIGMA_DETECTION_ID } from './sigma/model';
import type { AccountDirectory } from './enrich/account-context';
import { AccountDirectoryError, parseAccountDirectory } from './enrich/account-context';
import type { UserAgentKind } from './enrich/user-agent';
import { PathError } from './path-error';
import type {
  AbsoluteWindow,
  BurstSettings,
  ExceptionMatch,
  ExceptionRule,
  Policy,
  WeeklyWindow,
} from './policy';
import { DEFAULT_BURST, endOfUtcDay, WEEKDAYS } from './policy';

/** Thrown when a policy is malformed; `path` names the entry, with its id when it has one. */
export class PolicyError extends PathError {
  override readonly name = 'PolicyError';
}

const ACCOUNT_ID = /^[0-9]{12}$/;
const EXCEPTION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_WINDOW_MINUTES = 24 * 60;

// A record over the union, so adding a kind to user-agent.ts fails to compile until it is here.
const USER_AGENT_KIND_SET: Readonly<Record<UserAgentKind, true>> = {
  console: true,
  'aws-cli': true,
  sdk: true,
  cloudformation: true,
  terraform: true,
  pulumi: true,
  cdk: true,
  'aws-service': true,
  offensive: true,
  other: true,
};
const USER_AGENT_KINDS = Object.keys(USER_AGENT_KIND_SET) as UserAgentKind[];

const POLICY_KEYS = ['accounts', 'exceptions', 'iacRoles', 'burst'] as const;
const EXCEPTION_KEYS = ['id', 'reason', 'owner', 'expires', 'match'] as const;
const MATCH_KEYS = [
  'principalArn',
  'userAgentClass',
  'userAgent',
  'accounts',
  'groupName',
  'rules',
  'window',
] as const;
const BURST_KEYS = ['windowMinutes', 'maxNotificationsPerWindow'] as const;
const ACCOUNT_ENTRY_KEYS = ['name', 'environment'] as const;
const ABSOLUTE_WINDOW_KEYS = ['from', 'until'] as const;
const WEEKLY_WINDOW_KEYS = ['days', 'fromUtc', 'untilUtc'] as const;

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

function requireObject(value: unknown, path: string, what: string): Json {
  if (!isPlainObject(value)) {
    throw new PolicyError(path, `must be an object (${what}), got ${describe(value)}`);
  }
  return value;
}

/** `parent.key`, or `parent["odd key"]` when the key is not a plain name. */
function childPath(parent: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function rejectUnknownKeys(value: Json, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new PolicyError(
        childPath(path, key),
        `unknown key; expected one of ${quoteList(allowed)}`,
      );
    }
  }
}

function requireText(value: unknown, path: string): string {
  if (typeof value !== 'string') {
    throw new PolicyError(
      path,
      value === undefined ? 'is missing' : `must be a string, got ${describe(value)}`,
    );
  }
  if (value.trim() === '') throw new PolicyError(path, 'must not be empty');
  return value;
}

function requireGlob(value: unknown, path: string): string {
  const glob = requireText(value, path);
  // A glob of stars alone matches everything: as an exception it would hide every event.
  if (/^\*+$/.test(glob)) {
    throw new PolicyError(path, 'must not match everything; narrow the glob or leave it out');
  }
  return glob;
}

function requireList(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new PolicyError(path, `must be a list, got ${describe(value)}`);
  }
  if (value.length === 0) {
    throw new PolicyError(path, 'must not be empty (an empty list would match nothing)');
  }
  return value;
}

function requireOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  path: string,
  what: string,
): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    throw new PolicyError(
      path,
      `${describe(value)} is not a known ${what}; expected one of ${allowed.join(', ')}`,
    );
  }
  return found;
}

function requirePositiveInteger(value: unknown, path: string, max?: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new PolicyError(path, `must be a positive whole number, got ${describe(value)}`);
  }
  if (max !== undefined && value > max) {
    throw new PolicyError(path, `must be at most ${max}, got ${value}`);
  }
  return value;
}

function parseAccounts(value: unknown): AccountDirectory {
  if (value === undefined) return {};
  // The shared directory parser drops unknown keys; here a stray key is treated as a typo.
  if (isPlainObject(value)) {
    for (const [accountId, entry] of Object.entries(value)) {
      if (isPlainObject(entry)) {
        rejectUnknownKeys(entry, ACCOUNT_ENTRY_KEYS, `accounts[${JSON.stringify(accountId)}]`);
      }
    }
  }
  try {
    return parseAccountDirectory(value, 'accounts');
  } catch (error) {
    if (error instanceof AccountDirectoryError) {
      throw new PolicyError(error.path, error.reason, { cause: error });
    }
    throw error;
  }
}

function parseWindow(value: unknown, path: string): AbsoluteWindow | WeeklyWindow {
  const window = requireObject(value, path, '{ from, until } or { days, fromUtc, untilUtc }');
  const weekly = WEEKLY_WINDOW_KEYS.some((key) => key in window);
  rejectUnknownKeys(window, weekly ? WEEKLY_WINDOW_KEYS : ABSOLUTE_WINDOW_KEYS, path);
  if (!weekly) {
    const from = requireText(window.from, `${path}.from`);
    const until = requireText(window.until, `${path}.until`);
    const fromMs = isoTimeMs(from);
    const untilMs = isoTimeMs(until);
    const format = 'must be an ISO 8601 time with a zone, e.g. 2026-05-01T22:00:00Z';
    if (fromMs === undefined) throw new PolicyError(`${path}.from`, format);
    if (untilMs === undefined) throw new PolicyError(`${path}.until`, format);
    if (fromMs >= untilMs) throw new PolicyError(`${path}.until`, 'must be later than from');
    return { from, until };
  }
  const days = requireList(window.days, `${path}.days`).map((day, index) =>
    requireOneOf(day, WEEKDAYS, `${path}.days[${index}]`, 'weekday'),
  );
  const fromUtc = requireText(window.fromUtc, `${path}.fromUtc`);
  const untilUtc = requireText(window.untilUtc, `${path}.untilUtc`);
  const from = clockMinutes(fromUtc, false);
  const until = clockMinutes(untilUtc, true);
  if (from === undefined) {
    throw new PolicyError(`${path}.fromUtc`, 'must be a UTC time HH:MM between 00:00 and 23:59');
  }
  if (until === undefined) {
    throw new PolicyError(`${path}.untilUtc`, 'must be a UTC time HH:MM between 00:01 and 24:00');
  }
  if (from >= until) {
    throw new PolicyError(
      `${path}.untilUtc`,
      'must be later than fromUtc (a window over midnight needs two exceptions)',
    );
  }
  return { days, fromUtc, untilUtc };
}

function parseMatch(value: unknown, path: string): ExceptionMatch {
  const match = requireObject(value, path, 'the criteria an event must meet');
  rejectUnknownKeys(match, MATCH_KEYS, path);
  const given = MATCH_KEYS.filter((key) => match[key] !== undefined);
  if (given.length === 0) {
    throw new PolicyError(
      path,
      `must give at least one criterion (${MATCH_KEYS.join(', ')}); an empty match would suppress every event`,
    );
  }
  const result: {
    -readonly [K in keyof ExceptionMatch]: ExceptionMatch[K];
  } = {};
  if (match.principalArn !== undefined) {
    result.principalArn = requireGlob(match.principalArn, `${path}.principalArn`);
  }
  if (match.userAgentClass !== undefined) {
    result.userAgentClass = requireList(match.userAgentClass, `${path}.userAgentClass`).map(
      (kind, index) =>
        requireOneOf(
          kind,
          USER_AGENT_KINDS,
          `${path}.userAgentClass[${index}]`,
          'user agent class',
        ),
    );
  }
  if (match.userAgent !== undefined) {
    result.userAgent = requireGlob(match.userAgent, `${path}.userAgent`);
  }
  if (match.accounts !== undefined) {
    result.accounts = requireList(match.accounts, `${path}.accounts`).map((account, index) => {
      const at = `${path}.accounts[${index}]`;
      if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) {
        throw new PolicyError(at, `account id must be 12 digits, got ${describe(account)}`);
      }
      return account;
    });
  }
  if (match.groupName !== undefined) {
    result.groupName = requireGlob(match.groupName, `${path}.groupName`);
  }
  if (match.rules !== undefined) {
    const known = CATALOG.map((detection) => detection.id);
    // A Sigma rule's id cannot be checked here (its rules are loaded apart from this file),
    // only its shape.
    result.rules = requireList(match.rules, `${path}.rules`).map((rule, index) =>
      typeof rule === 'string' && SIGMA_DETECTION_ID.test(rule)
        ? rule
        : requireOneOf(rule, known, `${path}.rules[${index}]`, 'detection id'),
    );
  }
  if (match.window !== undefined) {
    result.window = parseWindow(match.window, `${path}.window`);
  }
  return result;
}

function parseException(value: unknown, index: number, seen: Map<string, number>): ExceptionRule {
  const bare = `exceptions[${index}]`;
  const entry = requireObject(value, bare, 'an exception with id, reason, owner, expires, match');
  // Once the entry has an id, every message names it too: the id is what people search for.
  const path =
    typeof entry.id === 'string' && entry.id.trim() !== ''
      ? `${bare} (${JSON.stringify(entry.id)})`
      : bare;
  rejectUnknownKeys(entry, EXCEPTION_KEYS, path);
  const id = requireText(entry.id, `${path}.id`);
  if (!EXCEPTION_ID.test(id)) {
    throw new PolicyError(
      `${path}.id`,
      'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  const earlier = seen.get(id);
  if (earlier !== undefined) {
    throw new PolicyError(`${path}.id`, `duplicates the id of exceptions[${earlier}]`);
  }
  seen.set(id, index);
  const reason = requireText(entry.reason, `${path}.reason`);
  const owner = requireText(entry.owner, `${path}.owner`);
  const expires = requireText(entry.expires, `${path}.expires`);
  if (endOfUtcDay(expires) === undefined) {
    throw new PolicyError(`${path}.expires`, `must be a date YYYY-MM-DD, got ${describe(expires)}`);
  }
  if (entry.match === undefined) throw new PolicyError(`${path}.match`, 'is missing');
  const match = parseMatch(entry.match, `${path}.match`);
  return { id, reason, owner, expires, match };
}

function parseBurst(value: unknown): BurstSettings {
  if (value === undefined) return DEFAULT_BURST;
  const burst = requireObject(value, 'burst', '{ windowMinutes, maxNotificationsPerWindow }');
  rejectUnknownKeys(burst, BURST_KEYS, 'burst');
  return {
    windowMinutes:
      burst.windowMinutes === undefined
        ? DEFAULT_BURST.windowMinutes
        : requirePositiveInteger(burst.windowMinutes, 'burst.windowMinutes', MAX_WINDOW_MINUTES),
    maxNotificationsPerWindow:
      burst.maxNotificationsPerWindow === undefined
        ? DEFAULT_BURST.maxNotificationsPerWindow
        : requirePositiveInteger(
            burst.maxNotificationsPerWindow,
            'burst.maxNotificationsPerWindow',
          ),
  };
}

/**
 * Validates a policy read from JSON and returns a normalized copy with every default filled
 * in, or throws a `PolicyError` naming the first bad entry. Every section may be left out.
 */
export function parsePolicy(input: unknown): Policy {
  const root = requireObject(input, '(policy)', 'with accounts, exceptions, iacRoles, burst');
  rejectUnknownKeys(root, POLICY_KEYS, '');
  const accounts = parseAccounts(root.accounts);

  let exceptions: ExceptionRule[] = [];
  if (root.exceptions !== undefined) {
    if (!Array.isArray(root.exceptions)) {
      throw new PolicyError('exceptions', `must be a list, got ${describe(root.exceptions)}`);
    }
    const seen = new Map<string, number>();
    exceptions = root.exceptions.map((entry: unknown, index) => parseException(entry, index, seen));
  }

  let iacRoles: string[] = [];
  if (root.iacRoles !== undefined) {
    if (!Array.isArray(root.iacRoles)) {
      throw new PolicyError('iacRoles', `must be a list, got ${describe(root.iacRoles)}`);
    }
    iacRoles = root.iacRoles.map((role: unknown, index) => requireGlob(role, `iacRoles[${index}]`));
  }

  return { accounts, exceptions, iacRoles, burst: parseBurst(root.burst) };
}
