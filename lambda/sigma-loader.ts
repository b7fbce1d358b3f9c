import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Detection } from './core/catalog';
import type { SigmaLoad, SigmaSource } from './core/sigma';
import { loadSigmaRules, SigmaLoadError, sigmaDetections } from './core/sigma';
import { ConfigurationError } from './env';

/** The file synth writes into the detector's bundle: the deployed rules' text, as JSON. */
export const SIGMA_RULES_FILE_NAME = 'sigma-rules.json';

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
    const absolute = resolve(base, path);
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

function isSources(value: unknown): value is SigmaSource[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as { file?: unknown }).file === 'string' &&
        typeof (item as { text?: unknown }).text === 'string',
    )
  );
}

/**
 * The detector's Sigma detections, compiled once at cold start from the file synth bundled
 * (SGWATCH_SIGMA_RULES_FILE, relative to LAMBDA_TASK_ROOT). None without the variable; a
 * file that is missing, malformed, or holds a rule that no longer loads fails start-up with
 * the reason rather than run without the rules the deployment promised.
 */
export function readSigmaRules(env: NodeJS.ProcessEnv): Detection[] {
  const configured = env.SGWATCH_SIGMA_RULES_FILE;
  if (configured === undefined || configured.trim() === '') return [];
  const root = env.LAMBDA_TASK_ROOT;
  const file = resolve(root === undefined || root.trim() === '' ? process.cwd() : root, configured);
  let sources: unknown;
  try {
    sources = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(
      `SGWATCH_SIGMA_RULES_FILE: cannot read ${file} (${String(error)})`,
      {
        cause: error,
      },
    );
  }
  if (!isSources(sources)) {
    throw new ConfigurationError(`SGWATCH_SIGMA_RULES_FILE: ${file} is not a list of rule files`);
  }
  try {
    return sigmaDetections(sources);
  } catch (error) {
    if (error instanceof SigmaLoadError) {
      throw new ConfigurationError(`SGWATCH_SIGMA_RULES_FILE: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
