/**
 * Reads Sigma rules from YAML text into checked `SigmaRule`s. Every refusal is a
 * `SigmaRuleError` carrying the file and the line of the node at fault, taken from the YAML
 * parser's positions, so `sgwatch sigma check` and synth can print `file:line: reason`.
 */
import type { Document, Node, Pair, Scalar, YAMLMap } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { parseCondition } from './condition';
import type { FieldCondition, Selection, SigmaLevel, SigmaRule, ValueTest } from './model';
import { SIGMA_LEVELS, SigmaRuleError } from './model';
import { checkRegex, MAX_REGEX_LENGTH } from './regex';
import { parseCidr } from './cidr';
import { globOf } from './glob';

/** What one YAML document of a rule file turned out to be. */
export type RuleDocument =
  | { readonly kind: 'rule'; readonly rule: SigmaRule }
  | {
      readonly kind: 'skipped';
      readonly file: string;
      readonly line: number;
      readonly title: string;
      readonly reason: string;
    }
  | { readonly kind: 'error'; readonly error: SigmaRuleError };

/** The modifiers sgwatch implements, in the words of the refusal of any other. */
export const SUPPORTED_MODIFIERS = [
  'contains',
  'startswith',
  'endswith',
  'all',
  're',
  'i',
  'm',
  's',
  'cidr',
  'exists',
  'fieldref',
] as const;
type Modifier = (typeof SUPPORTED_MODIFIERS)[number];

const ANCHORS = ['contains', 'startswith', 'endswith'] as const;
type Anchor = (typeof ANCHORS)[number];

/** Positions within one file, to turn a node into its line. */
class Source {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  /**
   * A scalar's value as the rule means it. An unquoted whole number keeps its digits as
   * written: YAML reads `012345678901` (an account id) as the number 12345678901, and a
   * number past 2^53 loses digits, where the rule author meant the text.
   */
  valueOf(node: Scalar): unknown {
    const value = node.value;
    if (typeof value !== 'number' || node.range === undefined || node.range === null) {
      return value;
    }
    const written = this.text.slice(node.range[0], node.range[1]);
    return /^[0-9]+$/.test(written) && written !== String(value) ? written : value;
  }

  lineOf(node: Node | Pair | null | undefined, fallback = 1): number {
    const at = node === null || node === undefined ? undefined : rangeStart(node);
    return at === undefined ? fallback : this.lines.linePos(at).line;
  }

  error(node: Node | Pair | null | undefined, reason: string, fallback = 1): SigmaRuleError {
    return new SigmaRuleError(this.file, this.lineOf(node, fallback), reason);
  }
}

function rangeStart(node: Node | Pair): number | undefined {
  if ('range' in node && Array.isArray(node.range)) return node.range[0];
  const key = (node as Pair).key as Node | null;
  if (key !== null && typeof key === 'object' && 'range' in key && Array.isArray(key.range)) {
    return key.range[0];
  }
  return undefined;
}

function entry(map: YAMLMap, key: string): Pair | undefined {
  const found: unknown = map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
  return found as Pair | undefined;
}

