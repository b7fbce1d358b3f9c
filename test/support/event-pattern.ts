/**
 * An offline EventBridge event-pattern matcher, covering only the operators sgwatch's rules
 * use. No faithful matcher exists on npm, and AWS is not reachable from tests, so this one
 * follows the EventBridge user guide and the open-source Event Ruler it documents.
 *
 * The whole pattern is checked before any matching: an operator this file does not
 * implement (see KNOWN_UNSUPPORTED) throws `UnsupportedPatternError`, and a pattern AWS would refuse throws
 * `InvalidPatternError`. Neither can be skipped by a short-circuit, so a test can never pass
 * because the matcher silently ignored part of a pattern.
 *
 * Semantics worth knowing:
 * - Every key in the pattern must match (AND); any entry of a match array may match (OR).
 * - Matching happens on leaves. An event array matches when any of its elements does; arrays
 *   of objects are searched element by element, so sibling fields must come from one element.
 * - `exists` looks only at leaves: a key holding `null` exists, a key holding an object or an
 *   empty array does not (there is no leaf under that name).
 * - Values are typed: the pattern `"5"` does not match the number 5, `""` does not match null.
 * - `numeric` compares JSON numbers only, and only within EventBridge's documented range of
 *   -5.0e9 to +5.0e9; an event number outside it is treated as not matching, the cautious
 *   reading for tests that prove a pattern admits everything a detection accepts.
 */

export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

export class InvalidPatternError extends Error {
  override name = 'InvalidPatternError';
}

type Scalar = string | number | boolean | null;

type Matcher =
  | { kind: 'equals'; value: Scalar }
  | { kind: 'exists'; expected: boolean }
  | { kind: 'prefix'; prefix: string; ignoreCase: boolean }
  | { kind: 'suffix'; suffix: string; ignoreCase: boolean }
  | { kind: 'numeric'; comparisons: NumericComparison[] }
  | { kind: 'equals-ignore-case'; value: string }
  | { kind: 'wildcard'; pattern: RegExp }
  | { kind: 'anything-but'; excluded: (string | number)[] }
  | { kind: 'anything-but-prefix'; prefix: string };

type NumericOperator = '<' | '<=' | '=' | '>' | '>=';

interface NumericComparison {
  operator: NumericOperator;
  operand: number;
}

/** EventBridge matches numbers only within this magnitude. */
const NUMERIC_LIMIT = 5e9;

interface FieldsNode {
  kind: 'fields';
  fields: [string, PatternNode][];
}

/** `$or`: the object it sits in matches when any branch matches that same object. */
interface OrNode {
  kind: 'or';
  branches: FieldsNode[];
}

type PatternNode = FieldsNode | OrNode | { kind: 'leaf'; matchers: Matcher[] };

type JsonObject = Record<string, unknown>;

/** Operators EventBridge offers that this matcher deliberately leaves out. */
const KNOWN_UNSUPPORTED = new Set(['cidr']);

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  const compiled = compileFields(pattern, '');
  if (!isObject(event)) {
    throw new TypeError('An EventBridge event is a JSON object; got ' + describe(event));
  }
  return matchFields(compiled, event);
}

