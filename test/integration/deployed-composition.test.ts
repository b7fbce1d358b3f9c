/**
 * The deployed whole: events go through the synthesized templates as EventBridge routes
 * them (each rule's pattern, its target's input, transformer included), for the default
 * bus, the hub bus and a spoke, into the unchanged handler over dynalite and the local SNS
 * endpoint. An event matching N detections must give N alerts and N notifications with no
 * failed invocation, however many paths and copies bring it.
 */
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { Template } from 'aws-cdk-lib/assertions';
import { alertIdFor } from '../../lambda/core/alert';
import type { CloudTrailEnvelope } from '../../lambda/core/cloudtrail';
import { DynamoDbFindingRetries } from '../../lambda/adapters/finding-retries';
import { FINDING_RETRY_RUN } from '../../lambda/core/finding-sink';
import type { Handler, HandlerResult } from '../../lambda/handler';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import type { Routed } from '../support/eventbridge';
import { route } from '../support/eventbridge';
import type { FaultProxy } from '../support/fault-proxy';
import { startFaultProxy } from '../support/fault-proxy';
import { heldTimeouts } from '../support/held-timeouts';
import type { LocalSecurityHub } from '../support/local-securityhub';
import { startLocalSecurityHub } from '../support/local-securityhub';
import { loadEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { readStoredAlert, startLocalAws } from '../support/servers';
import { removeTemporaryDirs, stackSetSpokeOf, synthesize } from '../support/synth';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HUB = { account: '111122223333', region: 'us-east-1' };
const MEMBER = { account: '222233334444', region: 'eu-west-1' };
/** `ModifyDBInstance` making a database public and swapping its security groups. */
const TWO_DETECTIONS =
  'cloudtrail/shared/rds-modify-db-instance.success.public-and-security-groups.json';
const DETECTIONS = ['aws.rds.instance-made-public', 'aws.datastore.security-groups-changed'];

const sgwatch = synthesize(
  { regions: 'us-east-1,eu-west-1', organizationId: 'o-a1b2c3d4e5' },
  { hubEnv: HUB },
);
const hubTemplate = Template.fromStack(sgwatch.stack).toJSON();
const spokeTemplate = Template.fromStack(stackSetSpokeOf(sgwatch)).toJSON();
const hubBus = {
  ref: Object.entries<Json>(hubTemplate.Resources).find(
    ([, r]) => r.Type === 'AWS::Events::EventBus',
  )?.[0] as string,
};

let aws: LocalAws;
let handler: Handler;
let counter = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  handler = createHandler(handlerDepsFromEnvironment(process.env));
});

afterAll(async () => {
  await aws.close();
  removeTemporaryDirs();
});

beforeEach(() => aws.sns.reset());

/** The two-detection call, with an event id of its own, made in `where`. */
function twoDetectionEvent(where: { account: string; region: string } = HUB): CloudTrailEnvelope {
  counter += 1;
  const event = loadEnvelope(TWO_DETECTIONS);
  const detail = event.detail as unknown as Json;
  detail.eventID = `composition-${counter}-${Date.now()}`;
  detail.awsRegion = where.region;
  detail.recipientAccountId = where.account;
  detail.userIdentity = { ...detail.userIdentity, accountId: where.account };
  return { ...event, account: where.account, region: where.region };
}

/** Invokes the detector with what each routed target was sent, as Lambda would, all at once. */
async function invokeAll(routed: readonly Routed[]): Promise<HandlerResult[]> {
  for (const { targetArn } of routed) expect(JSON.stringify(targetArn)).toContain('Detector');
  return Promise.all(routed.map(({ input }) => handler(JSON.parse(JSON.stringify(input)))));
}

function alertIdsOf(event: CloudTrailEnvelope): string[] {
  return DETECTIONS.map((id) => alertIdFor(id, event.detail.eventID)).sort();
}

