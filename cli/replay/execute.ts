/**
 * Carries out a replay request: finds the files, loads the rules and the policy, opens the
 * store (and the topic, to publish), runs the scan through the Lambda's own delivery, and
 * reports through the output. The request has been checked (checkReplayRequest) by whoever
 * built it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { jsonLogger } from '../../lambda/adapters/logger';
import { composeDelivery } from '../../lambda/compose';
import type { Policy } from '../../lambda/core/policy';
import { DEFAULT_POLICY, forHistory } from '../../lambda/core/policy';
import type { AlertPublisher } from '../../lambda/core/ports';
import type { ProcessDeps } from '../../lambda/core/process';
import { readPolicyFile } from '../../lambda/policy-loader';
import { UsageError } from '../args';
import type { CliIo } from '../io';
import { locateStateDir, openDeliveryStore } from '../store';
import { discoverFiles, NoLogsError } from './files';
import { LocalPublisher } from './local-publisher';
import { ReplayOutput } from './output';
import type { ReplayRequest } from './request';
import { loadRequestSigma, requestCatalog, topicRegion } from './request';
import type { ReplayCounts } from './run';
import { runReplay } from './run';
import type { S3Inputs } from './s3-source';

const PARALLEL_THRESHOLD_BYTES = 32 * 1024 * 1024;
const DEFAULT_CONFIG_FILE = 'sgwatch.config.json';

/** Ends the scan early; the store's own error is what gets reported. */
class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
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

function reportS3Listing(remote: S3Inputs, io: CliIo): void {
  if (remote.ignored.length > 0) {
    io.stderr.write(
      `sgwatch: ignored ${remote.ignored.length} object(s) that are not .json/.jsonl/.json.gz logs, e.g. ${remote.ignored[0] ?? ''}\n`,
    );
  }
  if (remote.digestPrefixes > 0)
    io.stderr.write(`sgwatch: skipped ${remote.digestPrefixes} CloudTrail-Digest prefix(es)\n`);
}

/** The scan threads asked for, held to the machine's cores, with a note when that cuts them. */
function threadsAsked(workers: number | undefined, io: CliIo): number | undefined {
  if (workers === undefined) return undefined;
  // More threads than cores only share the cores, and each holds its own buffers.
  const cores = availableParallelism();
  if (workers <= cores) return workers;
  io.stderr.write(
    `sgwatch: --workers ${workers} is more than this machine's ${cores} cores; using ${cores}\n`,
  );
  return cores;
}

/**
 * Runs the request and prints what it found; returns the exit code: 0 when every file was
 * read, 1 when one was not (or a record was invalid). Mistakes in the request that only
 * show once it runs (a path that does not exist, a rule that does not load) are usage errors.
 */
export async function executeReplay(request: ReplayRequest, io: CliIo): Promise<number> {
  const workers = threadsAsked(request.workers, io);
  const remotePaths = request.paths.filter((p) => /^s3:\/\//i.test(p));
  const discovery = await discoverFiles(
    request.paths.filter((p) => !remotePaths.includes(p)).map((p) => resolve(io.cwd, p)),
  ).catch((error: unknown) => {
    throw error instanceof NoLogsError ? new UsageError(error.message) : error;
  });
  const remote =
    remotePaths.length > 0
      ? await (
          await import('./s3-source')
        )
          .openS3Inputs(remotePaths, request.filter, io.env)
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

  const sigma = loadRequestSigma(request, io.cwd);
  const catalog = requestCatalog(request, sigma);
  const policy = loadReplayPolicy(request.configFile, io.cwd);
  // The store starts while the first files are scanned; only the first match waits for it.
  const opening = openDeliveryStore({
    ...(request.store !== undefined ? { store: request.store } : {}),
    ...(request.table !== undefined ? { table: request.table } : {}),
    ...(request.tableRegion !== undefined ? { region: request.tableRegion } : {}),
    regionFlag: '--table-region',
    stateDir: locateStateDir(request.stateDir, io.env, io.cwd).path,
  });
  // A store that fails to open (another sgwatch holds it, say) stops the scan at the next
  // file rather than after the whole archive.
  let storeFailed = false;
  opening.catch(() => {
    storeFailed = true;
  });
  let publisher: AlertPublisher = new LocalPublisher();
  let destroyPublisher = (): void => undefined;
  if (request.publish && request.topic !== undefined) {
    // Loaded only to publish: the SNS client is a large part of start-up otherwise.
    const [{ SNSClient }, { SnsAlertPublisher }] = await Promise.all([
      import('@aws-sdk/client-sns'),
      import('../../lambda/adapters/sns-publisher'),
    ]);
    const sns = new SNSClient({ region: topicRegion(request.topic) });
    publisher = new SnsAlertPublisher(sns, request.topic);
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

  // Its failure is the store's, reported once, below.
  const met = opening.then((store) => store.startRun());
  met.catch(() => undefined);

  const output = new ReplayOutput(io, {
    format: request.format,
    quiet: request.quiet,
    wide: request.wide,
    ...(request.stateDir !== undefined ? { stateDir: request.stateDir } : {}),
  });
  let counts: ReplayCounts;
  try {
    try {
      counts = await runReplay(
        {
          files: discovery.files,
          filter: request.filter,
          workers: threads,
          fullParse: request.fullParse,
          ...(sigma !== undefined ? { sigmaRules: sigma.sources } : {}),
          deps,
          met,
          ...(remote !== undefined ? { sources: [remote.source] } : {}),
        },
        {
          onAlert: (result, repeat) => output.alert(result, repeat),
          onFileError: (path, reason) => output.fileError(path, reason),
          onInvalidRecord: (path, invalid) => output.invalidRecord(path, invalid),
          onProgress: (progress) => {
            if (storeFailed) throw new StoreUnavailableError();
            return output.progress(progress);
          },
        },
      );
    } finally {
      output.endProgress();
      destroyPublisher();
      remote?.close();
      await (await opening).close();
    }
    await output.finish(counts, await opening, threads);
  } finally {
    // The rows a piped table held, and their files, whether or not the run finished.
    output.release();
  }
  return failed || counts.unreadable > 0 || counts.invalidRecords > 0 ? 1 : 0;
}
