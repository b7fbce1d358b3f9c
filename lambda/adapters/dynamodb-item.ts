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
