/** Starts a timer: calls `expire` once `ms` have passed, unless the returned function cancels it first. */
export type StartTimer = (ms: number, expire: () => void) => () => void;

/** A timer of the event loop. */
export function eventLoopTimer(ms: number, expire: () => void): () => void {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
}

/**
 * `work`'s answer, or `onTimeout()`'s once `ms` have passed without one. The signal given to
 * `work` is aborted at the deadline, but the race is what guarantees the bound: retry
 * back-off inside the SDK does not always watch the signal.
 */
export async function timeBoxed<T>(
  startTimer: StartTimer,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => T,
): Promise<T> {
  const controller = new AbortController();
  let cancel = (): void => undefined;
  const deadline = new Promise<T>((resolve) => {
    cancel = startTimer(ms, () => {
      controller.abort();
      resolve(onTimeout());
    });
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    cancel();
  }
}
