/**
 * Fenced claims: a delivery that loses its claim while it works (it paused past the claim,
 * or another delivery's clock runs a claim period ahead) changes nothing on the alert. The
 * real store runs against dynalite and the real SNS publisher against the local endpoint;
 * a gate holds the first delivery at one step while a second one takes the alert over.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import { SnsAlertPublisher } from '../../lambda/adapters/sns-publisher';
import { alertIdFor } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { AlertPublisher, AlertStore, Logger } from '../../lambda/core/ports';
import type { ProcessDeps } from '../../lambda/core/process';
import { deliver } from '../../lambda/core/process';
import { loadRecord } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { readStoredAlert, TEST_TOPIC_ARN, startLocalAws } from '../support/servers';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
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

/**
 * A point a delivery stops at: `pass` (called by the delivery) stops there until `release`;
 * `reached` resolves once the delivery has stopped.
 */
function checkpoint(): { pass: () => Promise<void>; reached: Promise<void>; release: () => void } {
  let arrive = (): void => undefined;
  let release = (): void => undefined;
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    pass: async () => {
      arrive();
      await released;
    },
    reached,
    release,
  };
}

/** The real SNS publisher, stopping at `point` before each publish; `fail` makes it throw. */
function publisherHeldAt(point: ReturnType<typeof checkpoint>, fail = false): AlertPublisher {
  const real = new SnsAlertPublisher(sns, TEST_TOPIC_ARN);
  return {
    publish: async (message) => {
      await point.pass();
      if (fail) throw new Error('SNS is down');
      return real.publish(message);
    },
  };
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

function stored(alertId: string) {
  return readStoredAlert(aws.dynamodb, alertId);
}

function copiesOf(alertId: string): string[] {
  return aws.sns.published
    .filter((m) => m.attributes.alertId?.stringValue === alertId)
    .map((m) => m.attributes.notification?.stringValue ?? 'missing');
}

describe('a delivery that lost its claim', () => {
  it('cannot mark the alert notified over the delivery that took it over', async () => {
    // Given delivery A stopped at its publish
    const record = freshRecord();
    const atPublishA = checkpoint();
    const linesA: string[] = [];
    const first = deliver(
      rds,
      record,
      depsAt(0, { lines: linesA, publisher: publisherHeldAt(atPublishA) }),
    );
    await atPublishA.reached;

    // When B, a claim period later, takes over and is itself publishing when A's goes out
    const atPublishB = checkpoint();
    const second = deliver(
      rds,
      record,
      depsAt(CLAIM_SECONDS + 1, { publisher: publisherHeldAt(atPublishB) }),
    );
    await atPublishB.reached;
    atPublishA.release();
    const late = await first;
    const alertId = late.alert.alertId;
    // A's mark-notified changed nothing: B still holds a pending alert
    expect(await stored(alertId)).toMatchObject({ delivery: 'pending' });
    atPublishB.release();
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
    // Given A stopped at a publish that will fail, and B holding the claim at its publish
    const record = freshRecord();
    const atPublishA = checkpoint();
    const atPublishB = checkpoint();
    const first = deliver(rds, record, depsAt(0, { publisher: publisherHeldAt(atPublishA, true) }));
    await atPublishA.reached;
    const second = deliver(
      rds,
      record,
      depsAt(CLAIM_SECONDS + 1, { publisher: publisherHeldAt(atPublishB) }),
    );
    await atPublishB.reached;
    const alertId = alertIdFor(rds.id, record.eventID);
    const claimOfB = (await stored(alertId))?.claimedUntil;
    expect(claimOfB).toBe(new Date(T0 + (2 * CLAIM_SECONDS + 1) * 1000).toISOString());

    // When A's publish fails and A hands its claim back
    atPublishA.release();
    await expect(first).rejects.toMatchObject({ name: 'PublishError' });
    expect((await stored(alertId))?.claimedUntil).toBe(claimOfB);
    atPublishB.release();
    const done = await second;

    // Then B's claim survived A's release and B finished the alert, sending once
    expect(done.outcome).toBe('resumed');
    expect(copiesOf(done.alert.alertId)).toEqual(['new']);
    expect(await stored(done.alert.alertId)).toMatchObject({ delivery: 'notified' });
  });

  it('cannot record a placement, and sends nothing, once another delivery took the alert over', async () => {
    // Given A stopped just before it counts the alert into its burst
    const record = freshRecord();
    const atCountA = checkpoint();
    const real = new DynamoDbAlertStore(dynamodb, aws.dynamodb.tableName);
    const pausedStore: AlertStore = {
      create: (alert, until) => real.create(alert, until),
      get: (id) => real.get(id),
      claim: (id, now, until) => real.claim(id, now, until),
      markNotified: (id, token, messageId, at) => real.markNotified(id, token, messageId, at),
      release: (id, token) => real.release(id, token),
      principalHistory: (principal, before) => real.principalHistory(principal, before),
      recordBurst: (id, token, placement) => real.recordBurst(id, token, placement),
      countOnce: async (request) => {
        await atCountA.pass();
        return real.countOnce(request);
      },
    };
    const first = deliver(rds, record, depsAt(0, { store: pausedStore }));
    await atCountA.reached;

    // When B takes the alert over, and A goes on while B is publishing
    const atPublishB = checkpoint();
    const pending = deliver(
      rds,
      record,
      depsAt(CLAIM_SECONDS + 1, { publisher: publisherHeldAt(atPublishB) }),
    );
    await atPublishB.reached;
    atCountA.release();

    // Then A fails as deferred, having written and sent nothing; B's copy is the only one
    await expect(first).rejects.toMatchObject({ name: 'ClaimLostError' });
    atPublishB.release();
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
