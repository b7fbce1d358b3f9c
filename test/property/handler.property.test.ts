/**
 * The real handler, against dynalite and the local SNS endpoint, over generated hostile
 * events. For every input it either returns a result or rejects with a named validation
 * error (never a TypeError, RangeError or other accident), publishes nothing for an event
 * that is invalid or matches no detection and at most one message per matching detection,
 * and finishes within a bound. Shared prototypes stay untouched.
 */
import fc from 'fast-check';
import { CATALOG, detect } from '../../lambda/core/catalog';
import { InvalidEventError, validateEnvelope } from '../../lambda/core/cloudtrail';
import type { HandlerResult } from '../../lambda/handler';
import { loadEnvelope } from '../support/fixtures';
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

/** How many detections the event should fire, or undefined when it must be rejected. */
function expectedMatches(event: unknown): number | undefined {
  try {
    return detect(validateEnvelope(event).detail, CATALOG).length;
  } catch (error) {
    if (error instanceof InvalidEventError) return undefined;
    throw error;
  }
}

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

function checkOutcome(outcome: Outcome, matches: number | undefined): void {
  if (outcome.error !== undefined) {
    const name = outcome.error instanceof Error ? outcome.error.name : typeof outcome.error;
    if (!ALLOWED_ERRORS.has(name)) {
      throw outcome.error instanceof Error
        ? outcome.error
        : new Error(`non-Error thrown: ${JSON.stringify(outcome.error)}`);
    }
    // Validation comes before any write, so a rejected event leaves nothing behind.
    expect(matches).toBeUndefined();
    expect(outcome.published).toBe(0);
    return;
  }
  expect(matches).toBeDefined();
  const alerts = outcome.result?.alerts ?? [];
  expect(alerts).toHaveLength(matches ?? 0);
  expect(alerts.every((a) => OUTCOMES.has(a.outcome))).toBe(true);
  expect(outcome.published).toBeLessThanOrEqual(matches ?? 0);
}

describe('the detector handler over hostile events', () => {
  it('publishes once per detection for every positive fixture as it stands', async () => {
    // The control: without it, a handler that rejected everything would pass the rest.
    for (const file of POSITIVE_FIXTURES) {
      const event = loadEnvelope(file) as unknown as { detail: Record<string, unknown> };
      event.detail.eventID = `property-control-${Date.now()}-${file}`;
      const matches = expectedMatches(event);
      expect(matches).toBeGreaterThan(0);
      const outcome = await invoke(event);
      checkOutcome(outcome, matches);
      expect(outcome.published).toBe(matches);
    }
  });

  it('processes or rejects mutated fixture events by name, publishing at most once per match', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedEvent([...POSITIVE_FIXTURES, ...NEGATIVE_FIXTURES]), async (m) => {
        const matches = expectedMatches(m.event);
        checkOutcome(await invoke(m.event), matches);
      }),
      runs(Number(process.env.FC_RUNS ?? 120)),
    );
  });

  it('rejects arbitrary JSON by name and publishes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (input) => {
        const matches = expectedMatches(input);
        const outcome = await invoke(input);
        checkOutcome(outcome, matches);
        expect(outcome.published).toBe(0);
      }),
      runs(Number(process.env.FC_RUNS ?? 100)),
    );
  });
});
