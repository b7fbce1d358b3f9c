/**
 * Sigma rules for CloudTrail as sgwatch detections: parse, check, compile. Pure: the callers
 * (the CLI, synth, the detector) read the files and hand their text here.
 */
import type { Detection } from '../catalog/detection';
import type { SigmaCompilation } from './detection';
import { compileSigmaRule } from './detection';
import { SigmaRuleError } from './model';
import { parseRuleFile } from './parse';

export type { SigmaCompilation } from './detection';
export { compileSigmaRule, attackFromTags } from './detection';
export { SIGMA_DETECTION_ID, SIGMA_ID_PREFIX, SigmaRuleError } from './model';
export type { SigmaRule } from './model';
export { parseRuleFile, SUPPORTED_MODIFIERS } from './parse';
export { MAX_PATTERN_LENGTH } from './pattern';

/** One rule file's text, named as it should appear in messages. */
export interface SigmaSource {
  readonly file: string;
  readonly text: string;
}

/** A document of a rule file that is not a CloudTrail rule, and so not loaded. */
export interface SkippedRule {
  readonly file: string;
  readonly line: number;
  readonly title: string;
  readonly reason: string;
}

export interface SigmaLoad {
  /** The rules that loaded, in file order. */
  readonly compiled: readonly SigmaCompilation[];
  readonly skipped: readonly SkippedRule[];
  /** One per rule (or file) that did not load: `file:line: reason`. */
  readonly errors: readonly SigmaRuleError[];
}

/** Parses and compiles every rule in `sources`; never throws on a bad rule. */
export function loadSigmaRules(sources: readonly SigmaSource[]): SigmaLoad {
  const compiled: SigmaCompilation[] = [];
  const skipped: SkippedRule[] = [];
  const errors: SigmaRuleError[] = [];
  const byId = new Map<string, SigmaCompilation>();
  for (const source of sources) {
    for (const document of parseRuleFile(source.file, source.text)) {
      if (document.kind === 'error') {
        errors.push(document.error);
      } else if (document.kind === 'skipped') {
        skipped.push(document);
      } else {
        const { rule } = document;
        const earlier = byId.get(rule.id);
        if (earlier !== undefined) {
          errors.push(
            new SigmaRuleError(
              rule.file,
              rule.line,
              `id ${rule.id} is also the id of ${earlier.rule.file}:${earlier.rule.line}; alerts are keyed by it, so each rule needs its own`,
            ),
          );
          continue;
        }
        const compilation = compileSigmaRule(rule);
        byId.set(rule.id, compilation);
        compiled.push(compilation);
      }
    }
  }
  return { compiled, skipped, errors };
}

/** Thrown where every rule must load (synth, the detector's start, replay). */
export class SigmaLoadError extends Error {
  override readonly name = 'SigmaLoadError';

  constructor(readonly errors: readonly SigmaRuleError[]) {
    super(
      errors.length === 1
        ? (errors[0]?.message ?? '')
        : `${errors.length} Sigma rules did not load: ${errors.map((error) => error.message).join('; ')}`,
    );
  }
}

/** The detections of `sources`, or a SigmaLoadError listing every rule that did not load. */
export function sigmaDetections(sources: readonly SigmaSource[]): Detection[] {
  const load = loadSigmaRules(sources);
  if (load.errors.length > 0) throw new SigmaLoadError(load.errors);
  return load.compiled.map((compilation) => compilation.detection);
}