async function expectTwoAlertsSentOnce(event: CloudTrailEnvelope): Promise<void> {
  const sent = aws.sns.published.map((m) => m.attributes.alertId?.stringValue).sort();
  expect(sent).toEqual(alertIdsOf(event));
  for (const alertId of alertIdsOf(event)) {
    expect(await readStoredAlert(aws.dynamodb, alertId)).toMatchObject({ delivery: 'notified' });
  }
}

describe('one event that matches two detections', () => {
  it('on the default bus: two rules, two invocations, each owning one alert; no invocation fails', async () => {
    const event = twoDetectionEvent();
    const routed = route(hubTemplate, 'default', event);
    expect(routed).toHaveLength(2);
    const results = await invokeAll(routed);
    expect(results.map((r) => r.alerts.map((a) => [a.ruleId, a.outcome])).sort()).toEqual(
      DETECTIONS.map((id) => [[id, 'notified']]).sort(),
    );
    await expectTwoAlertsSentOnce(event);
  });

  it('on the hub bus, forwarded once by a spoke: the same two alerts', async () => {
    const event = twoDetectionEvent(MEMBER);
    const forwarded = route(spokeTemplate, 'default', event);
    expect(forwarded).toHaveLength(1);
    expect(JSON.stringify(forwarded[0]?.targetArn)).toContain('event-bus/sgwatch-hub');
    const results = await invokeAll(route(hubTemplate, hubBus, forwarded[0]?.input));
    expect(results.flatMap((r) => r.alerts.map((a) => a.outcome))).toEqual([
      'notified',
      'notified',
    ]);
    await expectTwoAlertsSentOnce(event);
    const alert = await readStoredAlert(aws.dynamodb, alertIdsOf(event)[0] ?? '');
    expect(alert).toMatchObject({ account: MEMBER.account, region: MEMBER.region });
  });

  it('delivered twice by each rule and by two paths at once: still two alerts, two notifications, no failure', async () => {
    const event = twoDetectionEvent();
    // EventBridge delivers at least once; the call also reaches the hub bus through a spoke.
    const direct = route(hubTemplate, 'default', event);
    const viaSpoke = route(hubTemplate, hubBus, route(spokeTemplate, 'default', event)[0]?.input);
    const results = await invokeAll([...direct, ...direct, ...viaSpoke, ...viaSpoke]);
    const outcomes = results.flatMap((r) => r.alerts.map((a) => a.outcome));
    expect(outcomes).toHaveLength(8);
    expect(outcomes.filter((o) => o === 'notified')).toHaveLength(2);
    expect(outcomes.every((o) => ['notified', 'duplicate', 'in-flight'].includes(o))).toBe(true);
    await expectTwoAlertsSentOnce(event);
  });

  it('sent by hand as a bare EventBridge event: both detections run in one invocation', async () => {
    const event = twoDetectionEvent();
    const result = await handler(event);
    expect(result.alerts.map((a) => a.outcome)).toEqual(['notified', 'notified']);
    await expectTwoAlertsSentOnce(event);
  });

  it('fails, keeping the event, when routed by a detection the detector does not run', async () => {
    const event = twoDetectionEvent();
    await expect(handler({ detection: 'aws.nothing.like-this', event })).rejects.toThrow(
      /invalid event: detection names a detection this detector does not run/,
    );
    expect(aws.sns.published).toHaveLength(0);
  });
});

