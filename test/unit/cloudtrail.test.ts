import { toItem } from '../../lambda/adapters/dynamodb-item';
import type { Alert } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { InvalidEventError, validateEnvelope, validateRecord } from '../../lambda/core/cloudtrail';
import { renderMessage } from '../../lambda/core/render';
import { loadEnvelope, loadRecord } from '../support/fixtures';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';

function withField(path: string[], value: unknown): Record<string, unknown> {
  return setField(loadEnvelope(RDS_FIXTURE) as unknown as Record<string, unknown>, path, value);
}

/** Sets (or, for undefined, deletes) the field at `path`, creating missing parents. */
function setField(
  event: Record<string, unknown>,
  path: string[],
  value: unknown,
): Record<string, unknown> {
  let target = event;
  for (const key of path.slice(0, -1)) {
    target[key] ??= {};
    target = target[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] ?? '';
  if (value === undefined) delete target[last];
  else target[last] = value;
  return event;
}

describe('validateEnvelope', () => {
  it('accepts a CloudTrail event as EventBridge delivers it', () => {
    const event = loadEnvelope(RDS_FIXTURE);
    expect(validateEnvelope(event).detail.eventName).toBe('CreateDBSecurityGroup');
  });

  it('accepts the real EventBridge envelope from the public fixtures', () => {
    const event = loadEnvelope(
      'public-cloudtrail/custodian__DeleteTransitGatewayVpcAttachment__1.json',
    );
    expect(validateEnvelope(event).source).toBe('aws.ec2');
  });

  it.each([
    ['a missing detail', ['detail'], undefined, 'detail is missing'],
    ['a wrong detail-type', ['detail-type'], 'Scheduled Event', 'detail-type must be'],
    ['a missing detail-type', ['detail-type'], undefined, 'detail-type is missing'],
    ['a missing eventName', ['detail', 'eventName'], undefined, 'detail.eventName is missing'],
    ['a numeric eventName', ['detail', 'eventName'], 42, 'detail.eventName must be a string'],
    ['an empty eventID', ['detail', 'eventID'], '', 'detail.eventID is empty'],
    [
      'a bad eventTime',
      ['detail', 'eventTime'],
      'yesterday',
      'detail.eventTime is not a timestamp',
    ],
    [
      'a missing userIdentity',
      ['detail', 'userIdentity'],
      undefined,
      'detail.userIdentity is missing',
    ],
    [
      'a string userIdentity',
      ['detail', 'userIdentity'],
      'root',
      'detail.userIdentity must be an object',
    ],
    [
      'an array requestParameters',
      ['detail', 'requestParameters'],
      [],
      'detail.requestParameters must be',
    ],
    ['a numeric errorCode', ['detail', 'errorCode'], 403, 'detail.errorCode must be a string'],
    ['a detail that is a string', ['detail'], '{}', 'detail must be an object'],
  ])('rejects %s with an error naming the field', (_label, path, value, message) => {
    const act = () => validateEnvelope(withField(path, value));
    expect(act).toThrow(InvalidEventError);
    expect(act).toThrow(message);
  });

  it.each([null, 'text', 12, []])('rejects a non-object event (%p)', (event) => {
    expect(() => validateEnvelope(event)).toThrow('invalid event: event must be an object');
  });

  it('reports the bad field on the error for logs and metrics', () => {
    try {
      validateEnvelope(withField(['detail', 'awsRegion'], undefined));
      throw new Error('expected a rejection');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as InvalidEventError).field).toBe('detail.awsRegion');
    }
  });
});

describe('validateRecord', () => {
  it('accepts null requestParameters and responseElements, which CloudTrail writes for some calls', () => {
    const record = { ...loadRecord(RDS_FIXTURE), requestParameters: null, responseElements: null };
    expect(validateRecord(record).responseElements).toBeNull();
  });

  it('rejects a bare record without an eventSource, naming it without a path prefix', () => {
    const { eventSource: _omitted, ...record } = loadRecord(RDS_FIXTURE);
    expect(() => validateRecord(record)).toThrow('invalid event: eventSource is missing');
  });

  it('rejects a bare record nested thousands of levels deep, as replay reads them from archives', () => {
    const record = { ...loadRecord(RDS_FIXTURE), requestParameters: nestedValue(5_000) };
    expect(() => validateRecord(record)).toThrow(InvalidEventError);
    expect(() => validateRecord(record)).toThrow('requestParameters.a.a nests deeper than 100');
  });

  it.each([
    ['objects', (depth: number) => nestedValue(depth)],
    // Arrays count as levels too; the outer object holds them, since requestParameters must be one.
    ['arrays', (depth: number) => ({ list: nestedArray(depth - 1) })],
  ])(
    'accepts %s nested exactly 100 levels deep and rejects 101, naming the field',
    (_kind, nest) => {
      // Prepare: requestParameters is itself at level 1
      const atLimit = { ...loadRecord(RDS_FIXTURE), requestParameters: nest(100) };
      const overLimit = { ...loadRecord(RDS_FIXTURE), requestParameters: nest(101) };

      // Act + Assess
      expect(validateRecord(atLimit).eventName).toBe(atLimit.eventName);
      expect(() => validateRecord(overLimit)).toThrow(
        /^invalid event: requestParameters\.\w+\.\w+ nests deeper than 100 levels$/,
      );
    },
  );
});

function nestedArray(depth: number): unknown {
  let value: unknown = ['bottom'];
  for (let i = 1; i < depth; i += 1) value = [value];
  return value;
}

