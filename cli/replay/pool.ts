import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InputFile } from './files';
import type { FileScan, ScanOptions } from './scan';
import { scanFile } from './scan';

/** Files in flight per worker: enough to hide I/O latency, few enough to bound memory. */
const IN_FLIGHT_PER_WORKER = 2;

function startWorker(): Worker {
  // The published CLI is a bundle with its worker beside it. From source (tests, tsx) the
  // TypeScript worker is loaded through tsx's CommonJS hook, registered inside the thread.
  const bundled = join(__dirname, 'replay-worker.cjs');
  if (existsSync(bundled)) return new Worker(bundled);
  const source = join(__dirname, 'worker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true });
}

/**
 * Scans files and yields their results in input order. With one worker everything runs
 * in this thread; with more, files are spread over worker threads while the caller
 * consumes results here, so only a few files are ever held in memory at once.
 */
export async function* scanAll(
  files: readonly InputFile[],
  options: ScanOptions,
  workers: number,
): AsyncGenerator<FileScan> {
  if (workers <= 1) {
    for (const file of files) yield scanFile(file.path, options);
    return;
  }
  const pool = Array.from({ length: workers }, startWorker);
  const pending = new Map<
    number,
    { resolve: (scan: FileScan) => void; reject: (error: Error) => void }
  >();
  const results = new Map<number, Promise<FileScan>>();
  for (const worker of pool) {
    worker.on('message', ({ id, result }: { id: number; result: FileScan }) => {
      pending.get(id)?.resolve(result);
      pending.delete(id);
    });
    worker.on('error', (error) => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });
  }
  let next = 0;
  const submit = (): void => {
    const id = next;
    const file = files[id];
    if (file === undefined) return;
    next += 1;
    const scan = new Promise<FileScan>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      pool[id % workers]?.postMessage({ id, path: file.path, options });
    });
    // Awaited in order below; this keeps a worker crash from surfacing as an unhandled
    // rejection for results not yet reached.
    scan.catch(() => undefined);
    results.set(id, scan);
  };
  try {
    while (next < Math.min(files.length, workers * IN_FLIGHT_PER_WORKER)) submit();
    for (let id = 0; id < files.length; id++) {
      const result = results.get(id);
      if (result === undefined) throw new Error(`scan ${id} was never submitted`);
      const scan = await result;
      results.delete(id);
      submit();
      yield scan;
    }
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}
