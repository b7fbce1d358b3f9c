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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

function optionalObject(obj: Record<string, unknown>, key: string, path: string): void {
  const value = obj[key];
  if (value !== undefined && value !== null && !isObject(value)) {
    throw new InvalidEventError(`${path}${key}`, 'must be an object or null');
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
  for (const key of ['eventID', 'eventTime', 'eventSource', 'eventName', 'awsRegion']) {
    requireString(input, key, path);
  }
  if (Number.isNaN(Date.parse(input.eventTime as string))) {
    throw new InvalidEventError(`${path}eventTime`, 'is not a timestamp');
  }
  if (!isObject(input.userIdentity)) {
    throw new InvalidEventError(
      `${path}userIdentity`,
      input.userIdentity === undefined ? 'is missing' : 'must be an object',
    );
  }
  for (const key of [
    'sourceIPAddress',
    'userAgent',
    'errorCode',
    'errorMessage',
    'recipientAccountId',
  ]) {
    optionalString(input, key, path);
  }
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
  const detailType = requireString(input, 'detail-type', '');
  if (detailType !== CLOUDTRAIL_DETAIL_TYPE) {
    throw new InvalidEventError('detail-type', `must be "${CLOUDTRAIL_DETAIL_TYPE}"`);
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

/** The account the call was made in: the recipient account, else the caller's. */
export function accountOf(record: CloudTrailRecord): string {
  return record.recipientAccountId ?? record.userIdentity.accountId ?? 'unknown';
}
