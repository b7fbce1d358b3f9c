/**
 * CloudTrail record and EventBridge envelope types, and the validation that turns
 * untrusted input into them. Everything here is attacker-influenced data: fields are
 * checked at this boundary and read with defaults afterwards.
 */
import * as v from 'valibot';
import type { Issue } from './validation';
import { entryPathItem, isPlainObject, issueKeys, parseOrThrow } from './validation';

export interface SessionIssuer {
  readonly type?: string;
  readonly principalId?: string;
  readonly arn?: string;
  readonly accountId?: string;
  readonly userName?: string;
}

export interface UserIdentity {
  readonly type?: string;
  readonly principalId?: string;
  readonly arn?: string;
  readonly accountId?: string;
  readonly accessKeyId?: string;
  readonly userName?: string;
  readonly invokedBy?: string;
  readonly sessionContext?: {
    readonly sessionIssuer?: SessionIssuer;
    readonly webIdFederationData?: Record<string, unknown>;
    readonly attributes?: {
      readonly creationDate?: string;
      readonly mfaAuthenticated?: string;
    };
    readonly sourceIdentity?: string;
  };
}

/** A CloudTrail management event record as CloudTrail writes it (the EventBridge `detail`). */
export interface CloudTrailRecord {
  readonly eventVersion?: string;
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly userIdentity: UserIdentity;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestParameters?: Record<string, unknown> | null;
  readonly responseElements?: Record<string, unknown> | null;
  readonly requestID?: string;
  readonly eventType?: string;
  readonly recipientAccountId?: string;
  readonly readOnly?: boolean;
  readonly [extra: string]: unknown;
}

/** The EventBridge envelope for "AWS API Call via CloudTrail". */
export interface CloudTrailEnvelope {
  readonly version?: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time?: string;
  readonly region: string;
  readonly detail: CloudTrailRecord;
}

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/**
 * How EventBridge labels console sign-ins (ConsoleLogin and the other signin.amazonaws.com
 * events), which CloudTrail logs as records of the same shape. Only detections that can
 * match them (Sigma rules) route them to the detector.
 */
export const CLOUDTRAIL_SIGN_IN_DETAIL_TYPE = 'AWS Console Sign In via CloudTrail';
const DETAIL_TYPES = [CLOUDTRAIL_DETAIL_TYPE, CLOUDTRAIL_SIGN_IN_DETAIL_TYPE] as const;

/** Thrown when an event or record lacks a field the detector needs; names the field. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(
    readonly field: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid event: ${field} ${reason}`, options);
  }
}

/**
 * EventBridge delivers events of at most 256 KB (plus the few hundred bytes of envelope it
 * adds); anything larger did not come from it, and would not fit the alert table's 400 KB
 * items once copied into an alert.
 */
export const MAX_EVENT_BYTES = 260 * 1024;
/**
 * Real CloudTrail records nest a dozen levels or so. The bound keeps `JSON.stringify` (which
 * recurses, and overflows the stack a few thousand levels down) away from hostile input.
 */
export const MAX_EVENT_DEPTH = 100;
/** CloudTrail event ids are UUIDs; the id is repeated in the alert and its links. */
export const MAX_EVENT_ID_LENGTH = 256;
/** Region names and account ids are short; both are copied verbatim into every alert. */
export const MAX_SHORT_ID_LENGTH = 64;
/**
 * Identity fields (ARNs, principal ids, user names) are copied into the alert's caller
 * summary, and the caller's ARN keys the by-principal index, which DynamoDB caps at 2048
 * bytes. IAM's own limits keep real values far below this bound.
 */
export const MAX_IDENTITY_FIELD_BYTES = 1024;

/**
 * Whether any object or array in `input` lies deeper than `MAX_EVENT_DEPTH` (its own keys are
 * at depth 1). Iterative, so the check cannot overflow the stack it protects, and it builds
 * no field names: it runs on every record a replay parses.
 */
