import type { AlertStatus } from '../../lambda/core/alert';
import type { Severity } from '../../lambda/core/catalog';
import { CATALOG } from '../../lambda/core/catalog';
import { SIGMA_ID_PREFIX } from '../../lambda/core/sigma/model';
import type { TriageTarget } from '../../lambda/core/triage';
import {
  ALERT_STATUSES,
  InvalidTransitionError,
  MAX_ACTOR_LENGTH,
  MAX_NOTE_LENGTH,
  TriageInputError,
} from '../../lambda/core/triage';
import type { AlertFilter } from '../alerts/queries';
import {
  AlertNotFoundError,
  ConcurrentUpdateError,
  DEFAULT_LIST_LIMIT,
  DEFAULT_WINDOW_DAYS,
  SEVERITIES,
} from '../alerts/queries';
import type { AlertStoreChoice } from '../alerts/run';
import { changeAlert, followFinding, getAlert, listAlerts } from '../alerts/run';
import { clean, safeJson, showText, withoutRecord } from '../alerts/show';
import {
  FORMAT_OPTIONS,
  OPTION,
  outputFormat,
  parseOptions,
  parseTime,
  STORE_OPTIONS,
  UsageError,
  wholeNumber,
  wholeNumberOf,
} from '../args';
import { ALERT_COLUMNS, alertRows } from '../format';
import type { CliIo } from '../io';
import { STATE_DIR_ENV } from '../store';
import { printTable } from '../table';

export const ALERTS_HELP = `Usage: sgwatch alerts <subcommand> [options]

Query and triage the alerts sgwatch has stored, whether the deployed Lambda or
\`sgwatch replay\` wrote them.

Subcommands:
  list                  alerts matching the filters, newest event first
  show <id>             everything about one alert: every field, the caller,
                        links, triage history and the original CloudTrail record
  ack <id>              open -> acknowledged: someone is looking into it
  resolve <id> --note TEXT
                        open or acknowledged -> resolved; the note says why
  reopen <id>           acknowledged, resolved or suppressed -> open

<id> is the full 20-character alert id from the ID column of \`list\`. Ids are
the table's key, so a shortened id cannot be looked up.

list options:
  --since T             oldest event time to show: an ISO time (2026-03-01,
                        2026-03-01T12:00Z) or an age (90m, 12h, 7d, 2w)
                        (default: ${DEFAULT_WINDOW_DAYS} days before --until, or
                        the last ${DEFAULT_WINDOW_DAYS} days)
  --until T             newest event time to show, same forms (default: now)
  --status S            open, acknowledged, resolved or suppressed
                        (--status open is the triage queue)
  --rule ID             a detection id, e.g. aws.rds.create-db-security-group
  --account ID          the AWS account the call was made in
  --principal ARN       the caller's full ARN, exactly as \`show\` prints it
                        (the PRINCIPAL column shortens it)
  --severity S          minimum severity: low, medium, high or critical
                        (high shows high and critical alerts)
  --limit N             show at most N alerts, 1-1000 (default: ${DEFAULT_LIST_LIMIT})
  --wide                show every column whole. Otherwise a terminal's table
                        fits its width: short forms first (times to the minute,
                        Regions as codes), then the least useful columns left
                        out (a note names them), then the widest cells cut with
                        "…". ID, TIME, SEV and CALL are never cut. Piped or
                        redirected output is never cut nor narrowed.
  --format FORMAT       table (default); json: one JSON array of the alerts as
                        stored, each without its bulky cloudTrailEvent (show has
                        it); jsonl: one such alert per line. --json is the
                        same as --format json
  The time window applies to every filter, --status open included: widen
  --since to see older alerts. list reads one index with DynamoDB Query, never
  Scan: by --principal if given, else --account, else --status, else one
  partition per month of event time.

show options:
  --format FORMAT       table (default, for reading); json or jsonl: the stored
                        alert as JSON, its CloudTrail record included (--json
                        also works)

ack, resolve and reopen options:
  --format FORMAT       table (default): one sentence; json or jsonl: the alert
                        as it now stands, without its cloudTrailEvent
  --note TEXT           why (required for resolve, optional otherwise; at most
                        ${MAX_NOTE_LENGTH} characters). Kept in the alert's history.
  --by NAME             who is making the change (--user NAME also works).
                        Default: $SGWATCH_USER; else, with --table, your AWS
                        identity (the ARN STS GetCallerIdentity returns); else
                        your login name ($USER, $USERNAME, or the system's)
  A change only applies if nobody else changed the alert since it was read; if
  someone did, nothing is written and the command exits 1.
  With --table, when the deployment imports findings into Security Hub (its
  table carries the sgwatch:securityHubProductArn tag), the alert's finding
  follows: ack -> NOTIFIED, resolve -> RESOLVED, reopen -> NEW.

Store options (every subcommand):
  --store embedded      (default) the local store replay writes
  --store memory        an empty throwaway store (for trying the commands out)
  --table NAME          a deployed sgwatch alert table (AWS credentials from the
                        standard chain)
  --region R            the Region of --table (default: from your AWS profile)
  --state-dir DIR       where the local store lives (default:
                        $${STATE_DIR_ENV}, else the nearest .sgwatch/ in this
                        folder or one above it)
  -h, --help            this help

Examples:
  sgwatch alerts list --status open --severity high
  sgwatch alerts list --since 7d --account 111122223333 --format json
  sgwatch alerts show 3f9c2a7d41e08b5c6a12
  sgwatch alerts ack 3f9c2a7d41e08b5c6a12
  sgwatch alerts resolve 3f9c2a7d41e08b5c6a12 --note "approved in CHG-1234"
  sgwatch alerts reopen 3f9c2a7d41e08b5c6a12 --table sgwatch-alerts \\
    --region us-east-1

Exit status: 0 on success; 1 when the alert does not exist, the change is not
allowed from its current status, someone else changed the alert at the same
time, or the store fails; 2 on a usage error.
`;

