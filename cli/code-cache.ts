import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/**
 * V8 code caches for the CLI's bundles (which the build writes without `import()`: code
 * compiled here has no dynamic-import host, so their lazy loads are `require` calls). Compiling a bundle is most of what a short command
 * costs on top of starting node, so the build compiles each bundle once and writes V8's
 * cache of that compilation beside it (`replay.cjs.cache`); the entry point then loads the
 * bundles with their caches. A cache from another node or V8 version is rejected by V8,
 * which then compiles the source as usual: a stale cache costs time, never behaviour.
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

/** Compiles the bundle at `path` and writes V8's cache of it beside it; returns the cache's size. */
export function writeCodeCache(path: string): number {
  const script = new vm.Script(wrapped(readFileSync(path, 'utf8')), { filename: path });
  const data = script.createCachedData();
  writeFileSync(`${path}${CODE_CACHE_SUFFIX}`, data);
  return data.length;
}

/** Runs a bundle from its source and cache, as node's own loader would; false when there is no cache. */
function loadCached(module: Module, filename: string): boolean {
  let cachedData: Buffer;
  try {
    cachedData = readFileSync(`${filename}${CODE_CACHE_SUFFIX}`);
  } catch {
    return false;
  }
  const script = new vm.Script(wrapped(readFileSync(filename, 'utf8')), {
    filename,
    cachedData,
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
