/**
 * What a replay is asked to do, as a typed value: `sgwatch replay` builds it from its
 * options, `sgwatch hunt` from its own with the files its query found, and both hand it to
 * the same run (./execute.ts). The checks every such request must pass live here, once, so
 * a hunt refuses what a replay refuses, in the same words.
 */
import type { Detection, DetectionSelection } from '../../lambda/core/catalog';
import { CATALOG, catalogFor, DETECTION_SELECTIONS } from '../../lambda/core/catalog';
import type { SigmaSource } from '../../lambda/core/sigma';
import { sigmaDetections, SigmaLoadError } from '../../lambda/core/sigma';
import { readSigmaSources, SigmaPathError } from '../../lambda/sigma-loader';
import type { OutputFormat } from '../args';
import { checkRange, UsageError } from '../args';
import type { RecordFilter } from './scan';

export interface ReplayRequest {
  /** Files, folders and `s3://BUCKET/PREFIX` locations; relative paths are read from the cwd. */
  readonly paths: readonly string[];
  /** Which records count: time range, accounts and Regions of the records. */
  readonly filter: RecordFilter;
  /** `embedded` or `memory`. @default - embedded, unless `table` is given */
  readonly store?: string;
  /** A deployed alert table, which comes only with `publish` and `topic`. @default - none */
  readonly table?: string;
  /** The Region of `table`. @default - the standard chain (AWS_REGION, the profile) */
  readonly tableRegion?: string;
  /** Deliver alerts to `topic` as the detector does. */
  readonly publish: boolean;
  /** The deployed alert topic's ARN, for `publish`. @default - none */
  readonly topic?: string;
  /** Where the embedded store lives. @default - found as git finds a repository */
  readonly stateDir?: string;
  /** The policy file. @default - ./sgwatch.config.json when present, else no exceptions */
  readonly configFile?: string;
  /** The built-in packs whose alerts are recorded. @default - all of them */
  readonly detections?: DetectionSelection;
  /** Run no built-in detection: only the Sigma rules of `sigmaPaths`. */
  readonly noBuiltin: boolean;
  /** Sigma rule files and folders run beside (or instead of) the catalog. @default - none */
  readonly sigmaPaths?: readonly string[];
  /** Scan threads, this one included. @default - all cores past 32 MB of input, else 1 */
  readonly workers?: number;
  /** Parse every file whole rather than only those the prefilter cannot rule out. */
  readonly fullParse: boolean;
  /** No progress bar. */
  readonly quiet: boolean;
  readonly format: OutputFormat;
  /** Every column of the table whole, whatever the terminal's width. @default false */
  readonly wide?: boolean;
}

/**
 * The names the asking command gives to the options a message may name: hunt's own
 * `--table` is the Athena table, so it calls the alert table `--alert-table`.
 */
export interface RequestFlags {
  /** @default '--table' */
  readonly table?: string;
}

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[\w-]+$/;

/** The Region a topic lives in, from its ARN: a topic is published to in its own Region. */
export function topicRegion(arn: string): string {
  const region = TOPIC_ARN.exec(arn)?.[1];
  if (region === undefined) {
    throw new UsageError(
      `--topic must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME), got "${arn}"`,
    );
  }
  return region;
}

/**
 * Where a run may deliver. A deployed table is the live detector's record of what it sent:
 * a backtest that wrote alerts there without sending them would make the live detector take
 * them as sent and stay silent (and take places in its burst windows), so a table comes only
 * with --publish, which delivers them as the detector would.
 */
function checkDelivery(request: ReplayRequest, tableFlag: string): void {
  if (request.topic !== undefined && !request.publish) {
    throw new UsageError(
      '--topic is only read with --publish: add --publish, or leave --topic out',
    );
  }
  if (request.publish && (request.table === undefined || request.topic === undefined)) {
    throw new UsageError(
      `--publish needs ${tableFlag} and --topic: replay only publishes to a deployed topic`,
    );
  }
  if (request.table !== undefined && !request.publish) {
    throw new UsageError(
      `${tableFlag} without --publish would mark alerts as sent in the live table, silencing the live detector: add --publish --topic ARN to deliver them, or leave ${tableFlag} out to backtest locally`,
    );
  }
  if (request.topic !== undefined) topicRegion(request.topic);
}

/**
 * Refuses a request that cannot run as asked, before anything is read or opened: delivery
 * options that do not go together, a topic that is not a topic, a time range that matches
 * nothing, and a choice of detections that leaves none or contradicts itself.
 */
export function checkReplayRequest(request: ReplayRequest, flags: RequestFlags = {}): void {
  checkDelivery(request, flags.table ?? '--table');
  checkRange(request.filter.since, request.filter.until);
  const sigma = request.sigmaPaths !== undefined && request.sigmaPaths.length > 0;
  if (request.noBuiltin && !sigma) {
    throw new UsageError('--no-builtin leaves nothing to run without --sigma PATH');
  }
  if (request.noBuiltin && request.detections !== undefined) {
    throw new UsageError('--no-builtin and --detections contradict each other; give one');
  }
}

/** `--detections seed|exposure|exfiltration|all`, as the request holds it. */
export function detectionSelection(text: string): DetectionSelection {
  const known = DETECTION_SELECTIONS.find((candidate) => candidate === text);
  if (known === undefined) {
    throw new UsageError(`--detections must be ${DETECTION_SELECTIONS.join(', ')}; got "${text}"`);
  }
  return known;
}

/** Sigma rules as read and compiled for a run. */
export interface LoadedSigma {
  readonly sources: SigmaSource[];
  readonly detections: Detection[];
}

/** The request's Sigma rules, read and compiled; a rule that does not load is a usage error. */
export function loadRequestSigma(request: ReplayRequest, cwd: string): LoadedSigma | undefined {
  const paths = request.sigmaPaths;
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
 * `noBuiltin`, and the Sigma rules. Undefined when that is the whole built-in catalog.
 */
export function requestCatalog(
  request: ReplayRequest,
  sigma: LoadedSigma | undefined,
): readonly Detection[] | undefined {
  const builtin = request.noBuiltin
    ? []
    : request.detections !== undefined
      ? catalogFor(request.detections)
      : undefined;
  if (sigma === undefined) return builtin;
  return [...(builtin ?? CATALOG), ...sigma.detections];
}
