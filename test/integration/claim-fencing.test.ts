/**
 * Fenced claims: a delivery that loses its claim while it works (it paused past the claim,
 * or another delivery's clock runs a claim period ahead) changes nothing on the alert. The
 * real store runs against dynalite and the real SNS publisher against the local endpoint;
 * a gate holds the first delivery at one step while a second one takes the alert over.
 */
import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { alertFromItem, DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import { SnsAlertPublisher } from '../../lambda/adapters/sns-publisher';
import type { Alert } from '../../lambda/core/alert';
import { alertIdFor } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { AlertPublisher, AlertStore, Logger } from '../../lambda/core/ports';
import type { ProcessDeps } from '../../lambda/core/process';
import { deliver } from '../../lambda/core/process';
import { loadRecord } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { TEST_TOPIC_ARN, startLocalAws } from '../support/servers';

const RDS_FIXTURE = 'cloudtrail/rds-create-db-security-group.success.iam-user.json';
const CLAIM_SECONDS = 30;
const T0 = Date.UTC(2026, 5, 1, 12);

const rds = findDetection('aws.rds.create-db-security-group') as Detection;

let aws: LocalAws;
let dynamodb: DynamoDBClient;
let sns: SNSClient;
let counter = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  dynamodb = new DynamoDBClient({});
  sns = new SNSClient({});
});

afterAll(async () => {
  dynamodb.destroy();
  sns.destroy();
  await aws.close();
});

beforeEach(() => {
  aws.sns.reset();
});

/** A promise that waits until `open` is called. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

function freshRecord(): CloudTrailRecord {
  counter += 1;
  const base = loadRecord(RDS_FIXTURE);
  return {
    ...base,
    eventID: `fence-${counter}-${Date.now()}`,
    eventTime: new Date(T0 - 60_000).toISOString(),
    userIdentity: { ...base.userIdentity, arn: `arn:aws:iam::111122223333:user/fence-${counter}` },
  };
}

function collectingLogger(lines: string[]): Logger {
  const log = (message: string) => {
    lines.push(message);
  };
  return { info: log, warn: log, error: log };
}

/** A delivery's dependencies, on a clock `aheadSeconds` later than the first one's. */
function depsAt(
  aheadSeconds: number,
  overrides: { publisher?: AlertPublisher; store?: AlertStore; lines?: string[] } = {},
): ProcessDeps {
  return {
    store: overrides.store ?? new DynamoDbAlertStore(dynamodb, aws.dynamodb.tableName),
    publisher: overrides.publisher ?? new SnsAlertPublisher(sns, TEST_TOPIC_ARN),
    clock: { now: () => new Date(T0 + aheadSeconds * 1000) },
    logger: collectingLogger(overrides.lines ?? []),
    retentionDays: 30,
    claimSeconds: CLAIM_SECONDS,
  };
}

async function stored(alertId: string): Promise<(Alert & { claimedUntil?: string }) | undefined> {
  const result = await dynamodb.send(
    new GetItemCommand({
      TableName: aws.dynamodb.tableName,
      Key: { alertId: { S: alertId } },
      ConsistentRead: true,
    }),
  );
  if (result.Item === undefined) return undefined;
  const claimedUntil = result.Item.claimedUntil?.S;
  return { ...alertFromItem(result.Item), ...(claimedUntil !== undefined ? { claimedUntil } : {}) };
}

function copiesOf(alertId: string): string[] {
  return aws.sns.published
    .filter((m) => m.attributes.alertId?.stringValue === alertId)
    .map((m) => m.attributes.notification?.stringValue ?? 'missing');
}

