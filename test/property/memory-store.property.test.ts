/**
 * Differential test of the in-process alert store of `replay --store memory`, and of the
 * embedded store on disk (LocalAlertStore, the default), against the DynamoDB store on
 * dynalite. fast-check generates a small pool of alerts (a few ids, two or
 * three principals, event times spread over ten days so the 24-hour and 7-day history bounds
 * are crossed) and a random program over them: creates (again for an existing id, with
 * different content), claims before and after a claim lapses (on the second too), marks,
 * releases and burst placements with the token a create or claim returned or a stale or
 * foreign one, counters with and without a limit, and history reads at any time. Each program
 * runs on a fresh MemoryAlertStore, a fresh LocalAlertStore and a fresh table; every answer
 * (errors by name) and, at the end, every stored alert must be the same. Some pool alerts are
 * too large for a DynamoDB item (a CloudTrail record of multi-byte characters, over 400 KB in
 * UTF-8): the table keeps the start of the record, and so must the local store; the memory
 * store keeps it whole on purpose, so it is compared only on programs without them.
 *
 * Tokens are random in both stores, so each store's tokens are named by the order they were
 * handed out in (`#0`, `#1`, ...), and answers are compared by those names.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LocalAlertStore } from '../../cli/local-alert-store';
import { MemoryAlertStore } from '../../cli/memory-alert-store';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { Alert, BurstPlacement, DeliveryState } from '../../lambda/core/alert';
import { alertIdFor, buildAlert } from '../../lambda/core/alert';
import { detect } from '../../lambda/core/catalog';
import type { AlertStore, ClaimToken } from '../../lambda/core/ports';
import { loadRecord } from '../support/fixtures';
import { runs } from './arbitraries';

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const PRINCIPALS = [
  'arn:aws:iam::111122223333:user/dana',
  'arn:aws:iam::111122223333:user/erin',
  'arn:aws:iam::444455556666:role/deploy',
];
/** Event times fall in the ten days from here; the test clock starts at its end. */
const EPOCH = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR_MS = 3_600_000;
const POOL_SIZE = 4;
/** The counters a program counts into, named as the burst code names them. */
const COUNTERS = ['cap#aws.rds.create-db-security-group#1772323200', 'burst#g1#1772323200'];
/** A token no store handed out. */
const FOREIGN_TOKEN = 'd0d0d0d0-0000-4000-8000-000000000000' as ClaimToken;

interface PoolEntry {
  readonly principal: number;
  /** Hours after EPOCH, up to ten days. */
  readonly hour: number;
  readonly delivery: DeliveryState;
  /** A CloudTrail record too large for an item, in multi-byte characters. */
  readonly large?: boolean;
}

/**
 * A token argument: one handed out earlier in the program (0 the newest, 1 the one before,
 * ...), or one no store handed out.
 */
type TokenRef = { readonly issued: number } | 'foreign';

/**
 * What a fenced write acts on: the alert the token was handed out for unless `alert` names
 * another (whose claim the token never held).
 */
interface Fenced {
  readonly token: TokenRef;
  readonly alert?: number;
}

type Operation =
  | { readonly op: 'tick'; readonly seconds: number }
  | {
      readonly op: 'create';
      readonly alert: number;
      readonly variant: boolean;
      readonly claimSeconds: number;
    }
  | { readonly op: 'claim'; readonly alert: number; readonly claimSeconds: number }
  | ({ readonly op: 'mark' } & Fenced)
  | ({ readonly op: 'release' } & Fenced)
  | ({ readonly op: 'burst'; readonly placement: BurstPlacement } & Fenced)
  | {
      readonly op: 'count';
      readonly counter: number;
      readonly alert: number;
      readonly limit?: number;
    }
  | {
      readonly op: 'history';
      readonly principal: number;
      /**
       * Hours after EPOCH; or, with `after`, hours after that pool alert's event time, for
       * its principal.
       */
      readonly hour: number;
      readonly after?: number;
    };

