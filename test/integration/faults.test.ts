/**
 * Fault tolerance of the unchanged detector: the real handler, the real SDK clients, dynalite
 * and the local SNS endpoint, with a fault-injecting proxy in front of each. For every fault
 * the test checks that no alert is lost (it is published on a retry, or the invocation fails
 * so Lambda retries it and finally parks it in the failure queue with the cause), and that a
 * finished alert is never published again. Each scenario adds a row to the table printed at
 * the end: fault, events, deliveries, alerts lost, duplicate notifications, recovery.
 */
import { alertIdFor } from '../../lambda/core/alert';
import type { HandlerResult } from '../../lambda/handler';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import type { FaultProxy } from '../support/fault-proxy';
import {
  DELIVERY_REQUESTS,
  DROP_RESPONSE,
  DYNAMODB_INTERNAL_ERROR,
  DYNAMODB_THROTTLED,
  HANG,
  HANG_AFTER_FORWARD,
  SNS_INTERNAL_ERROR,
  SNS_THROTTLED,
  SNS_UNAVAILABLE,
  allOf,
  bodyIncludes,
  dynamoOperation,
  startFaultProxy,
} from '../support/fault-proxy';
import { ManualClock } from '../support/clock';
import { loadEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { heldTimeouts } from '../support/held-timeouts';
import { readStoredAlert, startLocalAws } from '../support/servers';

type Handler = (event: unknown, context?: { awsRequestId?: string }) => Promise<HandlerResult>;

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const RDS_RULE = 'aws.rds.create-db-security-group';

const {
  publish,
  create: putItem,
  markNotified,
  release,
  countGroup: burstGroupCounter,
} = DELIVERY_REQUESTS;
const updateItem = dynamoOperation('UpdateItem');

let aws: LocalAws;
let dynamo: FaultProxy;
let sns: FaultProxy;
/** The default configuration (45 s claim), with short SDK timeouts. */
let handler: Handler;
/**
 * The handler's time: a claim lapses when a scenario moves it past the stored expiry, as a
 * dead publisher's would after Lambda's wait, and never because the machine was slow.
 */
const clock = new ManualClock();
/** A held request times out at once on the client's side; a healthy one never does. */
const timeouts = heldTimeouts();

let eventCounter = 0;
function freshEvent(): Record<string, unknown> {
  const envelope = loadEnvelope(RDS_FIXTURE) as unknown as { detail: Record<string, unknown> };
  eventCounter += 1;
  envelope.detail.eventID = `fault-${Date.now()}-${eventCounter}`;
  const identity = envelope.detail.userIdentity as Record<string, unknown>;
  envelope.detail.userIdentity = { ...identity, arn: `${String(identity.arn)}-f${eventCounter}` };
  return envelope;
}

function alertIdOf(event: Record<string, unknown>): string {
  return alertIdFor(RDS_RULE, (event.detail as { eventID: string }).eventID);
}

function stored(alertId: string) {
  return readStoredAlert(aws.dynamodb, alertId);
}

/** Moves the clock past the stored claim on `alertId`, as Lambda's wait before a retry does. */
async function letLeaseLapse(alertId: string): Promise<void> {
  const until = (await stored(alertId))?.claimedUntil;
  if (until === undefined) throw new Error(`alert ${alertId} holds no claim`);
  clock.passBeyond(until);
}

/**
 * Delivers a copy while the alert's claim is live: it succeeds without sending anything and
 * leaves the alert to the claim's holder, whose own retry takes it over after the lapse.
 */
async function expectInFlight(event: Record<string, unknown>): Promise<void> {
  const before = aws.sns.published.length;
  const copy = await handler(structuredClone(event));
  expect(copy.alerts.map((a) => a.outcome)).toEqual(['in-flight']);
  expect(aws.sns.published).toHaveLength(before);
}

/** The alert ids of what SNS accepted, in order. */
function publishedIds(): string[] {
  return aws.sns.published.map((m) => m.attributes.alertId?.stringValue ?? 'missing');
}

interface Row {
  readonly fault: string;
  /** The one unavoidable duplicate: SNS took a copy whose acknowledgement never arrived. */
  readonly duplicateExpected: boolean;
  readonly events: number;
  readonly deliveries: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly recovery: string;
}
const table: Row[] = [];

/**
 * Records a scenario's row and asserts its invariants: every expected alert was published
 * and ended `notified` with one of the published message ids; nothing else was published.
 */
async function settle(
  fault: string,
  expectedAlertIds: readonly string[],
  deliveries: number,
  recovery: string,
  duplicateExpected = false,
): Promise<Row> {
  const ids = publishedIds();
  const lost = expectedAlertIds.filter((id) => !ids.includes(id)).length;
  const row = {
    fault,
    duplicateExpected,
    events: expectedAlertIds.length,
    deliveries,
    lost,
    duplicates: ids.length - new Set(ids).size,
    recovery,
  };
  table.push(row);
  expect(lost).toBe(0);
  expect(row.duplicates).toBe(duplicateExpected ? 1 : 0);
  expect(new Set(ids)).toEqual(new Set(expectedAlertIds));
  for (const alertId of expectedAlertIds) {
    const alert = await stored(alertId);
    expect(alert?.delivery).toBe('notified');
    expect(aws.sns.published.map((m) => m.messageId)).toContain(alert?.messageId);
  }
  return row;
}

beforeAll(async () => {
  aws = await startLocalAws();
  [dynamo, sns] = await Promise.all([
    startFaultProxy(aws.dynamodb.endpoint, { onHold: timeouts.expire }),
    startFaultProxy(aws.sns.url, { onHold: timeouts.expire }),
  ]);
  // The SDK reads its endpoint variables when a client first sends, not when it is built,
  // so these stay set for the whole file.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SNS: sns.url,
  });
  // The deployed configuration (45 s claim, three attempts per call), on the test's clock
  // and network.
  handler = createHandler(
    handlerDepsFromEnvironment(process.env, {
      clock,
      requestHandler: timeouts.requestHandler,
    }),
  );
});

