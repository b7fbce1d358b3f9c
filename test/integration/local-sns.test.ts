import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { PublishCommandInput } from '@aws-sdk/client-sns';

import { startLocalSns } from '../support/local-sns';
import type { LocalSns } from '../support/local-sns';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:sgwatch-alerts';
const BYTE_LIMIT = 262_144;
// Three UTF-8 bytes but a single UTF-16 code unit, so bytes and characters diverge.
const EURO = '\u20ac';

// The same variables a deployed Lambda or a developer shell would carry; the client is
// never handed an endpoint directly, so this also proves the SDK honours the variable.
const ENVIRONMENT = ['AWS_ENDPOINT_URL_SNS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

let sns: LocalSns;
let client: SNSClient;
const savedEnvironment = new Map<string, string | undefined>();

beforeAll(async () => {
  sns = await startLocalSns();
  for (const name of ENVIRONMENT) savedEnvironment.set(name, process.env[name]);
  process.env.AWS_ENDPOINT_URL_SNS = sns.url;
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALSNSTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'local-sns-test-secret';
  client = new SNSClient({ region: 'us-east-1' });
});

afterAll(async () => {
  client.destroy();
  await sns.close();
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

beforeEach(() => {
  sns.reset();
});

function publish(input: Partial<PublishCommandInput>) {
  return client.send(new PublishCommand({ TopicArn: TOPIC_ARN, ...input } as PublishCommandInput));
}

function attributes(count: number): PublishCommandInput['MessageAttributes'] {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `attr${i}`,
      { DataType: 'String', StringValue: `v${i}` },
    ]),
  );
}

const rejectedAsInvalidParameter = {
  name: 'InvalidParameterException',
  Code: 'InvalidParameter',
  $metadata: { httpStatusCode: 400, attempts: 1 },
};

