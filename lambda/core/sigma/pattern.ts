/**
 * EventBridge patterns for a Sigma rule. Every pattern is a superset of the rule: it never
 * drops an event the rule matches, and it is as narrow as EventBridge can say, so the
 * detector (which applies the rule's exact meaning) runs as rarely as possible.
 *
 * How: the condition is put in disjunctive normal form over field conditions, with each
 * `not` replaced by "anything" (a pattern cannot safely exclude what a rule excludes:
 * EventBridge compares types and case, Sigma does not). Each conjunction becomes one `$or`
 * branch under `detail`; each field condition becomes the EventBridge matchers that admit
 * every value it accepts, or none (no constraint) when EventBridge has no way to say it:
 * - text without wildcards: `equals-ignore-case` (plain text when it has no letters), plus
 *   `true`/`false` or the number it spells, since Sigma compares those as text;
 * - text with wildcards: `prefix`/`suffix` with `equals-ignore-case` on its longest literal
 *   end, or `wildcard` when it holds no letters (case then cannot differ); a glob that could
 *   match a number's text gets no constraint, as EventBridge's prefix skips numbers;
 * - null: `null` or `exists: false`; `exists: false`: `exists: false`;
 * - IPv4 `cidr` of /8 or longer: a prefix of its whole octets; `re`, `fieldref`,
 *   `exists: true` and IPv6 ranges: no constraint.
 * Every pattern admits both detail-types CloudTrail management events arrive under (API
 * calls and console sign-ins), and only sources starting `aws.`.
 * EventBridge requires fields matched inside one array to come from one element, which Sigma
 * does not; so a branch keeps at most one field under each top-level key of the record
 * (top-level keys of `detail` are never inside an array).
 */
import { CLOUDTRAIL_DETAIL_TYPE, CLOUDTRAIL_SIGN_IN_DETAIL_TYPE } from '../cloudtrail';
import type { EventPatternJson } from '../catalog/detection';
import { cidrTextPrefix, parseCidr } from './cidr';
import { asciiLower, compileGlob, globMatches, literalOf } from './glob';
import type { ConditionNode, FieldCondition, GlobPart, SigmaRule, ValueTest } from './model';

/** EventBridge's limit on the length of one event pattern. */
export const MAX_PATTERN_LENGTH = 2048;
/** Most conjunctions one rule is expanded into before the expansion is coarsened. */
const MAX_BRANCHES = 64;

/** The EventBridge matchers for one value or field, or undefined for "no constraint". */
interface Matchers {
  readonly list: readonly unknown[] | undefined;
  /** True when the matchers admit exactly what Sigma accepts. */
  readonly exact: boolean;
}

const NONE: Matchers = { list: undefined, exact: false };

/** Every character JavaScript writes in a JSON number's text. */
const NUMBER_CHARS = /^[0-9.eE+-]*$/;

function hasLetters(text: string): boolean {
  return /[A-Za-z]/.test(text);
}

function isCanonicalNumber(lower: string): boolean {
  if (lower === '' || !NUMBER_CHARS.test(lower)) return false;
  const value = Number(lower);
  return Number.isFinite(value) && String(value) === lower;
}

/** What else, beyond strings, a literal Sigma value matches: a boolean or a number. */
function typedLiterals(text: string): unknown[] | undefined {
  const lower = asciiLower(text);
  if (lower === 'true') return [true];
  if (lower === 'false') return [false];
  if (isCanonicalNumber(lower)) {
    const value = Number(lower);
    // EventBridge compares numbers exactly only within its numeric range; outside it, no
    // constraint is the safe reading.
    return Number.isInteger(value) && Math.abs(value) <= 5e9 ? [value] : undefined;
  }
  return [];
}

function escapeWildcard(text: string): string {
  return text.replace(/[\\*]/g, '\\$&');
}