afterAll(async () => {
  await Promise.all([dynamo.close(), sns.close()]);
  await aws.close();
  // Across every scenario that ran (all of them, or those picked with -t): no alert lost,
  // and a duplicate only where a publish was acknowledged to no one, never more than one.
  expect(table.reduce((sum, r) => sum + r.lost, 0)).toBe(0);
  const duplicated = table.filter((r) => r.duplicates > 0).map((r) => r.fault);
  expect(duplicated).toEqual(table.filter((r) => r.duplicateExpected).map((r) => r.fault));
  expect(table.every((r) => r.duplicates <= 1)).toBe(true);
  const header =
    '| Fault | Events | Deliveries | Alerts lost | Duplicate notifications | Recovered by |';
  const lines = table.map(
    (r) =>
      `| ${r.fault} | ${r.events} | ${r.deliveries} | ${r.lost} | ${r.duplicates} | ${r.recovery} |`,
  );
  const total = table.reduce(
    (sum, r) => ({
      events: sum.events + r.events,
      deliveries: sum.deliveries + r.deliveries,
      lost: sum.lost + r.lost,
      duplicates: sum.duplicates + r.duplicates,
    }),
    { events: 0, deliveries: 0, lost: 0, duplicates: 0 },
  );
  process.stdout.write(
    `\nFault table (${table.length} faults)\n${header}\n|---|---|---|---|---|---|\n${lines.join('\n')}\n` +
      `| total | ${total.events} | ${total.deliveries} | ${total.lost} | ${total.duplicates} | |\n`,
  );
});

beforeEach(() => {
  aws.sns.reset();
  dynamo.reset();
  sns.reset();
});

afterEach(() => {
  // A rule left unused means the fault never happened and the test proved nothing.
  expect({ dynamo: dynamo.pendingRules, sns: sns.pendingRules }).toEqual({ dynamo: 0, sns: 0 });
});

