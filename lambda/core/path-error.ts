/**
 * A validation error about one entry of a structured input: `path` names the entry (for
 * example `exceptions[2] ("ci").expires`), `reason` says what is wrong with it.
 */
export abstract class PathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}