const MAX_LIMIT = 1000;

const LIST_OPTIONS = {
  ...STORE_OPTIONS,
  since: OPTION.time,
  until: OPTION.time,
  status: { type: 'string' },
  rule: { type: 'string' },
  account: OPTION.account,
  principal: { type: 'string' },
  severity: { type: 'string' },
  limit: { type: 'string', check: wholeNumber(1, MAX_LIMIT) },
  ...FORMAT_OPTIONS,
  wide: { type: 'boolean' },
} as const;

const SHOW_OPTIONS = { ...STORE_OPTIONS, ...FORMAT_OPTIONS } as const;

const CHANGE_OPTIONS = {
  ...STORE_OPTIONS,
  ...FORMAT_OPTIONS,
  note: { type: 'string' },
  by: { type: 'string' },
  user: { type: 'string' },
} as const;

const TARGET_OF: Readonly<Record<string, TriageTarget>> = {
  ack: 'acknowledged',
  resolve: 'resolved',
  reopen: 'open',
};
const COMMAND_FOR: Readonly<Record<TriageTarget, string>> = {
  acknowledged: 'ack',
  resolved: 'resolve',
  open: 'reopen',
};

/** The store the shared store options name. */
function storeChoice(values: {
  readonly store?: string | undefined;
  readonly table?: string | undefined;
  readonly region?: string | undefined;
  readonly 'state-dir'?: string | undefined;
}): AlertStoreChoice {
  return {
    ...(values.store !== undefined ? { store: values.store } : {}),
    ...(values.table !== undefined ? { table: values.table } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
  };
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `${flag} must be one of ${allowed.join(', ')}; got "${clean(value, 100)}"`,
    );
  }
  return value as T;
}

function nonEmpty(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return value.trim();
}

function theId(positionals: readonly string[], subcommand: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`alerts ${subcommand} needs exactly one alert id`);
  }
  const id = (positionals[0] ?? '').trim();
  if (id === '' || id.length > 200) throw new UsageError('the alert id must be 1-200 characters');
  return id;
}