function nestedValue(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

describe('bounds that keep hostile events out of the pipeline', () => {
  it.each([
    [
      'a numeric userIdentity.arn',
      ['detail', 'userIdentity', 'arn'],
      42,
      'detail.userIdentity.arn must be a string, got number',
    ],
    [
      'an object sessionIssuer.arn',
      ['detail', 'userIdentity', 'sessionContext', 'sessionIssuer', 'arn'],
      { arn: 'x' },
      'detail.userIdentity.sessionContext.sessionIssuer.arn must be a string, got object',
    ],
    [
      'a string sessionContext',
      ['detail', 'userIdentity', 'sessionContext'],
      'yes',
      'detail.userIdentity.sessionContext must be an object or null',
    ],
    [
      'a boolean mfaAuthenticated',
      ['detail', 'userIdentity', 'sessionContext', 'attributes', 'mfaAuthenticated'],
      true,
      'detail.userIdentity.sessionContext.attributes.mfaAuthenticated must be a string',
    ],
    [
      'an eventID of 257 characters',
      ['detail', 'eventID'],
      'e'.repeat(257),
      'detail.eventID is longer than 256 characters',
    ],
    [
      'an awsRegion of 65 characters',
      ['detail', 'awsRegion'],
      'r'.repeat(65),
      'detail.awsRegion is longer than 64 characters',
    ],
    [
      'a recipientAccountId of 65 characters',
      ['detail', 'recipientAccountId'],
      '1'.repeat(65),
      'detail.recipientAccountId is longer than 64 characters',
    ],
    [
      // Found by the property suite: copied raw into the alert twice (sqs and lambda), a
      // 100 KB principal id pushed the message past the SNS limit and failed with a bare Error.
      'a 100 KB principalId',
      ['detail', 'userIdentity', 'principalId'],
      'é'.repeat(50_000),
      'detail.userIdentity.principalId is longer than 1024 bytes',
    ],
    [
      // 600 characters, but 1,200 bytes: the by-principal index key is limited in bytes.
      'a multi-byte userIdentity.arn over 1024 bytes',
      ['detail', 'userIdentity', 'arn'],
      `arn:aws:iam::111122223333:user/${'é'.repeat(600)}`,
      'detail.userIdentity.arn is longer than 1024 bytes',
    ],
    [
      'requestParameters nested 101 levels deep',
      ['detail', 'requestParameters'],
      nestedValue(101),
      'detail.requestParameters.a nests deeper than 100 levels',
    ],
    [
      // JSON.stringify recurses: a few thousand levels overflow the stack with a RangeError.
      'requestParameters nested 5,000 levels deep',
      ['detail', 'requestParameters'],
      nestedValue(5_000),
      'nests deeper than 100 levels',
    ],
  ])('rejects %s with an error naming the field', (_label, path, value, message) => {
    const act = () => validateEnvelope(withField(path, value));
    expect(act).toThrow(InvalidEventError);
    expect(act).toThrow(message);
  });

  it('rejects an event over the EventBridge size limit as a whole', () => {
    const event = withField(['detail', 'requestParameters', 'padding'], 'x'.repeat(270 * 1024));
    expect(() => validateEnvelope(event)).toThrow(
      /invalid event: event is \d+ bytes, over the 266240-byte limit/,
    );
  });

  it('accepts nesting up to the bound and a 10,000-entry array', () => {
    const event = withField(['detail', 'requestParameters'], {
      deep: nestedValue(90),
      wide: Array.from({ length: 10_000 }, (_, i) => i),
    });
    expect(validateEnvelope(event).detail.eventName).toBe('CreateDBSecurityGroup');
  });
});

describe('records the property suite found breaking enrichment', () => {
  const rds = findDetection('aws.rds.create-db-security-group') as Detection;
  const now = new Date('2026-03-02T10:00:00.000Z');

  function deliverable(record: CloudTrailRecord): Alert {
    const alert = buildAlert(rds, record, { now, retentionDays: 30 });
    // What the store and the publisher do with it; both threw before the fixes.
    toItem({ ...alert });
    renderMessage(alert, rds);
    return alert;
  }

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'treats a userIdentity.type of %p as an unknown identity, not an Object.prototype member',
    (type) => {
      const event = withField(['detail', 'userIdentity', 'type'], type);
      const alert = deliverable(validateEnvelope(event).detail);
      expect(alert.actor.kind).toBe('unknown');
      expect(alert.actor.type).toBe(type);
    },
  );

  it('treats null identity fields as absent instead of failing to render them', () => {
    let event = withField(['detail', 'userIdentity', 'accessKeyId'], null);
    event = setField(event, ['detail', 'userIdentity', 'userName'], null);
    event = setField(event, ['detail', 'userIdentity', 'invokedBy'], null);
    event = setField(event, ['detail', 'userIdentity', 'principalId'], null);
    const alert = deliverable(validateEnvelope(event).detail);
    expect(alert.actor).not.toHaveProperty('accessKeyId');
    expect(alert.actor).not.toHaveProperty('userName');
    expect(alert.actor).not.toHaveProperty('invokedBy');
    expect(alert.actor.principalId).toBe('');
  });

  it('treats a null assumed-role issuer ARN as absent', () => {
    const record = {
      ...loadRecord(
        'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.assumed-role-tags.json',
      ),
    };
    const identity = record.userIdentity as Record<string, unknown>;
    const session = identity.sessionContext as Record<string, unknown>;
    const withNullIssuer = {
      ...record,
      userIdentity: { ...identity, sessionContext: { ...session, sessionIssuer: { arn: null } } },
    };
    const alert = deliverable(validateRecord(withNullIssuer));
    expect(alert.actor.kind).toBe('assumed-role');
    expect(alert.actor).not.toHaveProperty('roleArn');
  });
});