/** A YAML scalar's value as text, or undefined for null, maps and lists. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return undefined;
}

function keyText(pair: Pair, source: Source): string {
  if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
    throw source.error(pair.key as Node, 'keys must be plain text');
  }
  return pair.key.value;
}

function optionalText(map: YAMLMap, key: string, source: Source): string | undefined {
  const pair = entry(map, key);
  if (pair === undefined || pair.value === null) return undefined;
  if (!isScalar(pair.value)) throw source.error(pair, `${key} must be text`);
  const value = pair.value.value;
  if (value === null) return undefined;
  const text = scalarText(value);
  if (text === undefined) throw source.error(pair, `${key} must be text`);
  return text;
}

function textList(map: YAMLMap, key: string, source: Source): string[] {
  const pair = entry(map, key);
  if (pair === undefined || pair.value === null) return [];
  if (isScalar(pair.value)) {
    const text = scalarText(pair.value.value);
    return text === undefined ? [] : [text];
  }
  if (!isSeq(pair.value)) throw source.error(pair, `${key} must be a list of text`);
  return pair.value.items.map((item) => {
    const text = isScalar(item) ? scalarText(item.value) : undefined;
    if (text === undefined) throw source.error(item as Node, `${key} must be a list of text`);
    return text;
  });
}

function parseModifiers(
  names: readonly string[],
  field: string,
  node: Node,
  source: Source,
): Set<Modifier> {
  const modifiers = new Set<Modifier>();
  for (const name of names) {
    const known = SUPPORTED_MODIFIERS.find((candidate) => candidate === name);
    if (known === undefined) {
      throw source.error(
        node,
        `${field}: the modifier "${name}" is not supported (sgwatch supports ${SUPPORTED_MODIFIERS.join(', ')})`,
      );
    }
    modifiers.add(known);
  }
  const anchors = ANCHORS.filter((anchor) => modifiers.has(anchor));
  if (anchors.length > 1) {
    throw source.error(node, `${field}: ${anchors.join(' and ')} cannot be combined`);
  }
  const regexFlags = (['i', 'm', 's'] as const).filter((flag) => modifiers.has(flag));
  if (regexFlags.length > 0 && !modifiers.has('re')) {
    throw source.error(node, `${field}: the modifier "${regexFlags[0] ?? ''}" needs "re"`);
  }
  const exclusive = (['re', 'cidr', 'exists'] as const).filter((m) => modifiers.has(m));
  if (exclusive.length > 0) {
    const [only] = exclusive;
    const others = [...modifiers].filter(
      (m) => m !== only && m !== 'all' && !(only === 're' && ['i', 'm', 's'].includes(m)),
    );
    if (others.length > 0 || (only === 'exists' && modifiers.has('all'))) {
      throw source.error(
        node,
        `${field}: "${only ?? ''}" cannot be combined with "${others[0] ?? 'all'}"`,
      );
    }
  }
  return modifiers;
}

function valueTest(
  raw: unknown,
  modifiers: ReadonlySet<Modifier>,
  field: string,
  node: Node,
  source: Source,
): ValueTest {
  if (modifiers.has('exists')) {
    if (typeof raw !== 'boolean') throw source.error(node, `${field}: exists takes true or false`);
    return { kind: 'exists', expected: raw };
  }
  if (raw === null) {
    if (modifiers.size > 0) {
      throw source.error(node, `${field}: a null value takes no modifiers`);
    }
    return { kind: 'null' };
  }
  // Numbers and booleans compare as their text, as they are written in CloudTrail's JSON.
  const text = scalarText(raw);
  if (text === undefined) {
    throw source.error(node, `${field}: a value must be text, a number, true, false or null`);
  }
  const anchor: Anchor | undefined = ANCHORS.find((candidate) => modifiers.has(candidate));
  if (modifiers.has('re')) {
    if (typeof raw !== 'string') throw source.error(node, `${field}: re takes a text pattern`);
    if (raw.length > MAX_REGEX_LENGTH) {
      throw source.error(
        node,
        `${field}: the regular expression is longer than ${MAX_REGEX_LENGTH} characters`,
      );
    }
    const test: ValueTest = {
      kind: 're',
      source: raw,
      ignoreCase: modifiers.has('i'),
      multiline: modifiers.has('m'),
      dotAll: modifiers.has('s'),
    };
    const problem = checkRegex(test);
    if (problem !== undefined) throw source.error(node, `${field}: ${problem}`);
    return test;
  }
  if (modifiers.has('cidr')) {
    if (parseCidr(text) === undefined) {
      throw source.error(node, `${field}: ${JSON.stringify(text)} is not a CIDR range`);
    }
    return { kind: 'cidr', cidr: text };
  }
  if (modifiers.has('fieldref')) {
    const path = fieldPath(text);
    if (path === undefined) {
      throw source.error(node, `${field}: fieldref names a field, got ${JSON.stringify(text)}`);
    }
    return { kind: 'fieldref', field: text, anchor: anchor ?? 'equals' };
  }
  return { kind: 'glob', parts: globOf(text, typeof raw === 'string', anchor) };
}

function fieldPath(field: string): string[] | undefined {
  const path = field.split('.');
  return field === '' || path.some((segment) => segment === '') ? undefined : path;
}

function fieldCondition(pair: Pair, source: Source): FieldCondition {
  const key = keyText(pair, source);
  const [field = '', ...modifierNames] = key.split('|');
  const node = (pair.key as Node | null) ?? (pair.value as Node);
  const path = fieldPath(field);
  if (path === undefined) {
    throw source.error(
      node,
      field === ''
        ? 'keyword searches (a value without a field) are not supported: name the CloudTrail field'
        : `${JSON.stringify(field)} is not a field name (dotted path into the CloudTrail record)`,
    );
  }
  const modifiers = parseModifiers(modifierNames, field, node, source);
  const value = pair.value as Node | null;
  let items: { raw: unknown; node: Node }[];
  if (value === null) {
    items = [{ raw: null, node }];
  } else if (isSeq(value)) {
    if (value.items.length === 0)
      throw source.error(value, `${field}: the list of values is empty`);
    items = value.items.map((item) => {
      if (!isScalar(item)) {
        throw source.error(
          item as Node,
          `${field}: a list of values holds values, not maps or lists`,
        );
      }
      return { raw: source.valueOf(item), node: item };
    });
  } else if (isScalar(value)) {
    items = [{ raw: source.valueOf(value), node: value }];
  } else {
    throw source.error(value, `${field}: a field takes a value or a list of values, not a map`);
  }
  return {
    field,
    path,
    values: items.map((item) => valueTest(item.raw, modifiers, field, item.node, source)),
    all: modifiers.has('all'),
  };
}

function fieldConditions(map: YAMLMap, source: Source): FieldCondition[] {
  if (map.items.length === 0) throw source.error(map, 'a selection map is empty');
  return map.items.map((pair) => fieldCondition(pair, source));
}

function selection(name: string, node: Node | null, at: Pair, source: Source): Selection {
  if (isMap(node)) return { name, alternatives: [fieldConditions(node, source)] };
  if (isSeq(node)) {
    if (node.items.length === 0) throw source.error(node, `${name}: the selection is empty`);
    return {
      name,
      alternatives: node.items.map((item) => {
        if (isMap(item)) return fieldConditions(item, source);
        throw source.error(
          item as Node,
          `${name}: keyword searches (values without a field) are not supported: name the CloudTrail field`,
        );
      }),
    };
  }
  throw source.error(
    node ?? at,
    `${name}: keyword searches (values without a field) are not supported: name the CloudTrail field`,
  );
}

function parseLevel(map: YAMLMap, source: Source): SigmaLevel {
  const text = optionalText(map, 'level', source);
  if (text === undefined) return 'medium';
  const level = SIGMA_LEVELS.find((candidate) => candidate === text.toLowerCase());
  if (level === undefined) {
    throw source.error(
      entry(map, 'level'),
      `level ${JSON.stringify(text)} is not one of ${SIGMA_LEVELS.join(', ')}`,
    );
  }
  return level;
}

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function parseRule(root: YAMLMap, source: Source): RuleDocument {
  const ruleLine = source.lineOf(entry(root, 'title') ?? root);
  if (entry(root, 'correlation') !== undefined) {
    throw source.error(
      entry(root, 'correlation'),
      'correlation rules are not supported: sgwatch alerts on each event, without counting or joining events',
    );
  }
  if (entry(root, 'action') !== undefined) {
    throw source.error(
      entry(root, 'action'),
      'rule collections (action: global, reset, repeat) are not supported: write each rule whole in its own document',
    );
  }
  if (entry(root, 'filter') !== undefined && entry(root, 'detection') === undefined) {
    throw source.error(entry(root, 'filter'), 'Sigma filter documents are not supported');
  }
  const title = optionalText(root, 'title', source);
  if (title === undefined || title.trim() === '') {
    throw source.error(root, 'the rule has no title');
  }
  const logsourcePair = entry(root, 'logsource');
  if (logsourcePair === undefined || !isMap(logsourcePair.value)) {
    throw source.error(logsourcePair ?? root, 'the rule has no logsource map', ruleLine);
  }
  const logsource = logsourcePair.value;
  const product = optionalText(logsource, 'product', source)?.toLowerCase();
  const service = optionalText(logsource, 'service', source)?.toLowerCase();
  if (product !== 'aws' || service !== 'cloudtrail') {
    return {
      kind: 'skipped',
      file: source.file,
      line: source.lineOf(logsourcePair),
      title,
      reason: `its logsource is ${[product ?? '(no product)', service ?? '(no service)'].join('/')}, not aws/cloudtrail`,
    };
  }
  const id = optionalText(root, 'id', source);
  if (id === undefined || !RULE_ID.test(id)) {
    throw source.error(
      entry(root, 'id') ?? root,
      id === undefined
        ? 'the rule has no id: sgwatch keys its alerts by it (add a UUID)'
        : `id ${JSON.stringify(id)} must be letters, digits, dots, dashes or underscores`,
      ruleLine,
    );
  }
  const detectionPair = entry(root, 'detection');
  if (detectionPair === undefined || !isMap(detectionPair.value)) {
    throw source.error(detectionPair ?? root, 'the rule has no detection map', ruleLine);
  }
  const detection = detectionPair.value;
  const selections = new Map<string, Selection>();
  let conditionPair: Pair | undefined;
  for (const item of detection.items) {
    const pair = item;
    const name = keyText(pair, source);
    if (name === 'condition') {
      conditionPair = pair;
    } else if (name === 'timeframe') {
      throw source.error(
        pair,
        'timeframe is not supported: sgwatch alerts on each event, without counting events over time',
      );
    } else {
      selections.set(name, selection(name, pair.value as Node | null, pair, source));
    }
  }
  if (conditionPair === undefined) {
    throw source.error(detectionPair, 'the detection has no condition');
  }
  const conditionNode = conditionPair.value as Node | null;
  let conditions: { text: string; node: Node | Pair }[];
  if (isScalar(conditionNode) && typeof conditionNode.value === 'string') {
    conditions = [{ text: conditionNode.value, node: conditionNode }];
  } else if (isSeq(conditionNode) && conditionNode.items.length > 0) {
    conditions = conditionNode.items.map((item) => {
      if (!isScalar(item) || typeof item.value !== 'string') {
        throw source.error(item as Node, 'a condition is text');
      }
      return { text: item.value, node: item };
    });
  } else {
    throw source.error(conditionPair, 'the condition must be text or a list of text');
  }
  const parsed = conditions.map(({ text, node }) => {
    try {
      return parseCondition(text, [...selections.keys()]);
    } catch (error) {
      if (error instanceof Error) throw source.error(node, `condition: ${error.message}`);
      throw error;
    }
  });
  const status = optionalText(root, 'status', source);
  const author = optionalText(root, 'author', source);
  return {
    kind: 'rule',
    rule: {
      file: source.file,
      line: ruleLine,
      id,
      title: title.trim(),
      description: optionalText(root, 'description', source)?.trim() ?? '',
      level: parseLevel(root, source),
      ...(status !== undefined ? { status } : {}),
      ...(author !== undefined ? { author } : {}),
      tags: textList(root, 'tags', source),
      references: textList(root, 'references', source),
      falsePositives: textList(root, 'falsepositives', source),
      selections,
      // A list of conditions is several searches over one rule: any of them fires it.
      condition:
        parsed.length === 1 && parsed[0] !== undefined ? parsed[0] : { kind: 'or', items: parsed },
    },
  };
}

function documentOf(doc: Document.Parsed, source: Source): RuleDocument {
  const [problem] = doc.errors;
  if (problem !== undefined) {
    const line = problem.linePos?.[0].line ?? 1;
    const message = problem.message.split('\n')[0] ?? problem.message;
    return {
      kind: 'error',
      error: new SigmaRuleError(
        source.file,
        line,
        `not valid YAML: ${message.replace(/ at line \d+, column \d+:?$/, '')}`,
      ),
    };
  }
  const root = doc.contents;
  if (!isMap(root)) {
    return { kind: 'error', error: source.error(root, 'a Sigma rule is a YAML map') };
  }
  try {
    return parseRule(root, source);
  } catch (error) {
    if (error instanceof SigmaRuleError) return { kind: 'error', error };
    throw error;
  }
}

/**
 * Every YAML document in `text`, each a rule, a rule for another log source (skipped, with
 * the reason) or an error naming `file` and the line at fault. Never throws on bad input.
 */
export function parseRuleFile(file: string, text: string): RuleDocument[] {
  const lines = new LineCounter();
  const source = new Source(file, lines, text);
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const documents = list.filter((doc) => doc.contents !== null || doc.errors.length > 0);
  if (documents.length === 0) {
    return [{ kind: 'error', error: new SigmaRuleError(file, 1, 'the file holds no rule') }];
  }
  return documents.map((doc) => documentOf(doc, source));
}
