/**
 * Model-based test of the delivery guarantees. fast-check generates a burst of events (a few
 * callers, one or two windows, more alerts than the cap) and a random program over them:
 * deliveries, concurrent deliveries of one event, claims left to lapse, a delivery from a
 * clock running ahead, and single faults on any DynamoDB write or the SNS publish (failed
 * on every attempt, or applied with the answer lost). The unchanged handler runs against
 * dynalite and the local SNS endpoint behind a fault-injecting proxy. At the end every
 * event is redelivered until it succeeds, as Lambda and a redrive would.
 *
 * The outcome is checked against a small model of the guarantees, written from the
 * documentation and not from the code: nothing lost; a second copy only for an alert whose
 * delivery met a fault the guarantees list; every copy the same kind as the alert's stored
 * placement; per detection window at most cap + 1 notified alerts and exactly one summary
 * once the window is over the cap; per group, positions 1..k with exactly one first.
 */
import fc from 'fast-check';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { alertFromItem } from '../../lambda/adapters/dynamodb-store';
import type { Alert } from '../../lambda/core/alert';
import { alertIdFor } from '../../lambda/core/alert';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { DEFAULT_POLICY } from '../../lambda/core/policy';
import type { Handler, HandlerDeps } from '../../lambda/handler';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import type { Fault, FaultProxy, ProxiedRequest } from '../support/fault-proxy';
import {
  DELIVERY_REQUESTS,
  DROP_RESPONSE,
  DYNAMODB_INTERNAL_ERROR,
  SNS_UNAVAILABLE,
  startFaultProxy,
} from '../support/fault-proxy';
import { loadRecord, toEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { heldTimeouts } from '../support/held-timeouts';
import { startLocalAws } from '../support/servers';
import { runs } from './arbitraries';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const RDS_RULE = 'aws.rds.create-db-security-group';
const CAP = 2;
const WINDOW_MINUTES = 60;
const CLAIM_SECONDS = 30;
/** Deliveries a command or the final drain may fail for reasons the program injected. */
const EXPECTED_FAILURES = new Set(['ClaimLostError', 'AlertStoreError', 'PublishError']);

type Step = 'create' | 'count' | 'record burst' | 'publish' | 'mark';
type FaultKind = 'fails on every attempt' | 'applied, answer lost' | 'applied, every answer lost';

/** The model's event: its record and which window and group it belongs to. */
interface ModelEvent {
  readonly record: CloudTrailRecord;
  readonly alertId: string;
  readonly window: number;
  readonly caller: number;
}

interface Model {
  readonly events: readonly ModelEvent[];
  /** Alerts whose delivery met a fault after which the guarantees allow a second copy. */
  readonly mayRepeat: Set<string>;
}

interface Real {
  readonly now: { ms: number };
  readonly handler: Handler;
  /** The same deployment on a machine whose clock runs a claim period ahead. */
  readonly aheadHandler: Handler;
}

let aws: LocalAws;
let dynamo: FaultProxy;
let sns: FaultProxy;
let deps: HandlerDeps;
let program = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  [dynamo, sns] = await Promise.all([
    startFaultProxy(aws.dynamodb.endpoint),
    startFaultProxy(aws.sns.url),
  ]);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.url;
  process.env.AWS_ENDPOINT_URL_SNS = sns.url;
  // Generous SDK bounds: no fault here hangs, and a loaded machine must not time out a
  // healthy request (which would add a fault the model does not know of).
  deps = handlerDepsFromEnvironment(
    { ...process.env, DELIVERY_CLAIM_SECONDS: String(CLAIM_SECONDS), LOG_LEVEL: 'silent' },
    { requestHandler: heldTimeouts().requestHandler },
  );
});

afterAll(async () => {
  await Promise.all([dynamo.close(), sns.close()]);
  await aws.close();
});

function handlerAt(clock: () => number): Handler {
  return createHandler({
    ...deps,
    delivery: {
      ...deps.delivery,
      clock: { now: () => new Date(clock()) },
      policy: {
        ...DEFAULT_POLICY,
        burst: { windowMinutes: WINDOW_MINUTES, maxNotificationsPerWindow: CAP },
      },
    },
  });
}

/** The request of each step, as the delivery path sends it (for any alert). */
const STEP_REQUEST: Readonly<Record<Step, keyof typeof DELIVERY_REQUESTS>> = {
  create: 'create',
  count: 'count',
  'record burst': 'recordBurst',
  publish: 'publish',
  mark: 'markNotified',
};

function requestOf(step: Step): (request: ProxiedRequest) => boolean {
  return DELIVERY_REQUESTS[STEP_REQUEST[step]];
}

