import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InputFile } from './files';
import type { FileScan, ScanOptions } from './scan';
import { scanFile } from './scan';

/** Files queued per worker thread: one to scan next, so it never waits for this thread. */
const QUEUED_PER_WORKER = 2;
/**
 * Scans finished ahead of the one to be handed on next. A scan holds only the records that
 * matched (the file's bytes are gone by then), so this bounds memory loosely and lets every
 * thread keep working while a slow file holds up the order.
 */
const MAX_AHEAD = 16;

function startWorker(): Worker {
  // The published CLI is a bundle with its worker beside it. From source (tests, tsx) the
  // TypeScript worker is loaded through tsx's CommonJS hook, registered inside the thread.
  const bundled = join(__dirname, 'replay-worker.cjs');
  if (existsSync(bundled)) return new Worker(bundled);
  const source = join(__dirname, 'worker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true });
}

interface ScanThread {
  readonly worker: Worker;
  queued: number;
}

/**
 * Scans files and yields their results in input order. With one thread everything runs in
 * this one. With `threads` > 1, `threads - 1` worker threads take files as they finish
 * earlier ones, and this thread scans too whenever the next result is not ready yet, so
 * every thread is busy until the last file and only finished scans wait to be handed on.
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
  const finished = new Map<number, FileScan>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const pool: ScanThread[] = Array.from({ length: helpers }, () => {
    const thread: ScanThread = { worker: startWorker(), queued: 0 };
    thread.worker.on('message', ({ id, result }: { id: number; result: FileScan }) => {
      thread.queued -= 1;
      finished.set(id, result);
      wake?.();
    });
    thread.worker.on('error', (error) => {
      failure ??= error;
      wake?.();
    });
    thread.worker.on('exit', (code) => {
      if (thread.queued > 0) failure ??= new Error(`a scan thread stopped (exit code ${code})`);
      wake?.();
    });
    return thread;
  });
  let next = 0;
  const hand = (thread: ScanThread): void => {
    const file = files[next];
    if (file === undefined) return;
    thread.worker.postMessage({ id: next, path: file.path, options });
    thread.queued += 1;
    next += 1;
  };
  try {
    for (let id = 0; id < files.length; id++) {
      for (;;) {
        if (failure !== undefined) throw failure;
        for (const thread of pool) {
          while (thread.queued < QUEUED_PER_WORKER && next < files.length) hand(thread);
        }
        const scan = finished.get(id);
        if (scan !== undefined) {
          finished.delete(id);
          yield scan;
          break;
        }
        const file = files[next];
        if (file !== undefined && finished.size < MAX_AHEAD) {
          // The next result is a worker's and not in yet: scan a file here meanwhile.
          finished.set(next, scanFile(file.path, options));
          next += 1;
          // Let the workers' answers in, so a worker that finished gets its next file now.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
  } finally {
    await Promise.all(pool.map((thread) => thread.worker.terminate()));
  }
}
