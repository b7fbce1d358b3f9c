// Bundles the CLI and its replay worker into dist/ with esbuild. dynalite stays external:
// it loads a native LevelDB binding at run time and is an ordinary dependency.
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

await Promise.all([
  build({ ...common, entryPoints: ['bin/sgwatch.ts'], outfile: 'dist/sgwatch.cjs' }),
  build({ ...common, entryPoints: ['cli/replay/worker.ts'], outfile: 'dist/replay-worker.cjs' }),
]);
