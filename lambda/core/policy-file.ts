/**
 * Reading the policy file (`sgwatch.config.json`). Everything in it is checked in, so it is
 * validated strictly at the boundary: an unknown key is an error, because a misspelt criterion
 * would otherwise be ignored and widen the exception to every event. `POLICY_SCHEMA` is the
 * file's one definition: `parsePolicy` validates with it, and the JSON Schema editors read
 * (`schema/sgwatch.config.schema.json`) is generated from it, descriptions included. How a
 * valid policy is applied to an event is `policy.ts`. Pure: no I/O, no environment.
 */
import * as v from 'valibot';
import { clockMinutes, isoTimeMs } from './calendar';
import { CATALOG } from './catalog';
import type { UserAgentKind } from './enrich/user-agent';
import { PathError } from './path-error';
import type { Policy } from './policy';
import { DEFAULT_BURST, endOfUtcDay, WEEKDAYS } from './policy';
import { SIGMA_DETECTION_ID } from './sigma/model';
import type { Issue } from './validation';
import { entryPathItem, isPlainObject, parseOrThrow } from './validation';

/** Thrown when a policy is malformed; `path` names the entry, with its id when it has one. */
export class PolicyError extends PathError {
  override readonly name = 'PolicyError';
}

const ACCOUNT_ID = /^[0-9]{12}$/;
const EXCEPTION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** An absolute time as `isoTimeMs` reads one with a zone; the check after it rejects 2026-02-30. */
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** `HH:MM` from 00:00 to 23:59, exactly what `clockMinutes(text, false)` reads. */
const CLOCK_START = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
/** `HH:MM` up to 24:00, exactly what `clockMinutes(text, true)` reads. */
const CLOCK_END = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/;
const MAX_WINDOW_MINUTES = 24 * 60;
/**
 * Bounds on free text. Every exception is copied onto the alerts it suppresses, and the whole
 * file into the Lambda bundle, so none of it may grow without limit; real entries are far
 * shorter (an ARN is at most 2,048 characters).
 */
const MAX_TEXT = 256;
const MAX_REASON = 2000;
const MAX_GLOB = 2048;
/** How much of an offending value an error quotes. */
const MAX_QUOTED = 80;

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
const DETECTION_IDS = CATALOG.map((detection) => detection.id);

function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED - 1)}…` : text);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return quote(value);
  return typeof value;
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

/** The reason for a value of the wrong type: missing when absent, else what it should be. */
function mustBe(what: string): (issue: Issue) => string {
  return (issue) =>
    issue.input === undefined ? 'is missing' : `must be ${what}, got ${describe(issue.input)}`;
}

function notKnown(what: string, known: readonly string[]): (issue: Issue) => string {
  return (issue) =>
    `${describe(issue.input)} is not a known ${what}; expected one of ${known.join(', ')}`;
}

/**
 * An object with exactly `entries` (`what` says what it holds, for the message about anything
 * else). Arrays are refused first: valibot's object schemas take them for objects. An unknown
 * key is named with the keys that are allowed; `$schema`, a pointer for editors, is not
 * offered as one.
 */
function strictEntries<const TEntries extends v.ObjectEntries>(entries: TEntries, what: string) {
  const keys = Object.keys(entries).filter((key) => !key.startsWith('$'));
  return v.pipe(
    v.unknown(),
    v.check(isPlainObject, mustBe(what)),
    v.strictObject(entries, (issue) =>
      issue.expected === 'never' ? `unknown key; expected one of ${quoteList(keys)}` : 'is missing',
    ),
  );
}

/**
 * Text that says something: not blank, and at most `max` characters. `nonEmpty` gives
 * editors a minimum length; the check after it also refuses whitespace alone.
 */
function text(max = MAX_TEXT) {
  return v.pipe(
    v.string(mustBe('a string')),
    v.nonEmpty('must not be empty'),
    v.check((value) => value.trim() !== '', 'must not be empty'),
    v.maxLength(max, (issue) => `must be at most ${max} characters, got ${issue.received}`),
  );
}

/** A glob where `*` stands for any run of characters; stars alone would hide every event. */
function glob(description: string) {
  return v.pipe(
    text(MAX_GLOB),
    v.check(
      (value) => !/^\*+$/.test(value),
      'must not match everything; narrow the glob or leave it out',
    ),
    v.description(`${description} \`*\` matches any run of characters.`),
  );
}

