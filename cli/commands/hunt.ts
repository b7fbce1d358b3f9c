import type { QueryExecution } from '@aws-sdk/client-athena';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { buildHuntSql } from '../../lambda/core/hunt/sql';
import {
  AwsCommandError,
  DEFAULT_STACK_NAME,
  describeStack,
  errorNameOf,
  explainAwsError,
  messageOf,
  resolveRegion,
} from '../aws';
import { STACK_OUTPUTS } from '../../lib/deployment-names';
import { formatBytes } from '../format';
import type { CliIo } from '../io';
import { compareKeys } from '../replay/s3-source';
import { FORMAT_OPTIONS, OPTION, outputFormat, parseOptions, parseTime, UsageError } from '../args';
import {
  checkDeliveryFlags,
  list,
  loadSigmaOption,
  replayCatalog,
  replayCommand,
  selectedCatalog,
} from './replay';

export const HUNT_HELP = `Usage: sgwatch hunt --since T [options]

Hunts the organization's CloudTrail history with Amazon Athena: one query, built
from the detection catalog, finds the trail's log files that hold a call any
selected detection watches; those files are then replayed from S3 through the
same code as \`sgwatch replay\`, so a hunt stores the same alerts as a replay of
the whole archive would.

Range (partition projection: Athena reads only these days, accounts, Regions):
  --since T           ISO time (2025-01-01, 2025-01-01T12:00Z) or an age (90d);
                      required
  --until T           the end of the range (default: now)
  --account ID        only this account (repeatable)
  --region R          only this Region (repeatable)
  --detections SEL    seed, exposure, exfiltration or all (default: all)
  --sigma PATH        also hunt with the Sigma rules in this file or folder
                      (repeatable); a rule that pins neither eventSource nor
                      eventName narrows the query by its partitions only
  --no-builtin        with --sigma: hunt with the Sigma rules only

Where to query (deploy with -c cloudTrailBucket=BUCKET to create them):
  --stack NAME        read database, table and workgroup from the stack's
                      outputs (default: ${DEFAULT_STACK_NAME})
  --database D --table T --workgroup W
                      name them yourself (no CloudFormation call)
  --print-sql         print the query and exit; offline with --database and
                      --table

Store and output (as for replay):
  --store embedded|memory, --state-dir DIR, --config FILE, --full-parse,
  --quiet, --format table|json|jsonl, --wide
  --alert-table NAME  a deployed sgwatch alert table (replay's --table)
  --publish --topic ARN
                      with --alert-table: also publish the alerts

Athena runs in your profile's Region (AWS_REGION). The query's state, bytes
scanned and estimated cost ($5 per TB) show as it runs; Ctrl-C stops it.

Exit status: 0 when the hunt ran and every file was read, 1 on a failure,
2 on a usage error, 130 when stopped.
`;

/** Athena's price per terabyte scanned, and its 10 MB minimum per query. */
const DOLLARS_PER_TB = 5;
const MINIMUM_BILLED_BYTES = 10 * 1000 * 1000;
const PAGE_ROWS = 1000;

/** A hunt that cannot run or did not finish; the message says what to do. */
export class HuntError extends AwsCommandError {}

/** Dollars for `bytes` scanned, as Athena bills them. */
export function estimatedCost(bytes: number): number {
  return (Math.max(bytes, MINIMUM_BILLED_BYTES) / 1e12) * DOLLARS_PER_TB;
}

function costText(bytes: number): string {
  const dollars = estimatedCost(bytes);
  return dollars < 0.01 ? '<$0.01' : `$${dollars.toFixed(2)}`;
}

interface HuntTarget {
  readonly database: string;
  readonly table: string;
  readonly workGroup?: string;
  /** Where the names came from, for messages. */
  readonly origin: string;
}

const NO_TABLE_FIX =
  'deploy the stack with -c cloudTrailBucket=BUCKET (its outputs HuntDatabaseName, HuntTableName and HuntWorkGroupName), or pass --database, --table and --workgroup';

