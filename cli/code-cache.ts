import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/**
 * V8 code caches for the CLI's bundles. Compiling a bundle is most of what a short command
 * costs on top of starting node, so the build compiles each bundle once and writes V8's
 * cache of that compilation beside it (`replay.cjs.cache`); the entry point then loads the
 * bundles with their caches. A cache from another node or V8 version is rejected by V8,
 * which then compiles the source as usual: a stale cache costs time, never behaviour.
 * The bundles are written without `import()` (code compiled here has no dynamic-import
 * host), so their lazy loads are `require` calls.
 */
export const CODE_CACHE_SUFFIX = '.cache';

type Loader = (module: Module, filename: string) => void;
type CompiledWrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void;

/** Node's CommonJS wrapper around a bundle's source, as both the build and the load see it. */
function wrapped(source: string): string {
  // A leading #! is allowed only at the very start of a script, which the wrapper no longer is.
  return Module.wrap(source.startsWith('#!') ? `//${source}` : source);
}

/**
 * A cache file starts with the SHA-256 of the source it was made from. V8 checks a cache
 * against its source's length only: a bundle rebuilt (or edited) to the same length, as a
 * changed version string leaves it, would otherwise run the old bundle's compiled code.
 */
const DIGEST_BYTES = 32;

function digestOf(source: Buffer): Buffer {
  return createHash('sha256').update(source).digest();
}

/** Compiles the bundle at `path` and writes V8's cache of it beside it; returns the cache's size. */
export function writeCodeCache(path: string): number {
  const source = readFileSync(path);
  const script = new vm.Script(wrapped(source.toString('utf8')), { filename: path });
  const data = script.createCachedData();
  writeFileSync(`${path}${CODE_CACHE_SUFFIX}`, Buffer.concat([digestOf(source), data]));
  return DIGEST_BYTES + data.length;
}

/**
 * Runs a bundle from its source and cache, as node's own loader would; false when there is
 * no cache or it was made from another source.
 */
function loadCached(module: Module, filename: string): boolean {
  let cache: Buffer;
  try {
    cache = readFileSync(`${filename}${CODE_CACHE_SUFFIX}`);
  } catch {
    return false;
  }
  const source = readFileSync(filename);
  if (!cache.subarray(0, DIGEST_BYTES).equals(digestOf(source))) return false;
  const script = new vm.Script(wrapped(source.toString('utf8')), {
    filename,
    cachedData: cache.subarray(DIGEST_BYTES),
  });
  const wrapper = script.runInThisContext() as CompiledWrapper;
  wrapper.call(
    module.exports,
    module.exports,
    Module.createRequire(filename),
    module,
    filename,
    dirname(filename),
  );
  return true;
}

/**
 * From now on, `.cjs` files in `dir` that have a cache beside them are loaded with it; every
 * other file is loaded as node would load it.
 */
export function useCodeCaches(dir: string): void {
  const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;
  const plain = extensions['.cjs'] ?? extensions['.js'];
  if (plain === undefined) return;
  extensions['.cjs'] = (module, filename) => {
    if (dirname(filename) !== dir || !loadCached(module, filename)) plain(module, filename);
  };
}
