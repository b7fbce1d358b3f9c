/**
 * The operator's policy: which accounts exist, which known-benign calls are exceptions, which
 * roles are infrastructure-as-code pipelines, and how many notifications a burst may send.
 *
 * The seed rules' false-positive notes ("exclude known automation", "exclude test
 * environments", "expect scheduled maintenance") become exception entries here. An exception
 * never hides an event: the pipeline still records it, with status `suppressed` and the
 * exception's id, so a suppression can be audited and an exception that is too broad shows up.
 *
 * Everything comes from a checked-in file, so it is validated strictly at the boundary: an
 * unknown key is an error, because a misspelt criterion would otherwise be ignored and widen
 * the exception to every event. Pure: no I/O, no environment.
 */
import type { AccountDirectory } from './enrich/account-context';
import { AccountDirectoryError, parseAccountDirectory } from './enrich/account-context';
import type { UserAgentKind } from './enrich/user-agent';
import { CATALOG } from './catalog';
import { PathError } from './path-error';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A one-off period given as absolute ISO 8601 times with an explicit zone; `until` excluded. */
export interface AbsoluteWindow {
  readonly from: string;
  readonly until: string;
}

/** A weekly period in UTC, e.g. a maintenance slot; `untilUtc` excluded, and may be `24:00`. */
export interface WeeklyWindow {
  readonly days: readonly Weekday[];
  readonly fromUtc: string;
  readonly untilUtc: string;
}

/** Every criterion given must match; a criterion left out matches anything. */
export interface ExceptionMatch {
  /** Glob on the caller's ARN or, for a role session, the role's ARN. */
  readonly principalArn?: string;
  /** The client kinds `classifyUserAgent` reports. */
  readonly userAgentClass?: readonly UserAgentKind[];
  /** Glob on the raw user agent. */
  readonly userAgent?: string;
  /** 12-digit account ids. */
  readonly accounts?: readonly string[];
  /** Glob on the name of the security group the call created (or tried to). */
  readonly groupName?: string;
  /** Detection ids the exception covers; absent means every detection. */
  readonly rules?: readonly string[];
  /** When the event must have happened. */
  readonly window?: AbsoluteWindow | WeeklyWindow;
}

export interface ExceptionRule {
  /** Recorded on every alert the exception suppresses. */
  readonly id: string;
  readonly reason: string;
  /** Who answers for the exception, e.g. a team or an address. */
  readonly owner: string;
  /** Last day (UTC, YYYY-MM-DD) the exception applies; it lapses when that day ends. */
  readonly expires: string;
  readonly match: ExceptionMatch;
}

export interface BurstSettings {
  readonly windowMinutes: number;
  /** Notifications per detection per window; the rest are recorded but not published. */
  readonly maxNotificationsPerWindow: number;
}

export interface Policy {
  readonly accounts: AccountDirectory;
  /** Checked in order; the first live exception that matches wins. */
  readonly exceptions: readonly ExceptionRule[];
  /** ARN globs of known pipeline roles. */
  readonly iacRoles: readonly string[];
  readonly burst: BurstSettings;
}

/** The facts about one detected event that exceptions are matched against. */
export interface ExceptionFacts {
  readonly ruleId: string;
  readonly principalArn: string;
  readonly roleArn?: string;
  readonly userAgent: string;
  readonly userAgentKind: UserAgentKind;
  readonly account: string;
  readonly groupName: string;
  readonly eventTime: Date;
}

/** Elastic's seed rules look back 60 minutes and raise at most 100 alerts a run. */
export const DEFAULT_BURST: BurstSettings = Object.freeze({
  windowMinutes: 60,
  maxNotificationsPerWindow: 100,
});

export const DEFAULT_POLICY: Policy = Object.freeze({
  accounts: Object.freeze({}),
  exceptions: Object.freeze([]),
  iacRoles: Object.freeze([]),
  burst: DEFAULT_BURST,
});

/** Thrown when a policy is malformed; `path` names the entry, with its id when it has one. */
export class PolicyError extends PathError {
  override readonly name = 'PolicyError';
}