async function targetFromStack(
  stackName: string,
  io: CliIo,
  given: { database?: string; table?: string; workgroup?: string },
): Promise<HuntTarget> {
  const region = await resolveRegion(undefined, io.env, null);
  const client = new CloudFormationClient({ region });
  try {
    const stack = await describeStack(client, stackName, region);
    const database = given.database ?? stack.outputs[STACK_OUTPUTS.huntDatabase];
    const table = given.table ?? stack.outputs[STACK_OUTPUTS.huntTable];
    const workGroup = given.workgroup ?? stack.outputs[STACK_OUTPUTS.huntWorkGroup];
    if (database === undefined || table === undefined) {
      throw new HuntError(
        `no hunt table: stack ${stackName} has no ${STACK_OUTPUTS.huntTable} output; ${NO_TABLE_FIX}`,
      );
    }
    return {
      database,
      table,
      ...(workGroup !== undefined ? { workGroup } : {}),
      origin: `stack ${stackName}`,
    };
  } finally {
    client.destroy();
  }
}

/** The action in an AccessDenied message ("... not authorized to perform: athena:X ..."). */
function missingAction(message: string, fallback: string): string {
  return /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1] ?? fallback;
}

function deniedError(error: unknown, action: string): HuntError {
  return new HuntError(
    `access denied: your AWS identity needs ${missingAction(messageOf(error), action)}; attach the stack's ${STACK_OUTPUTS.huntOperatorPolicy} policy`,
    { cause: error },
  );
}

function athenaError(error: unknown, action: string, target: HuntTarget): HuntError {
  const name = errorNameOf(error);
  if (name === 'AccessDeniedException') return deniedError(error, action);
  if (
    name === 'InvalidRequestException' &&
    /WorkGroup .*(not found|does not exist)/i.test(messageOf(error))
  ) {
    return new HuntError(
      `Athena has no workgroup ${target.workGroup ?? ''}: check --workgroup or the ${STACK_OUTPUTS.huntWorkGroup} output of the stack`,
      { cause: error },
    );
  }
  return new HuntError(`Athena ${action} failed: ${explainAwsError(error, null)}`, {
    cause: error,
  });
}