function globMatchers(parts: readonly GlobPart[]): Matchers {
  const literal = literalOf(parts);
  if (literal !== undefined) {
    const typed = typedLiterals(literal);
    if (typed === undefined) return NONE;
    const text = hasLetters(literal) ? { 'equals-ignore-case': literal } : literal;
    // Non-ASCII letters may fold differently in EventBridge: admitted, but not exactly.
    return { list: [text, ...typed], exact: /^[\x20-\x7e]*$/.test(literal) };
  }
  const textParts = parts.flatMap((part) => (part.kind === 'text' ? [part.text] : []));
  // The glob could match the text of a number: EventBridge's string operators skip numbers,
  // and no list of numeric ranges covers every one. A number's text has one dot at most.
  const dots = textParts.join('').split('.').length - 1;
  if (textParts.every((text) => NUMBER_CHARS.test(text)) && dots < 2) return NONE;
  const glob = compileGlob(parts);
  const booleans = [true, false].filter((value) => globMatches(glob, String(value)));
  const exactShape = !parts.some((part) => part.kind === 'one');
  if (!textParts.some(hasLetters)) {
    // Case cannot differ, so EventBridge's case-sensitive wildcard says the same; it has no
    // single-character wildcard, so `?` widens to `*`.
    let wildcard = '';
    let afterWildcard = false;
    for (const part of parts) {
      if (part.kind === 'text') wildcard += escapeWildcard(part.text);
      else if (!afterWildcard) wildcard += '*';
      afterWildcard = part.kind !== 'text';
    }
    return { list: [{ wildcard }, ...booleans], exact: exactShape };
  }
  const first = parts[0];
  const last = parts[parts.length - 1];
  const prefix = first?.kind === 'text' ? first.text : '';
  const suffix = last?.kind === 'text' ? last.text : '';
  if (prefix === '' && suffix === '') return NONE;
  const onlyPrefix = parts.length === 2 && last?.kind === 'any';
  const onlySuffix = parts.length === 2 && first?.kind === 'any';
  const matcher =
    prefix.length >= suffix.length
      ? { prefix: { 'equals-ignore-case': prefix } }
      : { suffix: { 'equals-ignore-case': suffix } };
  const ascii = /^[\x20-\x7e]*$/.test(prefix + suffix);
  return { list: [matcher, ...booleans], exact: ascii && (onlyPrefix || onlySuffix) };
}

function valueMatchers(test: ValueTest): Matchers {
  switch (test.kind) {
    case 'glob':
      return globMatchers(test.parts);
    case 'null':
      return { list: [null, { exists: false }], exact: false };
    case 'exists':
      return test.expected ? NONE : { list: [{ exists: false }], exact: false };
    case 'cidr': {
      const cidr = parseCidr(test.cidr);
      const prefix = cidr === undefined ? undefined : cidrTextPrefix(cidr);
      if (prefix === undefined) return NONE;
      return { list: [prefix.endsWith('.') ? { prefix } : prefix], exact: false };
    }
    case 're':
    case 'fieldref':
      return NONE;
  }
}

/** The matchers of a field condition: a union of its values, or one of them under `all`. */
export function fieldMatchers(condition: FieldCondition): Matchers {
  const values = condition.values.map(valueMatchers);
  if (condition.all) {
    // Every value must match; any one of them is a superset.
    const narrowest = values.find((value) => value.list !== undefined);
    return narrowest === undefined ? NONE : { list: narrowest.list, exact: false };
  }
  if (values.some((value) => value.list === undefined)) return NONE;
  const seen = new Set<string>();
  const list: unknown[] = [];
  for (const value of values) {
    for (const matcher of value.list ?? []) {
      const key = JSON.stringify(matcher);
      if (!seen.has(key)) {
        seen.add(key);
        list.push(matcher);
      }
    }
  }
  return { list, exact: values.every((value) => value.exact) };
}

/** A conjunction of field conditions; `exact` false once anything was widened away. */
interface Conjunction {
  readonly fields: readonly FieldCondition[];
  readonly exact: boolean;
}

interface Expansion {
  readonly branches: readonly Conjunction[];
  readonly exact: boolean;
}

function expand(node: ConditionNode, rule: SigmaRule): Expansion {
  switch (node.kind) {
    case 'not':
      // A pattern cannot exclude safely: anything, and the detector excludes.
      return { branches: [{ fields: [], exact: false }], exact: false };
    case 'ref': {
      const selection = rule.selections.get(node.name);
      if (selection === undefined) return { branches: [], exact: true };
      return {
        branches: selection.alternatives.map((fields) => ({ fields, exact: true })),
        exact: true,
      };
    }
    case 'or': {
      const parts = node.items.map((item) => expand(item, rule));
      const branches = parts.flatMap((part) => part.branches);
      const exact = parts.every((part) => part.exact);
      if (branches.length > MAX_BRANCHES)
        return { branches: [{ fields: [], exact: false }], exact: false };
      return { branches, exact };
    }
    case 'and': {
      const parts = node.items.map((item) => expand(item, rule));
      let branches: Conjunction[] = [{ fields: [], exact: true }];
      for (const part of parts) {
        const product = branches.length * part.branches.length;
        if (product > MAX_BRANCHES) {
          // Too many combinations: the part with the fewest branches alone is a superset.
          const fewest = [...parts].sort((a, b) => a.branches.length - b.branches.length)[0];
          return {
            branches: (fewest?.branches ?? []).map((branch) => ({ ...branch, exact: false })),
            exact: false,
          };
        }
        branches = branches.flatMap((left) =>
          part.branches.map((right) => ({
            fields: [...left.fields, ...right.fields],
            exact: left.exact && right.exact,
          })),
        );
      }
      return { branches, exact: parts.every((part) => part.exact) };
    }
  }
}

