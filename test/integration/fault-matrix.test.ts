/**
 * The delivery fault matrix: every DynamoDB write and the SNS publish of one delivery, each
 * broken three ways, for three places an alert can take in its burst. The unchanged handler
 * runs with its real SDK clients against dynalite and the local SNS endpoint, behind a
 * fault-injecting proxy; the event is then redelivered as Lambda's async invocation does
 * (two retries, each once the failed delivery's claim has lapsed; then a redrive from the
 * failure queue), and once more later, as EventBridge may.
 *
 * Every cell asserts: the alert is not lost (published and recorded notified, or recorded
 * capped); every copy SNS accepted carries the same alert id and the same notification
 * kind; the first alert of a group is `new`; the window yields exactly one `summary`; and a
 * second copy appears only where the fault is one the delivery guarantees list.
 */
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
  HANG_AFTER_FORWARD,
  SNS_UNAVAILABLE,
  forAlert,
  startFaultProxy,
} from '../support/fault-proxy';
import { ManualClock } from '../support/clock';
import { loadRecord, toEnvelope } from '../support/fixtures';
import { heldTimeouts } from '../support/held-timeouts';
import type { LocalAws } from '../support/servers';
import { readStoredAlert, startLocalAws } from '../support/servers';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const RDS_RULE = 'aws.rds.create-db-security-group';
/** Small, so the cell that crosses it needs few alerts before it. */
const CAP = 2;
const WINDOW_MINUTES = 60;
/** Cells run this many at a time: dynalite is one process. */
const PARALLEL_CELLS = 9;

type Step = 'create' | 'count detection' | 'count group' | 'record burst' | 'publish' | 'mark';
type Position = 'first of its group' | 'update in its group' | 'crossing the cap';
type FaultKind = 'fails on every attempt' | 'applied, answer lost' | 'applied, then times out';

const STEPS: readonly Step[] = [
  'create',
  'count detection',
  'count group',
  'record burst',
  'publish',
  'mark',
];
const POSITIONS: readonly Position[] = [
  'first of its group',
  'update in its group',
  'crossing the cap',
];
const FAULT_KINDS: readonly FaultKind[] = [
  'fails on every attempt',
  'applied, answer lost',
  'applied, then times out',
];
const EXPECTED_KIND: Readonly<Record<Position, string>> = {
  'first of its group': 'new',
  'update in its group': 'update',
  'crossing the cap': 'summary',
};

/** The request of each step, as the delivery path sends it. */
const STEP_REQUEST: Readonly<Record<Step, keyof typeof DELIVERY_REQUESTS>> = {
  create: 'create',
  'count detection': 'countDetection',
  'count group': 'countGroup',
  'record burst': 'recordBurst',
  publish: 'publish',
  mark: 'markNotified',
};

/** The request of `step` for `alertId`, told apart by what only that request carries. */
function requestOf(step: Step, alertId: string): (request: ProxiedRequest) => boolean {
  return forAlert(DELIVERY_REQUESTS[STEP_REQUEST[step]], alertId);
}

/** The injected fault: how it breaks the request and how many attempts it breaks. */
function faultOf(kind: FaultKind, step: Step): { fault: Fault; times: number } {
  switch (kind) {
    case 'fails on every attempt':
      return { fault: step === 'publish' ? SNS_UNAVAILABLE : DYNAMODB_INTERNAL_ERROR, times: 3 };
    case 'applied, answer lost':
      return { fault: DROP_RESPONSE, times: 1 };
    case 'applied, then times out':
      return { fault: HANG_AFTER_FORWARD, times: 3 };
  }
}

/**
 * Faults after which SNS holds more than one copy, as docs/delivery-guarantees.md lists
 * them: a publish SNS applied whose answer never came, or a publish whose mark-notified
 * never landed (the takeover publishes again).
 */
function mayDuplicate(step: Step, kind: FaultKind): boolean {
  if (step === 'publish') return kind !== 'fails on every attempt';
  if (step === 'mark') return kind !== 'applied, answer lost';
  return false;
}

interface Cell {
  readonly position: Position;
  readonly step: Step;
  readonly kind: FaultKind;
}

interface Outcome extends Cell {
  readonly deliveries: number;
  readonly copies: number;
  readonly kinds: readonly string[];
  readonly stored: string;
}

