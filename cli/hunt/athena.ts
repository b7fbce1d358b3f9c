/**
 * The hunt's Athena query, from start to its list of log files: started in the workgroup,
 * polled with its state, bytes scanned and cost shown on stderr, stopped in Athena when the
 * signal fires, and its result pages read. Every error Athena raises becomes one HuntError
 * whose message says what to do.
 */
import type { QueryExecution } from '@aws-sdk/client-athena';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { STACK_OUTPUTS } from '../../lib/deployment-names';
import { errorNameOf, explainAwsError, messageOf } from '../aws';
import { formatBytes } from '../format';
import type { CliIo } from '../io';
import { compareKeys } from '../replay/s3-source';
import type { HuntTarget } from './target';
import { HuntError, NO_TABLE_FIX } from './target';

/** Athena's price per terabyte scanned, and its 10 MB minimum per query. */
const DOLLARS_PER_TB = 5;
const MINIMUM_BILLED_BYTES = 10 * 1000 * 1000;
const PAGE_ROWS = 1000;

/** Dollars for `bytes` scanned, as Athena bills them. */
export function estimatedCost(bytes: number): number {
  return (Math.max(bytes, MINIMUM_BILLED_BYTES) / 1e12) * DOLLARS_PER_TB;
}

export function costText(bytes: number): string {
  const dollars = estimatedCost(bytes);
  return dollars < 0.01 ? '<$0.01' : `$${dollars.toFixed(2)}`;
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
export class HuntStopped extends Error {
  override readonly name = 'HuntStopped';
}

/** What the query found: the log files holding a watched call, and what it scanned. */
export interface QueryOutcome {
  /** `s3://` URIs of the log files, in key order, each once. */
  readonly paths: string[];
  readonly scanned: number;
}

export interface QueryOptions {
  /** Stops the query: it is cancelled in Athena and HuntStopped thrown. */
  readonly signal: AbortSignal;
  /** No status lines on stderr. */
  readonly quiet: boolean;
}

async function runQuery(
  athena: AthenaClient,
  sql: string,
  target: HuntTarget,
  io: CliIo,
  { signal, quiet }: QueryOptions,
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

/**
 * Runs the hunt query on `target` and returns the log files it names. Its progress goes to
 * `io.stderr`; Athena runs in the standard chain's Region.
 */
export async function queryLogFiles(
  sql: string,
  target: HuntTarget,
  io: CliIo,
  options: QueryOptions,
): Promise<QueryOutcome> {
  const athena = new AthenaClient({});
  try {
    return await runQuery(athena, sql, target, io, options);
  } finally {
    athena.destroy();
  }
}