/** A list that must name something: an empty list would match nothing. */
function list<const TItem extends v.GenericSchema>(item: TItem) {
  return v.pipe(
    v.array(item, mustBe('a list')),
    v.minLength(1, 'must not be empty (an empty list would match nothing)'),
  );
}

function positiveWholeNumber(description: string) {
  const whole = mustBe('a positive whole number');
  return v.pipe(
    v.number(whole),
    v.integer(whole),
    v.minValue(1, whole),
    v.description(description),
  );
}

const ACCOUNT_ENTRY = v.pipe(
  strictEntries(
    {
      name: v.pipe(text(), v.description('A name people know the account by.')),
      environment: v.pipe(
        text(),
        v.description('The environment the account belongs to, e.g. prod, staging or sandbox.'),
      ),
    },
    'an object with name and environment',
  ),
  v.description('What alerts call the account.'),
);

const ACCOUNTS = v.pipe(
  v.unknown(),
  v.check(isPlainObject, mustBe('an object mapping account ids to { name, environment }')),
  // valibot's record skips these keys without a word; named, they are refused as ids.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || !isPlainObject(dataset.value)) return;
    const input = dataset.value;
    const skipped = ['__proto__', 'constructor', 'prototype'].find((key) =>
      Object.hasOwn(input, key),
    );
    if (skipped !== undefined) {
      addIssue({
        message: 'account id must be 12 digits',
        path: [{ ...entryPathItem(input, skipped), origin: 'key' }],
      });
    }
  }),
  v.record(v.pipe(v.string(), v.regex(ACCOUNT_ID, 'account id must be 12 digits')), ACCOUNT_ENTRY),
  v.description(
    'Your AWS accounts by 12-digit id, so alerts name them and calls in production accounts weigh more.',
  ),
);

const WEEKLY_WINDOW_KEYS = ['days', 'fromUtc', 'untilUtc'] as const;
const ZONED_TIME_REASON = 'must be an ISO 8601 time with a zone, e.g. 2026-05-01T22:00:00Z';

function zonedTime(description: string) {
  return v.pipe(
    text(),
    v.regex(ZONED_TIME, ZONED_TIME_REASON),
    v.check((value) => isoTimeMs(value) !== undefined, ZONED_TIME_REASON),
    v.description(description),
  );
}

const ABSOLUTE_WINDOW = v.pipe(
  strictEntries(
    {
      from: zonedTime(
        'Start of the period, an ISO 8601 time with a zone, e.g. 2026-12-05T20:00:00Z.',
      ),
      until: zonedTime('End of the period (excluded), an ISO 8601 time with a zone.'),
    },
    'an object ({ from, until } or { days, fromUtc, untilUtc })',
  ),
  v.forward(
    v.check(
      (window) => (isoTimeMs(window.from) ?? 0) < (isoTimeMs(window.until) ?? 0),
      'must be later than from',
    ),
    ['until'],
  ),
  v.description('A one-off period between two absolute times.'),
);

const WEEKLY_WINDOW = v.pipe(
  strictEntries(
    {
      days: v.pipe(
        list(v.picklist(WEEKDAYS, notKnown('weekday', WEEKDAYS))),
        v.description(
          'The weekdays (UTC) the period recurs on: sun, mon, tue, wed, thu, fri, sat.',
        ),
      ),
      fromUtc: v.pipe(
        text(),
        v.regex(CLOCK_START, 'must be a UTC time HH:MM between 00:00 and 23:59'),
        v.description('Start of the period each day, HH:MM in UTC.'),
      ),
      untilUtc: v.pipe(
        text(),
        v.regex(CLOCK_END, 'must be a UTC time HH:MM between 00:01 and 24:00'),
        v.description('End of the period each day (excluded), HH:MM in UTC; 24:00 is midnight.'),
      ),
    },
    'an object ({ from, until } or { days, fromUtc, untilUtc })',
  ),
  v.forward(
    v.check(
      (window) =>
        (clockMinutes(window.fromUtc, false) ?? 0) < (clockMinutes(window.untilUtc, true) ?? 0),
      'must be later than fromUtc (a window over midnight needs two exceptions)',
    ),
    ['untilUtc'],
  ),
  v.description('A weekly period in UTC, e.g. a maintenance slot.'),
);