let aws: LocalAws;
let dynamo: FaultProxy;
let sns: FaultProxy;
let deps: HandlerDeps;
/** A held request times out at once on the client's side; a healthy one never does. */
const timeouts = heldTimeouts();
const outcomes: Outcome[] = [];

beforeAll(async () => {
  aws = await startLocalAws();
  [dynamo, sns] = await Promise.all([
    startFaultProxy(aws.dynamodb.endpoint, { onHold: timeouts.expire }),
    startFaultProxy(aws.sns.url, { onHold: timeouts.expire }),
  ]);
  // The SDK reads the endpoint variables when a client first sends.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.url;
  process.env.AWS_ENDPOINT_URL_SNS = sns.url;
  // The deployed configuration (45 s claim, three attempts per call) on the test's network.
  deps = handlerDepsFromEnvironment(
    { ...process.env, LOG_LEVEL: 'silent' },
    { requestHandler: timeouts.requestHandler },
  );
});

/**
 * The detector as one cell sees it: a clock of the cell's own, which moves only when the
 * cell lets a claim lapse, so cells running side by side never lapse each other's claims.
 */
function handlerFor(clock: ManualClock): Handler {
  return createHandler({
    ...deps,
    delivery: {
      ...deps.delivery,
      clock,
      policy: {
        ...DEFAULT_POLICY,
        burst: { windowMinutes: WINDOW_MINUTES, maxNotificationsPerWindow: CAP },
      },
    },
  });
}

afterAll(async () => {
  await Promise.all([dynamo.close(), sns.close()]);
  await aws.close();
  const order = (o: Cell) =>
    CELLS.findIndex((c) => c.position === o.position && c.step === o.step && c.kind === o.kind);
  const rows = [...outcomes]
    .sort((a, b) => order(a) - order(b))
    .map(
      (o) =>
        `| ${o.position} | ${o.step} | ${o.kind} | ${o.deliveries} | ${o.copies} | ${o.kinds.join(', ')} | ${o.stored} |`,
    );
  process.stdout.write(
    `\nDelivery fault matrix (${outcomes.length} cells)\n` +
      '| Alert | Step | Fault | Deliveries | Copies sent | Kinds sent | Stored |\n' +
      `|---|---|---|---|---|---|---|\n${rows.join('\n')}\n` +
      `| all | | | ${outcomes.reduce((s, o) => s + o.deliveries, 0)} | ${outcomes.reduce((s, o) => s + o.copies, 0)} | | lost: ${outcomes.filter((o) => o.stored === 'missing' || o.copies === 0).length} |\n`,
  );
});

function stored(alertId: string) {
  return readStoredAlert(aws.dynamodb, alertId);
}

/**
 * Delivers `record` as Lambda's async invocation does: the first attempt, two retries, then
 * a redrive from the failure queue; before each retry the clock moves past the failed
 * attempt's claim (Lambda waits a minute, longer than the claim). Returns the attempts made.
 */
async function deliverUntilDone(
  handler: Handler,
  clock: ManualClock,
  record: CloudTrailRecord,
  alertId: string,
): Promise<number> {
  for (let attempt = 1; attempt <= 4; attempt += 1) {
    try {
      await handler(toEnvelope(record));
      return attempt;
    } catch {
      const until = (await stored(alertId))?.claimedUntil;
      if (until !== undefined) clock.passBeyond(until);
    }
  }
  throw new Error(`alert ${alertId} was not delivered after three attempts and a redrive`);
}

let cellCounter = 0;

/** Records of one cell: its own window and callers, so cells never share a counter. */
function recordsFor(cell: Cell): {
  before: CloudTrailRecord[];
  target: CloudTrailRecord;
  after: CloudTrailRecord[];
} {
  cellCounter += 1;
  const base = loadRecord(RDS_FIXTURE);
  const windowStart = Date.UTC(2024, 0, 1) + cellCounter * WINDOW_MINUTES * 60_000;
  const tag = `${cellCounter}-${Date.now()}`;
  const record = (i: number, caller: string): CloudTrailRecord => ({
    ...base,
    eventID: `matrix-${tag}-${i}`,
    eventTime: new Date(windowStart + (i + 1) * 60_000).toISOString(),
    userIdentity: { ...base.userIdentity, arn: `arn:aws:iam::111122223333:user/${caller}-${tag}` },
    requestParameters: { dBSecurityGroupName: `group-${i}`, dBSecurityGroupDescription: 'x' },
  });
  switch (cell.position) {
    case 'first of its group':
      return { before: [], target: record(0, 'dana'), after: [] };
    case 'update in its group':
      return { before: [record(0, 'dana')], target: record(1, 'dana'), after: [] };
    case 'crossing the cap':
      // CAP alerts of other callers fill the window; the target is cap + 1; one more follows.
      return {
        before: Array.from({ length: CAP }, (_, i) => record(i, `other${i}`)),
        target: record(CAP, 'dana'),
        after: [record(CAP + 1, 'erin')],
      };
  }
}

