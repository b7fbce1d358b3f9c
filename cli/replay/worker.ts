import { parentPort, workerData } from 'node:worker_threads';
import type { ScanClaims } from './claims';
import { takeFile, waitToTakeFile } from './claims';
import type { ScanOptions } from './scan';
import { scanFile } from './scan';

/** What a scan thread is started with: every file of the run, and the shared counters. */
export interface ScanWorkerData {
  readonly paths: readonly string[];
  readonly options: ScanOptions;
  readonly claims: ScanClaims;
}

/**
 * Worker-thread side of the scan pool: takes files by the shared counter until none is left,
 * posting each result as it is done, then `{ done: true }`.
 */
function run({ paths, options, claims }: ScanWorkerData): void {
  for (;;) {
    waitToTakeFile(claims);
    const id = takeFile(claims, paths.length);
    const path = id === undefined ? undefined : paths[id];
    if (id === undefined || path === undefined) break;
    parentPort?.postMessage({ id, result: scanFile(path, options) });
  }
  parentPort?.postMessage({ done: true });
}

run(workerData as ScanWorkerData);
