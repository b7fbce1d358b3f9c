import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SigmaLoad, SigmaSource } from './core/sigma';
import { loadSigmaRules } from './core/sigma';

/** A path given for Sigma rules that is missing, unreadable, or a folder without rules. */
export class SigmaPathError extends Error {
  override readonly name = 'SigmaPathError';
}

const RULE_FILE = /\.ya?ml$/i;

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      if (entry.name.startsWith('.')) return [];
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return filesUnder(path);
      return entry.isFile() && RULE_FILE.test(entry.name) ? [path] : [];
    });
}

/**
 * The rule files at `paths` (files, or folders searched for *.yml and *.yaml), read as text.
 * Each is named relative to `base` when it lies under it, so messages read `rules/x.yml:12`.
 * Shared by `sgwatch sigma check`, replay, hunt and synth, so all accept the same paths.
 */
export function readSigmaSources(paths: readonly string[], base: string): SigmaSource[] {
  const sources: SigmaSource[] = [];
  for (const path of paths) {
    const absolute = join(path.startsWith('/') ? '' : base, path);
    let isFolder: boolean;
    try {
      isFolder = statSync(absolute).isDirectory();
    } catch (error) {
      throw new SigmaPathError(
        `cannot read Sigma rules at ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { cause: error },
      );
    }
    const files = isFolder ? filesUnder(absolute) : [absolute];
    if (files.length === 0) {
      throw new SigmaPathError(`no Sigma rules (*.yml, *.yaml) in the folder ${path}`);
    }
    for (const file of files) {
      const shown = relative(base, file);
      sources.push({
        file: shown.startsWith('..') || shown === '' ? file : shown,
        text: readFileSync(file, 'utf8'),
      });
    }
  }
  return sources;
}

/** Reads and compiles the rules at `paths`. */
export function loadSigmaPaths(paths: readonly string[], base: string): SigmaLoad {
  return loadSigmaRules(readSigmaSources(paths, base));
}
