/**
 * Random Sigma rules, from a grammar of every feature sgwatch supports, over random
 * CloudTrail-shaped records whose fields take values close to the rules' (case variants,
 * numbers, booleans, null, arrays, objects, missing):
 * (a) every record the rule matches is admitted by one of its EventBridge patterns, in the
 *     project's EventBridge matcher; and
 * (b) the detector's verdict equals that of the small reference evaluator below, written
 *     from the Sigma specification without the code under test.
 */
import fc from 'fast-check';
import { loadSigmaRules } from '../../lambda/core/sigma';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { matchesPattern } from '../support/event-pattern';
import { envelope } from '../unit/sigma/helpers';
import { runs } from './arbitraries';

// ---------------------------------------------------------------- the grammar of rules

type Modifier = 'contains' | 'startswith' | 'endswith' | 're' | 'cidr' | 'exists' | 'fieldref';

interface FieldSpec {
  readonly field: string;
  readonly modifier?: Modifier;
  readonly regexFlags: string;
  readonly all: boolean;
  readonly values: readonly (string | number | boolean | null)[];
}

type Selection = readonly (readonly FieldSpec[])[];

type Cond =
  | { kind: 'ref'; index: number }
  | { kind: 'and' | 'or'; left: Cond; right: Cond }
  | { kind: 'not'; item: Cond }
  | { kind: 'of'; all: boolean; them: boolean };

const FIELDS = [
  'eventName',
  'eventSource',
  'userAgent',
  'sourceIPAddress',
  'errorCode',
  'readOnly',
  'requestParameters.name',
  'requestParameters.items.value',
  'requestParameters.items.port',
];

const CHARS = ['a', 'A', 'b', 'B', '.', '1', '0', '-'];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((chars) => chars.join(''));
/** Text with Sigma wildcards and escapes mixed in. */
const globText = fc
  .array(fc.constantFrom(...CHARS, '*', '?', '\\*', '\\?', '\\\\', '\\'), { maxLength: 5 })
  .map((chars) => chars.join(''));
const plainValue = fc.oneof(
  globText,
  fc.constantFrom('true', 'FALSE', '1', '10', '-1', '1.5', 'null'),
  fc.integer({ min: -2, max: 12 }),
  fc.boolean(),
  fc.constant(null),
);

const fieldSpec: fc.Arbitrary<FieldSpec> = fc
  .tuple(
    fc.constantFrom(...FIELDS),
    fc.constantFrom<Modifier | undefined>(
      undefined,
      undefined,
      'contains',
      'startswith',
      'endswith',
      're',
      'cidr',
      'exists',
      'fieldref',
    ),
    fc.boolean(),
    fc.constantFrom('', 'i', 'm', 's', 'i|m'),
  )
  .chain(([field, modifier, all, regexFlags]) => {
    let values: fc.Arbitrary<(string | number | boolean | null)[]>;
    switch (modifier) {
      case 'exists':
        values = fc.boolean().map((value) => [value]);
        break;
      case 're':
        values = fc.array(
          fc
            .tuple(
              fc.constantFrom('', '^'),
              text,
              fc.constantFrom('', '.', '.*', '|b'),
              fc.constantFrom('', '$'),
            )
            .map((parts) => parts.join('')),
          { minLength: 1, maxLength: 2 },
        );
        break;
      case 'cidr':
        values = fc.array(
          fc.constantFrom(
            '10.0.0.0/8',
            '10.1.0.0/16',
            '192.0.2.0/24',
            '0.0.0.0/0',
            '10.0.0.1/32',
            '2001:db8::/32',
          ),
          { minLength: 1, maxLength: 2 },
        );
        break;
      case 'fieldref':
        values = fc.constantFrom(...FIELDS).map((other) => [other]);
        break;
      case undefined:
        values = fc.array(plainValue, { minLength: 1, maxLength: 3 });
        break;
      default:
        values = fc.array(fc.oneof(globText, fc.integer({ min: 0, max: 12 }), fc.boolean()), {
          minLength: 1,
          maxLength: 3,
        });
    }
    return values.map((list) => ({
      field,
      ...(modifier !== undefined ? { modifier } : {}),
      regexFlags: modifier === 're' ? regexFlags : '',
      // `all` takes a list, and null takes no modifier.
      all:
        all &&
        list.length > 1 &&
        modifier !== 'exists' &&
        !(modifier === undefined && list.includes(null)),
      values: list,
    }));
  })
  .filter((spec) => spec.modifier === undefined || !spec.values.includes(null));

const selection: fc.Arbitrary<Selection> = fc.array(
  fc.uniqueArray(fieldSpec, { minLength: 1, maxLength: 3, selector: (spec) => spec.field }),
  { minLength: 1, maxLength: 2 },
);

