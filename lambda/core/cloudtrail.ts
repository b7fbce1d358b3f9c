/**
 * CloudTrail record and EventBridge envelope types, and the validation that turns
 * untrusted input into them. Everything here is attacker-influenced data: fields are
 * checked at this boundary and read with defaults afterwards.
 */

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
const DETAIL_TYPES: readonly string[] = [CLOUDTRAIL_DETAIL_TYPE, CLOUDTRAIL_SIGN_IN_DETAIL_TYPE];

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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

/**
 * Throws when `input` nests deeper than `MAX_EVENT_DEPTH`, naming the field (to three
 * levels, e.g. `detail.requestParameters.tags`) that does. Iterative, so the check itself
 * cannot overflow the stack it protects.
 */
function checkDepth(input: Record<string, unknown>): void {
  if (!nestsTooDeep(input)) return;
  const pending: [value: unknown, depth: number, field: string][] = Object.keys(input).map(
    (key) => [input[key], 1, key],
  );
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, depth, field] = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_EVENT_DEPTH) {
      throw new InvalidEventError(field, `nests deeper than ${MAX_EVENT_DEPTH} levels`);
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      pending.push([child, depth + 1, depth < 3 ? `${field}.${key}` : field]);
    }
  }
}

function requireString(obj: Record<string, unknown>, key: string, path: string): string {
  const value = obj[key];
  if (value === undefined || value === null) {
    throw new InvalidEventError(`${path}${key}`, 'is missing');
  }
  if (typeof value !== 'string') {
    throw new InvalidEventError(`${path}${key}`, `must be a string, got ${typeof value}`);
  }
  if (value.length === 0) {
    throw new InvalidEventError(`${path}${key}`, 'is empty');
  }
  return value;
}

function optionalString(obj: Record<string, unknown>, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw new InvalidEventError(`${path}${key}`, `must be a string, got ${typeof value}`);
  }
}

/** Checks an already type-checked string field against a length bound, if present. */
function maxLength(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  max: number,
  unit: 'characters' | 'bytes' = 'characters',
): void {
  const value = obj[key];
  if (typeof value !== 'string') return;
  const length = unit === 'bytes' ? Buffer.byteLength(value, 'utf8') : value.length;
  if (length > max) {
    throw new InvalidEventError(`${path}${key}`, `is longer than ${max} ${unit}`);
  }
}

function optionalObject(obj: Record<string, unknown>, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && value !== null && !isObject(value)) {
    throw new InvalidEventError(`${path}${key}`, 'must be an object or null');
  }
}

/**
 * The identity fields enrichment reads as text must be text (or absent): CloudTrail never
 * writes anything else there, and a number where an ARN belongs would otherwise fail deep
 * in enrichment with a TypeError instead of here with the field's name.
 */
function validateIdentity(identity: Record<string, unknown>, path: string): void {
  for (const key of [
    'type',
    'principalId',
    'arn',
    'accountId',
    'accessKeyId',
    'userName',
    'invokedBy',
  ]) {
    optionalString(identity, key, path);
    maxLength(identity, key, path, MAX_IDENTITY_FIELD_BYTES, 'bytes');
  }
  maxLength(identity, 'accountId', path, MAX_SHORT_ID_LENGTH);
  optionalObject(identity, 'sessionContext', path);
  const session = identity.sessionContext;
  if (!isObject(session)) return;
  const sessionPath = `${path}sessionContext.`;
  optionalString(session, 'sourceIdentity', sessionPath);
  optionalObject(session, 'sessionIssuer', sessionPath);
  optionalObject(session, 'attributes', sessionPath);
  if (isObject(session.sessionIssuer)) {
    for (const key of ['type', 'principalId', 'arn', 'accountId', 'userName']) {
      optionalString(session.sessionIssuer, key, `${sessionPath}sessionIssuer.`);
      maxLength(
        session.sessionIssuer,
        key,
        `${sessionPath}sessionIssuer.`,
        MAX_IDENTITY_FIELD_BYTES,
        'bytes',
      );
    }
  }
  if (isObject(session.attributes)) {
    for (const key of ['creationDate', 'mfaAuthenticated']) {
      optionalString(session.attributes, key, `${sessionPath}attributes.`);
    }
  }
}

/**
 * Checks that `input` is a CloudTrail record with the fields detection and the alert
 * key depend on. `path` prefixes field names in errors (e.g. "detail.").
 */
export function validateRecord(input: unknown, path = ''): CloudTrailRecord {
  if (!isObject(input)) {
    throw new InvalidEventError(path === '' ? 'record' : path.slice(0, -1), 'must be an object');
  }
  // A bare record (replay reads them from archives) gets the depth check an envelope gets;
  // inside an envelope it has passed already.
  if (path === '') checkDepth(input);
  for (const key of ['eventID', 'eventTime', 'eventSource', 'eventName', 'awsRegion']) {
    requireString(input, key, path);
  }
  maxLength(input, 'eventID', path, MAX_EVENT_ID_LENGTH);
  maxLength(input, 'awsRegion', path, MAX_SHORT_ID_LENGTH);
  if (Number.isNaN(Date.parse(input.eventTime as string))) {
    throw new InvalidEventError(`${path}eventTime`, 'is not a timestamp');
  }
  if (!isObject(input.userIdentity)) {
    throw new InvalidEventError(
      `${path}userIdentity`,
      input.userIdentity === undefined ? 'is missing' : 'must be an object',
    );
  }
  validateIdentity(input.userIdentity, `${path}userIdentity.`);
  for (const key of [
    'sourceIPAddress',
    'userAgent',
    'errorCode',
    'errorMessage',
    'recipientAccountId',
  ]) {
    optionalString(input, key, path);
  }
  maxLength(input, 'recipientAccountId', path, MAX_SHORT_ID_LENGTH);
  optionalObject(input, 'requestParameters', path);
  optionalObject(input, 'responseElements', path);
  return input as unknown as CloudTrailRecord;
}

/**
 * Checks an EventBridge event carrying a CloudTrail record. Errors name the bad field
 * with its path in the event (e.g. `detail.eventName`).
 */
export function validateEnvelope(input: unknown): CloudTrailEnvelope {
  if (!isObject(input)) {
    throw new InvalidEventError('event', 'must be an object');
  }
  checkDepth(input);
  // Measured once the depth is known to be safe to serialise.
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (bytes > MAX_EVENT_BYTES) {
    throw new InvalidEventError(
      'event',
      `is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit (EventBridge delivers at most 256 KB)`,
    );
  }
  const detailType = requireString(input, 'detail-type', '');
  if (!DETAIL_TYPES.includes(detailType)) {
    throw new InvalidEventError(
      'detail-type',
      `must be "${CLOUDTRAIL_DETAIL_TYPE}" or "${CLOUDTRAIL_SIGN_IN_DETAIL_TYPE}"`,
    );
  }
  requireString(input, 'id', '');
  requireString(input, 'source', '');
  requireString(input, 'account', '');
  requireString(input, 'region', '');
  if (input.detail === undefined) {
    throw new InvalidEventError('detail', 'is missing');
  }
  validateRecord(input.detail, 'detail.');
  return input as unknown as CloudTrailEnvelope;
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
