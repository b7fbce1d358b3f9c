import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** Thrown when the embedded store cannot be opened, e.g. another sgwatch holds its lock. */
export class EmbeddedStoreError extends Error {
  override readonly name = 'EmbeddedStoreError';
}

/** Whether process `pid` is alive (on this machine), whoever owns it. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the store's lock file (`<path>.lock`), or throws naming the process that holds it.
 * One process at a time opens a local store: its claims then cannot belong to anyone alive.
 * A lock left by a process that has since died is taken over. Returns the release.
 */
export function acquireLock(path: string): () => void {
  const lockFile = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new EmbeddedStoreError(
        `cannot open the embedded alert store at ${path}: sgwatch process ${holder} is using it; ` +
          'wait for that command to finish',
      );
    }
    rmSync(lockFile, { force: true });
  }
  throw new EmbeddedStoreError(
    `cannot open the embedded alert store at ${path}: its lock file keeps reappearing`,
  );
}