interface Program {
  readonly pool: readonly PoolEntry[];
  readonly operations: readonly Operation[];
}

const alertIndex = fc.nat({ max: POOL_SIZE });
const tokenRef: fc.Arbitrary<TokenRef> = fc.oneof(
  { weight: 6, arbitrary: fc.nat({ max: 6 }).map((issued) => ({ issued })) },
  { weight: 1, arbitrary: fc.constant<TokenRef>('foreign') },
);
const placement: fc.Arbitrary<BurstPlacement> = fc.record({
  kind: fc.constantFrom<BurstPlacement['kind'][]>('new', 'update', 'summary', 'capped'),
  groupId: fc.constantFrom('g1', 'g2'),
  threadId: fc.constantFrom('g1-1772323200', 'g2-1772323200'),
  sequence: fc.nat({ max: 5 }),
  detectionCount: fc.nat({ max: 5 }),
  windowMinutes: fc.constantFrom(15, 60),
  cap: fc.integer({ min: 1, max: 4 }),
});
/** A fenced write's token and, now and then, an alert it was not handed out for. */
const fenced: fc.Arbitrary<Fenced> = fc.record(
  { token: tokenRef, alert: alertIndex },
  { requiredKeys: ['token'] },
);
/** Claim periods around the ticks, so the clock lands before, on and after a claim's end. */
const claimSeconds = fc.constantFrom(-10, 0, 30, 60);

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('tick' as const),
      seconds: fc.constantFrom(1, 10, 29, 30, 31, 61),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('create' as const),
      alert: alertIndex,
      variant: fc.boolean(),
      claimSeconds,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('claim' as const), alert: alertIndex, claimSeconds }),
  },
  {
    weight: 3,
    arbitrary: fenced.map((target) => ({ op: 'mark' as const, ...target })),
  },
  {
    weight: 2,
    arbitrary: fenced.map((target) => ({ op: 'release' as const, ...target })),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fenced, placement)
      .map(([target, p]) => ({ op: 'burst' as const, placement: p, ...target })),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        op: fc.constant('count' as const),
        counter: fc.nat({ max: COUNTERS.length - 1 }),
        alert: alertIndex,
        limit: fc.integer({ min: 1, max: 3 }),
      },
      { requiredKeys: ['op', 'counter', 'alert'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.record({
        op: fc.constant('history' as const),
        principal: fc.nat({ max: PRINCIPALS.length }),
        hour: fc.nat({ max: 11 * 24 }),
      }),
      // Just after, or exactly one day or one week after, an alert's event time.
      fc.record({
        op: fc.constant('history' as const),
        principal: fc.nat({ max: PRINCIPALS.length }),
        after: alertIndex,
        hour: fc.constantFrom(0, 1, 24, 25, 168, 169),
      }),
    ),
  },
);

const program: fc.Arbitrary<Program> = fc.record({
  pool: fc.array(
    fc.record({
      principal: fc.nat({ max: PRINCIPALS.length - 1 }),
      // Some times exactly a day or a week apart, so the bounds are met on the dot.
      hour: fc.oneof(fc.nat({ max: 10 * 24 }), fc.constantFrom(72, 96, 120, 240)),
      delivery: fc.constantFrom<DeliveryState[]>('pending', 'pending', 'pending', 'suppressed'),
      large: fc.oneof(
        { weight: 6, arbitrary: fc.constant(false) },
        { weight: 1, arbitrary: fc.constant(true) },
      ),
    }),
    { minLength: POOL_SIZE, maxLength: POOL_SIZE },
  ),
  operations: fc.array(operation, { minLength: 1, maxLength: 40, size: 'max' }),
});

