import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { alertFromItem } from '../../lambda/adapters/dynamodb-store';
import { alertIdFor } from '../../lambda/core/alert';
import type { Alert } from '../../lambda/core/alert';
import { REDRIVE_HELP } from '../../cli/commands/redrive';
import { runCli } from '../support/cli';
import type { FakeAws, SgwatchDeployment } from '../support/fakes';
import { DETECTOR_FUNCTION, deploySgwatch, startFakeAws } from '../support/fakes';
import type { SqsAttributeValue } from '../support/fakes/sqs';
import { loadEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const CACHE =
  'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.json';
const RDS_RULE = 'aws.rds.create-db-security-group';
const CACHE_RULE = 'aws.elasticache.create-cache-security-group';

type Event = Record<string, unknown> & { detail: Record<string, unknown> };

let local: LocalAws;
let fakes: FakeAws;
let deployment: SgwatchDeployment;
let counter = 0;

/** A fixture event with its own eventID and caller, so each test owns its alerts. */
function freshEvent(file: string): Event {
  const event = loadEnvelope(file) as unknown as Event;
  counter += 1;
  event.detail.eventID = `redrive-${Date.now()}-${counter}`;
  const identity = event.detail.userIdentity as Record<string, unknown>;
  event.detail.userIdentity = { ...identity, arn: `${String(identity.arn)}-redrive-${counter}` };
  return event;
}

function eventIdOf(event: Event): string {
  return event.detail.eventID as string;
}

/** What Lambda's on-failure destination puts on the detector failure queue. */
function detectorFailureRecord(event: unknown, errorMessage = 'SNS is unavailable'): string {
  return JSON.stringify({
    version: '1.0',
    timestamp: '2026-03-14T10:05:00.000Z',
    requestContext: {
      requestId: 'c2a6f2ae-7dbb-4d22-8782-d0485c9877e2',
      functionArn: `arn:aws:lambda:us-east-1:111122223333:function:${DETECTOR_FUNCTION}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: 'InternalErrorException', errorMessage, trace: [] },
  });
}

/** The attributes EventBridge puts on a message in a rule target's dead-letter queue. */
function ruleTargetAttributes(): Record<string, SqsAttributeValue> {
  const text = (value: string): SqsAttributeValue => ({ DataType: 'String', StringValue: value });
  return {
    RULE_ARN: text('arn:aws:events:us-east-1:111122223333:rule/Sgwatch-RulesAwsRds'),
    TARGET_ARN: text(`arn:aws:lambda:us-east-1:111122223333:function:${DETECTOR_FUNCTION}`),
    ERROR_CODE: text('SDK_CLIENT_ERROR'),
    ERROR_MESSAGE: text('Lambda is throttling the function'),
    EXHAUSTED_RETRY_CONDITION: text('MaximumRetryAttempts'),
    RETRY_ATTEMPTS: text('4'),
  };
}

async function storedAlert(alertId: string): Promise<Alert | undefined> {
  const { Item } = await local.dynamodb.client.send(
    new GetItemCommand({
      TableName: local.dynamodb.tableName,
      Key: { alertId: { S: alertId } },
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : alertFromItem(Item);
}

function redrive(args: readonly string[] = []) {
  return runCli(['redrive', '--region', 'us-east-1', ...args]);
}

function operations(name: string): number {
  return fakes.sqs.calls.filter((call) => call.operation === name).length;
}

beforeAll(async () => {
  // dynalite and the Publish endpoint the real detector writes to; the handler reads its
  // table and topic from the environment this sets, so it is imported afterwards.
  local = await startLocalAws();
});

afterAll(async () => {
  await local.close();
});

beforeEach(async () => {
  local.sns.reset();
  fakes = await startFakeAws({ sns: false });
  const { handler } = await import('../../lambda/main');
  fakes.lambda.define(DETECTOR_FUNCTION, handler);
  deployment = deploySgwatch(fakes);
});

afterEach(async () => {
  await fakes.close();
});

describe('sgwatch redrive', () => {
  it('sends the events in both queues through the detector, records and notifies each alert once, and empties the queues', async () => {
    const rds = freshEvent(RDS);
    const cache = freshEvent(CACHE);
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(rds));
    fakes.sqs.send(deployment.ruleTargetQueueUrl, JSON.stringify(cache), ruleTargetAttributes());

    const run = await redrive();

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(fakes.sqs.messages(deployment.detectorFailureQueueUrl)).toEqual([]);
    expect(fakes.sqs.messages(deployment.ruleTargetQueueUrl)).toEqual([]);
    expect(fakes.lambda.invocations.map((i) => i.event)).toEqual([rds, cache]);

    const rdsAlert = await storedAlert(alertIdFor(RDS_RULE, eventIdOf(rds)));
    const cacheAlert = await storedAlert(alertIdFor(CACHE_RULE, eventIdOf(cache)));
    expect(rdsAlert).toMatchObject({
      ruleId: RDS_RULE,
      eventId: eventIdOf(rds),
      delivery: 'notified',
    });
    expect(cacheAlert).toMatchObject({
      ruleId: CACHE_RULE,
      eventId: eventIdOf(cache),
      delivery: 'notified',
    });
    expect(local.sns.published).toHaveLength(2);
    expect(local.sns.published.map((m) => m.messageId).sort()).toEqual(
      [rdsAlert?.messageId, cacheAlert?.messageId].sort(),
    );

    expect(run.stdout).toMatch(
      new RegExp(
        `notified\\s+${eventIdOf(rds)}\\s+CreateDBSecurityGroup\\s+\\d{12}/us-east-1\\s+${RDS_RULE}`,
      ),
    );
    expect(run.stdout).toMatch(
      new RegExp(`notified\\s+${eventIdOf(cache)}\\s+CreateCacheSecurityGroup`),
    );
    expect(run.stdout).toContain('Redrove 2 of 2 messages (alerts: 2 notified).');
  });

  it('is idempotent: the same events redriven again come back duplicate and publish nothing', async () => {
    const rds = freshEvent(RDS);
    const cache = freshEvent(CACHE);
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(rds));
    fakes.sqs.send(deployment.ruleTargetQueueUrl, JSON.stringify(cache), ruleTargetAttributes());
    expect((await redrive()).code).toBe(0);
    expect(local.sns.published).toHaveLength(2);

    // The same events dead-lettered a second time, e.g. a redelivery during the outage.
    fakes.sqs.send(deployment.ruleTargetQueueUrl, JSON.stringify(rds), ruleTargetAttributes());
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(cache));
    const again = await redrive();

    expect(again.code).toBe(0);
    expect(local.sns.published).toHaveLength(2);
    expect(again.stdout).toMatch(new RegExp(`duplicate\\s+${eventIdOf(rds)}`));
    expect(again.stdout).toMatch(new RegExp(`duplicate\\s+${eventIdOf(cache)}`));
    expect(again.stdout).toContain('(alerts: 2 duplicate)');
    expect(fakes.sqs.messages(deployment.detectorFailureQueueUrl)).toEqual([]);
    expect(fakes.sqs.messages(deployment.ruleTargetQueueUrl)).toEqual([]);
    expect(await storedAlert(alertIdFor(RDS_RULE, eventIdOf(rds)))).toMatchObject({
      delivery: 'notified',
    });
  });

  it('with --dry-run, shows each event and why it is there, and leaves every message visible and nothing published', async () => {
    const rds = freshEvent(RDS);
    const cache = freshEvent(CACHE);
    fakes.sqs.send(
      deployment.detectorFailureQueueUrl,
      detectorFailureRecord(rds, 'SNS is unavailable'),
    );
    fakes.sqs.send(deployment.ruleTargetQueueUrl, JSON.stringify(cache), ruleTargetAttributes());

    const run = await redrive(['--dry-run']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(
        `would redrive\\s+${eventIdOf(rds)}\\s+CreateDBSecurityGroup.*RetriesExhausted after 3 attempt\\(s\\): InternalErrorException: SNS is unavailable`,
      ),
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `would redrive\\s+${eventIdOf(cache)}.*SDK_CLIENT_ERROR: Lambda is throttling the function \\(MaximumRetryAttempts\\)`,
      ),
    );
    expect(run.stdout).toContain('Dry run: 2 messages, 2 would be redriven.');
    expect(fakes.lambda.invocations).toEqual([]);
    expect(local.sns.published).toEqual([]);
    expect(operations('DeleteMessage')).toBe(0);
    for (const url of [deployment.detectorFailureQueueUrl, deployment.ruleTargetQueueUrl]) {
      const messages = fakes.sqs.messages(url);
      expect(messages).toHaveLength(1);
      expect(messages.every((m) => m.visible && m.receiveCount === 1)).toBe(true);
    }
    expect(await storedAlert(alertIdFor(RDS_RULE, eventIdOf(rds)))).toBeUndefined();
  });

  it('reports unrecognised messages and leaves them, visible, while redriving the rest', async () => {
    const rds = freshEvent(RDS);
    fakes.sqs.send(deployment.detectorFailureQueueUrl, 'not json at all');
    fakes.sqs.send(deployment.detectorFailureQueueUrl, JSON.stringify({ hello: 'world' }));
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(rds));

    const run = await redrive();

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /unrecognised\s+message \S+: the body is not JSON; left in the queue/,
    );
    expect(run.stdout).toMatch(
      /unrecognised\s+message \S+: neither a Lambda failure record nor an EventBridge event; left in the queue/,
    );
    expect(run.stdout).toContain(
      'Redrove 1 of 3 messages (alerts: 1 notified). Left 2 in the queues (2 unrecognised)',
    );
    const left = fakes.sqs.messages(deployment.detectorFailureQueueUrl);
    expect(left.map((m) => m.body).sort()).toEqual(
      ['not json at all', JSON.stringify({ hello: 'world' })].sort(),
    );
    expect(left.every((m) => m.visible)).toBe(true);
    expect(local.sns.published).toHaveLength(1);
  });

  it('leaves a message the detector fails on in the queue, visible, with the error', async () => {
    const broken = freshEvent(RDS);
    delete broken.detail.eventName;
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(broken));

    const run = await redrive();

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `failed\\s+${eventIdOf(broken)}\\s+-\\s+.*InvalidEventError: invalid event: detail.eventName is missing; left in the queue`,
      ),
    );
    expect(fakes.lambda.invocations).toHaveLength(1);
    expect(fakes.lambda.invocations[0]?.error?.errorType).toBe('InvalidEventError');
    const [left] = fakes.sqs.messages(deployment.detectorFailureQueueUrl);
    expect(left).toMatchObject({ visible: true, receiveCount: 1 });
    expect(local.sns.published).toEqual([]);
  });

  it('after an SNS outage: events that still fail stay queued, and the next redrive notifies each exactly once', async () => {
    const rds = freshEvent(RDS);
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(rds));
    // SNS still down: every publish attempt the SDK makes fails.
    local.sns.failNext(10, { status: 503 });

    const during = await redrive();
    expect(during.code).toBe(1);
    expect(during.stdout).toMatch(new RegExp(`failed\\s+${eventIdOf(rds)}`));
    expect(fakes.sqs.messages(deployment.detectorFailureQueueUrl)).toHaveLength(1);
    expect(local.sns.published).toEqual([]);
    // The detector recorded the alert before publishing; it is pending, not lost.
    expect(await storedAlert(alertIdFor(RDS_RULE, eventIdOf(rds)))).toMatchObject({
      delivery: 'pending',
    });

    local.sns.reset();
    const after = await redrive();
    expect(after.code).toBe(0);
    // The detector found its own pending alert and finished delivering it.
    expect(after.stdout).toMatch(new RegExp(`resumed\\s+${eventIdOf(rds)}`));
    expect(local.sns.published).toHaveLength(1);
    expect(fakes.sqs.messages(deployment.detectorFailureQueueUrl)).toEqual([]);
    expect(await storedAlert(alertIdFor(RDS_RULE, eventIdOf(rds)))).toMatchObject({
      delivery: 'notified',
    });
  });

  it('stops after --max messages and leaves the rest untouched', async () => {
    const events = [freshEvent(RDS), freshEvent(RDS), freshEvent(CACHE)];
    for (const event of events)
      fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(event));

    const run = await redrive(['--max', '2']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Stopped at --max; more may be waiting.');
    expect(fakes.lambda.invocations).toHaveLength(2);
    const left = fakes.sqs.messages(deployment.detectorFailureQueueUrl);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ visible: true, receiveCount: 0 });
    expect(operations('ReceiveMessage')).toBe(1);
  });

  it('says so when the queues are empty', async () => {
    const run = await redrive();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing to redrive: the queues are empty.');
    expect(fakes.lambda.invocations).toEqual([]);
  });

  it('works from --queue and --function alone, without the stack', async () => {
    fakes.cloudFormation.deleteStack('Sgwatch');
    const rds = freshEvent(RDS);
    fakes.sqs.send(deployment.ruleTargetQueueUrl, JSON.stringify(rds), ruleTargetAttributes());

    const run = await redrive([
      '--queue',
      deployment.ruleTargetQueueUrl,
      '--function',
      DETECTOR_FUNCTION,
    ]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^queue Sgwatch-RuleTargetQueue9C8D7E6F-GhIjKl /m);
    expect(fakes.sqs.messages(deployment.ruleTargetQueueUrl)).toEqual([]);
    expect(local.sns.published).toHaveLength(1);
  });

  it('fails with the reason, and leaves every message visible, when the detector cannot be invoked', async () => {
    const events = [freshEvent(RDS), freshEvent(CACHE)];
    for (const event of events)
      fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(event));

    const run = await redrive(['--function', 'no-such-function']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^sgwatch: cannot invoke the detector no-such-function: ResourceNotFoundException: Function not found: .*; stopped/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const left = fakes.sqs.messages(deployment.detectorFailureQueueUrl);
    expect(left).toHaveLength(2);
    expect(left.every((m) => m.visible)).toBe(true);
  });

  it('fails with a clear message when the stack is not deployed in the Region', async () => {
    const run = await runCli(['redrive', '--region', 'eu-west-1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'sgwatch: stack Sgwatch does not exist in eu-west-1: pass --region (and --stack) for where sgwatch is deployed, or name the queues and function with --queue and --function\n',
    );
  });

  it('rejects bad options with a usage error', async () => {
    expect((await redrive(['--max', '0'])).code).toBe(2);
    expect((await redrive(['--queue', 'not a url', '--function', 'x'])).stderr).toContain(
      '--queue must be a queue URL',
    );
    expect((await redrive(['--bogus'])).code).toBe(2);
    expect((await runCli(['redrive', '--region', 'Europe'])).stderr).toContain(
      '--region must be an AWS Region name',
    );
  });

  it('with --format jsonl, prints one JSON object per message and nothing else on stdout', async () => {
    // Prepare
    const rds = freshEvent(RDS);
    const cache = freshEvent(CACHE);
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(rds));
    fakes.sqs.send(deployment.detectorFailureQueueUrl, 'not json at all');
    fakes.sqs.send(deployment.ruleTargetQueueUrl, JSON.stringify(cache), ruleTargetAttributes());

    // Act
    const run = await redrive(['--format', 'jsonl']);

    // Assess: each line is a message; the queue lines and the summary are on stderr
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const reports = lines.map((line) => JSON.parse(line));
    expect(reports).toEqual([
      {
        result: 'redriven',
        queue: deployment.detectorFailureQueueUrl,
        messageId: expect.any(String),
        eventId: eventIdOf(rds),
        eventName: 'CreateDBSecurityGroup',
        account: expect.stringMatching(/^\d{12}$/),
        region: 'us-east-1',
        cause: 'RetriesExhausted after 3 attempt(s): InternalErrorException: SNS is unavailable',
        alerts: [{ ruleId: RDS_RULE, outcome: 'notified' }],
      },
      {
        result: 'unrecognised',
        queue: deployment.detectorFailureQueueUrl,
        messageId: expect.any(String),
        reason: 'the body is not JSON',
      },
      expect.objectContaining({
        result: 'redriven',
        queue: deployment.ruleTargetQueueUrl,
        eventId: eventIdOf(cache),
        cause: 'SDK_CLIENT_ERROR: Lambda is throttling the function (MaximumRetryAttempts)',
        alerts: [{ ruleId: CACHE_RULE, outcome: 'notified' }],
      }),
    ]);
    expect(run.stderr).toMatch(/^Detector failure queue \S+ \(us-east-1\): about 2 message\(s\)$/m);
    expect(run.stderr).toMatch(/^Rule target queue \S+ \(us-east-1\): about 1 message\(s\)$/m);
    expect(run.stderr).toContain(
      'Redrove 2 of 3 messages (alerts: 2 notified). Left 1 in the queues (1 unrecognised)',
    );
    expect(local.sns.published).toHaveLength(2);
  });

  it.each([[['--format', 'json']], [['--json']]])(
    'with %j, prints the messages as one JSON array, a dry run included',
    async (flags) => {
      // Prepare
      const broken = freshEvent(RDS);
      delete broken.detail.eventName;
      fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(broken));

      // Act
      const run = await redrive(['--dry-run', ...flags]);

      // Assess
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual([
        {
          result: 'would-redrive',
          queue: deployment.detectorFailureQueueUrl,
          messageId: expect.any(String),
          eventId: eventIdOf(broken),
          eventName: null,
          account: expect.stringMatching(/^\d{12}$/),
          region: 'us-east-1',
          cause: 'RetriesExhausted after 3 attempt(s): InternalErrorException: SNS is unavailable',
          rejection: expect.stringContaining('detail.eventName is missing'),
        },
      ]);
      expect(run.stderr).toMatch(/^Dry run: nothing is invoked or deleted\.$/m);
      expect(run.stderr).toContain('Dry run: 1 message, 1 would be redriven.');
      expect(fakes.lambda.invocations).toEqual([]);
    },
  );

  it('with --format json, prints an empty array when the queues are empty', async () => {
    const run = await redrive(['--format', 'json']);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('[]\n');
    expect(run.stderr).toContain('Nothing to redrive: the queues are empty.');
  });

  it('with --format json, still prints a whole array when the detector cannot be invoked', async () => {
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(freshEvent(RDS)));

    const run = await redrive(['--format', 'json', '--function', 'no-such-function']);

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([]);
    expect(run.stderr).toMatch(/^sgwatch: cannot invoke the detector no-such-function: /m);
    expect(fakes.sqs.messages(deployment.detectorFailureQueueUrl)).toHaveLength(1);
  });

  it('with --format table, prints what it prints by default', async () => {
    fakes.sqs.send(deployment.detectorFailureQueueUrl, detectorFailureRecord(freshEvent(RDS)));
    fakes.sqs.send(deployment.ruleTargetQueueUrl, 'not json at all');

    const byDefault = await redrive(['--dry-run']);
    const table = await redrive(['--dry-run', '--format', 'table']);

    expect(table.code).toBe(byDefault.code);
    expect(table.stdout).toBe(byDefault.stdout);
    expect(table.stdout).toMatch(/^ {2}would redrive/m);
    expect(table.stderr).toBe('');
  });

  it.each([
    [['--format', 'xml'], '--format must be table, json or jsonl; got "xml"'],
    [['--json', '--format', 'jsonl'], '--json is --format json; it cannot go with --format jsonl'],
  ])('rejects %j with a usage error', async (flags, message) => {
    const run = await redrive(flags);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(operations('ReceiveMessage')).toBe(0);
  });

  it('prints its help for --help and "help redrive"', async () => {
    expect((await runCli(['redrive', '--help'])).stdout).toBe(REDRIVE_HELP);
    expect((await runCli(['help', 'redrive'])).stdout).toBe(REDRIVE_HELP);
  });
});
