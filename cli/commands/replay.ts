import type { OutputFormat } from '../args';
import {
  FORMAT_OPTIONS,
  listValues,
  OPTION,
  outputFormat,
  parseOptions,
  parseTime,
  UsageError,
  wholeNumber,
} from '../args';
import type { CliIo } from '../io';
import { executeReplay } from '../replay/execute';
import type { ReplayRequest } from '../replay/request';
import { checkReplayRequest, detectionSelection } from '../replay/request';

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

/**
 * The options replay shares with hunt, which hands its files to replay: where alerts go,
 * which detections run, and how the scan runs and prints. Each command names its table and
 * its paths in its own way.
 */
export const RUN_OPTIONS = {
  store: { type: 'string' },
  'table-region': OPTION.region,
  publish: { type: 'boolean' },
  topic: { type: 'string' },
  'state-dir': { type: 'string' },
  config: { type: 'string' },
  region: OPTION.regions,
  account: OPTION.accounts,
  since: OPTION.time,
  until: OPTION.time,
  ...FORMAT_OPTIONS,
  wide: { type: 'boolean' },
  workers: { type: 'string', check: wholeNumber(1, 1024) },
  'full-parse': { type: 'boolean' },
  detections: { type: 'string' },
  sigma: { type: 'string', multiple: true },
  'no-builtin': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The values of RUN_OPTIONS as parsed, whichever command parsed them. */
export interface RunValues {
  readonly store?: string | undefined;
  readonly 'table-region'?: string | undefined;
  readonly publish?: boolean | undefined;
  readonly topic?: string | undefined;
  readonly 'state-dir'?: string | undefined;
  readonly config?: string | undefined;
  readonly region?: string[] | undefined;
  readonly account?: string[] | undefined;
  readonly detections?: string | undefined;
  readonly sigma?: string[] | undefined;
  readonly 'no-builtin'?: boolean | undefined;
  readonly workers?: string | undefined;
  readonly 'full-parse'?: boolean | undefined;
  readonly quiet?: boolean | undefined;
  readonly wide?: boolean | undefined;
}

/**
 * The request the shared options make, for the given paths, time range and alert table.
 * The caller checks it (checkReplayRequest) naming its own table option.
 */
export function runRequest(
  values: RunValues,
  given: {
    readonly paths: readonly string[];
    readonly since?: number | undefined;
    readonly until?: number | undefined;
    readonly table?: string | undefined;
    readonly format: OutputFormat;
  },
): ReplayRequest {
  const regions = listValues(values.region);
  const accounts = listValues(values.account);
  return {
    paths: given.paths,
    filter: {
      ...(given.since !== undefined ? { since: given.since } : {}),
      ...(given.until !== undefined ? { until: given.until } : {}),
      ...(accounts !== undefined ? { accounts } : {}),
      ...(regions !== undefined ? { regions } : {}),
    },
    ...(values.store !== undefined ? { store: values.store } : {}),
    ...(given.table !== undefined ? { table: given.table } : {}),
    ...(values['table-region'] !== undefined ? { tableRegion: values['table-region'] } : {}),
    publish: values.publish === true,
    ...(values.topic !== undefined ? { topic: values.topic } : {}),
    ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
    ...(values.config !== undefined ? { configFile: values.config } : {}),
    ...(values.detections !== undefined
      ? { detections: detectionSelection(values.detections) }
      : {}),
    noBuiltin: values['no-builtin'] === true,
    ...(values.sigma !== undefined ? { sigmaPaths: values.sigma } : {}),
    ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
    fullParse: values['full-parse'] === true,
    quiet: values.quiet === true,
    format: given.format,
    ...(values.wide === true ? { wide: true } : {}),
  };
}

/** `sgwatch replay`: returns the exit code; usage mistakes throw UsageError. */
export async function replayCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, {
    ...RUN_OPTIONS,
    table: { type: 'string' },
  });
  if (values.help === true) {
    io.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('replay needs at least one file or folder');
  const format = outputFormat(values);
  const now = io.now();
  const request = runRequest(values, {
    paths: positionals,
    since: values.since !== undefined ? parseTime(values.since, '--since', now) : undefined,
    until: values.until !== undefined ? parseTime(values.until, '--until', now) : undefined,
    table: values.table,
    format,
  });
  checkReplayRequest(request);
  return executeReplay(request, io);
}