function faultOf(kind: FaultKind, step: Step): { fault: Fault; times: number } {
  if (kind === 'fails on every attempt') {
    return { fault: step === 'publish' ? SNS_UNAVAILABLE : DYNAMODB_INTERNAL_ERROR, times: 3 };
  }
  return { fault: DROP_RESPONSE, times: kind === 'applied, answer lost' ? 1 : 3 };
}

/** What the guarantees list as able to send a second copy (docs/delivery-guarantees.md). */
function mayRepeat(step: Step, kind: FaultKind): boolean {
  return (
    (step === 'publish' && kind !== 'fails on every attempt') ||
    (step === 'mark' && kind === 'fails on every attempt')
  );
}

/** Runs deliveries, requiring each to succeed or fail only in an expected way. */
async function deliverAll(deliveries: readonly Promise<unknown>[]): Promise<void> {
  for (const settled of await Promise.allSettled(deliveries)) {
    if (settled.status === 'rejected') {
      const error = settled.reason as Error;
      if (!EXPECTED_FAILURES.has(error.name)) throw error;
    }
  }
}

/** Attributes a fault to the event whose delivery consumed it. */
async function withFault(model: Model, event: ModelEvent, run: () => Promise<void>): Promise<void> {
  const pending = new Map(armed);
  await run();
  for (const [rule, proxy] of pending) {
    if (proxy.pendingRules < rule.before) {
      if (rule.repeat) model.mayRepeat.add(event.alertId);
      armed.delete(rule);
    }
  }
}

interface ArmedRule {
  readonly before: number;
  readonly repeat: boolean;
}
/** Injected rules not yet consumed, with the proxy's pending count when they were added. */
const armed = new Map<ArmedRule, FaultProxy>();

class DeliverCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly copies: number,
    readonly ahead: boolean,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const event = model.events[this.index % model.events.length] as ModelEvent;
    const handler = this.ahead ? real.aheadHandler : real.handler;
    await withFault(model, event, () =>
      deliverAll(Array.from({ length: this.copies }, () => handler(toEnvelope(event.record)))),
    );
  }
  toString = () =>
    `deliver(#${this.index}${this.copies > 1 ? ` ×${this.copies}` : ''}${this.ahead ? ', clock ahead' : ''})`;
}

class LapseCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  run(_model: Model, real: Real): Promise<void> {
    real.now.ms += (CLAIM_SECONDS + 1) * 1000;
    return Promise.resolve();
  }
  toString = () => 'claims lapse';
}

class FaultCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly step: Step,
    readonly kind: FaultKind,
  ) {}
  // One armed fault at a time keeps attribution to one delivery exact.
  check = () => armed.size === 0;
  run(): Promise<void> {
    const proxy = this.step === 'publish' ? sns : dynamo;
    proxy.inject({ match: requestOf(this.step), ...faultOf(this.kind, this.step) });
    armed.set({ before: proxy.pendingRules, repeat: mayRepeat(this.step, this.kind) }, proxy);
    return Promise.resolve();
  }
  toString = () => `fault(${this.step}: ${this.kind})`;
}

/** A burst: up to seven alerts from up to three callers over one or two windows. */
const eventsArbitrary = fc.array(
  fc.record({ window: fc.integer({ min: 0, max: 1 }), caller: fc.integer({ min: 0, max: 2 }) }),
  { minLength: 1, maxLength: 7 },
);

const commandsArbitrary = fc.commands(
  [
    fc
      .tuple(fc.nat(6), fc.constantFrom(1, 1, 1, 2, 3), fc.boolean())
      .map(([i, copies, ahead]) => new DeliverCommand(i, copies, ahead && copies === 1)),
    fc.constant(new LapseCommand()),
    fc
      .tuple(
        fc.constantFrom<Step>('create', 'count', 'record burst', 'publish', 'mark'),
        fc.constantFrom<FaultKind>(
          'fails on every attempt',
          'applied, answer lost',
          'applied, every answer lost',
        ),
      )
      .map(([step, kind]) => new FaultCommand(step, kind)),
  ],
  { maxCommands: 20 },
);

function eventsFor(shape: readonly { window: number; caller: number }[]): ModelEvent[] {
  program += 1;
  const base = loadRecord(RDS_FIXTURE);
  const origin = Date.UTC(2023, 0, 1) + program * 4 * WINDOW_MINUTES * 60_000;
  return shape.map(({ window, caller }, i) => {
    const eventID = `model-${program}-${i}-${Date.now()}`;
    const record: CloudTrailRecord = {
      ...base,
      eventID,
      eventTime: new Date(origin + window * WINDOW_MINUTES * 60_000 + (i + 1) * 1000).toISOString(),
      userIdentity: {
        ...base.userIdentity,
        arn: `arn:aws:iam::111122223333:user/model-${program}-${caller}`,
      },
      requestParameters: { dBSecurityGroupName: `group-${i}`, dBSecurityGroupDescription: 'x' },
    };
    return { record, alertId: alertIdFor(RDS_RULE, eventID), window, caller };
  });
}