interface BranchPattern {
  readonly detail: EventPatternJson;
  readonly exact: boolean;
}

function setPath(
  target: EventPatternJson,
  path: readonly string[],
  list: readonly unknown[],
): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = (node[segment] ?? {}) as EventPatternJson;
    node[segment] = next;
    node = next;
  }
  node[path[path.length - 1] ?? ''] = [...list];
}

/** Prefer constraints on the call itself when a branch has to give some up. */
const CALL_FIELDS = ['eventSource', 'eventName'];

function branchPattern(branch: Conjunction): BranchPattern {
  const detail: EventPatternJson = {};
  const used = new Set<string>();
  let exact = branch.exact;
  const ordered = [
    ...branch.fields.filter((f) => f.path.length === 1 && CALL_FIELDS.includes(f.field)),
    ...branch.fields.filter((f) => !(f.path.length === 1 && CALL_FIELDS.includes(f.field))),
  ];
  for (const field of ordered) {
    const matchers = fieldMatchers(field);
    const top = field.path[0] ?? '';
    // A key starting with `$` would read as an operator (`$or`) in a pattern.
    const reserved = field.path.some((segment) => segment.startsWith('$'));
    if (matchers.list === undefined || used.has(top) || reserved) {
      exact = false;
      continue;
    }
    used.add(top);
    setPath(detail, field.path, matchers.list);
    exact &&= matchers.exact;
  }
  return { detail, exact };
}

/**
 * Every CloudTrail management event: API calls, and console sign-ins (ConsoleLogin), which
 * EventBridge labels apart but which are CloudTrail records all the same.
 */
function base(): EventPatternJson {
  return {
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE, CLOUDTRAIL_SIGN_IN_DETAIL_TYPE],
    source: [{ prefix: 'aws.' }],
  };
}

function patternOf(details: readonly EventPatternJson[]): EventPatternJson {
  const [only] = details;
  if (details.length === 1 && only !== undefined) {
    return Object.keys(only).length === 0 ? base() : { ...base(), detail: only };
  }
  return { ...base(), detail: { $or: [...details] } };
}

function lengthOf(pattern: EventPatternJson): number {
  return JSON.stringify(pattern).length;
}

/**
 * The branch as details whose match lists never mix `exists` with other matchers: a list
 * that does is split into two branches, one with the `exists` matchers and one with the
 * rest, which together admit what the list did.
 */
function separateExists(detail: EventPatternJson): EventPatternJson[] {
  const mixed = matchLists(detail).find(
    ({ list }) =>
      list.some((matcher) => isExists(matcher)) && list.some((matcher) => !isExists(matcher)),
  );
  if (mixed === undefined) return [detail];
  return [
    mixed.list.filter((matcher) => isExists(matcher)),
    mixed.list.filter((matcher) => !isExists(matcher)),
  ].flatMap((list) => separateExists(withList(detail, mixed.path, list)));
}

function isExists(matcher: unknown): boolean {
  return typeof matcher === 'object' && matcher !== null && 'exists' in matcher;
}

/** Every match list in a detail pattern, with its path. */
function matchLists(
  node: EventPatternJson,
  path: readonly string[] = [],
): { path: string[]; list: unknown[] }[] {
  return Object.entries(node).flatMap(([key, value]) =>
    Array.isArray(value)
      ? [{ path: [...path, key], list: value as unknown[] }]
      : matchLists(value as EventPatternJson, [...path, key]),
  );
}

function withList(
  node: EventPatternJson,
  path: readonly string[],
  list: readonly unknown[],
): EventPatternJson {
  const [head = '', ...rest] = path;
  return {
    ...node,
    [head]: rest.length === 0 ? [...list] : withList(node[head] as EventPatternJson, rest, list),
  };
}

/**
 * One branch as patterns that each fit EventBridge's limit: its longest list of values is
 * split in halves (the halves together admit what the list does) until each part fits; a
 * part that still does not fit loses its largest constraint, the call's own last.
 */
function fitBranch(detail: EventPatternJson): { details: EventPatternJson[]; dropped: boolean } {
  if (lengthOf(patternOf([detail])) <= MAX_PATTERN_LENGTH)
    return { details: [detail], dropped: false };
  const longest = matchLists(detail)
    .filter((entry) => entry.list.length > 1)
    .sort((a, b) => JSON.stringify(b.list).length - JSON.stringify(a.list).length)[0];
  if (longest !== undefined) {
    const half = Math.ceil(longest.list.length / 2);
    const parts = [longest.list.slice(0, half), longest.list.slice(half)].map((list) =>
      fitBranch(withList(detail, longest.path, list)),
    );
    return {
      details: parts.flatMap((part) => part.details),
      dropped: parts.some((part) => part.dropped),
    };
  }
  const keys = Object.keys(detail).sort((a, b) => {
    const call = Number(CALL_FIELDS.includes(a)) - Number(CALL_FIELDS.includes(b));
    return call !== 0 ? call : JSON.stringify(detail[b]).length - JSON.stringify(detail[a]).length;
  });
  const [largest] = keys;
  if (largest === undefined) return { details: [detail], dropped: false };
  const rest = { ...detail };
  delete rest[largest];
  return { details: fitBranch(rest).details, dropped: true };
}