function kindsSent(alertId: string): string[] {
  return aws.sns.published
    .filter((m) => m.attributes.alertId?.stringValue === alertId)
    .map((m) => m.attributes.notification?.stringValue ?? 'missing');
}

async function runCell(cell: Cell): Promise<void> {
  const { before, target, after } = recordsFor(cell);
  const clock = new ManualClock();
  const handler = handlerFor(clock);
  for (const record of before) await handler(toEnvelope(record));
  const alertId = alertIdFor(RDS_RULE, target.eventID);
  const injected = faultOf(cell.kind, cell.step);
  (cell.step === 'publish' ? sns : dynamo).inject({
    match: requestOf(cell.step, alertId),
    ...injected,
  });
  const deliveries = await deliverUntilDone(handler, clock, target, alertId);
  // A late duplicate from EventBridge changes nothing.
  const late = await handler(toEnvelope(target));
  for (const record of after) await handler(toEnvelope(record));

  const kinds = kindsSent(alertId);
  const final = await stored(alertId);
  outcomes.push({
    ...cell,
    deliveries: deliveries + 1,
    copies: kinds.length,
    kinds: [...new Set(kinds)],
    stored: final?.delivery ?? 'missing',
  });

  // Nothing lost: the alert went out and is recorded notified with a message SNS accepted.
  expect(final?.delivery).toBe('notified');
  expect(kinds.length).toBeGreaterThanOrEqual(1);
  const messageIds = aws.sns.published.map((m) => m.messageId);
  expect(messageIds).toContain(final?.messageId);
  expect(late.alerts.map((a) => a.outcome)).toEqual(['duplicate']);
  // Every copy is the same notification, of the kind the alert's place calls for.
  expect(new Set(kinds)).toEqual(new Set([EXPECTED_KIND[cell.position]]));
  expect(final?.burst?.kind).toBe(EXPECTED_KIND[cell.position]);
  // A second copy only where the guarantees admit one.
  if (!mayDuplicate(cell.step, cell.kind)) expect(kinds).toHaveLength(1);
  // The group's first alert is new, and the window has exactly one summary.
  const firstId = alertIdFor(RDS_RULE, (before[0] ?? target).eventID);
  if (cell.position === 'update in its group') expect(kindsSent(firstId)).toEqual(['new']);
  if (cell.position === 'crossing the cap') {
    const windowIds = [...before, target, ...after].map((r) => alertIdFor(RDS_RULE, r.eventID));
    const summaries = windowIds.filter((id) => kindsSent(id).includes('summary'));
    expect(summaries).toEqual([alertId]);
    const next = await stored(windowIds[windowIds.length - 1] ?? '');
    expect(next).toMatchObject({ delivery: 'capped', burst: { kind: 'capped' } });
    expect(kindsSent(next?.alertId ?? '')).toEqual([]);
  }
}

const CELLS: Cell[] = POSITIONS.flatMap((position) =>
  STEPS.flatMap((step) => FAULT_KINDS.map((kind) => ({ position, step, kind }))),
);

describe('the delivery fault matrix', () => {
  it(`keeps every guarantee in all ${CELLS.length} cells (alert × step × fault), redelivered as Lambda does`, async () => {
    for (let i = 0; i < CELLS.length; i += PARALLEL_CELLS) {
      await Promise.all(CELLS.slice(i, i + PARALLEL_CELLS).map(runCell));
    }
    // Every injected fault was consumed by the request it was aimed at.
    expect({ dynamo: dynamo.pendingRules, sns: sns.pendingRules }).toEqual({ dynamo: 0, sns: 0 });
    expect(outcomes).toHaveLength(CELLS.length);
  }, 240_000);
});