function condition(selections: number): fc.Arbitrary<Cond> {
  const { tree } = fc.letrec<{ tree: Cond }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: 0, max: selections - 1 }).map((index): Cond => ({ kind: 'ref', index })),
      fc
        .tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), tie('tree'), tie('tree'))
        .map(([kind, left, right]): Cond => ({ kind, left, right })),
      tie('tree').map((item): Cond => ({ kind: 'not', item })),
      fc.tuple(fc.boolean(), fc.boolean()).map(([all, them]): Cond => ({ kind: 'of', all, them })),
    ),
  }));
  return tree;
}

interface RuleSpec {
  readonly selections: readonly Selection[];
  readonly condition: Cond;
}

const ruleSpec: fc.Arbitrary<RuleSpec> = fc
  .array(selection, { minLength: 1, maxLength: 3 })
  .chain((selections) =>
    condition(selections.length).map((cond) => ({ selections, condition: cond })),
  );

function conditionText(cond: Cond): string {
  switch (cond.kind) {
    case 'ref':
      return `sel${cond.index}`;
    case 'and':
    case 'or':
      return `(${conditionText(cond.left)} ${cond.kind} ${conditionText(cond.right)})`;
    case 'not':
      return `not ${conditionText(cond.item)}`;
    case 'of':
      return `${cond.all ? 'all' : '1'} of ${cond.them ? 'them' : 'sel*'}`;
  }
}

function fieldKey(spec: FieldSpec): string {
  const modifiers = [
    ...(spec.modifier !== undefined ? [spec.modifier] : []),
    ...(spec.regexFlags !== '' ? spec.regexFlags.split('|') : []),
    ...(spec.all ? ['all'] : []),
  ];
  return [spec.field, ...modifiers].join('|');
}

/** The rule as YAML text (JSON is YAML). */
function ruleYaml(spec: RuleSpec): string {
  const detection: Record<string, unknown> = {};
  spec.selections.forEach((alternatives, index) => {
    const maps = alternatives.map((fields) =>
      Object.fromEntries(
        fields.map((f) => [fieldKey(f), f.values.length === 1 ? f.values[0] : f.values]),
      ),
    );
    detection[`sel${index}`] = maps.length === 1 ? maps[0] : maps;
  });
  detection.condition = conditionText(spec.condition);
  return JSON.stringify({
    title: 'generated',
    id: 'generated-rule',
    logsource: { product: 'aws', service: 'cloudtrail' },
    detection,
    level: 'low',
  });
}

// ---------------------------------------------------------------- the reference evaluator

function lookup(value: unknown, path: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => lookup(item, path));
  if (path.length === 0) return [value];
  if (typeof value !== 'object' || value === null) return [];
  const [head = '', ...rest] = path;
  if (!Object.prototype.hasOwnProperty.call(value, head)) return [];
  return lookup((value as Record<string, unknown>)[head], rest);
}

function foldAscii(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    out += code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : char;
  }
  return out;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value}`;
  return undefined;
}

/** A Sigma value with wildcards as an anchored RegExp over ASCII-folded text. */
function wildcardRegExp(value: string, prefixAny: boolean, suffixAny: boolean): RegExp {
  let source = prefixAny ? '[\\s\\S]*' : '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? '';
    const next = value[i + 1] ?? '';
    if (char === '\\' && ['*', '?', '\\'].includes(next)) {
      source += `\\${next}`;
      i++;
    } else if (char === '*') source += '[\\s\\S]*';
    else if (char === '?') source += '[\\s\\S]';
    else source += foldAscii(char).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}${suffixAny ? '[\\s\\S]*' : ''}$`, 'u');
}

function ipv4Number(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const octets = m.slice(1).map((o) => (o.length > 1 && o.startsWith('0') ? NaN : Number(o)));
  if (octets.some((o) => !(o >= 0 && o <= 255))) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function ipv6Number(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(fill, 0)).fill('0'), ...right];
  if (groups.length !== 8 || (tail !== undefined && fill < 1)) return undefined;
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => acc * 65536n + BigInt(parseInt(g, 16)), 0n);
}

function inRange(cidr: string, text: string): boolean {
  const [address = '', bits = '0'] = cidr.split('/');
  if (address.includes(':')) {
    const base = ipv6Number(address);
    const ip = ipv6Number(text);
    if (base === undefined || ip === undefined) return false;
    const size = 2n ** BigInt(128 - Number(bits));
    return ip / size === base / size;
  }
  const base = ipv4Number(address);
  const ip = ipv4Number(text);
  if (base === undefined || ip === undefined) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ip / size) === Math.floor(base / size);
}

