/**
 * The detector and `sgwatch alerts` against Security Hub: the strict local endpoint by
 * default, moto's Security Hub when SGWATCH_MOTO_URL is set (CI's second opinion). DynamoDB
 * and SNS are the local servers either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, TagResourceCommand } from '@aws-sdk/client-dynamodb';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import {
  EnableSecurityHubCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { createServer } from 'node:http';
import { alertIdFor } from '../../lambda/core/alert';
import { findingIdFor } from '../../lambda/core/asff';
import type { HandlerResult } from '../../lambda/handler';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { SECURITY_HUB_TABLE_TAG } from '../../lib/deployment-names';
import { runCli } from '../support/cli';
import { loadEnvelope } from '../support/fixtures';
import type { LocalSecurityHub } from '../support/local-securityhub';
import { startLocalSecurityHub } from '../support/local-securityhub';
import { closeServer, listenOnLoopback } from '../support/loopback';
import type { LocalAws } from '../support/servers';
import { readStoredAlert, startLocalAws } from '../support/servers';

type Handler = (event: unknown) => Promise<HandlerResult>;

const MOTO_URL = process.env.SGWATCH_MOTO_URL;
/** moto answers as its default account; the local endpoint as the test account. */
const ACCOUNT = MOTO_URL !== undefined ? '123456789012' : '111122223333';
const REGION = 'us-east-1';
const PRODUCT_ARN = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const RDS_RULE = 'aws.rds.create-db-security-group';

let aws: LocalAws;
let hub: LocalSecurityHub | undefined;
let handler: Handler;
let client: SecurityHubClient;
let output: string[] = [];
let errors: string[] = [];
let counter = 0;
let stdoutSpy: jest.SpyInstance;

/** A fixture event with its own event id and caller, so each test owns its alert and burst. */
function freshEvent(): { event: Record<string, unknown>; alertId: string } {
  const envelope = loadEnvelope(RDS_FIXTURE) as unknown as { detail: Record<string, unknown> };
  counter += 1;
  const eventId = `hub-${process.pid}-${Date.now()}-${counter}`;
  envelope.detail.eventID = eventId;
  const identity = envelope.detail.userIdentity as Record<string, unknown>;
  envelope.detail.userIdentity = { ...identity, arn: `${String(identity.arn)}-${counter}` };
  return { event: envelope, alertId: alertIdFor(RDS_RULE, eventId) };
}

/** Findings with this Id, read back through the API (moto ignores filters: filter here too). */
async function findingsWithId(id: string): Promise<AwsSecurityFinding[]> {
  const { Findings = [] } = await client.send(
    new GetFindingsCommand({
      Filters: { Id: [{ Value: id, Comparison: 'EQUALS' }] },
      MaxResults: 100,
    }),
  );
  return Findings.filter((finding) => finding.Id === id);
}

function stored(alertId: string) {
  return readStoredAlert(aws.dynamodb, alertId);
}

/** The detector's EMF metrics lines written since the test started. */
function metricValues(name: string): number[] {
  return output
    .filter((line) => line.includes('"_aws"'))
    .map((line) => (JSON.parse(line) as Record<string, number>)[name] ?? 0);
}

beforeAll(async () => {
  aws = await startLocalAws();
  if (MOTO_URL === undefined)
    hub = await startLocalSecurityHub({ account: ACCOUNT, region: REGION });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECURITYHUB: MOTO_URL ?? hub?.url,
    SECURITY_HUB_PRODUCT_ARN: PRODUCT_ARN,
    // Metrics and warnings on, so the failure count can be read from the EMF line.
    LOG_LEVEL: 'warn',
  });
  client = new SecurityHubClient({ region: REGION });
  // moto keeps its hub enabled between runs of a shared server; enabling it again is harmless.
  await client.send(new EnableSecurityHubCommand({})).catch((error: unknown) => {
    if ((error as { name?: string }).name !== 'ResourceConflictException') throw error;
  });
  handler = createHandler(handlerDepsFromEnvironment(process.env));
});

afterAll(async () => {
  client.destroy();
  await Promise.all([aws.close(), hub?.close()]);
  delete process.env.SECURITY_HUB_PRODUCT_ARN;
  delete process.env.AWS_ENDPOINT_URL_SECURITYHUB;
  process.env.LOG_LEVEL = 'silent';
});