function compileFields(pattern: unknown, path: string): FieldsNode {
  if (!isObject(pattern)) {
    throw new InvalidPatternError(
      `Event pattern ${path || '(root)'} must be a JSON object; got ${describe(pattern)}`,
    );
  }
  const fields: [string, PatternNode][] = Object.entries(pattern).map(([key, value]) => {
    const fieldPath = path === '' ? key : `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidPatternError(`"${fieldPath}" must be an array of at least two patterns`);
      }
      return [
        key,
        {
          kind: 'or',
          branches: value.map((branch, i) => compileFields(branch, `${fieldPath}[${i}]`)),
        },
      ];
    }
    if (key.includes('.')) {
      // EventBridge also matches dotted pattern keys against nested event fields; we don't.
      throw new UnsupportedPatternError(
        `Dotted field name "${fieldPath}" is not supported by the test matcher; nest the objects.`,
      );
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        throw new InvalidPatternError(`Empty arrays are not allowed (at "${fieldPath}")`);
      }
      return [key, { kind: 'leaf', matchers: value.map((v) => compileMatcher(v, fieldPath)) }];
    }
    if (isObject(value)) {
      return [key, compileFields(value, fieldPath)];
    }
    throw new InvalidPatternError(
      `"${fieldPath}" must be an object or an array; got ${describe(value)}`,
    );
  });
  return { kind: 'fields', fields };
}

function compileMatcher(entry: unknown, path: string): Matcher {
  if (isScalar(entry)) {
    return { kind: 'equals', value: entry };
  }
  if (!isObject(entry)) {
    throw new InvalidPatternError(
      `Match value at "${path}" must be a string, number, true, false, null or an operator object`,
    );
  }
  const keys = Object.keys(entry);
  const [operator] = keys;
  if (operator === undefined || keys.length !== 1) {
    throw new InvalidPatternError(`Only one key allowed in match expression at "${path}"`);
  }
  const operand = entry[operator];
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') {
        throw new InvalidPatternError(`exists at "${path}" must be true or false`);
      }
      return { kind: 'exists', expected: operand };
    case 'prefix':
      if (typeof operand === 'string') {
        return { kind: 'prefix', prefix: operand, ignoreCase: false };
      }
      if (isObject(operand)) {
        const ignoreCase = singleOperand(operand, path, 'prefix');
        if (ignoreCase.operator !== 'equals-ignore-case') {
          throw unsupported(`prefix/${ignoreCase.operator}`, path);
        }
        return {
          kind: 'prefix',
          prefix: requireString(ignoreCase.value, path, 'prefix/equals-ignore-case'),
          ignoreCase: true,
        };
      }
      throw new InvalidPatternError(`prefix match pattern at "${path}" must be a string`);
    case 'suffix':
      return compileSuffix(operand, path);
    case 'numeric':
      return compileNumeric(operand, path);
    case 'equals-ignore-case':
      return {
        kind: 'equals-ignore-case',
        value: requireString(operand, path, 'equals-ignore-case'),
      };
    case 'anything-but':
      return compileAnythingBut(operand, path);
    case 'wildcard':
      return compileWildcard(requireString(operand, path, 'wildcard'), path);
    default:
      if (KNOWN_UNSUPPORTED.has(operator)) {
        throw unsupported(operator, path);
      }
      throw new InvalidPatternError(`Unrecognized match type "${operator}" at "${path}"`);
  }
}

/**
 * `wildcard`: `*` matches any run of characters (none included), `\\*` a literal star and
 * `\\\\` a literal backslash; case-sensitive, strings only. EventBridge refuses consecutive
 * wildcards and a backslash before anything else.
 */
function compileWildcard(pattern: string, path: string): Matcher {
  let source = '';
  let lastWasWildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    if (char === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw new InvalidPatternError(`Invalid escape in wildcard pattern at "${path}"`);
      }
      source += next === '*' ? '\\*' : '\\\\';
      i += 1;
      lastWasWildcard = false;
    } else if (char === '*') {
      if (lastWasWildcard) {
        throw new InvalidPatternError(`Consecutive wildcard characters at "${path}"`);
      }
      source += '[\\s\\S]*';
      lastWasWildcard = true;
    } else {
      source += char.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
      lastWasWildcard = false;
    }
  }
  return { kind: 'wildcard', pattern: new RegExp(`^${source}$`, 'u') };
}

function compileSuffix(operand: unknown, path: string): Matcher {
  if (typeof operand === 'string') {
    return { kind: 'suffix', suffix: operand, ignoreCase: false };
  }
  if (isObject(operand)) {
    const ignoreCase = singleOperand(operand, path, 'suffix');
    if (ignoreCase.operator !== 'equals-ignore-case') {
      throw unsupported(`suffix/${ignoreCase.operator}`, path);
    }
    return {
      kind: 'suffix',
      suffix: requireString(ignoreCase.value, path, 'suffix/equals-ignore-case'),
      ignoreCase: true,
    };
  }
  throw new InvalidPatternError(`suffix match pattern at "${path}" must be a string`);
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

/**
 * `numeric` takes one comparison (`["<", 5]`, `["=", 3]`) or a range written lower bound
 * first (`[">=", 0, "<", 5]`), as EventBridge does; anything else is refused.
 */
function compileNumeric(operand: unknown, path: string): Matcher {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new InvalidPatternError(
      `numeric at "${path}" must be [operator, number] or [lower operator, number, upper operator, number]`,
    );
  }
  const comparisons: NumericComparison[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const operator: unknown = operand[i];
    const value: unknown = operand[i + 1];
    if (
      typeof operator !== 'string' ||
      !['<', '<=', '=', '>', '>='].includes(operator) ||
      !isFiniteNumber(value)
    ) {
      throw new InvalidPatternError(`numeric at "${path}" has a bad comparison at position ${i}`);
    }
    if (Math.abs(value) > NUMERIC_LIMIT) {
      throw new InvalidPatternError(`numeric operand ${value} at "${path}" is out of range`);
    }
    comparisons.push({ operator: operator as NumericOperator, operand: value });
  }
  const [lower, upper] = comparisons;
  if (
    upper !== undefined &&
    (lower === undefined || !LOWER_BOUNDS.has(lower.operator) || !UPPER_BOUNDS.has(upper.operator))
  ) {
    throw new InvalidPatternError(
      `numeric range at "${path}" must be a lower bound (> or >=) then an upper bound (< or <=)`,
    );
  }
  return { kind: 'numeric', comparisons };
}

function compare(value: number, { operator, operand }: NumericComparison): boolean {
  switch (operator) {
    case '<':
      return value < operand;
    case '<=':
      return value <= operand;
    case '=':
      return value === operand;
    case '>':
      return value > operand;
    case '>=':
      return value >= operand;
  }
}

function compileAnythingBut(operand: unknown, path: string): Matcher {
  if (typeof operand === 'string' || isFiniteNumber(operand)) {
    return { kind: 'anything-but', excluded: [operand] };
  }
  if (Array.isArray(operand)) {
    const list: unknown[] = operand;
    const strings = list.filter((v): v is string => typeof v === 'string');
    const numbers = list.filter(isFiniteNumber);
    if (list.length === 0 || (strings.length !== list.length && numbers.length !== list.length)) {
      throw new InvalidPatternError(
        `anything-but list at "${path}" must be non-empty and all strings or all numbers`,
      );
    }
    return { kind: 'anything-but', excluded: strings.length > 0 ? strings : numbers };
  }
  if (isObject(operand)) {
    const inner = singleOperand(operand, path, 'anything-but');
    if (inner.operator !== 'prefix') {
      throw unsupported(`anything-but/${inner.operator}`, path);
    }
    const prefix = requireString(inner.value, path, 'anything-but/prefix');
    if (prefix === '') {
      throw new InvalidPatternError(`Null prefix not allowed in anything-but at "${path}"`);
    }
    return { kind: 'anything-but-prefix', prefix };
  }
  throw new InvalidPatternError(
    `anything-but at "${path}" must be a string, a number, a list of either, or {prefix}`,
  );
}

function singleOperand(
  operand: JsonObject,
  path: string,
  within: string,
): { operator: string; value: unknown } {
  const entries = Object.entries(operand);
  const [first] = entries;
  if (first === undefined || entries.length !== 1) {
    throw new InvalidPatternError(`${within} at "${path}" must hold exactly one operator`);
  }
  return { operator: first[0], value: first[1] };
}

function requireString(value: unknown, path: string, operator: string): string {
  if (typeof value !== 'string') {
    throw new InvalidPatternError(`${operator} match pattern at "${path}" must be a string`);
  }
  return value;
}

function unsupported(operator: string, path: string): UnsupportedPatternError {
  return new UnsupportedPatternError(
    `Operator "${operator}" at "${path}" is not implemented by the test matcher ` +
      '(test/support/event-pattern.ts); implement it there before using it in a rule.',
  );
}

function matchFields(node: FieldsNode, event: JsonObject): boolean {
  return node.fields.every(([key, child]) => {
    if (child.kind === 'or') {
      return child.branches.some((branch) => matchFields(branch, event));
    }
    const present = Object.hasOwn(event, key);
    const value = present ? event[key] : undefined;
    if (child.kind === 'leaf') {
      return matchLeaf(child.matchers, present ? leavesOf(value) : []);
    }
    const candidates = present ? objectsOf(value) : [];
    // With no object under the key, every nested field is absent; only patterns made of
    // `exists: false` can still match.
    if (candidates.length === 0) return matchFields(child, {});
    return candidates.some((candidate) => matchFields(child, candidate));
  });
}

function matchLeaf(matchers: Matcher[], leaves: Scalar[]): boolean {
  return matchers.some((matcher) => {
    if (matcher.kind === 'exists') {
      return matcher.expected === leaves.length > 0;
    }
    return leaves.some((leaf) => matchValue(matcher, leaf));
  });
}

function matchValue(matcher: Exclude<Matcher, { kind: 'exists' }>, leaf: Scalar): boolean {
  switch (matcher.kind) {
    case 'equals':
      return leaf === matcher.value;
    case 'prefix':
      if (typeof leaf !== 'string') return false;
      return matcher.ignoreCase
        ? leaf.toLowerCase().startsWith(matcher.prefix.toLowerCase())
        : leaf.startsWith(matcher.prefix);
    case 'suffix':
      if (typeof leaf !== 'string') return false;
      return matcher.ignoreCase
        ? leaf.toLowerCase().endsWith(matcher.suffix.toLowerCase())
        : leaf.endsWith(matcher.suffix);
    case 'numeric':
      return (
        typeof leaf === 'number' &&
        Math.abs(leaf) <= NUMERIC_LIMIT &&
        matcher.comparisons.every((comparison) => compare(leaf, comparison))
      );
    case 'equals-ignore-case':
      return typeof leaf === 'string' && leaf.toLowerCase() === matcher.value.toLowerCase();
    case 'wildcard':
      return typeof leaf === 'string' && matcher.pattern.test(leaf);
    case 'anything-but':
      // Typed comparison: the number 5 is not excluded by "5", and null is never excluded.
      return !matcher.excluded.includes(leaf as string | number);
    case 'anything-but-prefix':
      // A value that is not a string cannot start with the prefix, so it is not excluded.
      return typeof leaf !== 'string' || !leaf.startsWith(matcher.prefix);
  }
}

/** The scalar leaves stored under a key: arrays are flattened, objects hold no leaf. */
function leavesOf(value: unknown): Scalar[] {
  if (Array.isArray(value)) return value.flatMap(leavesOf);
  return isScalar(value) ? [value] : [];
}

/** The objects stored under a key, looking through (nested) arrays. */
function objectsOf(value: unknown): JsonObject[] {
  if (Array.isArray(value)) return value.flatMap(objectsOf);
  return isObject(value) ? [value] : [];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    isFiniteNumber(value)
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