/** Either form; a value that is not an object fails both, with one message. */
export const ANY_WINDOW = v.pipe(
  v.union(
    [ABSOLUTE_WINDOW, WEEKLY_WINDOW],
    mustBe('an object ({ from, until } or { days, fromUtc, untilUtc })'),
  ),
  v.description('When the call must have happened: a one-off period or a weekly one.'),
);

/**
 * The form a window is held to: weekly once it uses a weekly key, absolute otherwise, so a
 * stray key of the other form is named as unknown rather than lost in a union's message.
 * Anything but an object gets the union, which is also what the JSON Schema shows.
 */
const WINDOW = v.lazy((input) => {
  if (!isPlainObject(input)) return ANY_WINDOW;
  return WEEKLY_WINDOW_KEYS.some((key) => key in input) ? WEEKLY_WINDOW : ABSOLUTE_WINDOW;
});

const MATCH_KEYS = [
  'principalArn',
  'userAgentClass',
  'userAgent',
  'accounts',
  'groupName',
  'rules',
  'window',
] as const;

const MATCH = v.pipe(
  strictEntries(
    {
      principalArn: v.optional(
        glob("Glob on the caller's ARN or, for a role session, the role's ARN."),
      ),
      userAgentClass: v.optional(
        v.pipe(
          list(v.picklist(USER_AGENT_KINDS, notKnown('user agent class', USER_AGENT_KINDS))),
          v.description('The kinds of client the call may come from.'),
        ),
      ),
      userAgent: v.optional(glob('Glob on the raw user agent.')),
      accounts: v.optional(
        v.pipe(
          list(
            v.pipe(
              v.string((issue) => `account id must be 12 digits, got ${describe(issue.input)}`),
              v.regex(
                ACCOUNT_ID,
                (issue) => `account id must be 12 digits, got ${describe(issue.input)}`,
              ),
            ),
          ),
          v.description('The 12-digit ids of the accounts the call may be made in.'),
        ),
      ),
      groupName: v.optional(
        glob('Glob on the name of the security group the call created (or tried to).'),
      ),
      rules: v.optional(
        v.pipe(
          list(
            // A Sigma rule's id cannot be checked here (its rules are loaded apart from this
            // file), only its shape.
            v.union(
              [
                v.picklist(DETECTION_IDS),
                v.pipe(
                  v.string(),
                  v.regex(SIGMA_DETECTION_ID, notKnown('detection id', DETECTION_IDS)),
                ),
              ],
              notKnown('detection id', DETECTION_IDS),
            ),
          ),
          v.description(
            'The detections the exception covers: catalog ids or sigma.<rule id>. Left out, every detection.',
          ),
        ),
      ),
      window: v.optional(WINDOW),
    },
    'the criteria an event must meet',
  ),
  v.check(
    (match) => MATCH_KEYS.some((key) => match[key] !== undefined),
    `must give at least one criterion (${MATCH_KEYS.join(', ')}); an empty match would suppress every event`,
  ),
  v.description('What an event must match to be suppressed: every criterion given must match.'),
);

const EXCEPTION = v.pipe(
  strictEntries(
    {
      id: v.pipe(
        text(),
        v.regex(
          EXCEPTION_ID,
          'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
        ),
        v.description('Recorded on every alert the exception suppresses; unique in the file.'),
      ),
      reason: v.pipe(
        text(MAX_REASON),
        v.description('Why the calls are expected, for whoever reads a suppressed alert.'),
      ),
      owner: v.pipe(text(), v.description('Who answers for the exception, e.g. a team address.')),
      expires: v.pipe(
        text(),
        v.isoDate((issue) => `must be a date YYYY-MM-DD, got ${describe(issue.input)}`),
        v.check(
          (date) => endOfUtcDay(date) !== undefined,
          (issue) => `must be a date YYYY-MM-DD, got ${describe(issue.input)}`,
        ),
        v.description('The last day (UTC, YYYY-MM-DD) the exception applies.'),
      ),
      match: MATCH,
    },
    'an object (an exception with id, reason, owner, expires, match)',
  ),
  v.description('A call you expect and do not want to be notified about.'),
);