function nestsTooDeep(input: object): boolean {
  const objects: object[] = [input];
  const depths: number[] = [0];
  for (let depth = depths.pop(); depth !== undefined; depth = depths.pop()) {
    const value = objects.pop();
    if (depth > MAX_EVENT_DEPTH) return true;
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value ?? {});
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        objects.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

type FieldPath = [v.ObjectPathItem, ...v.ObjectPathItem[]];

/** Where an object or array in `input` first lies deeper than `MAX_EVENT_DEPTH`, if one does. */
function tooDeep(input: Record<string, unknown>): FieldPath | undefined {
  if (!nestsTooDeep(input)) return undefined;
  // The path names the field to three levels (e.g. `detail.requestParameters.tags`).
  const pending: [value: unknown, depth: number, path: FieldPath][] = Object.keys(input).map(
    (key) => [input[key], 1, [entryPathItem(input, key)]],
  );
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth, path] = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_EVENT_DEPTH) return path;
    const parent = value as Record<string, unknown>;
    for (const key of Object.keys(parent)) {
      pending.push([
        parent[key],
        depth + 1,
        depth < 3 ? [...path, entryPathItem(parent, key)] : path,
      ]);
    }
  }
  return undefined;
}

/**
 * An object at the root of what is validated, refused when it nests deeper than
 * `MAX_EVENT_DEPTH`: the bound keeps `JSON.stringify` (which recurses) away from hostile input.
 */
function boundedObject<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  return v.pipe(
    v.unknown(),
    v.check(isPlainObject, 'must be an object'),
    v.rawCheck(({ dataset, addIssue }) => {
      const path =
        dataset.typed && isPlainObject(dataset.value) ? tooDeep(dataset.value) : undefined;
      if (path !== undefined) {
        addIssue({ message: `nests deeper than ${MAX_EVENT_DEPTH} levels`, path });
      }
    }),
    v.object(entries, MISSING),
  );
}

const MISSING = 'is missing';

/** A field CloudTrail always writes: a string, not empty. Null counts as missing. */
function requiredText() {
  return v.pipe(
    v.string((issue) =>
      issue.input === undefined || issue.input === null
        ? MISSING
        : `must be a string, got ${typeof issue.input}`,
    ),
    v.nonEmpty('is empty'),
  );
}

function optionalText() {
  return v.nullish(v.string((issue) => `must be a string, got ${typeof issue.input}`));
}

function longerThan(max: number, unit: 'characters' | 'bytes'): string {
  return `is longer than ${max} ${unit}`;
}

/**
 * An identity field, copied into the alert's caller summary; some are short ids and also
 * bounded in characters.
 */
function identityText(maxCharacters?: number) {
  const text = v.pipe(
    v.string((issue) => `must be a string, got ${typeof issue.input}`),
    // valibot's maxBytes encodes the text to count it; Buffer counts without copying.
    v.check(
      (value) => Buffer.byteLength(value, 'utf8') <= MAX_IDENTITY_FIELD_BYTES,
      longerThan(MAX_IDENTITY_FIELD_BYTES, 'bytes'),
    ),
  );
  return v.nullish(
    maxCharacters === undefined
      ? text
      : v.pipe(text, v.maxLength(maxCharacters, longerThan(maxCharacters, 'characters'))),
  );
}

/** An object CloudTrail may leave out or write as null; its fields are checked when present. */
function optionalObject<const TEntries extends v.ObjectEntries>(entries: TEntries) {
  if (Object.keys(entries).length === 0) {
    return v.nullish(v.custom<Record<string, unknown>>(isPlainObject, 'must be an object or null'));
  }
  return v.nullish(
    v.pipe(v.unknown(), v.check(isPlainObject, 'must be an object or null'), v.object(entries)),
  );
}

/**
 * The identity fields enrichment reads as text must be text (or absent): CloudTrail never
 * writes anything else there, and a number where an ARN belongs would otherwise fail deep
 * in enrichment with a TypeError instead of here with the field's name.
 */
const USER_IDENTITY = v.pipe(
  v.unknown(),
  v.check(isPlainObject, (issue) => (issue.input === undefined ? MISSING : 'must be an object')),
  v.object({
    type: identityText(),
    principalId: identityText(),
    arn: identityText(),
    accountId: identityText(MAX_SHORT_ID_LENGTH),
    accessKeyId: identityText(),
    userName: identityText(),
    invokedBy: identityText(),
    sessionContext: optionalObject({
      sourceIdentity: optionalText(),
      sessionIssuer: optionalObject({
        type: identityText(),
        principalId: identityText(),
        arn: identityText(),
        accountId: identityText(),
        userName: identityText(),
      }),
      attributes: optionalObject({
        creationDate: optionalText(),
        mfaAuthenticated: optionalText(),
      }),
    }),
  }),
);