/** Redelivers every event until its alert is finished, letting claims lapse in between. */
async function drain(model: Model, real: Real): Promise<void> {
  dynamo.reset();
  sns.reset();
  armed.clear();
  for (const event of model.events) {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await real.handler(toEnvelope(event.record));
        // A copy that met a live claim left the alert to its holder; the holder's own retry
        // (Lambda's, or a redrive) takes it over once the claim lapses, as this one does.
        if (result.alerts.every((a) => a.outcome !== 'in-flight')) break;
        if (attempt === 3) throw new Error(`alert of ${event.alertId} still in flight`);
        real.now.ms += (CLAIM_SECONDS + 1) * 1000;
      } catch (error) {
        if (!EXPECTED_FAILURES.has((error as Error).name) || attempt === 3) throw error;
        real.now.ms += (CLAIM_SECONDS + 1) * 1000;
      }
    }
  }
}

async function storedAlerts(ids: ReadonlySet<string>): Promise<Map<string, Alert>> {
  const found = new Map<string, Alert>();
  let startKey: Record<string, never> | undefined;
  do {
    const page = await aws.dynamodb.client.send(
      new ScanCommand({
        TableName: aws.dynamodb.tableName,
        ConsistentRead: true,
        ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const id = item.alertId?.S ?? '';
      if (ids.has(id)) found.set(id, alertFromItem(item));
    }
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey !== undefined);
  return found;
}

/** The guarantees, checked against the model of the program that ran. */
async function checkGuarantees(model: Model): Promise<void> {
  const ids = new Set(model.events.map((e) => e.alertId));
  const alerts = await storedAlerts(ids);
  const copies = new Map<string, string[]>();
  for (const message of aws.sns.published) {
    const id = message.attributes.alertId?.stringValue ?? '';
    if (!ids.has(id)) continue;
    copies.set(id, [...(copies.get(id) ?? []), message.attributes.notification?.stringValue ?? '']);
  }
  for (const event of model.events) {
    const alert = alerts.get(event.alertId);
    const sent = copies.get(event.alertId) ?? [];
    // Nothing lost: every alert ends notified (and was sent) or capped (and was not).
    expect([event.alertId, alert?.delivery]).toEqual([
      event.alertId,
      expect.stringMatching(/^(notified|capped)$/),
    ]);
    if (alert?.delivery === 'capped') expect(sent).toEqual([]);
    else expect(sent.length).toBeGreaterThanOrEqual(1);
    // A second copy only after a listed fault; every copy the stored kind.
    if (!model.mayRepeat.has(event.alertId)) expect(sent.length).toBeLessThanOrEqual(1);
    for (const kind of sent) expect(kind).toBe(alert?.burst?.kind);
  }
  for (const window of new Set(model.events.map((e) => e.window))) {
    const inWindow = model.events.filter((e) => e.window === window);
    const placed = inWindow.map((e) => alerts.get(e.alertId)?.burst);
    const count = (kind: string) => placed.filter((p) => p?.kind === kind).length;
    expect(count('summary')).toBe(inWindow.length > CAP ? 1 : 0);
    expect(count('capped')).toBe(Math.max(0, inWindow.length - CAP - 1));
    expect(count('new') + count('update')).toBe(Math.min(inWindow.length, CAP));
    for (const caller of new Set(inWindow.map((e) => e.caller))) {
      const sequences = inWindow
        .filter((e) => e.caller === caller)
        .map((e) => alerts.get(e.alertId)?.burst)
        .filter((p) => p !== undefined && p.kind !== 'capped')
        .map((p) => p?.sequence ?? -1)
        .sort((a, b) => a - b);
      expect(sequences).toEqual(sequences.map((_, i) => i + 1));
    }
    for (const placement of placed) {
      if (placement?.kind === 'new') expect(placement.sequence).toBe(1);
      if (placement?.kind === 'update') expect(placement.sequence).toBeGreaterThan(1);
    }
  }
}

describe('delivery guarantees under random programs of deliveries, lapses and faults', () => {
  it('holds every guarantee of the model', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArbitrary, commandsArbitrary, async (shape, commands) => {
        const model: Model = { events: eventsFor(shape), mayRepeat: new Set() };
        const now = { ms: Date.UTC(2026, 5, 1) };
        const real: Real = {
          now,
          handler: handlerAt(() => now.ms),
          aheadHandler: handlerAt(() => now.ms + (CLAIM_SECONDS + 1) * 1000),
        };
        armed.clear();
        await fc.asyncModelRun(() => ({ model, real }), commands);
        await drain(model, real);
        await checkGuarantees(model);
      }),
      runs(15),
    );
  }, 180_000);
});