export interface RulePatterns {
  /** One or more patterns; an event matching any of them reaches the detector. */
  readonly patterns: readonly EventPatternJson[];
  /** True when EventBridge admits exactly the events the rule matches. */
  readonly exact: boolean;
}

/** The EventBridge patterns of a rule, each within EventBridge's length limit. */
export function rulePatterns(rule: SigmaRule): RulePatterns {
  const expansion = expand(rule.condition, rule);
  let exact = expansion.exact;
  if (expansion.branches.length === 0) {
    // The rule matches nothing: a pattern nothing sends (no CloudTrail event has this name).
    return {
      patterns: [{ ...base(), detail: { eventName: [''] } }],
      exact: true,
    };
  }
  const seen = new Set<string>();
  const details: EventPatternJson[] = [];
  for (const branch of expansion.branches) {
    const built = branchPattern(branch);
    exact &&= built.exact;
    const parts = separateExists(built.detail).map(fitBranch);
    if (parts.some((part) => part.dropped)) exact = false;
    for (const detail of parts.flatMap((part) => part.details)) {
      if (Object.keys(detail).length === 0) {
        // One branch admits every CloudTrail event, so the whole rule does.
        return { patterns: [base()], exact: exact && expansion.branches.length === 1 };
      }
      const key = JSON.stringify(detail);
      if (!seen.has(key)) {
        seen.add(key);
        details.push(detail);
      }
    }
  }
  // Pack branches into as few patterns as fit the limit.
  const patterns: EventPatternJson[] = [];
  let group: EventPatternJson[] = [];
  for (const detail of details) {
    if (group.length > 0 && lengthOf(patternOf([...group, detail])) > MAX_PATTERN_LENGTH) {
      patterns.push(patternOf(group));
      group = [];
    }
    group.push(detail);
  }
  if (group.length > 0) patterns.push(patternOf(group));
  return { patterns, exact };
}

/** What a rule can match, as far as the call goes. */
export interface RuleScope {
  /** The eventNames it can match (compared case-insensitively), or undefined for any. */
  readonly eventNames?: readonly string[];
  /** The eventSources it can match (compared case-insensitively), or undefined for any. */
  readonly eventSources?: readonly string[];
  /** Whether it can match a read-only call EventBridge delivers only to rules that ask. */
  readonly readOnly: boolean;
}

/** EventBridge leaves out read-only management events named so, unless a rule asks for them. */
const READ_ONLY_PREFIXES = ['describe', 'get', 'list', 'head'];

function literalValues(fields: readonly FieldCondition[], name: string): string[] | undefined {
  for (const field of fields) {
    if (field.field !== name || field.all) continue;
    const literals = field.values.map((value) =>
      value.kind === 'glob' ? literalOf(value.parts) : undefined,
    );
    if (literals.every((literal): literal is string => literal !== undefined)) return literals;
  }
  return undefined;
}

/** Whether the names a branch allows can begin like a read-only call. */
function branchCanReadOnly(fields: readonly FieldCondition[]): boolean {
  const readOnlyField = literalValues(fields, 'readOnly');
  if (readOnlyField !== undefined && readOnlyField.every((v) => asciiLower(v) === 'false')) {
    return false;
  }
  for (const field of fields) {
    if (field.field !== 'eventName' || field.all) continue;
    const starts = field.values.map((value) => {
      if (value.kind !== 'glob') return undefined;
      const [first] = value.parts;
      return first?.kind === 'text' ? asciiLower(first.text) : undefined;
    });
    if (starts.some((start) => start === undefined)) continue;
    return starts.some((start) =>
      READ_ONLY_PREFIXES.some(
        (prefix) => (start ?? '').startsWith(prefix) || prefix.startsWith(start ?? ''),
      ),
    );
  }
  return true;
}

export function ruleScope(rule: SigmaRule): RuleScope {
  const { branches } = expand(rule.condition, rule);
  const union = (name: string): string[] | undefined => {
    const all = new Set<string>();
    for (const branch of branches) {
      const values = literalValues(branch.fields, name);
      if (values === undefined) return undefined;
      values.forEach((value) => all.add(value));
    }
    return [...all];
  };
  const eventNames = union('eventName');
  const eventSources = union('eventSource');
  return {
    ...(eventNames !== undefined ? { eventNames } : {}),
    ...(eventSources !== undefined ? { eventSources } : {}),
    readOnly: branches.some((branch) => branchCanReadOnly(branch.fields)),
  };
}