describe('a delivery that lost its claim', () => {
  it('cannot mark the alert notified over the delivery that took it over', async () => {
    // Given delivery A held at its publish, and delivery B a claim period later
    const record = freshRecord();
    const held = gate();
    const reached = gate();
    const real = new SnsAlertPublisher(sns, TEST_TOPIC_ARN);
    const linesA: string[] = [];
    const first = deliver(
      rds,
      record,
      depsAt(0, {
        lines: linesA,
        publisher: {
          publish: async (message) => {
            reached.open();
            await held.wait;
            return real.publish(message);
          },
        },
      }),
    );
    await reached.wait;

    // When B takes over and is itself publishing when A's publish goes out
    const heldB = gate();
    const reachedB = gate();
    const second = deliver(
      rds,
      record,
      depsAt(CLAIM_SECONDS + 1, {
        publisher: {
          publish: async (message) => {
            reachedB.open();
            await heldB.wait;
            return real.publish(message);
          },
        },
      }),
    );
    await reachedB.wait;
    held.open();
    const late = await first;
    const alertId = late.alert.alertId;
    // A's mark-notified changed nothing: B still holds a pending alert
    expect(await stored(alertId)).toMatchObject({ delivery: 'pending' });
    heldB.open();
    const done = await second;

    // Then the record is B's, both copies are the same notification, and A said so
    const alert = await stored(alertId);
    expect(done.outcome).toBe('resumed');
    expect(alert?.delivery).toBe('notified');
    expect(alert?.messageId).toBe(done.alert.messageId);
    expect(late.alert.messageId).not.toBe(done.alert.messageId);
    expect(copiesOf(alertId)).toEqual(['new', 'new']);
    expect(linesA).toContain('alert was taken over while this delivery published it');
  });

  it('cannot hand back a claim that another delivery now holds', async () => {
    // Given A held at a publish that will fail, and B holding the claim at its own publish
    const record = freshRecord();
    const heldA = gate();
    const reachedA = gate();
    const heldB = gate();
    const reachedB = gate();
    const real = new SnsAlertPublisher(sns, TEST_TOPIC_ARN);
    const first = deliver(
      rds,
      record,
      depsAt(0, {
        publisher: {
          publish: async () => {
            reachedA.open();
            await heldA.wait;
            throw new Error('SNS is down');
          },
        },
      }),
    );
    await reachedA.wait;
    const second = deliver(
      rds,
      record,
      depsAt(CLAIM_SECONDS + 1, {
        publisher: {
          publish: async (message) => {
            reachedB.open();
            await heldB.wait;
            return real.publish(message);
          },
        },
      }),
    );
    await reachedB.wait;
    const alertId = alertIdFor(rds.id, record.eventID);
    const claimOfB = (await stored(alertId))?.claimedUntil;
    expect(claimOfB).toBe(new Date(T0 + (2 * CLAIM_SECONDS + 1) * 1000).toISOString());

    // When A's publish fails and A hands its claim back
    heldA.open();
    await expect(first).rejects.toMatchObject({ name: 'PublishError' });
    expect((await stored(alertId))?.claimedUntil).toBe(claimOfB);
    heldB.open();
    const done = await second;

    // Then B's claim survived A's release and B finished the alert, sending once
    expect(done.outcome).toBe('resumed');
    expect(copiesOf(done.alert.alertId)).toEqual(['new']);
    expect(await stored(done.alert.alertId)).toMatchObject({ delivery: 'notified' });
  });

  it('cannot record a placement, and sends nothing, once another delivery took the alert over', async () => {
    // Given A held just before it counts the alert into its burst
    const record = freshRecord();
    const held = gate();
    const reached = gate();
    const real = new DynamoDbAlertStore(dynamodb, aws.dynamodb.tableName);
    const pausedStore: AlertStore = {
      create: (alert, until) => real.create(alert, until),
      claim: (id, now, until) => real.claim(id, now, until),
      markNotified: (id, token, messageId, at) => real.markNotified(id, token, messageId, at),
      release: (id, token) => real.release(id, token),
      principalHistory: (principal, before) => real.principalHistory(principal, before),
      recordBurst: (id, token, placement) => real.recordBurst(id, token, placement),
      countOnce: async (request) => {
        reached.open();
        await held.wait;
        return real.countOnce(request);
      },
    };
    const first = deliver(rds, record, depsAt(0, { store: pausedStore }));
    await reached.wait;

    // When B takes the alert over, and A goes on while B is publishing
    const heldB = gate();
    const reachedB = gate();
    const publisher = new SnsAlertPublisher(sns, TEST_TOPIC_ARN);
    const pending = deliver(
      rds,
      record,
      depsAt(CLAIM_SECONDS + 1, {
        publisher: {
          publish: async (message) => {
            reachedB.open();
            await heldB.wait;
            return publisher.publish(message);
          },
        },
      }),
    );
    await reachedB.wait;
    held.open();

    // Then A fails as deferred, having written and sent nothing; B's copy is the only one
    await expect(first).rejects.toMatchObject({ name: 'ClaimLostError' });
    heldB.open();
    const second = await pending;
    expect(second.outcome).toBe('resumed');
    expect(copiesOf(second.alert.alertId)).toEqual(['new']);
    expect(await stored(second.alert.alertId)).toMatchObject({
      delivery: 'notified',
      messageId: second.alert.messageId,
      burst: { kind: 'new', sequence: 1 },
    });
  });
});
