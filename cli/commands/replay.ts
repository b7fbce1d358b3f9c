import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { jsonLogger } from '../../lambda/adapters/logger';
import { composeDelivery } from '../../lambda/compose';
import type { Detection } from '../../lambda/core/catalog';
import { CATALOG, catalogFor, DETECTION_SELECTIONS } from '../../lambda/core/catalog';
import type { SigmaSource } from '../../lambda/core/sigma';
import { sigmaDetections, SigmaLoadError } from '../../lambda/core/sigma';
import { readSigmaSources, SigmaPathError } from '../../lambda/sigma-loader';
import type { Policy } from '../../lambda/core/policy';
import { DEFAULT_POLICY, forHistory } from '../../lambda/core/policy';
import type { AlertPublisher } from '../../lambda/core/ports';
import { readPolicyFile } from '../../lambda/policy-loader';
import type { ProcessDeps } from '../../lambda/core/process';
import { ALERT_COLUMNS, alertRows, formatBytes } from '../format';
import type { CliIo } from '../io';
import { commandPrefix, drained, shellWord } from '../io';
import { discoverFiles, NoLogsError } from '../replay/files';
import { LocalPublisher } from '../replay/local-publisher';
import type { S3Inputs } from '../replay/s3-source';
import type { ReplayCounts, ReplayProgress } from '../replay/run';
import { runReplay } from '../replay/run';
import { MAX_TERMINAL_ROWS, ReplaySummary } from '../replay/summary';
import type { RecordFilter } from '../replay/scan';
import {
  checkRange,
  FORMAT_OPTIONS,
  OPTION,
  outputFormat,
  parseOptions,
  parseTime,
  UsageError,
  wholeNumber,
} from '../args';
import { locateStateDir, openDeliveryStore } from '../store';
import type { Column } from '../table';
import { printTable } from '../table';

export const REPLAY_HELP = `Usage: sgwatch replay [options] <path>...

Runs sgwatch's detections over CloudTrail logs on this machine, through the same
code the deployed Lambda runs, and stores the alerts so \`sgwatch alerts\` can
query them.

<path> may be a file, a folder (searched recursively) or s3://BUCKET/PREFIX
(listed with the standard AWS credentials, at AWS_ENDPOINT_URL_S3 when it is
set, for an S3-compatible store; --since, --until, --account and --region skip
the accounts, Regions and days of the CloudTrail key layout they leave out).
Accepted files:
  *.json.gz, *.json    CloudTrail log files as delivered to S3
                       ({"Records":[...]})
  *.json, *.jsonl      EventBridge events (or bare records) as a JSON array or
                       JSON lines
  (gzip is detected from the bytes, so any of them may be compressed)
CloudTrail-Digest folders are skipped and counted; other files in folders are
listed as ignored.

Store (where alerts are written):
  --store embedded     (default) a local store in .sgwatch/ that answers as the
                       alert table does (see --state-dir)
  --store memory       a throwaway in-memory store
  --table NAME         a deployed sgwatch alert table, with --publish only (AWS
                       credentials from the standard chain)
  --table-region R     the table's Region (default: the standard chain, e.g.
                       AWS_REGION or your profile); --region does not set it
  --publish            with --table: deliver alerts as the detector does, to
                       --topic ARN
  --topic ARN          the deployed alert topic, for --publish
  --state-dir DIR      where the embedded store lives (default:
                       $SGWATCH_STATE_DIR, else the nearest .sgwatch/ in this
                       folder or one above it, else a new ./.sgwatch)

Policy:
  --config FILE        accounts, exceptions, IaC roles and burst settings, the
                       same file the deployed stack ships (default:
                       ./sgwatch.config.json if present, else no exceptions).
                       Matching exceptions record alerts as suppressed.

Filters:
  --since T, --until T    ISO time (2026-03-01, 2026-03-01T12:00Z) or an age
                          (90m, 12h, 7d, 2w)
  --account ID            only this account (repeatable)
  --region R              only records of this Region (repeatable)

Output:
  --format FORMAT         table (default): a row per alert on stdout (in a
                          terminal, past 50 alerts, counts per detection, day,
                          principal, account and Region instead); jsonl: one
                          line per matched alert on stdout and nothing else;
                          json: one array of them (--json is the same). Counts
                          always go to stderr, records and alerts on lines of
                          their own: alerts = new + already stored; new =
                          notified + suppressed + capped.
  --wide                  show every column whole. Otherwise, in a terminal,
                          the table fits its width: short forms first, then
                          the least useful columns left out (a note names
                          them), then the widest cells cut with "…"; ID,
                          TIME, SEV and CALL are never cut. Piped or
                          redirected output is never cut nor narrowed.
  --detections SEL        seed, exposure, exfiltration or all (default: all):
                          the packs whose alerts are recorded
  --sigma PATH            also run the Sigma rules in this file or folder
                          (repeatable); see "sgwatch sigma check" and
                          docs/sigma.md
  --no-builtin            with --sigma: run only the Sigma rules, not sgwatch's
                          own detections
  --full-parse            parse every file completely (slower). By default a
                          CloudTrail log file that cannot hold a match (no
                          watched eventName in its bytes) is only checked for
                          shape: empty, non-JSON and truncated files are still
                          reported, a syntax error in its middle is not. JSON
                          lines and arrays of events are always parsed whole.
  --workers N             scan threads, this one included (default: all cores
                          when the input is over 32 MB, else 1)
  --quiet                 no progress bar
  -h, --help              this help

Exit status: 0 when every file was read, 1 when any file was unreadable or a
record invalid, 2 on a usage error (among them a path that does not exist or a
folder without log files).
`;

