// Bundles the CLI and its replay worker into dist/ with esbuild. dynalite stays external:
// it loads a native LevelDB binding at run time and is an ordinary dependency.
//
// doctor and redrive (with five AWS SDK clients, about half the CLI's code) are bundles of
// their own, loaded by the main one only when one of them runs: start-up of every other
// command, replay above all, no longer pays for compiling them.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  external: ['dynalite'],
  logLevel: 'warning',
};

/** Commands the main bundle imports lazily, built separately beside it. */
const LAZY_COMMANDS = ['doctor', 'redrive'];

const lazyCommands = {
  name: 'lazy-commands',
  setup(pluginBuild) {
    const filter = new RegExp(`^\\./commands/(${LAZY_COMMANDS.join('|')})$`);
    pluginBuild.onResolve({ filter }, (args) => ({
      path: `./${args.path.slice('./commands/'.length)}.cjs`,
      external: true,
    }));
  },
};

await Promise.all([
  build({
    ...common,
    entryPoints: ['bin/sgwatch.ts'],
    outfile: 'dist/sgwatch.cjs',
    plugins: [lazyCommands],
  }),
  build({ ...common, entryPoints: ['cli/replay/worker.ts'], outfile: 'dist/replay-worker.cjs' }),
  ...LAZY_COMMANDS.map((command) =>
    build({
      ...common,
      entryPoints: [`cli/commands/${command}.ts`],
      outfile: `dist/${command}.cjs`,
    }),
  ),
]);
