// `npm run build` (and `prepare`, so `npm ci` builds too): the CLI's bundles in dist/.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli } from './lib/bundle';

// npm runs this in the package's folder, which is what gets built (wherever scripts/ lives).
const root = process.cwd();
const dist = join(root, 'dist');
// Bundles of commands that no longer exist must not linger beside the new ones.
rmSync(dist, { recursive: true, force: true });
bundleCli(dist, { root }).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
