/**
 * `npm ci` / `npm install` run the `prepare` script, so `npm link` right after an install
 * gives a working `sgwatch`. Run in a copy of the project's layout (links to the sources),
 * so the build lands in a temporary folder and not in the dist/ other tests may run.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../lib/policy-file';
import { removeTemporaryDirs, temporaryDir } from '../support/synth';

const run = promisify(execFile);

afterAll(removeTemporaryDirs);

interface PackageJson {
  readonly bin: Record<string, string>;
  readonly scripts: Record<string, string>;
}

describe('installing the package', () => {
  it('builds every bin entry in prepare, and the built CLI runs', async () => {
    // Prepare
    const project = temporaryDir('sgwatch-install-');
    copyFileSync(join(REPO_ROOT, 'package.json'), join(project, 'package.json'));
    for (const folder of ['bin', 'cli', 'lambda', 'lib', 'scripts', 'node_modules']) {
      symlinkSync(join(REPO_ROOT, folder), join(project, folder));
    }
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as PackageJson;

    // Act: the lifecycle script npm runs after every local install
    await run('npm', ['run', '--silent', 'prepare'], { cwd: project });

    // Assess
    const entries = Object.entries(pkg.bin);
    expect(entries.length).toBeGreaterThan(0);
    for (const [name, file] of entries) {
      const built = join(project, file);
      expect({ name, built: existsSync(built) }).toEqual({ name, built: true });
      expect(readFileSync(built, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
      const help = await run(process.execPath, [built, '--help'], { cwd: project });
      expect(help.stdout).toMatch(/replay/);
    }
  });
});