describe('SNS faults', () => {
  it.each([
    ['an SNS 500 on one attempt', SNS_INTERNAL_ERROR],
    ['SNS throttling (429 Throttled) on one attempt', SNS_THROTTLED],
    ['an SNS request that never answers, once', HANG],
  ])('publishes once through the SDK retry after %s', async (label, fault) => {
    sns.inject({ match: publish, fault });
    const event = freshEvent();
    const result = await handler(event);
    expect(result.alerts.map((a) => a.outcome)).toEqual(['notified']);
    expect(aws.sns.published).toHaveLength(1);
    await settle(label, [alertIdOf(event)], 1, 'SDK retry in the same invocation');
  });

  it.each([
    ['an SNS 503 on every attempt', SNS_UNAVAILABLE, /ServiceUnavailable/],
    ['SNS throttling on every attempt', SNS_THROTTLED, /ThrottledException/],
    ['an SNS timeout on every attempt', HANG, /TimeoutError/],
  ])(
    'fails the invocation naming the cause after %s, and the redelivery publishes once',
    async (label, fault, cause) => {
      sns.inject({ match: publish, fault, times: 3 });
      const event = freshEvent();
      const alertId = alertIdOf(event);
      const failure = handler(structuredClone(event));
      await expect(failure).rejects.toMatchObject({ name: 'PublishError', alertId });
      await expect(failure).rejects.toThrow(cause);
      expect(aws.sns.published).toHaveLength(0);
      // The claim was handed back, so the retry need not wait for it to lapse.
      expect(await stored(alertId)).toMatchObject({ delivery: 'pending' });
      expect((await stored(alertId))?.claimedUntil).toBeUndefined();

      const retry = await handler(structuredClone(event));
      expect(retry.alerts.map((a) => a.outcome)).toEqual(['resumed']);
      const again = await handler(structuredClone(event));
      expect(again.alerts.map((a) => a.outcome)).toEqual(['duplicate']);
      expect(aws.sns.published).toHaveLength(1);
      await settle(label, [alertId], 3, 'Lambda retry (alert left pending, claim released)');
    },
  );

  it.each([
    ['an SNS publish that succeeded but whose response was lost (reset)', DROP_RESPONSE],
    ['an SNS publish that succeeded but whose response timed out', HANG_AFTER_FORWARD],
  ])(
    'sends a second copy with the same alert id after %s, and never a third',
    async (label, fault) => {
      sns.inject({ match: publish, fault });
      const event = freshEvent();
      const alertId = alertIdOf(event);
      const result = await handler(structuredClone(event));
      expect(result.alerts.map((a) => a.outcome)).toEqual(['notified']);
      // Unavoidable: SNS had accepted the first copy when the SDK retried.
      expect(publishedIds()).toEqual([alertId, alertId]);
      const [first, second] = aws.sns.published;
      expect(JSON.parse(second?.message ?? '{}')).toEqual(JSON.parse(first?.message ?? '{}'));

      const redelivered = await handler(structuredClone(event));
      expect(redelivered.alerts.map((a) => a.outcome)).toEqual(['duplicate']);
      expect(aws.sns.published).toHaveLength(2);
      await settle(label, [alertId], 2, 'SDK retry; consumers dedupe on alertId', true);
    },
  );
});