/** An alert built by the pipeline's own code from a fixture record, placed per the pool entry. */
function alertOf(index: number, entry: PoolEntry, variant: boolean): Alert {
  const base = loadRecord(RDS);
  const record = {
    ...base,
    eventID: `event-${index}`,
    eventTime: new Date(EPOCH + entry.hour * HOUR_MS).toISOString(),
    userIdentity: { ...base.userIdentity, arn: PRINCIPALS[entry.principal] ?? 'unknown' },
  };
  const detection = detect(record)[0];
  if (detection === undefined) throw new Error(`fixture ${RDS} matched nothing`);
  const alert = buildAlert(detection, record, { now: new Date(EPOCH), retentionDays: 30 });
  // A second create of the same id carries other content: the store must keep the first.
  return {
    ...alert,
    ...(entry.large === true
      ? { cloudTrailEvent: JSON.stringify({ ...record, padding: '\u20ac'.repeat(140_000) }) }
      : {}),
    delivery: entry.delivery,
    ...(variant
      ? { riskScore: alert.riskScore + 1, detectedAt: new Date(EPOCH + HOUR_MS).toISOString() }
      : {}),
  };
}

/** The id an operation names: one of the pool's, or (for the last index) one never created. */
function idOf(index: number): string {
  return alertIdFor('aws.rds.create-db-security-group', `event-${index}`);
}

/** Runs `program` on `store`, answering each step with tokens named by their order. */
async function run(store: AlertStore, { pool, operations }: Program): Promise<unknown[]> {
  const issued: { readonly token: ClaimToken; readonly alertId: string }[] = [];
  const name = (token: ClaimToken, alertId: string): string => {
    issued.push({ token, alertId });
    return `#${issued.length - 1}`;
  };
  const target = (step: Fenced): { readonly alertId: string; readonly token: ClaimToken } => {
    const held =
      step.token === 'foreign'
        ? undefined
        : issued[issued.length - 1 - (step.token.issued % Math.max(issued.length, 1))];
    return {
      alertId: step.alert !== undefined ? idOf(step.alert) : (held?.alertId ?? idOf(0)),
      token: held?.token ?? FOREIGN_TOKEN,
    };
  };
  let now = EPOCH + 10 * 24 * HOUR_MS;
  const answers: unknown[] = [];
  for (const step of operations) {
    const at = new Date(now);
    try {
      switch (step.op) {
        case 'tick':
          now += step.seconds * 1000;
          continue;
        case 'create': {
          const entry = pool[step.alert];
          if (entry === undefined) continue;
          const result = await store.create(
            alertOf(step.alert, entry, step.variant),
            new Date(now + step.claimSeconds * 1000),
          );
          answers.push(
            result.created
              ? { created: name(result.token, idOf(step.alert)) }
              : { existing: result.existing },
          );
          break;
        }
        case 'claim': {
          const token = await store.claim(
            idOf(step.alert),
            at,
            new Date(now + step.claimSeconds * 1000),
          );
          answers.push({ claim: token === undefined ? 'refused' : name(token, idOf(step.alert)) });
          break;
        }
        case 'mark': {
          const { alertId, token } = target(step);
          answers.push({
            mark: await store.markNotified(alertId, token, `msg-${answers.length}`, at),
          });
          break;
        }
        case 'release': {
          const { alertId, token } = target(step);
          await store.release(alertId, token);
          answers.push({ release: 'done' });
          break;
        }
        case 'burst': {
          const { alertId, token } = target(step);
          await store.recordBurst(alertId, token, step.placement);
          answers.push({ burst: 'recorded' });
          break;
        }
        case 'count':
          answers.push({
            count: await store.countOnce({
              counter: COUNTERS[step.counter] ?? 'none',
              alertId: idOf(step.alert),
              ...(step.limit !== undefined ? { limit: step.limit } : {}),
              expiresAt: new Date(now + 30 * 24 * HOUR_MS),
            }),
          });
          break;
        case 'history': {
          // Relative to an alert, the history asked for is that alert's principal's.
          const after = step.after !== undefined ? pool[step.after] : undefined;
          const principal = after?.principal ?? step.principal;
          answers.push({
            history: await store.principalHistory(
              PRINCIPALS[principal] ?? 'arn:aws:iam::111122223333:user/nobody',
              new Date(EPOCH + ((after?.hour ?? 0) + step.hour) * HOUR_MS),
            ),
          });
          break;
        }
      }
    } catch (error) {
      answers.push({ threw: error instanceof Error ? error.name : String(error) });
    }
  }
  return answers;
}

