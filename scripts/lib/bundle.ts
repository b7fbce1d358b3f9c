// The CLI's bundles, as `npm run build` writes them into dist/ and the tests that run the CLI
// as a process build them into a folder of their own.
//
//   sgwatch.cjs        the entry point: loads cli.cjs with its code cache
//   cli.cjs            the command line, help and dispatch (bin/sgwatch.ts)
//   <command>.cjs      one bundle per command, loaded only when that command runs, so a
//                      replay's start-up never compiles the SDK clients of doctor or hunt
//   replay-worker.cjs  the scan thread of `replay --workers N`
//   *.cjs.cache        V8's code cache of each bundle (see cli/code-cache.ts)
//
// dynalite and lmdb stay external: each loads a native binding at run time (LevelDB, LMDB)
// and is an ordinary dependency. A command's bundle has its own copy of the modules it shares with cli.cjs, so
// nothing may cross from one to the other by `instanceof` (errors are told apart by name).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';
import { build } from 'esbuild';
import { writeCodeCache } from '../../cli/code-cache';

const ROOT = join(__dirname, '..', '..');

/** Every command, each a bundle of its own that cli/main.ts imports when it runs. */
export const COMMANDS = ['replay', 'alerts', 'hunt', 'doctor', 'redrive', 'sigma'] as const;

export interface BundleOptions {
  /** @default true */
  readonly minify?: boolean;
  /** Write each bundle's V8 code cache. @default true */
  readonly codeCache?: boolean;
  /** The project whose sources are bundled. @default - this checkout */
  readonly root?: string;
}

/** cli/main.ts imports `./commands/<name>`: in the bundle, `require("./<name>.cjs")` at run time. */
const separateCommands: Plugin = {
  name: 'separate-commands',
  setup(pluginBuild) {
    const filter = new RegExp(`^\\./commands/(${COMMANDS.join('|')})$`);
    pluginBuild.onResolve({ filter }, (args) =>
      args.importer.endsWith(join('cli', 'main.ts'))
        ? { path: `./${args.path.slice('./commands/'.length)}.cjs`, external: true }
        : undefined,
    );
  },
};

/** Writes the CLI's bundles (and their code caches) into `outdir`. */
export async function bundleCli(outdir: string, options: BundleOptions = {}): Promise<void> {
  const root = options.root ?? ROOT;
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    external: ['dynalite', 'lmdb'],
    logLevel: 'warning',
    absWorkingDir: root,
    // Lazy loads become require calls: code loaded from a code cache cannot import().
    supported: { 'dynamic-import': false },
  };
  const entries: [string, string][] = [
    ['bin/launcher.ts', 'sgwatch.cjs'],
    ['bin/sgwatch.ts', 'cli.cjs'],
    ['cli/replay/worker.ts', 'replay-worker.cjs'],
    ...COMMANDS.map((name): [string, string] => [`cli/commands/${name}.ts`, `${name}.cjs`]),
  ];
  await Promise.all(
    entries.map(([entry, out]) =>
      build({
        ...common,
        entryPoints: [join(root, entry)],
        outfile: join(outdir, out),
        ...(out === 'cli.cjs' ? { plugins: [separateCommands] } : {}),
      }),
    ),
  );
  if (options.codeCache === false) return;
  for (const name of readdirSync(outdir)) {
    // The entry point is a few lines; the worker thread loads its bundle itself.
    if (!name.endsWith('.cjs') || name === 'sgwatch.cjs' || name === 'replay-worker.cjs') continue;
    writeCodeCache(join(outdir, name));
  }
}