/** The one-line message for a query that ended without results. */
function failureOf(execution: QueryExecution, target: HuntTarget, cutoff: string): HuntError {
  const state = execution.Status?.State ?? 'UNKNOWN';
  const reason = (execution.Status?.StateChangeReason ?? '').split('\n')[0] ?? '';
  const scanned = formatBytes(execution.Statistics?.DataScannedInBytes ?? 0);
  if (/bytes scanned limit/i.test(reason)) {
    return new HuntError(
      `the hunt query stopped at the workgroup's scan limit (${scanned} scanned${cutoff}): narrow --since/--until/--account/--region, or raise the limit with cdk deploy -c huntMaxScanGb=N`,
    );
  }
  if (/TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|does not exist/i.test(reason)) {
    return new HuntError(
      `no hunt table ${target.database}.${target.table} (from ${target.origin}) in Athena: ${NO_TABLE_FIX}`,
    );
  }
  if (/injected projected partition column/i.test(reason)) {
    return new HuntError(
      'the hunt table projects accounts by injection: pass --account ID (repeatable), or deploy with -c cloudTrailAccounts=ID,ID,... to hunt every account',
    );
  }
  if (/access denied|permission denied|not authorized/i.test(reason)) {
    return new HuntError(
      `access denied while Athena ran the query (${reason}): your identity needs s3:GetObject and s3:ListBucket on the trail; attach the stack's ${STACK_OUTPUTS.huntOperatorPolicy} policy`,
    );
  }
  if (state === 'CANCELLED') {
    return new HuntError(
      `the hunt query was cancelled outside sgwatch${reason !== '' ? `: ${reason}` : ''}`,
    );
  }
  return new HuntError(`the hunt query failed: ${reason !== '' ? reason : state}`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Stopped by the user: the query is cancelled in Athena and the command exits 130. */
class HuntStopped extends Error {
  override readonly name = 'HuntStopped';
}

interface QueryOutcome {
  readonly paths: string[];
  readonly scanned: number;
}

async function runQuery(
  athena: AthenaClient,
  sql: string,
  target: HuntTarget,
  io: CliIo,
  signal: AbortSignal,
  quiet: boolean,
): Promise<QueryOutcome> {
  const workGroup = target.workGroup ?? '';
  let id: string | undefined;
  try {
    ({ QueryExecutionId: id } = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: workGroup,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: target.database },
      }),
    ));
  } catch (error) {
    throw athenaError(error, 'athena:StartQueryExecution', target);
  }
  if (id === undefined) throw new HuntError('Athena returned no query execution id');
  const tty = io.stderr.isTTY === true && !quiet;
  const status = (execution: QueryExecution): string => {
    const bytes = execution.Statistics?.DataScannedInBytes ?? 0;
    return `query ${id ?? ''} ${execution.Status?.State ?? '?'}  ${formatBytes(bytes)} scanned  ~${costText(bytes)}`;
  };
  let execution: QueryExecution | undefined;
  let lastState = '';
  let delay = 200;
  for (;;) {
    if (signal.aborted) {
      await athena
        .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
        .catch(() => undefined);
      const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
      if (tty) io.stderr.write('\r\x1b[K');
      io.stderr.write(
        `sgwatch: hunt stopped; query ${id} cancelled in Athena (${formatBytes(scanned)} scanned, ~${costText(scanned)})\n`,
      );
      throw new HuntStopped();
    }
    try {
      ({ QueryExecution: execution } = await athena.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      ));
    } catch (error) {
      throw athenaError(error, 'athena:GetQueryExecution', target);
    }
    const state = execution?.Status?.State ?? 'UNKNOWN';
    if (tty) io.stderr.write(`\r\x1b[K${execution !== undefined ? status(execution) : ''}`);
    else if (state !== lastState && !quiet && execution !== undefined)
      io.stderr.write(`${status(execution)}\n`);
    lastState = state;
    if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') break;
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 2000);
  }
  if (tty && execution !== undefined) io.stderr.write(`\r\x1b[K${status(execution)}\n`);
  if (execution?.Status?.State !== 'SUCCEEDED') {
    throw failureOf(execution ?? {}, target, '');
  }
  const paths: string[] = [];
  let token: string | undefined;
  let first = true;
  do {
    let page;
    try {
      page = await athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: PAGE_ROWS,
          ...(token !== undefined ? { NextToken: token } : {}),
        }),
      );
    } catch (error) {
      throw athenaError(error, 'athena:GetQueryResults', target);
    }
    const rows = page.ResultSet?.Rows ?? [];
    // The first row of a SELECT's first page is its header.
    for (const [index, row] of rows.entries()) {
      if (first && index === 0) continue;
      const value = row.Data?.[0]?.VarCharValue;
      if (value !== undefined && value.startsWith('s3://')) paths.push(value);
    }
    first = false;
    token = page.NextToken;
  } while (token !== undefined);
  return {
    paths: [...new Set(paths)].sort((a, b) => compareKeys(a, b)),
    scanned: execution.Statistics?.DataScannedInBytes ?? 0,
  };
}

/** Ctrl-C while a query runs: cancel it in Athena, then stop. */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', stop) };
}

