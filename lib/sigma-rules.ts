import * as path from 'node:path';
import type { Detection } from '../lambda/core/catalog';
import type { SigmaSource } from '../lambda/core/sigma';
import { loadSigmaRules } from '../lambda/core/sigma';
import { readSigmaSources, SigmaPathError } from '../lambda/sigma-loader';
import { ConfigError } from './config';
import { REPO_ROOT } from './policy-file';

/** The Sigma rules a deployment runs: their text (shipped to the detector) and detections. */
export interface SynthSigmaRules {
  readonly sources: readonly SigmaSource[];
  readonly detections: readonly Detection[];
}

export const NO_SIGMA_RULES: SynthSigmaRules = { sources: [], detections: [] };

/**
 * Reads and compiles the `sigmaRules` paths (relative to the repository root, as
 * `configFile` is). Any rule that does not load stops synth with one line: the first
 * `file:line: reason`, and how many more there are.
 */
export function loadSynthSigmaRules(paths: readonly string[]): SynthSigmaRules {
  if (paths.length === 0) return NO_SIGMA_RULES;
  let sources: SigmaSource[];
  try {
    sources = readSigmaSources(
      paths.map((given) => path.resolve(REPO_ROOT, given)),
      REPO_ROOT,
    );
  } catch (error) {
    if (error instanceof SigmaPathError) throw new ConfigError('sigmaRules', error.message);
    throw error;
  }
  const load = loadSigmaRules(sources);
  const [first, ...more] = load.errors;
  if (first !== undefined) {
    const rest =
      more.length === 0 ? '' : ` (and ${more.length} more: sgwatch sigma check lists all)`;
    throw new ConfigError('sigmaRules', `${first.message}${rest}`);
  }
  return { sources, detections: load.compiled.map((compilation) => compilation.detection) };
}
