/**
 * The counters threads of one scan share: which file is the next to take, and how many
 * results the consumer has taken in. Each thread takes its next file by an atomic increment,
 * so a thread that finishes a file starts the next at once, without a message round trip
 * through a thread that may be busy scanning itself; and none runs more than `maxAhead`
 * files ahead of the consumer, which bounds the results waiting to be handed on.
 */
const NEXT = 0;
const CONSUMED = 1;

export interface ScanClaims {
  /** Shared with the worker threads (as their workerData); read through the functions below. */
  readonly buffer: SharedArrayBuffer;
  readonly maxAhead: number;
}

export function createScanClaims(maxAhead: number): ScanClaims {
  return { buffer: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT), maxAhead };
}

/** The index of the next file to scan, or undefined when every file is taken. */
export function takeFile(claims: ScanClaims, files: number): number | undefined {
  const counters = new Int32Array(claims.buffer);
  if (Atomics.load(counters, NEXT) >= files) return undefined;
  const id = Atomics.add(counters, NEXT, 1);
  return id < files ? id : undefined;
}

/** Whether the next file may be taken now, without running too far ahead of the consumer. */
export function mayTakeFile(claims: ScanClaims): boolean {
  const counters = new Int32Array(claims.buffer);
  return Atomics.load(counters, NEXT) - Atomics.load(counters, CONSUMED) < claims.maxAhead;
}

/**
 * Blocks a worker thread until it may take another file (never the consumer's thread, which
 * must not block: it waits for results by awaiting instead).
 */
export function waitToTakeFile(claims: ScanClaims): void {
  const counters = new Int32Array(claims.buffer);
  for (;;) {
    const consumed = Atomics.load(counters, CONSUMED);
    if (Atomics.load(counters, NEXT) - consumed < claims.maxAhead) return;
    Atomics.wait(counters, CONSUMED, consumed, 1000);
  }
}

/** The consumer took in one more result: a worker waiting to run ahead may go on. */
export function resultConsumed(claims: ScanClaims): void {
  const counters = new Int32Array(claims.buffer);
  Atomics.add(counters, CONSUMED, 1);
  Atomics.notify(counters, CONSUMED);
}

/** Lets every waiting worker thread through, for good: the scan is over or abandoned. */
export function releaseAll(claims: ScanClaims): void {
  const counters = new Int32Array(claims.buffer);
  Atomics.store(counters, CONSUMED, 1 << 30);
  Atomics.notify(counters, CONSUMED);
}
