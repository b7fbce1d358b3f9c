/**
 * The command line: node's parseArgs with our own messages, and the option definitions the
 * commands share, each carrying the check of its value. A command that uses a shared
 * definition gets its validation with it: a value that is wrong is a usage error (exit 2)
 * naming the option, never a silent filter that matches nothing.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { isoTimeMs } from '../lambda/core/calendar';
import { closestName } from '../lambda/core/spelling';

/** A command-line mistake: printed on one line with where to find the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

// Shaped like a date, so a value that fails to parse is a date that does not exist.
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}(?:T[\d:.]*(?:Z|[+-][\d:]+)?)?$/;

/** Which part of a date-shaped text does not exist, for the message that refuses it. */
function impossiblePart(text: string): string {
  const [, year, month, day, hour, minute] =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})?(?::(\d{2}))?)?/.exec(text) ?? [];
  const m = Number(month);
  if (m < 1 || m > 12) return `month ${month ?? ''} does not exist (months are 01 to 12)`;
  const last = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  const d = Number(day);
  if (d < 1 || d > last)
    return `${year ?? ''}-${month ?? ''} has days 01 to ${last}, not ${day ?? ''}`;
  if (hour !== undefined && Number(hour) > 23) return `hour ${hour} does not exist (00 to 23)`;
  if (minute !== undefined && Number(minute) > 59)
    return `minute ${minute} does not exist (00 to 59)`;
  return 'check the time of day and the time zone';
}

/**
 * Parses `--since`/`--until` values: an ISO-8601 time (`2026-03-01`, `2026-03-01T12:00Z`)
 * or an age relative to now (`90m`, `12h`, `7d`, `2w`). Returns epoch milliseconds. A date
 * that does not exist (`2025-02-30`) is refused rather than rolled over into the next month.
 */
export function parseTime(value: string, flag: string, now: Date): number {
  const text = value.trim();
  const relative = /^(\d+)([mhdw])$/.exec(text);
  if (relative !== null) {
    const [, amount, unit] = relative;
    return now.getTime() - Number(amount) * (UNITS[unit ?? 'd'] ?? 0);
  }
  const time = isoTimeMs(text.replace(' ', 'T'), { requireZone: false });
  if (time !== undefined) return time;
  if (DATE_LIKE.test(text.replace(' ', 'T'))) {
    throw new UsageError(
      `${flag} ${JSON.stringify(value)} is not a real date or time: ${impossiblePart(text)}`,
    );
  }
  throw new UsageError(
    `${flag} must be an ISO time (2026-03-01T12:00Z) or an age like 90m, 12h, 7d or 2w; got ${JSON.stringify(value)}`,
  );
}

/** Checks one value of an option; throws UsageError naming `flag` when it is wrong. */
export type ValueCheck = (value: string, flag: string) => void;

type ParseArgsOption = NonNullable<ParseArgsConfig['options']>[string];

/** A parseArgs option, plus the check every value given to it must pass. */
export type OptionDefinition = ParseArgsOption & { readonly check?: ValueCheck };

// Every commercial, GovCloud, China and ISO Region name has this shape. Checking it keeps a
// typo from turning into an endpoint host name, and gives a clear message instead.
const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** True for text shaped like an AWS Region name (us-east-1, us-gov-west-1, cn-north-1). */
export function isRegionName(value: string): boolean {
  return REGION_NAME.test(value);
}

/** The text as given, when it is shaped like an AWS Region name; else a usage error. */
export function checkRegionName(region: string, flag: string): string {
  if (!isRegionName(region)) {
    throw new UsageError(
      `${flag} must be an AWS Region name such as us-east-1; got ${JSON.stringify(region)}`,
    );
  }
  return region;
}

/** The text as given, when it is a 12-digit AWS account id; else a usage error. */
export function checkAccountId(account: string, flag: string): string {
  if (!ACCOUNT_ID.test(account)) {
    throw new UsageError(
      `${flag} must be a 12-digit AWS account id such as 111122223333; got ${JSON.stringify(account)}`,
    );
  }
  return account;
}

/** Applies `check` to each comma-separated item of a value (`--region a,b`). */
function eachItem(check: ValueCheck): ValueCheck {
  return (value, flag) => {
    for (const item of value.split(',')) {
      if (item.trim() !== '') check(item.trim(), flag);
    }
  };
}

// Only the form is checked here; the command turns the value into a time with its own clock.
const EPOCH = new Date(0);