beforeEach(() => {
  aws.sns.reset();
  output = [];
  errors = [];
  stdoutSpy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('detector with Security Hub on', () => {
  it('imports one finding per alert, and a redelivery leaves exactly one', async () => {
    // Prepare
    const { event, alertId } = freshEvent();
    // Act
    for (let i = 0; i < 3; i++) await handler(structuredClone(event));
    // Assess
    const alert = await stored(alertId);
    expect(alert?.delivery).toBe('notified');
    expect(aws.sns.published).toHaveLength(1);
    const id = findingIdFor(alert ?? { alertId, burst: undefined });
    const findings = await findingsWithId(id);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      AwsAccountId: ACCOUNT,
      ProductArn: PRODUCT_ARN,
      GeneratorId: RDS_RULE,
      SchemaVersion: '2018-10-08',
      Workflow: { Status: 'NEW' },
    });
    expect(findings[0]?.ProductFields?.['sgwatch/alertId']).toBe(alertId);
    expect(metricValues('SecurityHubFailures')).toEqual([0, 0, 0]);
  });

  it('still sends and records the alert when Security Hub is unreachable, and counts it', async () => {
    // Prepare: a handler whose Security Hub endpoint refuses connections.
    const dead = createServer();
    const port = await listenOnLoopback(dead);
    await closeServer(dead);
    // The SDK reads the endpoint variable at its first call, so it stays set until then.
    const endpoint = process.env.AWS_ENDPOINT_URL_SECURITYHUB;
    process.env.AWS_ENDPOINT_URL_SECURITYHUB = `http://127.0.0.1:${port}`;
    const { event, alertId } = freshEvent();
    let result: HandlerResult;
    try {
      const outage = createHandler(handlerDepsFromEnvironment(process.env));
      // Act
      result = await outage(event);
    } finally {
      process.env.AWS_ENDPOINT_URL_SECURITYHUB = endpoint;
    }
    // Assess: delivered, recorded, not failed (so not retried), and counted.
    expect(result.alerts).toEqual([{ alertId, ruleId: RDS_RULE, outcome: 'notified' }]);
    expect(aws.sns.published).toHaveLength(1);
    expect((await stored(alertId))?.delivery).toBe('notified');
    expect(metricValues('SecurityHubFailures')).toEqual([1]);
    expect(metricValues('ProcessingErrors')).toEqual([0]);
    expect(stdoutSpy).toHaveBeenCalled();
    expect(errors.join('')).toMatch(
      /finding not recorded; the alert itself was delivered.*ECONNREFUSED/,
    );
  });

  it('still sends the alert when Security Hub is not enabled (InvalidAccessException)', async () => {
    // moto's BatchImportFindings does not check that the hub is enabled; only the local
    // endpoint can answer InvalidAccessException.
    if (hub === undefined) return;
    const { event, alertId } = freshEvent();
    hub.disable();
    try {
      const result = await handler(event);
      expect(result.alerts[0]?.outcome).toBe('notified');
      expect(aws.sns.published).toHaveLength(1);
      expect(metricValues('SecurityHubFailures')).toEqual([1]);
      expect(errors.join('')).toMatch(/finding not recorded.*InvalidAccessException/);
      expect(hub.findings.size).toBe(0);
    } finally {
      await client.send(new EnableSecurityHubCommand({}));
    }
    expect(alertId).toHaveLength(20);
  });

  it('still sends the alert when Security Hub throttles past the retries', async () => {
    // Injected failures are a hook of the local endpoint.
    if (hub === undefined) return;
    const { event } = freshEvent();
    hub.failNext(2, { status: 429, code: 'TooManyRequestsException' });
    const result = await handler(event);
    expect(result.alerts[0]?.outcome).toBe('notified');
    expect(aws.sns.published).toHaveLength(1);
    expect(metricValues('SecurityHubFailures')).toEqual([1]);
  });
});

describe('sgwatch alerts with Security Hub on', () => {
  let dir: string;

  beforeAll(async () => {
    const { Table } = await aws.dynamodb.client.send(
      new DescribeTableCommand({ TableName: aws.dynamodb.tableName }),
    );
    await aws.dynamodb.client.send(
      new TagResourceCommand({
        ResourceArn: Table?.TableArn,
        Tags: [{ Key: SECURITY_HUB_TABLE_TAG, Value: PRODUCT_ARN }],
      }),
    );
    dir = mkdtempSync(join(tmpdir(), 'sgwatch-hub-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the finding’s workflow with ack, resolve and reopen', async () => {
    // moto's Security Hub has no BatchUpdateFindings; this runs against the local endpoint.
    if (hub === undefined) return;
    // Prepare
    const { event, alertId } = freshEvent();
    await handler(event);
    const id = findingIdFor((await stored(alertId)) ?? { alertId, burst: undefined });
    const cli = (args: string[]) =>
      runCli(['alerts', ...args, alertId, '--table', aws.dynamodb.tableName, '--region', REGION], {
        cwd: dir,
        env: { SGWATCH_USER: 'dana' },
      });
    const workflow = async () => (await findingsWithId(id))[0]?.Workflow?.Status;
    // Act / Assess
    const ack = await cli(['ack']);
    expect(ack).toMatchObject({ code: 0, stderr: '' });
    expect(ack.stdout).toContain(`Security Hub finding ${id} is now NOTIFIED.`);
    expect(await workflow()).toBe('NOTIFIED');
    expect((await cli(['resolve', '--note', 'approved in CHG-1'])).code).toBe(0);
    expect(await workflow()).toBe('RESOLVED');
    expect((await findingsWithId(id))[0]?.Note?.Text).toBe(
      'sgwatch: resolved by dana: approved in CHG-1',
    );
    expect((await cli(['reopen'])).code).toBe(0);
    expect(await workflow()).toBe('NEW');
  });

  it('fails with the command to finish by hand when Security Hub refuses the update', async () => {
    // The refusal is injected, a hook of the local endpoint.
    if (hub === undefined) return;
    const { event, alertId } = freshEvent();
    await handler(event);
    hub.failNext(5, { status: 403, code: 'AccessDeniedException' });
    const run = await runCli(
      ['alerts', 'ack', alertId, '--table', aws.dynamodb.tableName, '--region', REGION],
      { cwd: dir, env: { SGWATCH_USER: 'dana' } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^sgwatch: the alert is acknowledged, but its Security Hub finding was not updated \(access denied/,
    );
    expect(run.stderr).toContain('aws securityhub batch-update-findings');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect((await stored(alertId))?.status).toBe('acknowledged');
  });
});