export async function huntCommand(
  argv: readonly string[],
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    since: OPTION.time,
    until: OPTION.time,
    account: OPTION.accounts,
    region: OPTION.regions,
    detections: { type: 'string' },
    sigma: { type: 'string', multiple: true },
    'no-builtin': { type: 'boolean' },
    stack: { type: 'string' },
    database: { type: 'string' },
    table: { type: 'string' },
    workgroup: { type: 'string' },
    'print-sql': { type: 'boolean' },
    store: { type: 'string' },
    'alert-table': { type: 'string' },
    publish: { type: 'boolean' },
    topic: { type: 'string' },
    'state-dir': { type: 'string' },
    config: { type: 'string' },
    ...FORMAT_OPTIONS,
    wide: { type: 'boolean' },
    'full-parse': { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `hunt takes no paths (got "${positionals[0] ?? ''}"): it finds the files itself`,
    );
  }
  if (values.help === true) {
    io.stdout.write(HUNT_HELP);
    return 0;
  }
  checkDeliveryFlags(
    {
      publish: values.publish === true,
      ...(values['alert-table'] !== undefined ? { table: values['alert-table'] } : {}),
      ...(values.topic !== undefined ? { topic: values.topic } : {}),
    },
    '--alert-table',
  );
  const format = outputFormat(values);

  if (values.since === undefined) throw new UsageError('hunt needs --since: how far back to look');
  const now = io.now();
  const since = parseTime(values.since, '--since', now);
  const until =
    values.until !== undefined ? parseTime(values.until, '--until', now) : now.getTime();
  if (until < since) throw new UsageError('--until is before --since');
  const selection = values.detections ?? 'all';
  const noBuiltin = values['no-builtin'] === true;
  const sigma = loadSigmaOption(values.sigma, io.cwd);
  const detections =
    replayCatalog(values.detections, noBuiltin, sigma) ?? selectedCatalog(selection);
  const accounts = list(values.account);
  const regions = list(values.region);
  if ((values.database === undefined) !== (values.table === undefined)) {
    throw new UsageError('--database and --table go together');
  }

  const offline =
    values.database !== undefined && values.table !== undefined && values.stack === undefined;
  const target: HuntTarget = offline
    ? {
        database: values.database ?? '',
        table: values.table ?? '',
        ...(values.workgroup !== undefined ? { workGroup: values.workgroup } : {}),
        origin: '--database and --table',
      }
    : await targetFromStack(values.stack ?? DEFAULT_STACK_NAME, io, {
        ...(values.database !== undefined ? { database: values.database } : {}),
        ...(values.table !== undefined ? { table: values.table } : {}),
        ...(values.workgroup !== undefined ? { workgroup: values.workgroup } : {}),
      });
  const sql = buildHuntSql({
    database: target.database,
    table: target.table,
    detections,
    since,
    until,
    ...(accounts !== undefined ? { accounts } : {}),
    ...(regions !== undefined ? { regions } : {}),
  });
  if (values['print-sql'] === true) {
    io.stdout.write(`${sql};\n`);
    return 0;
  }
  if (target.workGroup === undefined) {
    throw new UsageError(
      `--workgroup is needed to run the query (the ${STACK_OUTPUTS.huntWorkGroup} output of the stack), or use --stack`,
    );
  }

  const interrupt = signal === undefined ? interruptSignal() : undefined;
  const athena = new AthenaClient({});
  let outcome: QueryOutcome;
  try {
    outcome = await runQuery(
      athena,
      sql,
      target,
      io,
      signal ?? interrupt?.signal ?? new AbortController().signal,
      values.quiet === true,
    );
  } catch (error) {
    if (error instanceof HuntStopped) return 130;
    throw error;
  } finally {
    interrupt?.dispose();
    athena.destroy();
  }
  io.stderr.write(
    `hunt: ${outcome.paths.length} log file${outcome.paths.length === 1 ? '' : 's'} hold a watched call (${formatBytes(outcome.scanned)} scanned, ~${costText(outcome.scanned)})\n`,
  );
  if (outcome.paths.length === 0) {
    if (format === 'table') io.stdout.write('No alerts: no record matched a detection.\n');
    if (format === 'json') io.stdout.write('[]\n');
    return 0;
  }
  // The files go through replay itself: its store, policy, filters and output.
  const flag = (name: string, value: string | undefined): string[] =>
    value !== undefined ? [name, value] : [];
  return replayCommand(
    [
      '--since',
      new Date(since).toISOString(),
      '--until',
      new Date(until).toISOString(),
      ...(noBuiltin ? ['--no-builtin'] : ['--detections', selection]),
      ...(values.sigma ?? []).flatMap((path) => ['--sigma', path]),
      ...(accounts ?? []).flatMap((account) => ['--account', account]),
      ...(regions ?? []).flatMap((region) => ['--region', region]),
      ...flag('--store', values.store),
      ...flag('--table', values['alert-table']),
      ...flag('--topic', values.topic),
      ...flag('--state-dir', values['state-dir']),
      ...flag('--config', values.config),
      '--format',
      format,
      ...(values.wide === true ? ['--wide'] : []),
      ...(values.publish === true ? ['--publish'] : []),
      ...(values['full-parse'] === true ? ['--full-parse'] : []),
      ...(values.quiet === true ? ['--quiet'] : []),
      ...outcome.paths,
    ],
    io,
  );
}
