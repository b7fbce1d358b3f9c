import { InvalidEventError, validateEnvelope, validateRecord } from '../../lambda/core/cloudtrail';
import { loadEnvelope, loadRecord } from '../support/fixtures';

const RDS_FIXTURE = 'cloudtrail/rds-create-db-security-group.success.iam-user.json';

function withField(path: string[], value: unknown): Record<string, unknown> {
  const event = loadEnvelope(RDS_FIXTURE) as unknown as Record<string, unknown>;
  let target = event;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
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
});
