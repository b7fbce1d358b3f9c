/**
 * The operator's policy: which accounts exist, which known-benign calls are exceptions, which
 * roles are infrastructure-as-code pipelines, and how many notifications a burst may send.
 *
 * The seed rules' false-positive notes ("exclude known automation", "exclude test
 * environments", "expect scheduled maintenance") become exception entries here. An exception
 * never hides an event: the pipeline still records it, with status `suppressed` and the
 * exception's id, so a suppression can be audited and an exception that is too broad shows up.
 *
 * This module holds the policy's shape and how it is applied to an event; reading and
 * validating the checked-in file is `policy-file.ts`. Pure: no I/O, no environment.
 */
import { clockMinutes, DAY_MS, isoTimeMs, startOfUtcDay } from './calendar';
import type { AccountDirectory } from './enrich/account-context';
import type { UserAgentKind } from './enrich/user-agent';

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

/**
 * The time an exception's expiry is judged at. `processing` (live delivery): the clock, so an
 * exception stops suppressing the moment its last day ends. `event` (replay and any other
 * look at history): the event's own time, so a backtest decides as the detector would have
 * when the event happened, whatever today's date.
 */
export type ExpiryClock = 'processing' | 'event';

export interface Policy {
  readonly accounts: AccountDirectory;
  /** Checked in order; the first live exception that matches wins. */
  readonly exceptions: readonly ExceptionRule[];
  /** ARN globs of known pipeline roles. */
  readonly iacRoles: readonly string[];
  readonly burst: BurstSettings;
  /**
   * What an exception's expiry is judged against; not part of the file, set by the command
   * that applies the policy (see `forHistory`).
   * @default 'processing'
   */
  readonly expiryClock?: ExpiryClock;
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

// ---------------------------------------------------------------------------------------------
// Globs
// ---------------------------------------------------------------------------------------------

/**
 * A glob where `*` stands for any run of characters (none included) and every other character
 * is literal. Matching is a left-to-right scan for each literal piece, never a regular
 * expression, so a hostile event string costs linear time however many stars the glob holds:
 * with only `*` as a wildcard, taking the leftmost place for each piece is always enough.
 */
export interface Glob {
  readonly test: (text: string) => boolean;
}

/**
 * Compiles `pattern`. `onSearch`, when given, hears where each literal piece is looked for:
 * the positions never move back, which is what keeps the scan linear.
 */
export function compileGlob(pattern: string, onSearch?: (from: number) => void): Glob {
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
        onSearch?.(at);
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

/** Weekdays in `Date.getUTCDay()` order. */
export const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MINUTE_MS = 60_000;

/** Milliseconds at which the UTC day `date` ends, or undefined when it is not a real date. */
export function endOfUtcDay(date: string): number | undefined {
  const start = startOfUtcDay(date);
  return start === undefined ? undefined : start + DAY_MS;
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
    globs = roles.map((role) => compileGlob(role));
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

/**
 * The first exception, in file order, that is live and matches every criterion. Live means not
 * expired at `now`, or at the event's time when the policy judges expiry by the event.
 */
export function findException(
  policy: Policy,
  facts: ExceptionFacts,
  now: Date,
): ExceptionRule | undefined {
  const at = policy.expiryClock === 'event' ? facts.eventTime : now;
  return policy.exceptions.find(
    (exception) => !isExpired(exception, at) && matchesException(exception.match, facts),
  );
}

/**
 * The policy as a command over past events applies it: each exception's expiry is judged at
 * the event's time, as its window always is. A March event is suppressed by an exception that
 * was live until April, even when the replay runs in June.
 */
export function forHistory(policy: Policy): Policy {
  return { ...policy, expiryClock: 'event' };
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
  const { accounts, exceptions, iacRoles, burst } = policy;
  return `${JSON.stringify({ accounts, exceptions, iacRoles, burst }, null, 2)}\n`;
}
