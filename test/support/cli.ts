import type { CliIo } from '../../cli/io';
import { main } from '../../cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process with captured output, as a person at a terminal (or not) would. */
export async function runCli(
  argv: readonly string[],
  options: {
    cwd?: string;
    now?: Date;
    tty?: boolean;
    /** Terminal width reported on stdout when `tty` is set. */
    columns?: number;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (chunk: string) => (stdout += chunk),
      isTTY: options.tty ?? false,
      ...(options.tty === true && options.columns !== undefined
        ? { columns: options.columns }
        : {}),
    },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.tty ?? false },
    env: options.env ?? { USER: 'tester' },
    cwd: options.cwd ?? process.cwd(),
    now: () => options.now ?? new Date(),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
