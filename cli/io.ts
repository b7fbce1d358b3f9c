import { userInfo } from 'node:os';

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
  /** True while a stream holds more than it wants to: wait for 'drain' before writing more. */
  readonly writableNeedDrain?: boolean;
  once?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
}

/**
 * Records written to `output` as they come, never held: one JSON array (`json`) or one
 * record a line (`jsonl`). A long run streams its records without piling them up.
 */
export class JsonRecords {
  private written = 0;

  constructor(
    private readonly output: Output,
    private readonly format: 'json' | 'jsonl',
  ) {}

  write(record: unknown): void {
    const text = JSON.stringify(record);
    this.output.write(
      this.format === 'jsonl' ? `${text}\n` : `${this.written === 0 ? '[\n' : ',\n'}${text}`,
    );
    this.written += 1;
  }

  /** Closes the array (an empty one when nothing was written), so what was written parses. */
  end(): void {
    if (this.format === 'json') this.output.write(this.written === 0 ? '[]\n' : '\n]\n');
  }
}

/**
 * Settles once `output` has taken what it holds, at once when it holds nothing. A pipe to a
 * slower reader (`| jq`, `| less`) otherwise keeps every unread alert in this process. Also
 * settles when the stream closes or fails (a reader that went away), so nothing waits forever.
 */
export function drained(output: Output): Promise<void> {
  if (output.writableNeedDrain !== true || output.once === undefined) return Promise.resolve();
  const once = output.once.bind(output);
  return new Promise((resolve) => {
    once('drain', resolve);
    once('close', resolve);
    once('error', resolve);
  });
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

/**
 * The login name: $USER, else $USERNAME (Windows), else the system's account database, which
 * still answers when the environment is empty (cron, containers). Undefined when nothing does.
 */
export function osUser(env: NodeJS.ProcessEnv): string | undefined {
  const fromEnv = [env.USER, env.USERNAME].find((name) => name !== undefined && name.trim() !== '');
  if (fromEnv !== undefined) return fromEnv.trim();
  try {
    const name = userInfo().username.trim();
    return name === '' ? undefined : name;
  } catch {
    // No account database entry for this uid (some containers).
    return undefined;
  }
}

/**
 * How the person ran sgwatch, for the commands a message suggests: `npm run -s sgwatch --`
 * from an npm script (npm sets npm_lifecycle_event; `-s` keeps npm's banner out of output
 * piped to jq or a file), `npx sgwatch` through npx, else `sgwatch`.
 */
export function commandPrefix(env: NodeJS.ProcessEnv): string {
  const script = env.npm_lifecycle_event;
  if (script === 'npx' || env.npm_command === 'exec') return 'npx sgwatch';
  if (script !== undefined && script !== '') return 'npm run -s sgwatch --';
  return 'sgwatch';
}

/** `value` as one shell word: bare when it is plain, else in single quotes. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
