/**
 * Reading request and response parameters the way EventBridge reads an event.
 *
 * Every field under `requestParameters` is attacker-influenced: it may be missing, null,
 * the wrong type, an array where an object was expected, or very large. These helpers
 * never throw on any JSON value, read own properties only (so a key such as `constructor`
 * never reaches `Object.prototype`), and walk paths exactly as an EventBridge pattern does:
 * arrays are looked through at every step. A detection that reads its record through them
 * sees the same objects its rule pattern sees, which is what lets the pattern be proved to
 * admit everything the detection accepts.
 */

export type JsonObject = Record<string, unknown>;
export type Scalar = string | number | boolean | null;

/**
 * How many nested arrays are looked through before giving up. CloudTrail never nests
 * arrays inside arrays in these calls; the bound only keeps hostile input from costing
 * stack depth. Stopping early makes a detection stricter than its pattern, never looser.
 */
const MAX_ARRAY_DEPTH = 8;

/** A JSON object in the EventBridge sense: not null and not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of an own property of `value`, or undefined when `value` is not an object. */
export function ownField(value: unknown, key: string): unknown {
  return isJsonObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Visits `value` and, if it is an array, its elements (and theirs), without recursion. */
function flatten(value: unknown, visit: (item: unknown) => void): void {
  const stack: { item: unknown; depth: number }[] = [{ item: value, depth: 0 }];
  while (stack.length > 0) {
    const { item, depth } = stack.pop() as { item: unknown; depth: number };
    if (!Array.isArray(item)) {
      visit(item);
      continue;
    }
    if (depth >= MAX_ARRAY_DEPTH) continue;
    // Pushed in reverse so elements are visited in document order.
    for (let i = item.length - 1; i >= 0; i -= 1) {
      stack.push({ item: item[i] as unknown, depth: depth + 1 });
    }
  }
}

/** The objects held by `value`: itself when it is one, or those inside (nested) arrays. */
export function objectsIn(value: unknown): JsonObject[] {
  const objects: JsonObject[] = [];
  flatten(value, (item) => {
    if (isJsonObject(item)) objects.push(item);
  });
  return objects;
}

/** The scalars held by `value`: itself when it is one, or those inside (nested) arrays. */
export function scalarsIn(value: unknown): Scalar[] {
  const scalars: Scalar[] = [];
  flatten(value, (item) => {
    if (isScalar(item)) scalars.push(item);
  });
  return scalars;
}

/** The objects reached by following `path` from `root`, looking through arrays at each step. */
export function objectsAt(root: unknown, path: readonly string[]): JsonObject[] {
  let current = objectsIn(root);
  for (const key of path) {
    current = current.flatMap((object) => objectsIn(ownField(object, key)));
  }
  return current;
}

/** The scalar leaves at `path` below `root`, as an EventBridge leaf pattern would test them. */
export function scalarsAt(root: unknown, path: readonly string[]): Scalar[] {
  const last = path[path.length - 1];
  if (last === undefined) return scalarsIn(root);
  return objectsAt(root, path.slice(0, -1)).flatMap((object) => scalarsIn(ownField(object, last)));
}

/** The strings at `path` below `root`. */
export function stringsAt(root: unknown, path: readonly string[]): string[] {
  return scalarsAt(root, path).filter((value): value is string => typeof value === 'string');
}

/**
 * The string at a key or a dot-separated path of keys (`A.B`) into request parameters, when
 * every step is a plain object and the value is a string. Used to name an alert's resource.
 */
export function requestString(params: unknown, path: string): string | undefined {
  let current = params;
  for (const key of path.split('.')) {
    current = ownField(current, key);
  }
  return typeof current === 'string' ? current : undefined;
}

/** An integer port number as CloudTrail writes EC2 ports (a JSON number), or undefined. */
export function portNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535
    ? value
    : undefined;
}