/** Every alert of the pool as the store holds it at the end. */
async function storedAlerts(
  store: MemoryAlertStore | DynamoDbAlertStore | LocalAlertStore,
): Promise<unknown[]> {
  const alerts: unknown[] = [];
  for (let index = 0; index <= POOL_SIZE; index++) alerts.push(await store.get(idOf(index)));
  return alerts;
}

/** Runs `body` on fresh stores: a table for the DynamoDB one, a folder for the local one. */
async function bothStores(
  body: (
    memory: MemoryAlertStore,
    dynamo: DynamoDbAlertStore,
    local: LocalAlertStore,
  ) => Promise<void>,
): Promise<void> {
  const db: EmbeddedDynamoDb = await startEmbeddedDynamoDb();
  const dir = mkdtempSync(join(tmpdir(), 'sgwatch-local-store-'));
  const local = LocalAlertStore.open({ path: join(dir, 'alerts.mdb') });
  try {
    await body(new MemoryAlertStore(), new DynamoDbAlertStore(db.direct, db.tableName), local);
  } finally {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  }
}

describe('MemoryAlertStore and LocalAlertStore', () => {
  it('answer every program of store operations as the DynamoDB store does', async () => {
    await fc.assert(
      fc.asyncProperty(program, async (p) => {
        await bothStores(async (memory, dynamo, local) => {
          // Act
          const expected = await run(dynamo, p);
          const onDisk = await run(local, p);
          // Assess
          expect(onDisk).toEqual(expected);
          expect(await storedAlerts(local)).toEqual(await storedAlerts(dynamo));
          if (p.pool.some((entry) => entry.large === true)) return;
          expect(await run(memory, p)).toEqual(expected);
          expect(await storedAlerts(memory)).toEqual(await storedAlerts(dynamo));
        });
      }),
      runs(Number(process.env.FC_RUNS ?? 40)),
    );
  });

  it('refuses to claim an alert once it is marked notified, in every store', async () => {
    await bothStores(async (memory, dynamo, local) => {
      // Prepare
      const p: Program = {
        pool: [{ principal: 0, hour: 5, delivery: 'pending' }],
        operations: [
          { op: 'create', alert: 0, variant: false, claimSeconds: 30 },
          { op: 'mark', alert: 0, token: { issued: 0 } },
          { op: 'tick', seconds: 61 },
          { op: 'claim', alert: 0, claimSeconds: 30 },
          { op: 'mark', alert: 0, token: { issued: 0 } },
        ],
      };
      // Act
      const answers = [await run(memory, p), await run(dynamo, p), await run(local, p)];
      // Assess
      for (const answer of answers) {
        expect(answer).toEqual([
          { created: '#0' },
          { mark: 'marked' },
          { claim: 'refused' },
          // A repeated mark by the delivery that marked it recognises its own write.
          { mark: 'marked' },
        ]);
      }
      expect(await memory.get(idOf(0))).toEqual(await dynamo.get(idOf(0)));
      expect(await local.get(idOf(0))).toEqual(await dynamo.get(idOf(0)));
      expect((await memory.get(idOf(0)))?.delivery).toBe('notified');
    });
  });

  it('answers undefined to the alert past a counter limit, in every store', async () => {
    await bothStores(async (memory, dynamo, local) => {
      // Prepare
      const counts = [0, 1, 2, 1, 0].map((alert): Operation => ({
        op: 'count',
        counter: 0,
        alert,
        limit: 2,
      }));
      const p: Program = { pool: [], operations: counts };
      // Act
      const answers = [await run(memory, p), await run(dynamo, p), await run(local, p)];
      // Assess
      for (const answer of answers) {
        expect(answer).toEqual([
          { count: 1 },
          { count: 2 },
          { count: undefined },
          { count: 2 },
          { count: 1 },
        ]);
      }
    });
  });
});