const EXCEPTIONS = v.pipe(
  v.array(EXCEPTION, mustBe('a list')),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const seen = new Map<string, number>();
    dataset.value.forEach((exception, index) => {
      const earlier = seen.get(exception.id);
      if (earlier === undefined) {
        seen.set(exception.id, index);
        return;
      }
      addIssue({
        message: `duplicates the id of exceptions[${earlier}]`,
        path: [
          { type: 'array', origin: 'value', input: dataset.value, key: index, value: exception },
          entryPathItem(exception, 'id'),
        ],
      });
    });
  }),
  v.description(
    'Calls you expect: a matching event is still recorded, as suppressed with the exception id, but not notified. The first live match wins.',
  ),
);

const BURST = v.pipe(
  strictEntries(
    {
      windowMinutes: v.optional(
        v.pipe(
          positiveWholeNumber('Length of a burst window in minutes, at most a day.'),
          v.maxValue(
            MAX_WINDOW_MINUTES,
            (issue) => `must be at most ${MAX_WINDOW_MINUTES}, got ${issue.input}`,
          ),
        ),
        DEFAULT_BURST.windowMinutes,
      ),
      maxNotificationsPerWindow: v.optional(
        positiveWholeNumber(
          'Notifications one detection may send per window; the rest are recorded and summarised.',
        ),
        DEFAULT_BURST.maxNotificationsPerWindow,
      ),
    },
    'an object ({ windowMinutes, maxNotificationsPerWindow })',
  ),
  v.description('How many notifications one detection may send in a given time.'),
);

/** The configuration file as written; `parsePolicy` checks a file against it. */
export const POLICY_SCHEMA = v.pipe(
  strictEntries(
    {
      $schema: v.optional(
        v.pipe(
          text(MAX_GLOB),
          v.description('The JSON Schema editors check this file with; sgwatch ignores it.'),
        ),
      ),
      accounts: v.optional(ACCOUNTS, {}),
      exceptions: v.optional(EXCEPTIONS, []),
      iacRoles: v.optional(
        v.pipe(
          v.array(glob('ARN glob of a role a deployment pipeline runs as.'), mustBe('a list')),
          v.description('ARN globs of the roles your deployment pipelines run as.'),
        ),
        [],
      ),
      burst: v.optional(BURST, { ...DEFAULT_BURST }),
    },
    'an object (with accounts, exceptions, iacRoles, burst)',
  ),
  v.title('sgwatch configuration'),
  v.description(
    'What sgwatch knows about your organisation: accounts, exceptions, IaC roles and burst settings. Every section may be left out. See docs/configuration.md.',
  ),
);

/** `parent.key`, or `parent["odd key"]` when the key is not a plain name or is cut short. */
function childPath(parent: string, key: string): string {
  if (key.length > MAX_QUOTED || !/^[A-Za-z_$][\w$]*$/.test(key)) {
    return `${parent}[${quote(key)}]`;
  }
  return parent === '' ? key : `${parent}.${key}`;
}

/**
 * Where an issue is, as people read the file: `exceptions[2] ("ci").match.accounts[0]`. Once an
 * exception has an id, the path names it too: the id is what people search for.
 */
function policyPath(issue: Issue): string {
  let path = '';
  for (const item of issue.path ?? []) {
    if (typeof item.key === 'number') {
      const entry = item.value;
      const id = isPlainObject(entry) ? entry.id : undefined;
      const named = path === 'exceptions' && typeof id === 'string' && id.trim() !== '';
      path = `${path}[${item.key}]${named ? ` (${quote(id)})` : ''}`;
    } else {
      path = childPath(path, String(item.key));
    }
  }
  return path === '' ? '(policy)' : path;
}

/**
 * Validates a policy read from JSON and returns a normalized copy with every default filled
 * in, or throws a `PolicyError` naming the first bad entry. Every section may be left out.
 */
export function parsePolicy(input: unknown): Policy {
  const { $schema: _editorSchema, ...policy } = parseOrThrow(
    POLICY_SCHEMA,
    input,
    (issue) => new PolicyError(policyPath(issue), issue.message),
  );
  return policy;
}