function notFoundMessage(id: string): string {
  const hint =
    id.length < 20 ? ' (use the full 20-character id; shortened ids are not looked up)' : '';
  return `no alert with id ${clean(id, 200)}${hint}`;
}

async function listCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, LIST_OPTIONS);
  if (values.help === true) {
    io.stdout.write(ALERTS_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`alerts list takes no arguments; got "${positionals.join(' ')}"`);
  }
  const now = io.now();
  const until = values.until !== undefined ? parseTime(values.until, '--until', now) : undefined;
  const since = values.since !== undefined ? parseTime(values.since, '--since', now) : undefined;
  if (since !== undefined && since > (until ?? now.getTime())) {
    throw new UsageError('--since is later than --until (or now): nothing can match');
  }
  const limit = wholeNumberOf(values.limit, DEFAULT_LIST_LIMIT);
  const status = oneOf<AlertStatus>(values.status, ALERT_STATUSES, '--status');
  const severity = oneOf<Severity>(values.severity, SEVERITIES, '--severity');
  const ruleId = nonEmpty(values.rule, '--rule');
  const account = nonEmpty(values.account, '--account');
  const principal = nonEmpty(values.principal, '--principal');
  if (
    ruleId !== undefined &&
    !ruleId.startsWith(SIGMA_ID_PREFIX) &&
    !CATALOG.some((detection) => detection.id === ruleId)
  ) {
    // Not an error: alerts from a detection since removed from the catalog are still stored.
    io.stderr.write(
      `sgwatch: note: no current detection has id "${clean(ruleId, 200)}" (known: ${CATALOG.map((d) => d.id).join(', ')})\n`,
    );
  }
  const filter: AlertFilter = {
    limit,
    ...(since !== undefined ? { since: new Date(since) } : {}),
    ...(until !== undefined ? { until: new Date(until) } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(severity !== undefined ? { severity } : {}),
    ...(ruleId !== undefined ? { ruleId } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(principal !== undefined ? { principal } : {}),
  };

  const format = outputFormat(values);
  const alerts = await listAlerts(storeChoice(values), filter, io);
  if (alerts.length === limit) {
    io.stderr.write(
      `sgwatch: showing the newest ${limit}; there may be more (raise --limit or narrow --since/--until)\n`,
    );
  }
  if (format === 'json') {
    io.stdout.write(`${safeJson(alerts.map(withoutRecord), 2)}\n`);
    return 0;
  }
  if (format === 'jsonl') {
    for (const alert of alerts) io.stdout.write(`${safeJson(withoutRecord(alert))}\n`);
    return 0;
  }
  if (alerts.length === 0) {
    io.stdout.write(
      since === undefined
        ? 'No alerts match in the last 30 days (the default window); use --since to look further back, e.g. --since 2025-01-01.\n'
        : 'No alerts match.\n',
    );
    return 0;
  }
  printTable(io, ALERT_COLUMNS, alertRows(alerts), values.wide === true);
  return 0;
}

async function showCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, SHOW_OPTIONS);
  if (values.help === true) {
    io.stdout.write(ALERTS_HELP);
    return 0;
  }
  const id = theId(positionals, 'show');
  const alert = await getAlert(storeChoice(values), id, io);
  if (alert === undefined) {
    io.stderr.write(`sgwatch: ${notFoundMessage(id)}\n`);
    return 1;
  }
  const format = outputFormat(values);
  io.stdout.write(
    format === 'json'
      ? `${safeJson(alert, 2)}\n`
      : format === 'jsonl'
        ? `${safeJson(alert)}\n`
        : showText(alert),
  );
  return 0;
}