/** A check that the value is a whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number): ValueCheck {
  return (value, flag) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
      throw new UsageError(
        `${flag} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`,
      );
    }
  };
}

/** The whole number an option holds, once its check has passed; `fallback` when not given. */
export function wholeNumberOf(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : Number(value);
}

/** A repeatable option's values, each of which may also be a comma-separated list. */
export function listValues(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The later of two parsed times must not come first: a range that can match nothing. */
export function checkRange(since: number | undefined, until: number | undefined): void {
  if (since !== undefined && until !== undefined && since > until) {
    throw new UsageError('--since is later than --until: nothing can match');
  }
}

/** What every command can print: a table for people, JSON or JSON lines for programs. */
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The output format a command was asked for: `--format table|json|jsonl`, or `--json` (the
 * older flag, the same as `--format json`); table when neither is given. `text` is taken for
 * table, as doctor and sigma check once spelled it.
 */
export function outputFormat(values: { format?: string; json?: boolean }): OutputFormat {
  const format = values.format === 'text' ? 'table' : values.format;
  if (format !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `--format must be table, json or jsonl; got ${JSON.stringify(values.format)}`,
    );
  }
  if (values.json === true && format !== undefined && format !== 'json') {
    throw new UsageError(`--json is --format json; it cannot go with --format ${format}`);
  }
  return values.json === true ? 'json' : ((format ?? 'table') as OutputFormat);
}

/** The options `outputFormat` reads, for a command's option table. */
export const FORMAT_OPTIONS = {
  format: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Record<string, OptionDefinition>;

/** Option definitions shared by the commands, with the checks of their values. */
export const OPTION = {
  /** One AWS Region. */
  region: { type: 'string', check: checkRegionName },
  /** Regions, repeatable and comma-separated. */
  regions: { type: 'string', multiple: true, check: eachItem(checkRegionName) },
  /** One AWS account id. */
  account: { type: 'string', check: checkAccountId },
  /** Account ids, repeatable and comma-separated. */
  accounts: { type: 'string', multiple: true, check: eachItem(checkAccountId) },
  /** An ISO time or an age (`--since`, `--until`). */
  time: { type: 'string', check: (value, flag) => void parseTime(value, flag, EPOCH) },
} as const satisfies Record<string, OptionDefinition>;

/** Where a command's alerts live: the options every store-using command takes. */
export const STORE_OPTIONS = {
  store: { type: 'string' },
  table: { type: 'string' },
  region: OPTION.region,
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionDefinition>;

function closest(flag: string, known: readonly string[]): string | undefined {
  return closestName(flag.replace(/^-+/, ''), known, (option) =>
    Math.max(1, Math.floor(option.length / 3)),
  );
}

/** Our wording for node's parse errors (its unknown-option text has an unbalanced quote). */
function usageMessage(code: string, message: string, known: readonly string[]): string {
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const suggestion = closest(quoted, known);
      return `unknown option ${quoted}${suggestion !== undefined ? ` (did you mean --${suggestion}?)` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = quoted.replace(/ <value>$/, '').replace(/^-\w, /, '');
      return /argument missing/.test(message)
        ? `${option} needs a value`
        : `${option} does not take a value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted)}`;
    default:
      return message;
  }
}

/**
 * parseArgs with its errors turned into UsageError, and every value of an option with a
 * `check` checked. Node's own TypeError comes from another realm under jest's VM, so it is
 * recognised by its code, not by `instanceof`.
 */
export function parseOptions<T extends Readonly<Record<string, OptionDefinition>>>(
  argv: readonly string[],
  options: T,
) {
  const plain = Object.fromEntries(
    Object.entries(options).map(([name, { check: _check, ...rest }]) => [name, rest]),
  ) as T;
  // A negative number after an option that takes a value is that value (`--workers -3`), so
  // the option's own check can say what is wrong with it, not parseArgs that it is an option.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const definition = name !== undefined ? options[name] : undefined;
    if (definition?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i += 1;
    } else {
      args.push(arg);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: plain });
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(usageMessage(code, String(message), Object.keys(options)), {
        cause: error,
      });
    }
    throw error;
  }
  for (const [name, definition] of Object.entries(options)) {
    const given: unknown = (parsed.values as Record<string, unknown>)[name];
    if (definition.check === undefined || given === undefined) continue;
    for (const value of Array.isArray(given) ? given : [given]) {
      if (typeof value === 'string') definition.check(value, `--${name}`);
    }
  }
  return parsed;
}
