import { parentPort } from 'node:worker_threads';
import type { ScanOptions } from './scan';
import { scanFile } from './scan';

/** Worker-thread side of the scan pool: scan each file it is sent and post the result. */
interface ScanRequest {
  readonly id: number;
  readonly path: string;
  readonly options: ScanOptions;
}

parentPort?.on('message', (request: ScanRequest) => {
  parentPort?.postMessage({ id: request.id, result: scanFile(request.path, request.options) });
});