describe('DynamoDB faults', () => {
  it('publishes once when each kind of write is throttled once', async () => {
    dynamo.inject({ match: putItem, fault: DYNAMODB_THROTTLED });
    dynamo.inject({ match: markNotified, fault: DYNAMODB_THROTTLED });
    const event = freshEvent();
    const result = await handler(event);
    expect(result.alerts.map((a) => a.outcome)).toEqual(['notified']);
    expect(dynamo.log.filter((e) => e.fault === 'respond')).toHaveLength(2);
    await settle(
      'DynamoDB throttling on one attempt of the create and of mark-notified',
      [alertIdOf(event)],
      1,
      'SDK retry in the same invocation',
    );
  });

  it.each([
    ['a DynamoDB 500 on one Query', dynamoOperation('Query'), DYNAMODB_INTERNAL_ERROR],
    ['a DynamoDB Query that never answers, once', dynamoOperation('Query'), HANG],
  ])('publishes once after %s', async (label, match, fault) => {
    dynamo.inject({ match, fault });
    const event = freshEvent();
    expect((await handler(event)).alerts.map((a) => a.outcome)).toEqual(['notified']);
    await settle(label, [alertIdOf(event)], 1, 'SDK retry in the same invocation');
  });

  it('fails naming the throttling when the create is throttled on every attempt, storing nothing', async () => {
    dynamo.inject({ match: putItem, fault: DYNAMODB_THROTTLED, times: 3 });
    const event = freshEvent();
    const alertId = alertIdOf(event);
    const failure = handler(structuredClone(event));
    await expect(failure).rejects.toMatchObject({ name: 'AlertStoreError' });
    await expect(failure).rejects.toThrow(
      /alert store create of alert \w+ failed: ProvisionedThroughputExceededException after 3 attempt\(s\)/,
    );
    expect(await stored(alertId)).toBeUndefined();
    expect(aws.sns.published).toHaveLength(0);

    const retry = await handler(structuredClone(event));
    expect(retry.alerts.map((a) => a.outcome)).toEqual(['notified']);
    await settle(
      'DynamoDB throttling on every attempt of the create',
      [alertId],
      2,
      'Lambda retry',
    );
  });

  it('takes an alert whose invocation failed mid-way over once its claim lapses, publishing once', async () => {
    // The alert is stored, then its burst counter fails past the SDK's retries: the
    // invocation ends holding the claim, like one killed mid-way.
    dynamo.inject({ match: burstGroupCounter, fault: DYNAMODB_INTERNAL_ERROR, times: 3 });
    const event = freshEvent();
    const alertId = alertIdOf(event);
    await expect(handler(structuredClone(event))).rejects.toThrow(
      /alert store count burst#\S+ of alert \w+ failed: InternalServerError after 3 attempt\(s\)/,
    );
    expect(await stored(alertId)).toMatchObject({ delivery: 'pending' });
    await expectInFlight(event);
    await letLeaseLapse(alertId);
    const retry = await handler(structuredClone(event));
    expect(retry.alerts.map((a) => a.outcome)).toEqual(['resumed']);
    expect(aws.sns.published).toHaveLength(1);
    await settle(
      'DynamoDB 500 on every attempt of a burst counter update (after the create)',
      [alertId],
      3,
      'Lambda retry after the claim lapsed',
    );
  });

  it('fails naming the refused connection when DynamoDB is unreachable, then publishes once after it returns', async () => {
    await dynamo.setReachable(false);
    const event = freshEvent();
    const alertId = alertIdOf(event);
    try {
      const failure = handler(structuredClone(event));
      await expect(failure).rejects.toMatchObject({ name: 'AlertStoreError' });
      await expect(failure).rejects.toThrow(/alert store .* failed: .*ECONNREFUSED/);
      await expect(handler(structuredClone(event))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await dynamo.setReachable(true);
    }
    expect(aws.sns.published).toHaveLength(0);
    expect(await stored(alertId)).toBeUndefined();

    const retry = await handler(structuredClone(event));
    expect(retry.alerts.map((a) => a.outcome)).toEqual(['notified']);
    await settle('DynamoDB unreachable (connection refused)', [alertId], 3, 'Lambda retry');
  });

  it('recognises its own create when the PutItem response is lost, publishing once at once', async () => {
    dynamo.inject({ match: putItem, fault: DROP_RESPONSE });
    const event = freshEvent();
    const result = await handler(event);
    // Without the claim token the SDK's retry would meet its own claim and report the
    // alert in flight, delaying it by a whole claim period.
    expect(result.alerts.map((a) => a.outcome)).toEqual(['notified']);
    expect(dynamo.log.filter((e) => e.operation === 'PutItem')).toHaveLength(2);
    await settle(
      'DynamoDB create succeeded but its response was lost',
      [alertIdOf(event)],
      1,
      'SDK retry; the claim token shows the write was its own',
    );
  });
});

describe('an invocation that dies between publish and mark notified', () => {
  it('leaves the alert pending; after the claim lapses the redelivery sends it again with the same alert id', async () => {
    dynamo.inject({ match: markNotified, fault: HANG, times: 3 });
    const event = freshEvent();
    const alertId = alertIdOf(event);
    await expect(handler(structuredClone(event))).rejects.toThrow(
      /alert store mark notified of alert \w+ failed: TimeoutError/,
    );
    expect(publishedIds()).toEqual([alertId]);
    expect(await stored(alertId)).toMatchObject({ delivery: 'pending' });

    // While the dead invocation's claim is live, a redelivery must not publish.
    await expectInFlight(event);
    expect(aws.sns.published).toHaveLength(1);

    await letLeaseLapse(alertId);
    const resumed = await handler(structuredClone(event));
    expect(resumed.alerts.map((a) => a.outcome)).toEqual(['resumed']);
    expect(publishedIds()).toEqual([alertId, alertId]);
    const bodies = aws.sns.published.map((m) => JSON.parse(m.message) as Record<string, string>);
    expect(bodies.map((b) => JSON.parse(b.sqs ?? '{}').alertId)).toEqual([alertId, alertId]);
    expect(bodies.map((b) => b.email)).toEqual([bodies[0]?.email, bodies[0]?.email]);

    const after = await handler(structuredClone(event));
    expect(after.alerts.map((a) => a.outcome)).toEqual(['duplicate']);
    await settle(
      'Lambda dies between publish and mark notified (mark notified hangs)',
      [alertId],
      4,
      'Lambda retry after the claim lapsed; same alertId on both copies',
      true,
    );
  });
});

describe('concurrent and abandoned deliveries', () => {
  it('publishes once when the same event arrives 10 times at once, failing no copy', async () => {
    const event = freshEvent();
    const alertId = alertIdOf(event);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => handler(structuredClone(event))),
    );
    expect(aws.sns.published).toHaveLength(1);
    const outcomes = results.flatMap((r) => r.alerts.map((a) => a.outcome));
    expect(outcomes.filter((o) => o === 'notified')).toHaveLength(1);
    // The losers saw the finished alert, or left it to the copy holding its claim.
    expect(
      outcomes.filter((o) => o !== 'notified').every((o) => o === 'duplicate' || o === 'in-flight'),
    ).toBe(true);
    const again = await handler(structuredClone(event));
    expect(again.alerts.map((a) => a.outcome)).toEqual(['duplicate']);
    expect(aws.sns.published).toHaveLength(1);
    await settle(
      '10 concurrent deliveries of one event',
      [alertId],
      11,
      'conditional create; the losers are duplicates or leave it to the claim holder',
    );
  });

  it('takes over a pending alert whose publisher died holding the claim, once the lease expires', async () => {
    // Publish fails and so does handing the claim back: the record is pending, claimed by
    // an invocation that is gone.
    sns.inject({ match: publish, fault: SNS_UNAVAILABLE, times: 3 });
    dynamo.inject({ match: release, fault: DYNAMODB_INTERNAL_ERROR, times: 3 });
    const event = freshEvent();
    const alertId = alertIdOf(event);
    await expect(handler(structuredClone(event))).rejects.toMatchObject({
      name: 'PublishError',
    });
    const abandoned = await stored(alertId);
    expect(abandoned?.delivery).toBe('pending');
    expect(abandoned?.claimedUntil).toEqual(expect.any(String));

    await expectInFlight(event);
    await letLeaseLapse(alertId);
    // Ten deliveries race for the lapsed claim; exactly one takes it.
    const racers = await Promise.all(
      Array.from({ length: 10 }, () => handler(structuredClone(event))),
    );
    const outcomes = racers.flatMap((r) => r.alerts.map((a) => a.outcome));
    expect(outcomes.filter((o) => o === 'resumed')).toHaveLength(1);
    expect(aws.sns.published).toHaveLength(1);
    await settle(
      'publisher died holding the claim (publish and release both failed)',
      [alertId],
      12,
      'lease expiry, then one takeover',
    );
  });

  it('takes over a lapsed claim even when the claim update’s response is lost', async () => {
    sns.inject({ match: publish, fault: SNS_UNAVAILABLE, times: 3 });
    dynamo.inject({ match: release, fault: DYNAMODB_INTERNAL_ERROR, times: 3 });
    const event = freshEvent();
    const alertId = alertIdOf(event);
    await expect(handler(structuredClone(event))).rejects.toMatchObject({
      name: 'PublishError',
    });
    await letLeaseLapse(alertId);
    dynamo.inject({ match: allOf(updateItem, bodyIncludes(':token')), fault: DROP_RESPONSE });
    const retry = await handler(structuredClone(event));
    expect(retry.alerts.map((a) => a.outcome)).toEqual(['resumed']);
    await settle(
      'lease takeover whose claim update succeeded but lost its response',
      [alertId],
      2,
      'SDK retry; the claim token shows the claim was its own',
    );
  });
});
