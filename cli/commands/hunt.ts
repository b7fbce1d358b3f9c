import { buildHuntSql } from '../../lambda/core/hunt/sql';
import { CATALOG } from '../../lambda/core/catalog';
import { STACK_OUTPUTS } from '../../lib/deployment-names';
import { outputFormat, parseOptions, parseTime, UsageError } from '../args';
import { DEFAULT_STACK_NAME } from '../aws';
import { formatBytes } from '../format';
import type { QueryOutcome } from '../hunt/athena';
import { costText, HuntStopped, queryLogFiles } from '../hunt/athena';
import type { HuntLocation } from '../hunt/target';
import { huntTarget } from '../hunt/target';
import type { CliIo } from '../io';
import { executeReplay } from '../replay/execute';
import { checkReplayRequest, loadRequestSigma, requestCatalog } from '../replay/request';
import { RUN_OPTIONS, runRequest } from './replay';

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
  --workers N, --quiet, --format table|json|jsonl, --wide
  --alert-table NAME  a deployed sgwatch alert table (replay's --table)
  --table-region R    the Region of --alert-table (default: the standard
                      chain, e.g. AWS_REGION or your profile)
  --publish --topic ARN
                      with --alert-table: also publish the alerts

Athena runs in your profile's Region (AWS_REGION). The query's state, bytes
scanned and estimated cost ($5 per TB) show as it runs; Ctrl-C stops it.

Exit status: 0 when the hunt ran and every file was read, 1 on a failure,
2 on a usage error, 130 when stopped.
`;

const OPTIONS = {
  ...RUN_OPTIONS,
  stack: { type: 'string' },
  database: { type: 'string' },
  table: { type: 'string' },
  workgroup: { type: 'string' },
  'print-sql': { type: 'boolean' },
  'alert-table': { type: 'string' },
} as const;

/** Ctrl-C while a query runs: cancel it in Athena, then stop. */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', stop) };
}

/** `sgwatch hunt`: returns the exit code; usage mistakes throw UsageError. */
export async function huntCommand(
  argv: readonly string[],
  io: CliIo,
  signal?: AbortSignal,
): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (positionals.length > 0) {
    throw new UsageError(
      `hunt takes no paths (got "${positionals[0] ?? ''}"): it finds the files itself`,
    );
  }
  if (values.help === true) {
    io.stdout.write(HUNT_HELP);
    return 0;
  }
  const format = outputFormat(values);
  if (values.since === undefined) throw new UsageError('hunt needs --since: how far back to look');
  const now = io.now();
  const since = parseTime(values.since, '--since', now);
  const until =
    values.until !== undefined ? parseTime(values.until, '--until', now) : now.getTime();
  // The files come from the query; the rest of the replay is asked for here, and checked
  // before the query runs: a replay that would refuse its options must not cost a scan.
  const request = runRequest(values, {
    paths: [],
    since,
    until,
    table: values['alert-table'],
    format,
  });
  checkReplayRequest(request, { table: '--alert-table' });
  if ((values.database === undefined) !== (values.table === undefined)) {
    throw new UsageError('--database and --table go together');
  }
  const sigma = loadRequestSigma(request, io.cwd);
  const location: HuntLocation = {
    ...(values.stack !== undefined ? { stack: values.stack } : {}),
    ...(values.database !== undefined ? { database: values.database } : {}),
    ...(values.table !== undefined ? { table: values.table } : {}),
    ...(values.workgroup !== undefined ? { workgroup: values.workgroup } : {}),
  };

  const target = await huntTarget(location, io);
  const { accounts, regions } = request.filter;
  const sql = buildHuntSql({
    database: target.database,
    table: target.table,
    detections: requestCatalog(request, sigma) ?? CATALOG,
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
  let outcome: QueryOutcome;
  try {
    outcome = await queryLogFiles(sql, target, io, {
      signal: signal ?? interrupt?.signal ?? new AbortController().signal,
      quiet: request.quiet,
    });
  } catch (error) {
    if (error instanceof HuntStopped) return 130;
    throw error;
  } finally {
    interrupt?.dispose();
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
  return executeReplay({ ...request, paths: outcome.paths }, io);
}
