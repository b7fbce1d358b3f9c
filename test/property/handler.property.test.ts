/**
 * The real handler, against dynalite and the local SNS endpoint, over generated hostile
 * events. For every input it either returns a result or rejects with a named validation
 * error (never a TypeError, RangeError or other accident), publishes nothing for an event
 * that is invalid or matches no detection and at most one message per matching detection,
 * and finishes within a bound. Shared prototypes stay untouched.
 */
import fc from 'fast-check';
import { CATALOG, eventPatternFor } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { InvalidEventError, validateEnvelope } from '../../lambda/core/cloudtrail';
import type { HandlerResult } from '../../lambda/handler';
import { matchesPattern } from '../support/event-pattern';
import { fixtureCases, loadEnvelope, sourceFor } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';
import { NEGATIVE_FIXTURES, POSITIVE_FIXTURES, anyJson, mutatedEvent, runs } from './arbitraries';

type Handler = (event: unknown) => Promise<HandlerResult>;

/** The only errors hostile input may produce: the input's fault, named. */
const ALLOWED_ERRORS = new Set(['InvalidEventError']);
const OUTCOMES = new Set(['notified', 'resumed', 'duplicate', 'suppressed', 'capped']);
/** Far above a normal call (milliseconds), far below the SDK's retry budget. */
const CALL_BOUND_MS = 5_000;

let aws: LocalAws;
let handler: Handler;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  aws = await startLocalAws();
  ({ handler } = await import('../../lambda/main'));
});

afterAll(async () => {
  await aws.close();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

/**
 * The oracle, independent of the catalog's `match` the handler runs: the detections whose
 * deployed EventBridge pattern accepts the event's `detail`, judged by the test's own
 * pattern matcher (the rule in front of the Lambda: nothing else can fire), or undefined
 * when the event must be rejected as invalid. The envelope's `source` and `detail-type`
 * route the event to the rule; the detector reads only the detail, so only it is judged.
 */
function allowedDetections(event: unknown): ReadonlySet<string> | undefined {
  let detail: CloudTrailRecord;
  try {
    detail = validateEnvelope(event).detail;
  } catch (error) {
    if (error instanceof InvalidEventError) return undefined;
    throw error;
  }
  // The envelope as the rule that routed it would have seen it.
  const routed = {
    ...(event as object),
    source: sourceFor(detail.eventSource),
    'detail-type': 'AWS API Call via CloudTrail',
  };
  return new Set(
    CATALOG.filter((d) => matchesPattern(eventPatternFor(d), routed)).map((d) => d.id),
  );
}

/** What each positive fixture must fire, as the fixture catalogue declares it. */
const DECLARED = new Map(fixtureCases().map((c) => [c.file, c.detections]));

interface Outcome {
  readonly result?: HandlerResult;
  readonly error?: unknown;
  readonly published: number;
}

async function invoke(event: unknown): Promise<Outcome> {
  const before = aws.sns.published.length;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`handler did not finish within ${CALL_BOUND_MS} ms`)),
      CALL_BOUND_MS,
    );
  });
  try {
    const result = await Promise.race([handler(event), bound]);
    return { result, published: aws.sns.published.length - before };
  } catch (error) {
    return { error, published: aws.sns.published.length - before };
  } finally {
    clearTimeout(timer);
  }
}

function checkOutcome(outcome: Outcome, allowed: ReadonlySet<string> | undefined): void {
  if (outcome.error !== undefined) {
    const name = outcome.error instanceof Error ? outcome.error.name : typeof outcome.error;
    if (!ALLOWED_ERRORS.has(name)) {
      throw outcome.error instanceof Error
        ? outcome.error
        : new Error(`non-Error thrown: ${JSON.stringify(outcome.error)}`);
    }
    // Validation comes before any write, so a rejected event leaves nothing behind.
    expect(allowed).toBeUndefined();
    expect(outcome.published).toBe(0);
    return;
  }
  expect(allowed).toBeDefined();
  const alerts = outcome.result?.alerts ?? [];
  // Only detections whose rule would have let the event through, each at most once.
  for (const alert of alerts) expect(allowed).toContain(alert.ruleId);
  expect(new Set(alerts.map((a) => a.ruleId)).size).toBe(alerts.length);
  expect(alerts.every((a) => OUTCOMES.has(a.outcome))).toBe(true);
  expect(outcome.published).toBeLessThanOrEqual(alerts.length);
}

describe('the detector handler over hostile events', () => {
  it('publishes once per detection for every positive fixture as it stands', async () => {
    // The control: without it, a handler that rejected everything would pass the rest.
    for (const file of POSITIVE_FIXTURES) {
      const event = loadEnvelope(file) as unknown as { detail: Record<string, unknown> };
      event.detail.eventID = `property-control-${Date.now()}-${file}`;
      const declared = DECLARED.get(file) ?? [];
      expect(declared.length).toBeGreaterThan(0);
      const outcome = await invoke(event);
      checkOutcome(outcome, allowedDetections(event));
      expect(outcome.result?.alerts.map((a) => a.ruleId).sort()).toEqual([...declared].sort());
      expect(outcome.published).toBe(declared.length);
    }
  });

  it('processes or rejects mutated fixture events by name, publishing at most once per match', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedEvent([...POSITIVE_FIXTURES, ...NEGATIVE_FIXTURES]), async (m) => {
        checkOutcome(await invoke(m.event), allowedDetections(m.event));
      }),
      runs(Number(process.env.FC_RUNS ?? 120)),
    );
  });

  it('rejects arbitrary JSON by name and publishes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (input) => {
        const outcome = await invoke(input);
        checkOutcome(outcome, allowedDetections(input));
        expect(outcome.published).toBe(0);
      }),
      runs(Number(process.env.FC_RUNS ?? 100)),
    );
  });
});
