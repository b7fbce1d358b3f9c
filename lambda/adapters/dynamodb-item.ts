import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Plain JSON <-> DynamoDB attribute values. Alerts are plain JSON (strings, numbers,
 * booleans, arrays, objects), so this covers them without pulling in a marshalling library.
 */
export function toAttribute(value: unknown): AttributeValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store non-finite number ${value}`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) {
    return { L: value.map((item) => toAttribute(item) ?? { NULL: true }) };
  }
  if (typeof value === 'object') {
    return { M: toItem(value as Record<string, unknown>) };
  }
  throw new TypeError(`cannot store a value of type ${typeof value}`);
}

export function toItem(obj: Record<string, unknown>): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(obj)) {
    const attribute = toAttribute(value);
    if (attribute !== undefined) item[key] = attribute;
  }
  return item;
}

export function fromAttribute(attribute: AttributeValue): unknown {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return Number(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL !== undefined) return null;
  if (attribute.L !== undefined) return attribute.L.map(fromAttribute);
  if (attribute.M !== undefined) return fromItem(attribute.M);
  if (attribute.SS !== undefined) return attribute.SS;
  if (attribute.NS !== undefined) return attribute.NS.map(Number);
  throw new TypeError(`unsupported attribute type ${Object.keys(attribute).join(',')}`);
}

export function fromItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const [key, attribute] of Object.entries(item)) {
    obj[key] = fromAttribute(attribute);
  }
  return obj;
}

/** DynamoDB's limit on one item, attribute names and values together, in bytes. */
export const MAX_ITEM_BYTES = 400 * 1024;

function numberSize(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/[.eE+-]/g, '')
    .replace(/^0+/, '');
  return Math.min(21, Math.ceil(Math.max(digits.length, 1) / 2) + 1);
}

/**
 * An attribute value's size as DynamoDB counts it: strings and binary in UTF-8 bytes (not
 * the UTF-16 units JavaScript and dynalite count), numbers by their significant digits,
 * 1 byte for a boolean or null, and 3 bytes for a list or map plus 1 per element, rounding
 * up where the documentation leaves room so the estimate never falls short.
 */
export function attributeSize(attribute: AttributeValue): number {
  if (attribute.S !== undefined) return Buffer.byteLength(attribute.S, 'utf8');
  if (attribute.N !== undefined) return numberSize(attribute.N);
  if (attribute.B !== undefined) return attribute.B.byteLength;
  if (attribute.BOOL !== undefined || attribute.NULL !== undefined) return 1;
  if (attribute.L !== undefined) {
    return attribute.L.reduce((sum, item) => sum + 1 + attributeSize(item), 3);
  }
  if (attribute.M !== undefined) return 3 + itemSize(attribute.M) + Object.keys(attribute.M).length;
  if (attribute.SS !== undefined) {
    return attribute.SS.reduce((sum, item) => sum + Buffer.byteLength(item, 'utf8'), 0);
  }
  if (attribute.NS !== undefined) return attribute.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (attribute.BS !== undefined) return attribute.BS.reduce((sum, b) => sum + b.byteLength, 0);
  return 0;
}

/** An item's size as DynamoDB counts it against `MAX_ITEM_BYTES`: names plus values. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, attribute] of Object.entries(item)) {
    size += Buffer.byteLength(name, 'utf8') + attributeSize(attribute);
  }
  return size;
}