/** One alert's row of the replay table, and how often this run met it. */
interface Row {
  readonly cells: readonly string[];
  readonly eventTime: string;
  readonly isNew: boolean;
  times: number;
}

/**
 * Whether this run stored the alert or found it stored, and how often it met the event. The
 * first column a narrow terminal gives up: the counts below the table say as much.
 */
const THIS_RUN: Column = {
  header: 'THIS RUN',
  priority: 0,
  whole: true,
  droppable: true,
  abbreviate: (cells) => ({
    header: 'THIS RUN',
    cells: cells.map((cell) => cell.replace(/^already stored/, 'stored').replace(', seen ', ' ')),
  }),
};

const PARALLEL_THRESHOLD_BYTES = 32 * 1024 * 1024;
const DEFAULT_CONFIG_FILE = 'sgwatch.config.json';

/** Ends the scan early; the store's own error is what gets reported. */
class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

function progressLine(progress: ReplayProgress): string {
  const seconds = Math.max(progress.elapsedMs / 1000, 0.001);
  const share = progress.bytesTotal === 0 ? 1 : progress.bytesDone / progress.bytesTotal;
  const width = 24;
  const filled = Math.round(share * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const recordsPerSecond = Math.round(progress.records / seconds).toLocaleString('en-US');
  const mbPerSecond = (progress.bytesDone / 1024 / 1024 / seconds).toFixed(1);
  return `[${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${progress.filesDone}/${progress.filesTotal} files  ${formatBytes(progress.bytesDone)}  ${recordsPerSecond} records/s  ${mbPerSecond} MB/s read`;
}

/**
 * The run's counts, on two lines of their own unit each: records (what was read) and alerts
 * (what the detections raised), the alerts' parts adding up to their total.
 */
export function countsLines(counts: ReplayCounts, reading: string): string {
  const records =
    `records ${counts.records} in ${counts.files} file${counts.files === 1 ? '' : 's'} (${reading})` +
    (counts.filteredOut > 0 ? `, ${counts.filteredOut} filtered out` : '') +
    (counts.invalidRecords > 0 ? `, ${counts.invalidRecords} invalid` : '') +
    `; unreadable files ${counts.unreadable}`;
  const alerts =
    `alerts ${counts.matched} = new ${counts.new} + already stored ${counts.alreadyStored}; ` +
    `new ${counts.new} = notified ${counts.notified} + suppressed ${counts.suppressed} + capped ${counts.capped}` +
    (counts.repeats > 0 ? `; met again ${counts.repeats} (repeated events)` : '');
  return `${records}\n${alerts}\n`;
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[\w-]+$/;

/** The Region a topic lives in, from its ARN: a topic is published to in its own Region. */
function topicRegion(arn: string): string {
  const region = TOPIC_ARN.exec(arn)?.[1];
  if (region === undefined) {
    throw new UsageError(
      `--topic must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got "${arn}"`,
    );
  }
  return region;
}

/** The policy file replay applies: the one named, else the project's own when present. */
function loadReplayPolicy(file: string | undefined, cwd: string): Policy {
  const path = file !== undefined ? resolve(cwd, file) : join(cwd, DEFAULT_CONFIG_FILE);
  if (file === undefined && !existsSync(path)) return DEFAULT_POLICY;
  try {
    return readPolicyFile(path).policy;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Where a run may deliver. A deployed table is the live detector's record of what it sent:
 * a backtest that wrote alerts there without sending them would make the live detector take
 * them as sent and stay silent (and take places in its burst windows), so a table comes only
 * with --publish, which delivers them as the detector would. `tableFlag` is the command's
 * own name for the table option.
 */
export function checkDeliveryFlags(
  flags: { readonly table?: string; readonly publish: boolean; readonly topic?: string },
  tableFlag: string,
): void {
  if (flags.topic !== undefined && !flags.publish) {
    throw new UsageError(
      '--topic is only read with --publish: add --publish, or leave --topic out',
    );
  }
  if (flags.publish && (flags.table === undefined || flags.topic === undefined)) {
    throw new UsageError(
      `--publish needs ${tableFlag} and --topic: replay only publishes to a deployed topic`,
    );
  }
  if (flags.table !== undefined && !flags.publish) {
    throw new UsageError(
      `${tableFlag} without --publish would mark alerts as sent in the live table, silencing the live detector: add --publish --topic ARN to deliver them, or leave ${tableFlag} out to backtest locally`,
    );
  }
}

/** A repeatable option's values, each of which may also be a comma-separated list. */
export function list(values: string[] | undefined): string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `--detections seed|exposure|exfiltration|all`: the packs whose alerts this run records. */
export function selectedCatalog(selection: string): readonly Detection[] {
  const known = DETECTION_SELECTIONS.find((candidate) => candidate === selection);
  if (known === undefined)
    throw new UsageError(
      `--detections must be ${DETECTION_SELECTIONS.join(', ')}; got "${selection}"`,
    );
  return catalogFor(known);
}

/** The rules of `--sigma`, read and compiled; a rule that does not load is a usage error. */
export function loadSigmaOption(
  paths: readonly string[] | undefined,
  cwd: string,
): { sources: SigmaSource[]; detections: Detection[] } | undefined {
  if (paths === undefined || paths.length === 0) return undefined;
  try {
    const sources = readSigmaSources(paths, cwd);
    return { sources, detections: sigmaDetections(sources) };
  } catch (error) {
    if (error instanceof SigmaPathError || error instanceof SigmaLoadError) {
      throw new UsageError(`--sigma: ${error.message}`);
    }
    throw error;
  }
}

/**
 * The detections whose alerts a run records: the selected packs (all by default) unless
 * `--no-builtin`, and the Sigma rules. Undefined when that is the whole built-in catalog.
 */
export function replayCatalog(
  selection: string | undefined,
  noBuiltin: boolean,
  sigma: { detections: readonly Detection[] } | undefined,
): readonly Detection[] | undefined {
  if (noBuiltin && sigma === undefined) {
    throw new UsageError('--no-builtin leaves nothing to run without --sigma PATH');
  }
  if (noBuiltin && selection !== undefined) {
    throw new UsageError('--no-builtin and --detections contradict each other; give one');
  }
  const builtin = noBuiltin ? [] : selection !== undefined ? selectedCatalog(selection) : undefined;
  if (sigma === undefined) return builtin;
  return [...(builtin ?? CATALOG), ...sigma.detections];
}

function reportS3Listing(remote: S3Inputs, io: CliIo): void {
  if (remote.ignored.length > 0) {
    io.stderr.write(
      `sgwatch: ignored ${remote.ignored.length} object(s) that are not .json/.jsonl/.json.gz logs, e.g. ${remote.ignored[0] ?? ''}\n`,
    );
  }
  if (remote.digestPrefixes > 0)
    io.stderr.write(`sgwatch: skipped ${remote.digestPrefixes} CloudTrail-Digest prefix(es)\n`);
}

/** `sgwatch alerts <rest>`, as the person ran sgwatch, with the --state-dir they gave. */
function nextAlerts(io: CliIo, rest: string, stateDir: string | undefined): string {
  const dir = stateDir !== undefined ? ` --state-dir ${shellWord(stateDir)}` : '';
  return `${commandPrefix(io.env)} alerts ${rest}${dir}`;
}

export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    store: { type: 'string' },
    table: { type: 'string' },
    region: OPTION.regions,
    'table-region': OPTION.region,
    publish: { type: 'boolean' },
    topic: { type: 'string' },
    'state-dir': { type: 'string' },
    config: { type: 'string' },
    since: OPTION.time,
    until: OPTION.time,
    account: OPTION.accounts,
    ...FORMAT_OPTIONS,
    wide: { type: 'boolean' },
    workers: { type: 'string', check: wholeNumber(1, 1024) },
    'full-parse': { type: 'boolean' },
    detections: { type: 'string' },
    sigma: { type: 'string', multiple: true },
    'no-builtin': { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('replay needs at least one file or folder');
  const format = outputFormat(values);
  checkDeliveryFlags(
    {
      publish: values.publish === true,
      ...(values.table !== undefined ? { table: values.table } : {}),
      ...(values.topic !== undefined ? { topic: values.topic } : {}),
    },
    '--table',
  );
  const topicRegionName =
    values.publish === true && values.topic !== undefined ? topicRegion(values.topic) : undefined;
  const now = io.now();
  const regions = list(values.region);
  const accounts = list(values.account);
  const filter: RecordFilter = {
    ...(values.since !== undefined ? { since: parseTime(values.since, '--since', now) } : {}),
    ...(values.until !== undefined ? { until: parseTime(values.until, '--until', now) } : {}),
    ...(accounts !== undefined ? { accounts } : {}),
    ...(regions !== undefined ? { regions } : {}),
  };
  checkRange(filter.since, filter.until);
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    // More threads than cores only share the cores, and each holds its own buffers.
    const cores = availableParallelism();
    if (workers > cores) {
      io.stderr.write(
        `sgwatch: --workers ${workers} is more than this machine's ${cores} cores; using ${cores}\n`,
      );
      workers = cores;
    }
  }

  const remotePaths = positionals.filter((p) => /^s3:\/\//i.test(p));
  const discovery = await discoverFiles(
    positionals.filter((p) => !remotePaths.includes(p)).map((p) => resolve(io.cwd, p)),
  ).catch((error: unknown) => {
    throw error instanceof NoLogsError ? new UsageError(error.message) : error;
  });
  const remote =
    remotePaths.length > 0
      ? await (
          await import('../replay/s3-source')
        )
          .openS3Inputs(remotePaths, filter, io.env)
          .catch((error: unknown) => {
            throw error instanceof Error && error.name === 'NoLogsError'
              ? new UsageError(error.message)
              : error;
          })
      : undefined;
  if (remote !== undefined) reportS3Listing(remote, io);
  let failed = false;
  for (const missing of discovery.missing) {
    io.stderr.write(`sgwatch: cannot read ${missing.path}: ${missing.reason}\n`);
    failed = true;
  }
  if (discovery.ignored.length > 0) {
    io.stderr.write(
      `sgwatch: ignored ${discovery.ignored.length} file(s) that are not .json/.jsonl/.json.gz logs, e.g. ${discovery.ignored[0] ?? ''}\n`,
    );
  }
  if (discovery.digests > 0)
    io.stderr.write(`sgwatch: skipped ${discovery.digests} CloudTrail digest file(s)\n`);
  const totalBytes = discovery.files.reduce((sum, f) => sum + f.size, 0);
  const threads =
    workers ??
    (totalBytes > PARALLEL_THRESHOLD_BYTES && discovery.files.length > 1
      ? availableParallelism()
      : 1);

  const sigma = loadSigmaOption(values.sigma, io.cwd);
  const catalog = replayCatalog(values.detections, values['no-builtin'] === true, sigma);
  const policy = loadReplayPolicy(values.config, io.cwd);
  // The store starts while the first files are scanned; only the first match waits for it.
  const opening = openDeliveryStore({
    ...(values.store !== undefined ? { store: values.store } : {}),
    ...(values.table !== undefined ? { table: values.table } : {}),
    ...(values['table-region'] !== undefined ? { region: values['table-region'] } : {}),
    regionFlag: '--table-region',
    stateDir: locateStateDir(values['state-dir'], io.env, io.cwd).path,
  });
  // A store that fails to open (another sgwatch holds it, say) stops the scan at the next
  // file rather than after the whole archive.
  let storeFailed = false;
  opening.catch(() => {
    storeFailed = true;
  });
  let publisher: AlertPublisher = new LocalPublisher();
  let destroyPublisher = (): void => undefined;
  if (values.topic !== undefined && topicRegionName !== undefined) {
    // Loaded only to publish: the SNS client is a large part of start-up otherwise.
    const [{ SNSClient }, { SnsAlertPublisher }] = await Promise.all([
      import('@aws-sdk/client-sns'),
      import('../../lambda/adapters/sns-publisher'),
    ]);
    const sns = new SNSClient({ region: topicRegionName });
    publisher = new SnsAlertPublisher(sns, values.topic);
    destroyPublisher = () => sns.destroy();
  }
  const deps: Promise<ProcessDeps> = opening.then((store) =>
    composeDelivery({
      store: store.store,
      publisher,
      clock: { now: () => io.now() },
      // History is judged as of each event: an exception live then suppresses it now.
      policy: forHistory(policy),
      // The run reports what fails itself, once, in its own words.
      logger: jsonLogger({ threshold: 'silent' }),
      ...(catalog !== undefined ? { catalog } : {}),
    }),
  );

  const showProgress = io.stderr.isTTY === true && values.quiet !== true;
  let lastDraw = 0;
  // For the table: a summary of every alert met, and its row while the rows are to be shown
  // (always on a pipe, which gets them all; on a terminal only up to MAX_TERMINAL_ROWS, past
  // which the summary stands in for them and the rows are let go).
  const summary = new ReplaySummary();
  let rows: Map<string, Row> | undefined = format === 'table' ? new Map() : undefined;
  let matched = 0;
  let streamed = 0;
  let counts: ReplayCounts;
  try {
    counts = await runReplay(
      {
        files: discovery.files,
        filter,
        workers: threads,
        fullParse: values['full-parse'] === true,
        ...(sigma !== undefined ? { sigmaRules: sigma.sources } : {}),
        deps,
        ...(remote !== undefined ? { sources: [remote.source] } : {}),
      },
      {
        onAlert: (result, repeat) => {
          if (repeat) {
            const row = rows?.get(result.alert.alertId);
            if (row !== undefined) row.times += 1;
            return;
          }
          // One line per stored alert: a repeated event adds nothing to stdout.
          if (format === 'jsonl' || format === 'json') {
            // JSON is streamed as an array, one alert at a time: nothing piles up in memory.
            const text = JSON.stringify(result.alert);
            io.stdout.write(
              format === 'jsonl' ? `${text}\n` : `${streamed === 0 ? '[\n' : ',\n'}${text}`,
            );
            streamed += 1;
            return;
          }
          const isNew = !['duplicate', 'resumed', 'in-flight'].includes(result.outcome);
          summary.add(result.alert, isNew);
          matched += 1;
          if (rows !== undefined && io.stdout.isTTY === true && matched > MAX_TERMINAL_ROWS) {
            rows = undefined;
          }
          rows?.set(result.alert.alertId, {
            cells: alertRows([result.alert])[0] ?? [],
            eventTime: result.alert.eventTime,
            isNew,
            times: 1,
          });
        },
        onFileError: (path, reason) =>
          io.stderr.write(
            `${showProgress ? '\r\x1b[K' : ''}sgwatch: unreadable ${path}: ${reason}\n`,
          ),
        onInvalidRecord: (path, { index, line, reason }) =>
          io.stderr.write(
            `${showProgress ? '\r\x1b[K' : ''}sgwatch: ${line !== undefined ? `${path}:${line}: invalid line` : `invalid record #${index} in ${path}`}: ${reason}\n`,
          ),
        onProgress: (progress) => {
          if (storeFailed) throw new StoreUnavailableError();
          const due =
            showProgress &&
            progress.elapsedMs >= 1000 &&
            (progress.elapsedMs - lastDraw >= 200 || progress.filesDone === progress.filesTotal);
          if (due) {
            lastDraw = progress.elapsedMs;
            io.stderr.write(`\r\x1b[K${progressLine(progress)}`);
          }
          // Alerts are written a file at a time: wait until a slow reader has taken them.
          return drained(io.stdout);
        },
      },
    );
  } finally {
    if (showProgress && lastDraw > 0) io.stderr.write('\r\x1b[K');
    destroyPublisher();
    remote?.close();
    await (await opening).close();
  }
  const store = await opening;

  if (format === 'json') io.stdout.write(streamed === 0 ? '[]\n' : '\n]\n');
  if (format === 'table') {
    const stored = `${counts.matched} alert${counts.matched === 1 ? '' : 's'} matched (new ${counts.new}, already stored ${counts.alreadyStored}), in the ${store.description}.\n`;
    const since = `--since ${summary.earliestDay()}`;
    if (counts.matched === 0) {
      io.stdout.write('No alerts: no record matched a detection.\n');
    } else if (rows !== undefined) {
      const sorted = [...rows.values()].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
      const cells = sorted.map((row) => {
        const state = row.isNew ? 'new' : 'already stored';
        return [...row.cells, row.times > 1 ? `${state}, seen ${row.times}x` : state];
      });
      printTable(io, [...ALERT_COLUMNS, THIS_RUN], cells, values.wide === true);
      io.stdout.write(
        store.kind === 'memory'
          ? `\n${stored}The in-memory store is gone when replay ends; run without --store memory to keep them.\n`
          : `\n${stored}Next: ${nextAlerts(io, `list ${since}`, values['state-dir'])}   or   ${nextAlerts(io, 'show <ID>', values['state-dir'])}\n`,
      );
    } else {
      io.stdout.write(`${stored}\n${summary.render()}\n`);
      const jsonl = `${commandPrefix(io.env)} replay --format jsonl ...`;
      io.stdout.write(
        store.kind === 'memory'
          ? `Every alert: ${jsonl} (the in-memory store is gone when replay ends; run without --store memory to keep them).\n`
          : `Every alert: ${nextAlerts(io, `list ${since} --limit 1000`, values['state-dir'])} (newest first; narrow with --rule, --principal, --account, --status, --until), or ${jsonl}; piped to a file or another program, replay lists them all.\n`,
      );
    }
  }
  io.stderr.write(
    countsLines(
      counts,
      `${formatBytes(counts.bytes)} read, ${formatBytes(counts.rawBytes)} uncompressed, ${threads} thread${threads === 1 ? '' : 's'}`,
    ),
  );
  return failed || counts.unreadable > 0 || counts.invalidRecords > 0 ? 1 : 0;
}
