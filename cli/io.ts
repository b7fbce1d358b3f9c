/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  now(): Date;
}

export interface Output {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  };
}

/** The name shown as the actor of triage changes: $SGWATCH_USER, else the login name. */
export function whoAmI(env: NodeJS.ProcessEnv): string {
  return env.SGWATCH_USER ?? env.USER ?? env.USERNAME ?? 'unknown';
}