/** The fields of a CloudTrail record that detection and the alert key depend on. */
const RECORD_ENTRIES = {
  eventID: v.pipe(
    requiredText(),
    v.maxLength(MAX_EVENT_ID_LENGTH, longerThan(MAX_EVENT_ID_LENGTH, 'characters')),
  ),
  eventTime: v.pipe(
    requiredText(),
    v.check((time) => !Number.isNaN(Date.parse(time)), 'is not a timestamp'),
  ),
  eventSource: requiredText(),
  eventName: requiredText(),
  awsRegion: v.pipe(
    requiredText(),
    v.maxLength(MAX_SHORT_ID_LENGTH, longerThan(MAX_SHORT_ID_LENGTH, 'characters')),
  ),
  userIdentity: USER_IDENTITY,
  sourceIPAddress: optionalText(),
  userAgent: optionalText(),
  errorCode: optionalText(),
  errorMessage: optionalText(),
  recipientAccountId: v.nullish(
    v.pipe(
      v.string((issue) => `must be a string, got ${typeof issue.input}`),
      v.maxLength(MAX_SHORT_ID_LENGTH, longerThan(MAX_SHORT_ID_LENGTH, 'characters')),
    ),
  ),
  requestParameters: optionalObject({}),
  responseElements: optionalObject({}),
};

/** A bare CloudTrail record, as replay reads them from archives. */
const RECORD = boundedObject(RECORD_ENTRIES);

/** The EventBridge envelope for "AWS API Call via CloudTrail", with its record as `detail`. */
const ENVELOPE = v.pipe(
  boundedObject({
    'detail-type': v.pipe(
      requiredText(),
      v.picklist(
        DETAIL_TYPES,
        `must be "${CLOUDTRAIL_DETAIL_TYPE}" or "${CLOUDTRAIL_SIGN_IN_DETAIL_TYPE}"`,
      ),
    ),
    id: requiredText(),
    source: requiredText(),
    account: requiredText(),
    region: requiredText(),
    detail: v.pipe(
      v.unknown(),
      v.check(isPlainObject, (issue) =>
        issue.input === undefined ? MISSING : 'must be an object',
      ),
      v.object(RECORD_ENTRIES, MISSING),
    ),
  }),
  // Measured once the depth is known to be safe to serialise.
  v.check(
    (event) => eventBytes(event) <= MAX_EVENT_BYTES,
    (issue) =>
      `is ${eventBytes(issue.input)} bytes, over the ${MAX_EVENT_BYTES}-byte limit (EventBridge delivers at most 256 KB)`,
  ),
);

function eventBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event), 'utf8');
}

/** Longest key an error names: keys below `requestParameters` are the caller's to choose. */
const MAX_FIELD_KEY = 100;

/** The field an issue names, e.g. `detail.eventName`; `root` for the value as a whole. */
function invalidEvent(root: string): (issue: Issue) => InvalidEventError {
  return (issue) => {
    const keys = issueKeys(issue).map((key) =>
      key.length > MAX_FIELD_KEY ? `${key.slice(0, MAX_FIELD_KEY - 1)}…` : key,
    );
    return new InvalidEventError(keys.length === 0 ? root : keys.join('.'), issue.message);
  };
}

/**
 * Checks that `input` is a CloudTrail record with the fields detection and the alert key
 * depend on. The schemas only check (they transform nothing), so the record is returned as
 * given: the alert keeps the original, key order and all. For the same reason they are
 * `object`, not `looseObject`: the fields they do not name need not be copied.
 */
export function validateRecord(input: unknown): CloudTrailRecord {
  parseOrThrow(RECORD, input, invalidEvent('record'));
  return input as CloudTrailRecord;
}

/**
 * Checks an EventBridge event carrying a CloudTrail record. Errors name the bad field
 * with its path in the event (e.g. `detail.eventName`).
 */
export function validateEnvelope(input: unknown): CloudTrailEnvelope {
  parseOrThrow(ENVELOPE, input, invalidEvent('event'));
  return input as CloudTrailEnvelope;
}

/**
 * The account the call was made in: the first that is not blank of the recipient account,
 * the account of the EventBridge event that carried the record (replay reads bare records
 * and has none) and the caller's account, else `unknown`. The value keys the by-account
 * index, where DynamoDB refuses an empty string, so an empty field counts as absent.
 */
export function accountOf(record: CloudTrailRecord, eventAccount?: string): string {
  for (const account of [record.recipientAccountId, eventAccount, record.userIdentity.accountId]) {
    if (typeof account === 'string' && account.trim() !== '') return account;
  }
  return 'unknown';
}