describe('local SNS through the real SNSClient', () => {
  it('records a JSON-structured publish with attributes and returns its MessageId', async () => {
    const message = JSON.stringify({ default: 'chatbot json', email: 'plain text', sqs: '{}' });

    const result = await publish({
      Message: message,
      MessageStructure: 'json',
      Subject: 'sgwatch: CreateDBSecurityGroup in 123456789012',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'HIGH' },
        riskScore: { DataType: 'Number', StringValue: '73' },
        regions: { DataType: 'String.Array', StringValue: '["us-east-1", 1, true, null]' },
        digest: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
      },
    });

    expect(result.MessageId).toEqual(expect.any(String));
    expect(sns.requests).toBe(1);
    expect(sns.published).toEqual([
      {
        messageId: result.MessageId,
        topicArn: TOPIC_ARN,
        subject: 'sgwatch: CreateDBSecurityGroup in 123456789012',
        message,
        messageStructure: 'json',
        attributes: {
          severity: { dataType: 'String', stringValue: 'HIGH' },
          riskScore: { dataType: 'Number', stringValue: '73' },
          regions: { dataType: 'String.Array', stringValue: '["us-east-1", 1, true, null]' },
          digest: { dataType: 'Binary', binaryValue: Buffer.from([1, 2, 3]).toString('base64') },
        },
      },
    ]);
  });

  it('accepts the boundary values: a 99-character subject, 10 attributes, exactly 256 KiB', async () => {
    await publish({ Message: 'x', Subject: 'é'.repeat(99) });
    await publish({ Message: 'x', MessageAttributes: attributes(10) });
    await publish({ Message: 'a'.repeat(BYTE_LIMIT) });

    expect(sns.published).toHaveLength(3);
    expect(sns.requests).toBe(3);
  });

  it('returns a sequence number and records the group id for a FIFO topic', async () => {
    const fifoArn = 'arn:aws:sns:eu-west-1:123456789012:alerts.fifo';

    const result = await publish({
      TopicArn: fifoArn,
      Message: 'x',
      MessageGroupId: 'account-123456789012',
      MessageDeduplicationId: 'event-1',
    });

    expect(result.SequenceNumber).toMatch(/^\d{20}$/);
    expect(sns.published[0]).toMatchObject({
      topicArn: fifoArn,
      messageGroupId: 'account-123456789012',
      messageDeduplicationId: 'event-1',
    });
  });

  const invalidPublishes: [string, Partial<PublishCommandInput>][] = [
    ['rejects a publish without a TopicArn', { TopicArn: undefined, Message: 'x' }],
    [
      'rejects a TopicArn that names an SQS queue',
      { TopicArn: 'arn:aws:sqs:us-east-1:123456789012:queue', Message: 'x' },
    ],
    ['rejects a TopicArn that is not an ARN', { TopicArn: 'sgwatch-alerts', Message: 'x' }],
    [
      'rejects publishing to a TargetArn, which local SNS does not model',
      {
        TopicArn: undefined,
        TargetArn: 'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1',
        Message: 'x',
      },
    ],
    ['rejects a publish without a Message', { Message: undefined }],
    ['rejects an empty Message', { Message: '' }],
    ['rejects a message over 256 KiB', { Message: 'a'.repeat(BYTE_LIMIT + 1) }],
    ['rejects an empty Subject', { Message: 'x', Subject: '' }],
    ['rejects a Subject of 100 characters', { Message: 'x', Subject: 's'.repeat(100) }],
    ['rejects a Subject with a line feed', { Message: 'x', Subject: 'alert\ninjected' }],
    ['rejects a Subject with a carriage return', { Message: 'x', Subject: 'alert\rinjected' }],
    ['rejects a Subject with a control character', { Message: 'x', Subject: 'bell\u0007' }],
    ['rejects a Subject with a C1 control character', { Message: 'x', Subject: 'nel\u0085' }],
    [
      'rejects a MessageStructure other than json',
      { Message: '{"default":"x"}', MessageStructure: 'JSON' },
    ],
    [
      'rejects a json-structured message that does not parse',
      { Message: '{"default":', MessageStructure: 'json' },
    ],
    [
      'rejects a json-structured message that is an array',
      { Message: '["default"]', MessageStructure: 'json' },
    ],
    [
      'rejects a json-structured message without a default key',
      { Message: '{"email":"x"}', MessageStructure: 'json' },
    ],
    [
      'rejects a json-structured message whose default is not a string',
      { Message: '{"default":{"text":"x"}}', MessageStructure: 'json' },
    ],
    [
      'rejects a json-structured message with a non-string protocol value',
      { Message: '{"default":"x","sqs":{"alert":1}}', MessageStructure: 'json' },
    ],
    [
      'rejects more than 10 message attributes',
      { Message: 'x', MessageAttributes: attributes(11) },
    ],
    [
      'rejects an attribute with an empty string value',
      { Message: 'x', MessageAttributes: { severity: { DataType: 'String', StringValue: '' } } },
    ],
    [
      'rejects a String attribute with no value at all',
      { Message: 'x', MessageAttributes: { severity: { DataType: 'String' } } },
    ],
    [
      'rejects an attribute without a DataType',
      {
        Message: 'x',
        MessageAttributes: { severity: { StringValue: 'HIGH' } as unknown as { DataType: string } },
      },
    ],
    [
      'rejects an attribute with an unsupported DataType',
      { Message: 'x', MessageAttributes: { flag: { DataType: 'Boolean', StringValue: 'true' } } },
    ],
    [
      'rejects a Number attribute that is not a number',
      { Message: 'x', MessageAttributes: { score: { DataType: 'Number', StringValue: 'high' } } },
    ],
    [
      'rejects a String.Array attribute that is not a JSON array',
      {
        Message: 'x',
        MessageAttributes: { regions: { DataType: 'String.Array', StringValue: 'us-east-1' } },
      },
    ],
    [
      'rejects an attribute name with the reserved AWS. prefix',
      {
        Message: 'x',
        MessageAttributes: { 'AWS.severity': { DataType: 'String', StringValue: 'x' } },
      },
    ],
    [
      'rejects an attribute name with a space',
      { Message: 'x', MessageAttributes: { 'rule id': { DataType: 'String', StringValue: 'x' } } },
    ],
    [
      'rejects a FIFO topic publish without a MessageGroupId',
      { TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts.fifo', Message: 'x' },
    ],
  ];

  it.each(invalidPublishes)('%s with InvalidParameter and no retry', async (_, input) => {
    await expect(publish(input)).rejects.toMatchObject(rejectedAsInvalidParameter);

    expect(sns.requests).toBe(1);
    expect(sns.published).toEqual([]);
  });

  describe('message size', () => {
    it('rejects a 300 KB message', async () => {
      await expect(publish({ Message: 'a'.repeat(300_000) })).rejects.toMatchObject(
        rejectedAsInvalidParameter,
      );
      expect(sns.requests).toBe(1);
    });

    it('accepts a 256 KiB multi-byte message that is far fewer characters than bytes', async () => {
      // 87,381 three-byte characters plus one ASCII byte: exactly 262,144 bytes.
      const message = EURO.repeat(87_381) + 'a';
      expect(Buffer.byteLength(message)).toBe(BYTE_LIMIT);

      await publish({ Message: message });

      expect(sns.published).toHaveLength(1);
      expect(sns.published[0]?.message).toBe(message);
    });

    it('rejects a multi-byte message one byte over the limit though it has a third as many characters', async () => {
      const message = EURO.repeat(87_381) + 'ab';
      expect(Buffer.byteLength(message)).toBe(BYTE_LIMIT + 1);
      expect(message.length).toBeLessThan(BYTE_LIMIT / 2);

      await expect(publish({ Message: message })).rejects.toMatchObject(rejectedAsInvalidParameter);
      expect(sns.requests).toBe(1);
    });

    it('rejects a message at the limit once its attributes are counted towards the size', async () => {
      await expect(
        publish({ Message: 'a'.repeat(BYTE_LIMIT), MessageAttributes: attributes(1) }),
      ).rejects.toMatchObject(rejectedAsInvalidParameter);
      expect(sns.requests).toBe(1);
    });
  });

  describe('injected failures', () => {
    it('lets the SDK retry a 500 InternalError and records the message once', async () => {
      sns.failNext(1);

      const result = await publish({ Message: 'retry me' });

      expect(result.$metadata.attempts).toBe(2);
      expect(sns.requests).toBe(2);
      expect(sns.published).toHaveLength(1);
      expect(sns.published[0]?.messageId).toBe(result.MessageId);
    });

    it('lets the SDK retry a 503 ServiceUnavailable', async () => {
      sns.failNext(1, { status: 503 });

      await publish({ Message: 'retry me' });

      expect(sns.requests).toBe(2);
      expect(sns.published).toHaveLength(1);
    });

    it('fails with InternalError once the SDK runs out of attempts', async () => {
      sns.failNext(5);

      await expect(publish({ Message: 'never lands' })).rejects.toMatchObject({
        name: 'InternalErrorException',
        $metadata: { httpStatusCode: 500, attempts: 3 },
      });
      expect(sns.requests).toBe(3);
      expect(sns.published).toEqual([]);
    });

    it('fails without retry when the injected failure is a 400 client error', async () => {
      sns.failNext(1, { status: 400, code: 'InvalidParameter' });

      await expect(publish({ Message: 'x' })).rejects.toMatchObject(rejectedAsInvalidParameter);
      expect(sns.requests).toBe(1);
      expect(sns.published).toEqual([]);
    });

    it('clears pending failures, requests and published messages on reset', async () => {
      await publish({ Message: 'x' });
      sns.failNext(3);

      sns.reset();
      await publish({ Message: 'y' });

      expect(sns.requests).toBe(1);
      expect(sns.published.map((m) => m.message)).toEqual(['y']);
    });

    it('throws when asked to fail a negative number of requests', () => {
      expect(() => sns.failNext(-1)).toThrow(RangeError);
    });
  });

  describe('raw protocol', () => {
    it('rejects an unknown Action with InvalidAction in the awsQuery XML error shape', async () => {
      const response = await fetch(sns.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=CreateTopic&Version=2010-03-31&Name=t',
      });

      expect(response.status).toBe(400);
      const body = await response.text();
      expect(body).toContain('<Code>InvalidAction</Code>');
      expect(body).toContain('<Type>Sender</Type>');
    });

    it('rejects a JSON-protocol request instead of guessing at it', async () => {
      const response = await fetch(sns.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AmazonSimpleNotificationService.Publish',
        },
        body: JSON.stringify({ TopicArn: TOPIC_ARN, Message: 'x' }),
      });

      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<Code>UnsupportedProtocol</Code>');
      expect(sns.published).toEqual([]);
    });
  });
});
