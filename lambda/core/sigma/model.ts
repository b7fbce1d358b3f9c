/**
 * The parts of a Sigma rule sgwatch runs, once parsed and checked: a rule's metadata and its
 * detection as a tree of conditions over CloudTrail fields. Nothing here knows YAML or
 * EventBridge; the parser builds these and the evaluator and the pattern compiler read them.
 */

/** Every Sigma detection's id starts so, then the rule's own id. */
export const SIGMA_ID_PREFIX = 'sigma.';

/** The ids Sigma detections can have: the prefix, then a rule id as the parser accepts it. */
export const SIGMA_DETECTION_ID = /^sigma\.[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A rule that cannot be loaded: `file:line: reason`, the line where the problem is. */
export class SigmaRuleError extends Error {
  override readonly name = 'SigmaRuleError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}:${line}: ${reason}`, options);
  }
}

/** One piece of a value with wildcards: literal text, `*` (any run) or `?` (one character). */
export type GlobPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'one' };

/** How one value of a field condition is compared with the field. */
export type ValueTest =
  /** Case-insensitive match of the field's text with wildcards. */
  | { readonly kind: 'glob'; readonly parts: readonly GlobPart[] }
  /** A YAML null: the field is missing or null. */
  | { readonly kind: 'null' }
  /** A regular expression (`|re`), case-sensitive unless `|re|i`. */
  | {
      readonly kind: 're';
      readonly source: string;
      readonly ignoreCase: boolean;
      readonly multiline: boolean;
      readonly dotAll: boolean;
    }
  /** An address range (`|cidr`). */
  | { readonly kind: 'cidr'; readonly cidr: string }
  /** `|exists: true|false`. */
  | { readonly kind: 'exists'; readonly expected: boolean }
  /** `|fieldref`: equal to the value of another field, with an optional anchor. */
  | {
      readonly kind: 'fieldref';
      readonly field: string;
      readonly anchor: 'equals' | 'contains' | 'startswith' | 'endswith';
    };

/** `field|modifiers: values`: any value (or, with `|all`, every value) matches the field. */
export interface FieldCondition {
  /** Dotted path into the CloudTrail record. */
  readonly field: string;
  readonly path: readonly string[];
  readonly values: readonly ValueTest[];
  readonly all: boolean;
}

/** A search identifier's body: a list of maps is OR, each map an AND of field conditions. */
export interface Selection {
  readonly name: string;
  readonly alternatives: readonly (readonly FieldCondition[])[];
}

/** A condition over search identifiers, with `x of` already expanded to the names it covers. */
export type ConditionNode =
  | { readonly kind: 'ref'; readonly name: string }
  | { readonly kind: 'and'; readonly items: readonly ConditionNode[] }
  | { readonly kind: 'or'; readonly items: readonly ConditionNode[] }
  | { readonly kind: 'not'; readonly item: ConditionNode };

/** Sigma's rule levels. */
export const SIGMA_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SigmaLevel = (typeof SIGMA_LEVELS)[number];

/** A Sigma rule for CloudTrail, parsed and checked. */
export interface SigmaRule {
  readonly file: string;
  /** The line of the rule's `title` (or its document's first line). */
  readonly line: number;
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly level: SigmaLevel;
  readonly status?: string;
  readonly author?: string;
  readonly tags: readonly string[];
  readonly references: readonly string[];
  readonly falsePositives: readonly string[];
  readonly selections: ReadonlyMap<string, Selection>;
  readonly condition: ConditionNode;
}
