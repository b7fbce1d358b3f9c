import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createScanClaims, mayTakeFile, releaseAll, resultConsumed, takeFile } from './claims';
import type { InputFile } from './files';
import type { FileScan, ScanOptions } from './scan';
import { scanFile } from './scan';
import type { ScanWorkerData } from './worker';

/**
 * Files taken ahead of the result to be handed on next. A result holds only the records that
 * matched (the file's bytes are gone by then), so this bounds memory loosely while letting
 * every thread go on past a slow file.
 */
const MAX_AHEAD = 16;

function startWorker(workerData: ScanWorkerData): Worker {
  // The published CLI is a bundle with its worker beside it. From source (tests, tsx) the
  // TypeScript worker is loaded through tsx's CommonJS hook, registered inside the thread.
  const bundled = join(__dirname, 'replay-worker.cjs');
  if (existsSync(bundled)) return new Worker(bundled, { workerData });
  const source = join(__dirname, 'worker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, {
    eval: true,
    workerData,
  });
}

/**
 * Scans files and yields their results in input order. With one thread everything runs in
 * this one. With `threads` > 1, `threads - 1` worker threads and this one take the next file
 * by a shared counter as each finishes one (this one whenever the next result in order is
 * not in yet), so every thread is busy until the last file is taken.
 */
export async function* scanAll(
  files: readonly InputFile[],
  options: ScanOptions,
  threads: number,
): AsyncGenerator<FileScan> {
  const helpers = Math.min(threads, files.length) - 1;
  if (helpers <= 0) {
    for (const file of files) yield scanFile(file.path, options);
    return;
  }
  const claims = createScanClaims(MAX_AHEAD);
  const finished = new Map<number, FileScan>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const workerData: ScanWorkerData = { paths: files.map((file) => file.path), options, claims };
  const pool = Array.from({ length: helpers }, () => {
    const worker = startWorker(workerData);
    let done = false;
    worker.on('message', (message: { id: number; result: FileScan } | { done: true }) => {
      if ('done' in message) done = true;
      else finished.set(message.id, message.result);
      wake?.();
    });
    worker.on('error', (error) => {
      failure ??= error;
      wake?.();
    });
    worker.on('exit', (code) => {
      if (!done) failure ??= new Error(`a scan thread stopped (exit code ${code})`);
      wake?.();
    });
    return worker;
  });
  try {
    for (let id = 0; id < files.length; id++) {
      for (;;) {
        const scan = finished.get(id);
        if (scan !== undefined) {
          finished.delete(id);
          resultConsumed(claims);
          yield scan;
          break;
        }
        if (failure !== undefined) throw failure;
        const own = mayTakeFile(claims) ? takeFile(claims, files.length) : undefined;
        const file = own === undefined ? undefined : files[own];
        if (own !== undefined && file !== undefined) {
          // The next result is a worker's and not in yet: scan a file here meanwhile, then
          // let the workers' results in.
          finished.set(own, scanFile(file.path, options));
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
  } finally {
    releaseAll(claims);
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}
