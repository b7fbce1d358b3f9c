import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { alertFromItem } from '../../lambda/adapters/dynamodb-store';
import type { Alert } from '../../lambda/core/alert';
import { alertIdFor } from '../../lambda/core/alert';
import type { HandlerResult } from '../../lambda/handler';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { fixtureCases, loadEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';

type Handler = (event: unknown) => Promise<HandlerResult>;

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const RDS_RULE = 'aws.rds.create-db-security-group';

let aws: LocalAws;
let handler: Handler;
let eventCounter = 0;

/**
 * A fixture event with a fresh eventID and caller, so each test owns its alert and its
 * burst group (alerts from one caller within the hour are grouped as updates).
 */
function freshEvent(file = RDS_FIXTURE): Record<string, unknown> {
  const envelope = loadEnvelope(file) as unknown as { detail: Record<string, unknown> };
  eventCounter += 1;
  envelope.detail.eventID = `itest-${Date.now()}-${eventCounter}`;
  const identity = envelope.detail.userIdentity as Record<string, unknown>;
  envelope.detail.userIdentity = { ...identity, arn: `${String(identity.arn)}-${eventCounter}` };
  return envelope;
}

function eventIdOf(event: Record<string, unknown>): string {
  return (event.detail as { eventID: string }).eventID;
}

async function storedAlert(alertId: string): Promise<Alert | undefined> {
  const result = await aws.dynamodb.client.send(
    new GetItemCommand({
      TableName: aws.dynamodb.tableName,
      Key: { alertId: { S: alertId } },
      ConsistentRead: true,
    }),
  );
  return result.Item === undefined ? undefined : alertFromItem(result.Item);
}

beforeAll(async () => {
  aws = await startLocalAws();
  handler = createHandler(handlerDepsFromEnvironment(process.env));
});

afterAll(async () => {
  await aws.close();
});

beforeEach(() => {
  aws.sns.reset();
});

describe('detector handler against dynalite and a local SNS endpoint', () => {
  it('publishes one alert and records it as notified with the SNS message id', async () => {
    const event = freshEvent();
    const result = await handler(event);

    const alertId = alertIdFor(RDS_RULE, eventIdOf(event));
    expect(result.alerts).toEqual([{ alertId, ruleId: RDS_RULE, outcome: 'notified' }]);
    expect(aws.sns.published).toHaveLength(1);
    const published = aws.sns.published[0];
    const stored = await storedAlert(alertId);
    expect(stored).toMatchObject({
      delivery: 'notified',
      status: 'open',
      messageId: published?.messageId,
    });
    expect(stored?.notifiedAt).toEqual(expect.any(String));
    expect(JSON.parse(stored?.cloudTrailEvent ?? '{}')).toEqual(event.detail);
    expect(stored?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('sends every format with MessageStructure json and filterable attributes', async () => {
    const event = freshEvent();
    const alertId = alertIdFor(RDS_RULE, eventIdOf(event));
    await handler(event);
    const published = aws.sns.published[0];
    expect(published?.messageStructure).toBe('json');
    expect(published?.subject).toMatch(/^\[sgwatch\] LOW: RDS DB security group created/);
    const body = JSON.parse(published?.message ?? '{}') as Record<string, string>;
    expect(Object.keys(body).sort()).toEqual(['default', 'email', 'lambda', 'sqs']);
    expect(JSON.parse(body.default ?? '{}')).toMatchObject({ version: '1.0', source: 'custom' });
    expect(body.email).toContain('legacy-reporting');
    expect(JSON.parse(body.sqs ?? '{}')).toMatchObject({
      ruleId: RDS_RULE,
      account: '111122223333',
    });
    // The stable id subscribers deduplicate on, in every format and as an attribute.
    expect(body.email).toContain(`Alert ID: ${alertId}`);
    expect(JSON.parse(body.default ?? '{}').metadata.additionalContext.alertId).toBe(alertId);
    expect(JSON.parse(body.lambda ?? '{}').alertId).toBe(alertId);
    expect(published?.attributes).toEqual({
      alertId: { dataType: 'String', stringValue: alertId },
      severity: { dataType: 'String', stringValue: 'low' },
      ruleId: { dataType: 'String', stringValue: RDS_RULE },
      notification: { dataType: 'String', stringValue: 'new' },
      account: { dataType: 'String', stringValue: '111122223333' },
      region: { dataType: 'String', stringValue: 'us-east-1' },
    });
  });

  it('publishes once when the same event is delivered three times', async () => {
    const event = freshEvent();
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await handler(structuredClone(event));
      outcomes.push(...result.alerts.map((a) => a.outcome));
    }
    expect(outcomes).toEqual(['notified', 'duplicate', 'duplicate']);
    expect(aws.sns.published).toHaveLength(1);
  });

  it('publishes once when duplicates arrive concurrently', async () => {
    const event = freshEvent();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => handler(structuredClone(event))),
    );
    expect(aws.sns.published).toHaveLength(1);
    // No copy fails: those that lose the race see the finished alert, or leave it to the
    // delivery holding its claim.
    const outcomes = results.flatMap((r) => r.alerts.map((a) => a.outcome));
    expect(outcomes.filter((o) => o === 'notified')).toHaveLength(1);
    expect(outcomes.every((o) => ['notified', 'duplicate', 'in-flight'].includes(o))).toBe(true);
    const stored = await storedAlert(alertIdFor(RDS_RULE, eventIdOf(event)));
    expect(stored?.delivery).toBe('notified');
  });

  it('survives one failed SNS request through the SDK retry, publishing once', async () => {
    aws.sns.failNext(1, { status: 500, code: 'InternalError' });
    const result = await handler(freshEvent());
    expect(result.alerts[0]?.outcome).toBe('notified');
    expect(aws.sns.published).toHaveLength(1);
  });

  it('fails the invocation when SNS keeps failing, then the Lambda retry publishes exactly once', async () => {
    const event = freshEvent();
    const alertId = alertIdFor(RDS_RULE, eventIdOf(event));
    aws.sns.failNext(10, { status: 503, code: 'ServiceUnavailable' });
    await expect(handler(structuredClone(event))).rejects.toMatchObject({
      name: 'PublishError',
      alertId,
    });
    expect(aws.sns.published).toHaveLength(0);
    expect((await storedAlert(alertId))?.delivery).toBe('pending');

    aws.sns.reset();
    const retry = await handler(structuredClone(event));
    expect(retry.alerts).toEqual([{ alertId, ruleId: RDS_RULE, outcome: 'resumed' }]);
    expect(aws.sns.published).toHaveLength(1);
    expect((await storedAlert(alertId))?.delivery).toBe('notified');

    const third = await handler(structuredClone(event));
    expect(third.alerts[0]?.outcome).toBe('duplicate');
    expect(aws.sns.published).toHaveLength(1);
  });

  it('records a failed attempt under the failure detection', async () => {
    const result = await handler(
      freshEvent(
        'cloudtrail/aws.legacy-security-group.create-failed/elasticache-create-cache-security-group.failure.invalid-parameter.json',
      ),
    );
    expect(result.alerts.map((a) => a.ruleId)).toEqual(['aws.legacy-security-group.create-failed']);
    expect(aws.sns.published).toHaveLength(1);
  });

  it.each(fixtureCases().filter((c) => c.detections.length === 0))(
    'publishes nothing for negative fixture $file',
    async ({ file }) => {
      const result = await handler(loadEnvelope(file));
      expect(result.alerts).toEqual([]);
      expect(aws.sns.published).toHaveLength(0);
    },
  );

  it.each([
    ['no detail', (e: Record<string, unknown>) => delete e.detail, 'detail is missing'],
    [
      'a wrong detail-type',
      (e: Record<string, unknown>) => (e['detail-type'] = 'Object Created'),
      'detail-type',
    ],
    [
      'no eventID',
      (e: Record<string, unknown>) => delete (e.detail as Record<string, unknown>).eventID,
      'detail.eventID is missing',
    ],
    [
      'a numeric eventName',
      (e: Record<string, unknown>) => ((e.detail as Record<string, unknown>).eventName = 7),
      'detail.eventName must be a string',
    ],
  ])(
    'rejects an envelope with %s, naming the field and publishing nothing',
    async (_label, mutate, message) => {
      const before = await aws.dynamodb.client.send(
        new ScanCommand({ TableName: aws.dynamodb.tableName, Select: 'COUNT' }),
      );
      const event = freshEvent();
      mutate(event);
      await expect(handler(event)).rejects.toMatchObject({
        name: 'InvalidEventError',
        message: expect.stringContaining(message),
      });
      expect(aws.sns.published).toHaveLength(0);
      const after = await aws.dynamodb.client.send(
        new ScanCommand({ TableName: aws.dynamodb.tableName, Select: 'COUNT' }),
      );
      expect(after.Count).toBe(before.Count);
    },
  );
});

describe('detector start-up', () => {
  it('fails naming LOG_LEVEL when it holds an unknown level', () => {
    // Given an environment with an unknown log level, when the detector is composed from it
    const compose = () => handlerDepsFromEnvironment({ ...process.env, LOG_LEVEL: 'chatty' });
    // Then composing fails with the variable's name and value
    expect(compose).toThrow(
      'environment variable LOG_LEVEL must be info, warn, error or silent, got "chatty"',
    );
  });

  it('fails naming the missing environment variable', () => {
    const env = { ...process.env };
    delete env.ALERT_TOPIC_ARN;
    expect(() => handlerDepsFromEnvironment(env)).toThrow(
      'environment variable ALERT_TOPIC_ARN is required',
    );
  });

  it('fails to load the deployed entry point naming the missing variable', () => {
    const saved = process.env.ALERT_TOPIC_ARN;
    delete process.env.ALERT_TOPIC_ARN;
    try {
      jest.isolateModules(() => {
        expect(() => require('../../lambda/main')).toThrow(
          'environment variable ALERT_TOPIC_ARN is required',
        );
      });
    } finally {
      process.env.ALERT_TOPIC_ARN = saved;
    }
  });
});

describe('detector logs and metrics', () => {
  type Line = Record<string, unknown>;
  let observed: (event: unknown, context?: { awsRequestId?: string }) => Promise<HandlerResult>;

  beforeAll(() => {
    observed = createHandler(handlerDepsFromEnvironment({ ...process.env, LOG_LEVEL: 'info' }));
  });

  /** Runs one invocation, returning what it wrote to stdout and stderr, line by line. */
  async function run(
    event: unknown,
  ): Promise<{ settled: PromiseSettledResult<HandlerResult>; lines: Line[]; raw: string }> {
    const written: string[] = [];
    const sink = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(sink);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(sink);
    let settled: PromiseSettledResult<HandlerResult>;
    try {
      [settled] = await Promise.allSettled([observed(event, { awsRequestId: 'req-42' })]);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const raw = written.join('');
    const lines = raw
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Line);
    return { settled, lines, raw };
  }

  const emf = (lines: Line[]) => lines.filter((line) => line._aws !== undefined);
  const logs = (lines: Line[]) => lines.filter((line) => line._aws === undefined);

  it('logs each alert with request id, event id, rule id and outcome, and counts it', async () => {
    const event = freshEvent();
    const { settled, lines } = await run(event);
    expect(settled.status).toBe('fulfilled');
    const alertId = alertIdFor(RDS_RULE, eventIdOf(event));
    expect(logs(lines)).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'alert processed',
        service: 'sgwatch-detector',
        requestId: 'req-42',
        eventId: eventIdOf(event),
        ruleId: RDS_RULE,
        alertId,
        outcome: 'notified',
      }),
    ]);
    const [metrics] = emf(lines);
    expect(emf(lines)).toHaveLength(1);
    expect(metrics).toMatchObject({
      requestId: 'req-42',
      eventId: eventIdOf(event),
      ruleIds: [RDS_RULE],
      Service: 'sgwatch-detector',
      EventsReceived: 1,
      AlertsCreated: 1,
      Duplicates: 0,
      PublishFailures: 0,
      ValidationFailures: 0,
      ProcessingErrors: 0,
    });

    const again = await run(structuredClone(event));
    expect(logs(again.lines)[0]).toMatchObject({ outcome: 'duplicate', ruleId: RDS_RULE });
    expect(emf(again.lines)[0]).toMatchObject({ Duplicates: 1, AlertsCreated: 0 });
  });

  it('names the bad field of a rejected event and never logs the event itself', async () => {
    const event = freshEvent();
    const detail = event.detail as Record<string, unknown>;
    delete detail.eventName;
    detail.requestParameters = { secret: 'hunter2-do-not-log', padding: 'x'.repeat(50_000) };
    const { settled, lines, raw } = await run(event);
    expect(settled.status).toBe('rejected');
    expect(logs(lines)).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'rejected invalid event',
        requestId: 'req-42',
        eventId: eventIdOf(event),
        outcome: 'invalid',
        field: 'detail.eventName',
        reason: 'is missing',
        errorName: 'InvalidEventError',
        event: expect.objectContaining({ detailType: 'AWS API Call via CloudTrail' }),
      }),
    ]);
    expect(raw).not.toContain('hunter2');
    expect(raw.length).toBeLessThan(4_000);
    expect(emf(lines)[0]).toMatchObject({
      EventsReceived: 1,
      ValidationFailures: 1,
      ProcessingErrors: 0,
    });
  });

  it('counts a failed publish and the failed invocation, and logs the cause', async () => {
    aws.sns.failNext(3, { status: 503, code: 'ServiceUnavailable' });
    const event = freshEvent();
    const { settled, lines } = await run(event);
    expect(settled.status).toBe('rejected');
    expect(logs(lines)).toEqual([
      expect.objectContaining({
        level: 'error',
        requestId: 'req-42',
        eventId: eventIdOf(event),
        ruleId: RDS_RULE,
        outcome: 'failed',
        errorName: 'PublishError',
        error: expect.stringContaining('ServiceUnavailable'),
      }),
    ]);
    expect(emf(lines)[0]).toMatchObject({
      PublishFailures: 1,
      ProcessingErrors: 1,
      AlertsCreated: 0,
    });

    const retry = await run(structuredClone(event));
    expect(logs(retry.lines)[0]).toMatchObject({ outcome: 'resumed' });
    expect(emf(retry.lines)[0]).toMatchObject({ AlertsResumed: 1, PublishFailures: 0 });
  });

  it('counts and logs an event no detection matches', async () => {
    const { settled, lines } = await run(
      loadEnvelope('cloudtrail/aws.rds.create-db-security-group/negative.wrong-event-source.json'),
    );
    expect(settled.status).toBe('fulfilled');
    expect(logs(lines)).toEqual([
      expect.objectContaining({ level: 'warn', outcome: 'unmatched', requestId: 'req-42' }),
    ]);
    expect(emf(lines)[0]).toMatchObject({ EventsUnmatched: 1, ruleIds: [] });
  });
});