async function changeCommand(
  subcommand: string,
  target: TriageTarget,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const { values, positionals } = parseOptions(argv, CHANGE_OPTIONS);
  if (values.help === true) {
    io.stdout.write(ALERTS_HELP);
    return 0;
  }
  const id = theId(positionals, subcommand);
  const note = values.note?.trim();
  if (target === 'resolved' && (note === undefined || note === '')) {
    throw new UsageError('alerts resolve needs --note "why it is resolved"');
  }
  if (note !== undefined && note.length > MAX_NOTE_LENGTH) {
    throw new UsageError(`--note must be at most ${MAX_NOTE_LENGTH} characters`);
  }
  if (values.by !== undefined && values.user !== undefined && values.by !== values.user) {
    throw new UsageError('--by and --user name the same thing: give one of them');
  }
  const given = values.by ?? values.user;
  if (given !== undefined && (given.trim() === '' || given.trim().length > MAX_ACTOR_LENGTH)) {
    throw new UsageError(`--by must be 1-${MAX_ACTOR_LENGTH} characters`);
  }
  const format = outputFormat(values);
  const kept = note === '' ? undefined : note;
  const choice = storeChoice(values);

  try {
    const changed = await changeAlert(
      choice,
      {
        id,
        target,
        ...(kept !== undefined ? { note: kept } : {}),
        ...(given !== undefined ? { by: given.trim() } : {}),
      },
      io,
    );
    const updated = changed.alert;
    const last = updated.history?.[updated.history.length - 1];
    const sentence =
      `Alert ${clean(updated.alertId, 200)} is now ${clean(updated.status)}` +
      ` (was ${clean(last?.from)}), changed by ${clean(updated.statusChangedBy, MAX_ACTOR_LENGTH)}` +
      ` at ${clean(updated.statusChangedAt)}.\n` +
      (updated.statusNote !== undefined
        ? `Note: ${clean(updated.statusNote, MAX_NOTE_LENGTH)}\n`
        : '');
    // For a program, the alert itself; the sentence (and the finding's news) go to stderr.
    const report = format === 'table' ? io.stdout : io.stderr;
    report.write(sentence);
    if (format !== 'table') {
      io.stdout.write(`${safeJson(withoutRecord(updated), format === 'json' ? 2 : undefined)}\n`);
    }
    // A deployed table whose deployment imports findings: the finding's workflow follows.
    const finding = await followFinding(choice, changed, kept);
    if (finding !== '') report.write(finding);
    return 0;
  } catch (error) {
    if (error instanceof AlertNotFoundError) {
      io.stderr.write(`sgwatch: ${notFoundMessage(id)}\n`);
      return 1;
    }
    if (error instanceof InvalidTransitionError) {
      const next = error.allowed.map((to) => `sgwatch alerts ${COMMAND_FOR[to]}`).join(' or ');
      io.stderr.write(
        `sgwatch: alert ${clean(id, 200)} is ${clean(error.current)}, so "${subcommand}" does not apply` +
          (next !== '' ? `; from ${clean(error.current)} use ${next}\n` : '\n'),
      );
      return 1;
    }
    if (error instanceof ConcurrentUpdateError || error instanceof TriageInputError) {
      io.stderr.write(`sgwatch: ${clean(error.message, 4096)}\n`);
      return 1;
    }
    throw error;
  }
}

/** `sgwatch alerts <subcommand> ...`: returns the exit code; usage mistakes throw UsageError. */
export async function alertsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  switch (subcommand) {
    case undefined:
      io.stdout.write(ALERTS_HELP);
      return 2;
    case '-h':
    case '--help':
    case 'help':
      io.stdout.write(ALERTS_HELP);
      return 0;
    case 'list':
      return listCommand(rest, io);
    case 'show':
      return showCommand(rest, io);
    case 'ack':
    case 'resolve':
    case 'reopen': {
      const target = TARGET_OF[subcommand];
      if (target === undefined) throw new UsageError(`unknown alerts subcommand "${subcommand}"`);
      return changeCommand(subcommand, target, rest, io);
    }
    default:
      throw new UsageError(
        `unknown alerts subcommand "${subcommand}" (expected list, show, ack, resolve or reopen)`,
      );
  }
}