describe('Security Hub beside SNS, in the deployed composition', () => {
  let hub: LocalSecurityHub;
  let proxy: FaultProxy;
  const timeouts = heldTimeouts();
  let findingHandler: Handler;

  beforeAll(async () => {
    hub = await startLocalSecurityHub();
    proxy = await startFaultProxy(hub.url, { onHold: timeouts.expire });
    const client = new SecurityHubClient({ region: 'us-east-1', endpoint: hub.url });
    await client.send(new EnableSecurityHubCommand({}));
    client.destroy();
    findingHandler = createHandler(
      handlerDepsFromEnvironment(
        {
          ...process.env,
          AWS_ENDPOINT_URL_SECURITYHUB: proxy.url,
          SECURITY_HUB_PRODUCT_ARN: hub.productArn,
        },
        { requestHandler: timeouts.requestHandler },
      ),
    );
    // The SDK reads the endpoint variable at a client's first call.
    process.env.AWS_ENDPOINT_URL_SECURITYHUB = proxy.url;
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SECURITYHUB;
    await Promise.all([proxy.close(), hub.close()]);
  });

  it.each([
    ['never answers', { kind: 'hang' } as const],
    [
      'throttles every attempt',
      {
        kind: 'respond',
        status: 429,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ __type: 'TooManyRequestsException', Message: 'Rate exceeded' }),
      } as const,
    ],
  ])(
    'sends both notifications of a two-detection event and fails nothing when Security Hub %s',
    async (_label, fault) => {
      proxy.reset();
      proxy.inject({ match: () => true, fault, times: 100 });
      const event = twoDetectionEvent();
      const results = await invokeAll(route(hubTemplate, 'default', event));
      expect(results.flatMap((r) => r.alerts.map((a) => a.outcome))).toEqual([
        'notified',
        'notified',
      ]);
      await expectTwoAlertsSentOnce(event);
      // Every import was tried, and none landed.
      expect(proxy.log.length).toBeGreaterThanOrEqual(2);
      expect(hub.findings.size).toBe(0);
    },
  );

  it('imports the findings once Security Hub answers again, on the next delivery of the event', async () => {
    proxy.reset();
    const event = twoDetectionEvent();
    const routed = route(hubTemplate, 'default', event);
    proxy.inject({ match: () => true, fault: { kind: 'hang' }, times: 100 });
    await invokeAll(routed);
    expect(hub.findings.size).toBe(0);
    proxy.reset();
    const again = await Promise.all(routed.map(({ input }) => findingHandler(input)));
    expect(again.flatMap((r) => r.alerts.map((a) => a.outcome))).toEqual([
      'duplicate',
      'duplicate',
    ]);
    expect(hub.findings.size).toBe(2);
    await expectTwoAlertsSentOnce(event);
  });

  it('keeps the findings Security Hub did not take, and the scheduled retry run imports them once it answers', async () => {
    proxy.reset();
    const event = twoDetectionEvent();
    proxy.inject({ match: () => true, fault: { kind: 'hang' }, times: 100 });
    await invokeAll(route(hubTemplate, 'default', event));
    const retries = new DynamoDbFindingRetries(aws.dynamodb.client, aws.dynamodb.tableName);
    expect(await retries.pending(100)).toEqual(expect.arrayContaining(alertIdsOf(event)));

    // A run while Security Hub is still away keeps them, and does not fail.
    const stillDown = await findingHandler(FINDING_RETRY_RUN);
    expect(stillDown.alerts.filter((a) => alertIdsOf(event).includes(a.alertId))).toEqual(
      alertIdsOf(event).map((alertId) =>
        expect.objectContaining({ alertId, outcome: 'finding-pending' }),
      ),
    );
    expect(await retries.pending(100)).toEqual(expect.arrayContaining(alertIdsOf(event)));

    // Once it answers, the next run imports them and forgets them.
    proxy.reset();
    const run = await findingHandler(FINDING_RETRY_RUN);
    expect(
      run.alerts.filter((a) => a.outcome === 'finding-imported').map((a) => a.alertId),
    ).toEqual(expect.arrayContaining(alertIdsOf(event)));
    expect(await retries.pending(100)).toEqual([]);
    expect(hub.findings.size).toBeGreaterThanOrEqual(2);
    // Nothing was sent again.
    await expectTwoAlertsSentOnce(event);
  });

  /** Invokes the Security Hub-enabled detector with what each routed target was sent. */
  async function invokeAll(routed: readonly Routed[]): Promise<HandlerResult[]> {
    return Promise.all(
      routed.map(({ input }) => findingHandler(JSON.parse(JSON.stringify(input)))),
    );
  }
});
