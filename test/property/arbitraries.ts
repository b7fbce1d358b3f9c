/**
 * Generators of hostile EventBridge events for the property suites: arbitrary JSON, and
 * valid fixture events bent out of shape one field at a time (dropped, nulled, retyped,
 * oversized, nested deep, or given prototype-pollution keys).
 */
import fc from 'fast-check';
import { fixtureCases, loadEnvelope } from '../support/fixtures';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys that poison objects built with plain assignment or `Object.assign`. */
export const POLLUTION_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
];

/**
 * An object whose keys include prototype-pollution names as own properties. Built through
 * `JSON.parse`, as the Lambda runtime builds events, since an object literal with a
 * `__proto__` key would set the prototype instead.
 */
export const hostileObject: fc.Arbitrary<Record<string, unknown>> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(
        fc.constant({ polluted: true }),
        fc.constant('polluted'),
        fc.integer(),
        fc.constant(null),
      ),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map(
    (entries) =>
      JSON.parse(
        `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`,
      ) as Record<string, unknown>,
  );

/** Arbitrary JSON, with hostile keys mixed in at any level. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3, withNullPrototype: true, withBoxedValues: true }),
  hostileObject,
);

/** A value of the wrong kind for wherever it lands. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...POLLUTION_KEYS),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 40 }),
  // Half a surrogate pair, alone: a JSON escape can put one in any string.
  fc.constantFrom('\ud800', 'x\udfffy', 'arn:aws:iam::111122223333:user/\udbff'),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.constant(null).map(() => ({})),
  hostileObject,
);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 20))}`;
  if (typeof value === 'object') return `object with keys ${JSON.stringify(Object.keys(value))}`;
  return `${typeof value} ${JSON.stringify(value) ?? ''}`;
}

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

/** What replaces (or removes) the field a mutation picks. */
export type Mutation =
  | { readonly kind: 'drop' }
  | { readonly kind: 'set'; readonly value: unknown; readonly label: string };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'drop' }),
  wrongValue.map((value): Mutation => ({ kind: 'set', value, label: describe(value) })),
  fc
    .constantFrom('a', 'é', '\u0000', '<!channel>', '\ud83d\ude00', '\udc00', '%')
    .map((unit): Mutation => ({
      kind: 'set',
      value: unit.repeat(100_000 / unit.length),
      label: '100 KB string',
    })),
  // Built per use: a shared array would be mutated by later changes into a cyclic monster.
  fc.constant(null).map((): Mutation => ({
    kind: 'set',
    value: Array.from({ length: 10_000 }, (_, i) => i),
    label: '10k-entry array',
  })),
  fc
    .integer({ min: 90, max: 2_000 })
    .map((depth): Mutation => ({ kind: 'set', value: nested(depth), label: `nesting ${depth}` })),
  hostileObject.map((value): Mutation => ({ kind: 'set', value, label: 'pollution keys' })),
);

/** Every path to a value in `value`, plus paths the detector reads that may be absent. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const own = Object.keys(value).flatMap((key) =>
    pathsOf((value as Record<string, unknown>)[key], [...prefix, key]),
  );
  return prefix.length === 0 ? own : [prefix, ...own];
}

const READ_PATHS = [
  'detail.errorCode',
  'detail.errorMessage',
  'detail.recipientAccountId',
  'detail.userIdentity.invokedBy',
  'detail.userIdentity.sessionContext',
  'detail.userIdentity.sessionContext.sessionIssuer.arn',
  'detail.userIdentity.sessionContext.attributes.mfaAuthenticated',
  'detail.requestParameters.groupId',
  'detail.requestParameters.ipPermissions',
  'detail.responseElements.publiclyAccessible',
  'detail.sessionCredentialFromConsole',
].map((path) => path.split('.'));

/** The fixture events that must trigger at least one detection (every detection's positives). */
export const POSITIVE_FIXTURES = fixtureCases()
  .filter((c) => c.detections.length > 0)
  .map((c) => c.file);

export const NEGATIVE_FIXTURES = fixtureCases()
  .filter((c) => c.detections.length === 0)
  .map((c) => c.file);

function setPath(root: Record<string, unknown>, path: readonly string[], change: Mutation): void {
  let target: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (typeof target !== 'object' || target === null) return;
    const holder = target as Record<string, unknown>;
    // Create missing parents so absent-but-read fields can be set too.
    if (!Object.hasOwn(holder, key)) holder[key] = {};
    target = holder[key];
  }
  if (typeof target !== 'object' || target === null) return;
  const last = path[path.length - 1] ?? '';
  if (change.kind === 'drop') {
    delete (target as Record<string, unknown>)[last];
  } else {
    Object.defineProperty(target, last, {
      value: change.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

export interface MutatedEvent {
  readonly fixture: string;
  readonly event: Record<string, unknown>;
  readonly changes: readonly string[];
}

/**
 * A fixture event (positive or negative) with a fresh eventID and 1–3 fields changed.
 * `Object.defineProperty` puts `__proto__` in as an own key, as JSON.parse would.
 */
export function mutatedEvent(fixtures: readonly string[]): fc.Arbitrary<MutatedEvent> {
  return fc
    .constantFrom(...fixtures)
    .chain((fixture) => {
      const paths = [...pathsOf(loadEnvelope(fixture)), ...READ_PATHS];
      return fc.tuple(
        fc.constant(fixture),
        fc.array(fc.tuple(fc.constantFrom(...paths), mutation), { minLength: 1, maxLength: 3 }),
        fc.uuid(),
      );
    })
    .map(([fixture, changes, uuid]) => {
      const event = loadEnvelope(fixture) as unknown as Record<string, unknown>;
      const detail = event.detail as Record<string, unknown>;
      detail.eventID = uuid;
      for (const [path, change] of changes) setPath(event, path, change);
      const described = changes.map(
        ([path, change]) =>
          `${path.join('.')}: ${change.kind === 'drop' ? 'dropped' : change.label}`,
      );
      return {
        fixture,
        event,
        changes: described,
        // A counterexample can hold 100 KB strings; report it by what was changed instead.
        [fc.toStringMethod]: () => `${fixture} with ${described.join('; ')}`,
      };
    });
}

/**
 * Run settings: a modest number of runs so the suite stays within its time budget. fast-check
 * prints the seed and path of a failure; FC_SEED (and FC_PATH) replay it.
 */
export function runs(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED;
  const path = process.env.FC_PATH;
  return {
    numRuns,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
  };
}
