import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CODE_CACHE_SUFFIX, writeCodeCache } from '../../cli/code-cache';

const run = promisify(execFile);
const CODE_CACHE_MODULE = join(__dirname, '..', '..', 'cli', 'code-cache.ts');

/**
 * Loads a bundle in a node process of its own, as the launcher does: `useCodeCaches(dir)`,
 * then node's own `require`. (Jest's module system goes around the loaders that
 * `useCodeCaches` replaces, and the replacement is process-wide.) Prints what the bundle
 * exports and, for each script compiled with a code cache, whether V8 took the cache.
 */
const LOADER = `
const Module = require('node:module');
const vm = require('node:vm');
const [codeCache, dir, path] = process.argv.slice(1);
const { useCodeCaches } = require(codeCache);
const cached = [];
vm.Script = class extends vm.Script {
  constructor(code, options) {
    super(code, options);
    if (options && options.cachedData !== undefined) {
      cached.push({ filename: options.filename, rejected: this.cachedDataRejected });
    }
  }
};
useCodeCaches(dir);
const exports = Module.createRequire(path)(path);
process.stdout.write(JSON.stringify({ exports, cached }));
`;

interface Loaded {
  readonly exports: unknown;
  /** The scripts compiled with a code cache, and whether V8 rejected the cache. */
  readonly cached: readonly { readonly filename: string; readonly rejected: boolean }[];
}

async function load(dir: string, path: string): Promise<Loaded> {
  const { stdout } = await run(process.execPath, [
    '--import',
    'tsx',
    '-e',
    LOADER,
    CODE_CACHE_MODULE,
    dir,
    path,
  ]);
  return JSON.parse(stdout) as Loaded;
}

/** A bundle as the build writes one: a shebang, node's CommonJS globals, a lazy require. */
const BUNDLE = `#!/usr/bin/env node
"use strict";
const path = require("node:path");
function lazy() { return require("./sibling.cjs"); }
module.exports = {
  dirname: __dirname,
  filename: __filename,
  joined: path.join(__dirname, "data"),
  sibling: lazy().answer,
  thisIsExports: this === module.exports,
  label: "bundle-one",
};
`;
const SIBLING = 'module.exports = { answer: 42 };\n';

let dirs: string[];

/** A fresh folder, by its real path: node names loaded files by their real paths. */
function folder(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sgwatch-code-cache-')));
  dirs.push(dir);
  return dir;
}

/** What BUNDLE exports when node runs it from `dir`, written out from its source. */
function expectedExports(dir: string, label = 'bundle-one') {
  return {
    dirname: dir,
    filename: join(dir, 'bundle.cjs'),
    joined: join(dir, 'data'),
    sibling: 42,
    thisIsExports: true,
    label,
  };
}

/** Writes BUNDLE, and the sibling it requires, into `dir`; returns the bundle's path. */
function writeBundle(dir: string): string {
  const path = join(dir, 'bundle.cjs');
  writeFileSync(path, BUNDLE);
  writeFileSync(join(dir, 'sibling.cjs'), SIBLING);
  return path;
}

beforeEach(() => {
  dirs = [];
});

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('code caches', () => {
  it('writes a cache beside the bundle and loads the bundle with it as node would load it', async () => {
    // Prepare
    const dir = folder();
    const path = writeBundle(dir);
    const size = writeCodeCache(path);
    // Act
    const loaded = await load(dir, path);
    // Assess
    expect(size).toBeGreaterThan(0);
    expect(statSync(`${path}${CODE_CACHE_SUFFIX}`).size).toBe(size);
    expect(loaded.exports).toEqual(expectedExports(dir));
    expect(loaded.cached).toEqual([{ filename: path, rejected: false }]);
  });

  it('runs the bundle from its source when the cache beside it is garbage', async () => {
    // Prepare
    const dir = folder();
    const path = writeBundle(dir);
    writeFileSync(`${path}${CODE_CACHE_SUFFIX}`, Buffer.from('not a V8 code cache at all'));
    // Act
    const loaded = await load(dir, path);
    // Assess
    expect(loaded.exports).toEqual(expectedExports(dir));
    expect(loaded.cached.filter((script) => !script.rejected)).toEqual([]);
  });

  it.each([
    ['changed length', 'bundle-two-longer'],
    // V8 checks a cache against its source's length only: a rebuild that changes a version
    // string or a constant keeps the length.
    ['kept its length', 'bundle-two'],
  ])(
    'runs the bundle from its source when the bundle %s after its cache was written',
    async (_, label) => {
      // Prepare
      const dir = folder();
      const path = writeBundle(dir);
      writeCodeCache(path);
      writeFileSync(path, BUNDLE.replace('bundle-one', label));
      // Act
      const loaded = await load(dir, path);
      // Assess
      expect(loaded.exports).toEqual(expectedExports(dir, label));
      expect(loaded.cached.filter((script) => !script.rejected)).toEqual([]);
    },
  );

  it('leaves bundles outside its folder to node, and writes nothing when loading', async () => {
    // Prepare
    const dir = folder();
    const outside = folder();
    writeCodeCache(writeBundle(dir));
    const path = writeBundle(outside);
    writeCodeCache(path);
    const before = [readdirSync(dir).sort(), readdirSync(outside).sort()];
    // Act
    const loaded = await load(dir, path);
    // Assess
    expect(loaded.exports).toEqual(expectedExports(outside));
    expect(loaded.cached).toEqual([]);
    expect([readdirSync(dir).sort(), readdirSync(outside).sort()]).toEqual(before);
  });
});
