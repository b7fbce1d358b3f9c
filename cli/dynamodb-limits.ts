import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { MAX_ITEM_BYTES, itemSize, toItem } from '../lambda/adapters/dynamodb-item';
import type { Alert } from '../lambda/core/alert';
import { emptyIndexKey as emptyAlertIndexKey } from '../lambda/core/alert-table';

/**
 * Two writes DynamoDB refuses and the local stand-ins would otherwise store, refused as
 * DynamoDB refuses them, so the embedded store, the memory store and every test that runs on
 * them meet these limits before AWS does:
 *
 * - an empty string or binary in a secondary index key: DynamoDB refuses the whole item with
 *   a ValidationException naming the index and the attribute;
 * - an item over 400 KB counted in UTF-8 bytes: dynalite counts UTF-16 units, so multi-byte
 *   text gets up to three times the room it has in AWS.
 *
 * dynalite offers no hook for validation, but its actions call its `db` module through that
 * module's exports, so wrapping two of them there covers PutItem and BatchWriteItem
 * (`validateItem`, before any condition is checked, as DynamoDB validates first) and
 * UpdateItem (`updateIndexes`, which receives the updated item before it is stored), over
 * HTTP and in process alike.
 */

type WireItem = Record<string, Record<string, unknown>>;
type Callback = (error?: Error | null) => void;

interface DynaliteTable {
  readonly AttributeDefinitions?: readonly { AttributeName: string; AttributeType: string }[];
  readonly GlobalSecondaryIndexes?: readonly DynaliteIndex[];
  readonly LocalSecondaryIndexes?: readonly DynaliteIndex[];
}

interface DynaliteIndex {
  readonly IndexName: string;
  readonly KeySchema: readonly { AttributeName: string }[];
}

/** The part of dynalite's `db` module this wraps. */
export interface DynaliteDb {
  validateItem(item: WireItem, table: DynaliteTable): Error | null | undefined;
  updateIndexes(
    store: unknown,
    table: DynaliteTable,
    existing: WireItem | null | undefined,
    item: WireItem | null | undefined,
    callback: Callback,
  ): void;
  validationError(message: string): Error;
}

const INSTALLED = Symbol.for('sgwatch.strict-dynalite');

/** DynamoDB's refusal of a write, as the memory store reports it (the SDK's name for it). */
export class DynamoDbValidationError extends Error {
  override readonly name = 'ValidationException';
}

/** DynamoDB's message for an empty string or binary in a secondary index key. */
export function emptyIndexKeyMessage(
  indexName: string,
  attribute: string,
  type: 'S' | 'B',
): string {
  return (
    'One or more parameter values are not valid. A value specified for a secondary index key ' +
    'is not supported. The AttributeValue for a key attribute cannot contain an empty ' +
    `${type === 'S' ? 'string' : 'binary'} value. IndexName: ${indexName}, IndexKey: ${attribute}`
  );
}

function emptyIndexKey(item: WireItem, table: DynaliteTable): string | undefined {
  for (const index of [
    ...(table.GlobalSecondaryIndexes ?? []),
    ...(table.LocalSecondaryIndexes ?? []),
  ]) {
    for (const { AttributeName: attribute } of index.KeySchema) {
      const value = item[attribute];
      if (value?.S === '') return emptyIndexKeyMessage(index.IndexName, attribute, 'S');
      if (value?.B === '') return emptyIndexKeyMessage(index.IndexName, attribute, 'B');
    }
  }
  return undefined;
}

/** A wire attribute with its base64 binaries decoded, as the size measure expects them. */
function decoded(attribute: Record<string, unknown>): AttributeValue {
  if (typeof attribute.B === 'string') return { B: Buffer.from(attribute.B, 'base64') };
  if (Array.isArray(attribute.BS)) {
    return { BS: (attribute.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  }
  if (Array.isArray(attribute.L)) {
    return { L: (attribute.L as Record<string, unknown>[]).map(decoded) };
  }
  if (typeof attribute.M === 'object' && attribute.M !== null)
    return { M: decodedItem(attribute.M as WireItem) };
  return attribute as unknown as AttributeValue;
}

function decodedItem(item: WireItem): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, decoded(value)]));
}

/** Whether `item` is over DynamoDB's limit, counted as DynamoDB counts it. */
function tooLarge(item: WireItem): boolean {
  return itemSize(decodedItem(item)) > MAX_ITEM_BYTES;
}

/**
 * Makes every dynalite server in this process refuse what DynamoDB refuses (see above).
 * Idempotent; `db` is dynalite's `db` module.
 */
export function enforceDynamoDbLimits(db: DynaliteDb): void {
  const marked = db as DynaliteDb & { [INSTALLED]?: true };
  if (marked[INSTALLED] === true) return;
  marked[INSTALLED] = true;
  const validateItem = db.validateItem.bind(db);
  const updateIndexes = db.updateIndexes.bind(db);
  db.validateItem = (item, table) => {
    const invalid = validateItem(item, table);
    if (invalid !== null && invalid !== undefined) return invalid;
    const empty = emptyIndexKey(item, table);
    if (empty !== undefined) return db.validationError(empty);
    if (tooLarge(item))
      return db.validationError('Item size has exceeded the maximum allowed size');
    return null;
  };
  db.updateIndexes = (store, table, existing, item, callback) => {
    if (item !== null && item !== undefined) {
      const empty = emptyIndexKey(item, table);
      if (empty !== undefined) return callback(db.validationError(empty));
      if (tooLarge(item)) {
        return callback(
          db.validationError('Item size to update has exceeded the maximum allowed size'),
        );
      }
    }
    updateIndexes(store, table, existing, item, callback);
  };
}

/**
 * What DynamoDB answers to the item the table store writes for a new `alert` (see
 * `newAlertItem`), for the memory store, which keeps no items: an empty index key, or more
 * than 400 KB without the CloudTrail record, the one part the table store cuts to fit.
 * @returns the refusal, or undefined when DynamoDB would take the item
 */
export function newAlertItemRefusal(
  alert: Alert,
  bookkeeping: Record<string, string>,
): DynamoDbValidationError | undefined {
  const empty = emptyAlertIndexKey(alert);
  if (empty !== undefined) {
    return new DynamoDbValidationError(emptyIndexKeyMessage(empty.indexName, empty.attribute, 'S'));
  }
  const rest = toItem({
    ...alert,
    ...bookkeeping,
    cloudTrailEvent: '',
    cloudTrailEventBytes: Buffer.byteLength(alert.cloudTrailEvent, 'utf8'),
  });
  return itemSize(rest) > MAX_ITEM_BYTES
    ? new DynamoDbValidationError('Item size has exceeded the maximum allowed size')
    : undefined;
}