// ---------------------------------------------------------------------------------------------
// Globs
// ---------------------------------------------------------------------------------------------

/**
 * A glob where `*` stands for any run of characters (none included) and every other character
 * is literal. Matching is a left-to-right scan for each literal piece, never a regular
 * expression, so a hostile event string costs linear time however many stars the glob holds:
 * with only `*` as a wildcard, taking the leftmost place for each piece is always enough.
 */
interface Glob {
  readonly test: (text: string) => boolean;
}

function compileGlob(pattern: string): Glob {
  const pieces = pattern.split('*');
  const head = pieces[0] ?? '';
  if (pieces.length === 1) return { test: (text) => text === pattern };
  const tail = pieces[pieces.length - 1] ?? '';
  // Empty pieces come from runs of stars and constrain nothing.
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '');
  return {
    test: (text) => {
      if (text.length < head.length + tail.length) return false;
      if (!text.startsWith(head) || !text.endsWith(tail)) return false;
      const end = text.length - tail.length;
      let at = head.length;
      for (const piece of middle) {
        const found = text.indexOf(piece, at);
        if (found === -1 || found + piece.length > end) return false;
        at = found + piece.length;
      }
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CLOCK = /^(\d{2}):(\d{2})$/;
// A zone is required: the same file is read in Lambda (UTC) and on laptops (any zone).
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Milliseconds at which the UTC day `date` ends, or undefined when it is not a real date. */
function endOfUtcDay(date: string): number | undefined {
  const parts = DATE.exec(date);
  if (parts === null) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!isCalendarDate(year, month, day)) return undefined;
  return Date.UTC(year, month - 1, day) + DAY_MS;
}

function isoTimeMs(text: string): number | undefined {
  const parts = ISO_TIME.exec(text);
  if (parts === null) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const [hour, minute, second] = [Number(parts[4]), Number(parts[5]), Number(parts[6] ?? 0)];
  const [zoneHour, zoneMinute] = [Number(parts[7] ?? 0), Number(parts[8] ?? 0)];
  if (!isCalendarDate(year, month, day)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59) {
    return undefined;
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Minutes since midnight; `24:00` only where the caller allows the end of the day. */
function clockMinutes(text: string, allowEndOfDay: boolean): number | undefined {
  const parts = CLOCK.exec(text);
  if (parts === null) return undefined;
  const [hour, minute] = [Number(parts[1]), Number(parts[2])];
  if (allowEndOfDay && hour === 24 && minute === 0) return 24 * 60;
  if (hour > 23 || minute > 59) return undefined;
  return hour * 60 + minute;
}

function isExpired(exception: ExceptionRule, now: Date): boolean {
  const end = endOfUtcDay(exception.expires);
  // An expiry that does not parse cannot come out of parsePolicy; treat it as lapsed.
  return end === undefined || !(now.getTime() < end);
}

function isWeekly(window: AbsoluteWindow | WeeklyWindow): window is WeeklyWindow {
  return 'days' in window;
}

/** Whether an event time falls in the window; an unreadable time falls in none, so it alerts. */
type WindowTest = (eventTime: Date) => boolean;

function compileWindow(window: AbsoluteWindow | WeeklyWindow): WindowTest {
  if (!isWeekly(window)) {
    const from = isoTimeMs(window.from) ?? Number.NaN;
    const until = isoTimeMs(window.until) ?? Number.NaN;
    return (eventTime) => {
      const at = eventTime.getTime();
      return from <= at && at < until;
    };
  }
  const days = new Set(window.days);
  const from = (clockMinutes(window.fromUtc, false) ?? Number.NaN) * MINUTE_MS;
  const until = (clockMinutes(window.untilUtc, true) ?? Number.NaN) * MINUTE_MS;
  return (eventTime) => {
    const at = eventTime.getTime();
    const day = WEEKDAYS[eventTime.getUTCDay()];
    if (Number.isNaN(at) || day === undefined || !days.has(day)) return false;
    const sinceMidnight = at - Math.floor(at / DAY_MS) * DAY_MS;
    return from <= sinceMidnight && sinceMidnight < until;
  };
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

interface CompiledMatch {
  readonly principalArn?: Glob;
  readonly userAgent?: Glob;
  readonly groupName?: Glob;
  readonly window?: WindowTest;
}

// Globs are compiled once per match object, which parsePolicy creates once per load.
const compiledMatches = new WeakMap<ExceptionMatch, CompiledMatch>();
const compiledIacRoles = new WeakMap<readonly string[], readonly Glob[]>();

function compiledMatch(match: ExceptionMatch): CompiledMatch {
  let compiled = compiledMatches.get(match);
  if (compiled === undefined) {
    compiled = {
      ...(match.principalArn !== undefined
        ? { principalArn: compileGlob(match.principalArn) }
        : {}),
      ...(match.userAgent !== undefined ? { userAgent: compileGlob(match.userAgent) } : {}),
      ...(match.groupName !== undefined ? { groupName: compileGlob(match.groupName) } : {}),
      ...(match.window !== undefined ? { window: compileWindow(match.window) } : {}),
    };
    compiledMatches.set(match, compiled);
  }
  return compiled;
}

function iacRoleGlobs(roles: readonly string[]): readonly Glob[] {
  let globs = compiledIacRoles.get(roles);
  if (globs === undefined) {
    globs = roles.map(compileGlob);
    compiledIacRoles.set(roles, globs);
  }
  return globs;
}

/** A role session is named both by its session ARN and by the role it came from. */
function matchesPrincipal(glob: Glob, principalArn: string, roleArn: string | undefined): boolean {
  return glob.test(principalArn) || (roleArn !== undefined && glob.test(roleArn));
}

function matchesException(match: ExceptionMatch, facts: ExceptionFacts): boolean {
  const compiled = compiledMatch(match);
  if (match.rules !== undefined && !match.rules.includes(facts.ruleId)) return false;
  if (match.accounts !== undefined && !match.accounts.includes(facts.account)) return false;
  if (match.userAgentClass !== undefined && !match.userAgentClass.includes(facts.userAgentKind)) {
    return false;
  }
  if (
    compiled.principalArn !== undefined &&
    !matchesPrincipal(compiled.principalArn, facts.principalArn, facts.roleArn)
  ) {
    return false;
  }
  if (compiled.userAgent !== undefined && !compiled.userAgent.test(facts.userAgent)) return false;
  if (compiled.groupName !== undefined && !compiled.groupName.test(facts.groupName)) return false;
  if (compiled.window !== undefined && !compiled.window(facts.eventTime)) return false;
  return true;
}

/** The first exception, in file order, that is still live at `now` and matches every criterion. */
export function findException(
  policy: Policy,
  facts: ExceptionFacts,
  now: Date,
): ExceptionRule | undefined {
  return policy.exceptions.find(
    (exception) => !isExpired(exception, now) && matchesException(exception.match, facts),
  );
}

/** Exceptions whose last day has ended by `now`; they no longer suppress anything. */
export function expiredExceptions(policy: Policy, now: Date): ExceptionRule[] {
  return policy.exceptions.filter((exception) => isExpired(exception, now));
}

/** True when the caller, or the role its session came from, is a known pipeline role. */
export function isIacRole(policy: Policy, principalArn: string, roleArn?: string): boolean {
  return iacRoleGlobs(policy.iacRoles).some((glob) =>
    matchesPrincipal(glob, principalArn, roleArn),
  );
}

/**
 * The policy as the JSON the Lambda is shipped: defaults filled in, keys in a fixed order, two
 * spaces. `parsePolicy` reads it back to an equal policy.
 */
export function serializePolicy(policy: Policy): string {
  return `${JSON.stringify(policy, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

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
    result.rules = requireList(match.rules, `${path}.rules`).map((rule, index) =>
      requireOneOf(rule, known, `${path}.rules[${index}]`, 'detection id'),
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
