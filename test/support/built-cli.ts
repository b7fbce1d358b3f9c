/**
 * The CLI as a user runs it: bundled the way `npm run build` bundles it, started as its own
 * node process, with an environment the test spells out (nothing inherited from the machine
 * running the tests, so no real AWS profile or credentials can leak in).
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { bundleCli } from '../../scripts/lib/bundle';
import type { CliRun } from './cli';

const ROOT = join(__dirname, '..', '..');

export interface BuiltCli {
  /** The bundled entry point, `sgwatch.cjs`, with the command bundles beside it. */
  readonly path: string;
  /** A home directory of its own, so no ~/.aws of the machine is read. */
  readonly home: string;
  run(argv: readonly string[], options?: BuiltRunOptions): Promise<CliRun>;
  /** Starts the CLI and hands back its process, for a test that stops it part-way. */
  start(
    argv: readonly string[],
    options?: BuiltRunOptions,
  ): ChildProcessByStdio<null, Readable, Readable>;
  remove(): void;
}

export interface BuiltRunOptions {
  /** @default a fresh temporary directory per CLI build */
  readonly cwd?: string;
  /** Added to the base environment (PATH, HOME, no AWS config); `undefined` removes a key. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Bundles the CLI as `npm run build` does (code caches included), into a temporary directory. */
export async function buildCli(): Promise<BuiltCli> {
  const dir = mkdtempSync(join(tmpdir(), 'sgwatch-built-'));
  await bundleCli(dir, { minify: false });
  const path = join(dir, 'sgwatch.cjs');
  const home = mkdtempSync(join(tmpdir(), 'sgwatch-home-'));
  return {
    path,
    home,
    run: (argv, options = {}) => runBuilt(path, home, argv, options),
    start: (argv, options = {}) => startBuilt(path, home, argv, options),
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function startBuilt(
  path: string,
  home: string,
  argv: readonly string[],
  options: BuiltRunOptions,
): ChildProcessByStdio<null, Readable, Readable> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    // The bundle keeps dynalite and lmdb external, as the published package does.
    NODE_PATH: join(ROOT, 'node_modules'),
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return spawn(process.execPath, [path, ...argv], {
    cwd: options.cwd ?? home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function runBuilt(
  path: string,
  home: string,
  argv: readonly string[],
  options: BuiltRunOptions,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = startBuilt(path, home, argv, options);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