function valueMatches(
  spec: FieldSpec,
  value: string | number | boolean | null,
  found: unknown[],
  record: unknown,
): boolean {
  const texts = found.map(asText).filter((t): t is string => t !== undefined);
  switch (spec.modifier) {
    case 'exists':
      return found.length > 0 === value;
    case 're': {
      const flags = spec.regexFlags.replace(/\|/g, '');
      const regex = new RegExp(String(value), flags);
      return texts.some((t) => regex.test(t));
    }
    case 'cidr':
      return texts.some((t) => inRange(String(value), t));
    case 'fieldref': {
      const others = lookup(record, String(value).split('.'))
        .map(asText)
        .filter((t): t is string => t !== undefined)
        .map(foldAscii);
      return texts.some((t) => others.includes(foldAscii(t)));
    }
    default: {
      if (value === null) return found.length === 0 || found.includes(null);
      // Numbers and booleans hold no wildcard characters: their text is taken as written.
      const regex = wildcardRegExp(
        `${value}`,
        spec.modifier === 'contains' || spec.modifier === 'endswith',
        spec.modifier === 'contains' || spec.modifier === 'startswith',
      );
      return texts.some((t) => regex.test(foldAscii(t)));
    }
  }
}

function referenceMatches(spec: RuleSpec, record: unknown): boolean {
  const selectionMatches = (index: number): boolean =>
    (spec.selections[index] ?? []).some((fields) =>
      fields.every((field) => {
        const found = lookup(record, field.field.split('.'));
        const results = field.values.map((value) => valueMatches(field, value, found, record));
        return field.all ? results.every(Boolean) : results.some(Boolean);
      }),
    );
  const evaluate = (cond: Cond): boolean => {
    switch (cond.kind) {
      case 'ref':
        return selectionMatches(cond.index);
      case 'and':
        return evaluate(cond.left) && evaluate(cond.right);
      case 'or':
        return evaluate(cond.left) || evaluate(cond.right);
      case 'not':
        return !evaluate(cond.item);
      case 'of': {
        const indexes = spec.selections.map((_, i) => i);
        return cond.all ? indexes.every(selectionMatches) : indexes.some(selectionMatches);
      }
    }
  };
  return evaluate(spec.condition);
}

// ---------------------------------------------------------------- records

const leaf = fc.oneof(
  text,
  fc.constantFrom('10.1.2.3', '10.0.0.1', '192.0.2.7', '2001:db8::1', 'true', 'False'),
  fc.integer({ min: -2, max: 12 }),
  fc.constantFrom(1.5, 10),
  fc.boolean(),
  fc.constant(null),
);
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant({ nested: 'a' }) },
);
const items = fc.array(fc.record({ value: fieldValue, port: fieldValue }, { requiredKeys: [] }), {
  maxLength: 3,
});

const cloudTrailRecord = fc
  .record(
    {
      eventName: fieldValue,
      eventSource: fieldValue,
      userAgent: fieldValue,
      sourceIPAddress: fieldValue,
      errorCode: fieldValue,
      readOnly: fieldValue,
      requestParameters: fc.oneof(
        fc.record({ name: fieldValue, items: fc.oneof(items, fieldValue) }, { requiredKeys: [] }),
        fc.constant(null),
      ),
    },
    { requiredKeys: [] },
  )
  .map((fields) => ({ eventVersion: '1.08', eventID: 'e-1', awsRegion: 'us-east-1', ...fields }));

describe('Sigma rules (property)', () => {
  it('every generated rule loads; its patterns admit its matches; its verdicts are the reference’s', () => {
    let matched = 0;
    fc.assert(
      fc.property(
        ruleSpec,
        fc.array(cloudTrailRecord, { minLength: 1, maxLength: 8 }),
        (spec, records) => {
          const text = ruleYaml(spec);
          const load = loadSigmaRules([{ file: 'generated.yml', text }]);
          expect(load.errors.map((error) => error.message)).toEqual([]);
          const [compiled] = load.compiled;
          if (compiled === undefined) throw new Error('no rule');
          for (const pattern of compiled.patterns.patterns) {
            expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(2048);
          }
          for (const record of records) {
            const actual = compiled.detection.condition?.matches(
              record as unknown as CloudTrailRecord,
            );
            expect(actual).toBe(referenceMatches(spec, record));
            if (actual === true) {
              matched += 1;
              const admitted = compiled.patterns.patterns.some((pattern) =>
                matchesPattern(pattern, envelope(record)),
              );
              if (!admitted) {
                throw new Error(
                  `dropped a match: ${JSON.stringify(compiled.patterns.patterns)} on ${JSON.stringify(record)}`,
                );
              }
            }
          }
        },
      ),
      runs(400),
    );
    // The generators are tuned so that matches are common, or (a) would prove nothing.
    expect(matched).toBeGreaterThan(100);
  });
});
