import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { Ec2AttachmentLookup, lazyEc2 } from '../../lambda/adapters/ec2-attachment';
import type { Ec2AttachmentLookupOptions } from '../../lambda/adapters/ec2-attachment';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { AlertPublisher, AttachmentLookup, Logger } from '../../lambda/core/ports';
import type { ProcessDeps } from '../../lambda/core/process';
import { processRecord } from '../../lambda/core/process';
import type { RenderedMessage } from '../../lambda/core/render';
import { loadRecord } from '../support/fixtures';
import type { LocalEc2, LocalNetworkInterface } from '../support/local-ec2';
import { startLocalEc2 } from '../support/local-ec2';

const GROUP = 'sg-0a1b2c3d4e5f60718';
const OTHER_GROUP = 'sg-0f1e2d3c4b5a69788';
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

const RDS_ENI: LocalNetworkInterface = {
  networkInterfaceId: 'eni-0rds000000000001',
  groupIds: [GROUP],
  description: 'RDSNetworkInterface',
  requesterId: 'amazon-rds',
  requesterManaged: true,
  instanceOwnerId: 'amazon-rds',
};
const CACHE_ENI: LocalNetworkInterface = {
  networkInterfaceId: 'eni-0cache00000000001',
  groupIds: [GROUP],
  description: 'ElastiCache sessions-rg-001',
  requesterId: 'amazon-elasticache',
  requesterManaged: true,
  instanceOwnerId: 'amazon-elasticache',
};
const INSTANCE_ENI: LocalNetworkInterface = {
  networkInterfaceId: 'eni-0ec2000000000001',
  groupIds: [GROUP],
  description: 'Primary network interface',
  instanceId: 'i-0123456789abcdef0',
  instanceOwnerId: ACCOUNT,
};

let ec2: LocalEc2;

beforeAll(async () => {
  ec2 = await startLocalEc2();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_EC2: ec2.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});

afterAll(async () => {
  await ec2.close();
});

beforeEach(() => {
  ec2.reset();
});

/** The adapter as the handler builds it: a stock client that finds EC2 through the env. */
/** The adapter, with a time box no loaded test machine runs into unless a test sets one. */
function adapter(options: Ec2AttachmentLookupOptions = {}): Ec2AttachmentLookup {
  return new Ec2AttachmentLookup(lazyEc2(), { timeoutMs: 10_000, ...options });
}

function ask(lookup: AttachmentLookup, groupIds: string[] = [GROUP], region = REGION) {
  return lookup.lookup({ groupIds, region, account: ACCOUNT });
}

describe('Ec2AttachmentLookup against a local EC2 endpoint', () => {
  it('asks DescribeNetworkInterfaces filtered by the group ids', async () => {
    await ask(adapter(), [OTHER_GROUP, GROUP, GROUP]);
    expect(ec2.requests).toHaveLength(1);
    expect([...(ec2.requests[0]?.filters ?? [])]).toEqual([['group-id', [GROUP, OTHER_GROUP]]]);
  });

  it.each([
    [
      'an RDS instance',
      [RDS_ENI, INSTANCE_ENI],
      'rds',
      'eni-0rds000000000001 rds requester amazon-rds "RDSNetworkInterface"',
    ],
    [
      'an ElastiCache node',
      [INSTANCE_ENI, CACHE_ENI],
      'elasticache',
      'eni-0cache00000000001 elasticache requester amazon-elasticache "ElastiCache sessions-rg-001"',
    ],
    [
      'only an EC2 instance',
      [INSTANCE_ENI],
      'other',
      'eni-0ec2000000000001 interface "Primary network interface"',
    ],
  ] as const)('reports %s behind the group', async (_label, interfaces, status, first) => {
    ec2.setInterfaces(interfaces);
    const result = await ask(adapter());
    expect(result.status).toBe(status);
    expect(result.resources[0]).toBe(first);
    expect(result.resources).toHaveLength(interfaces.length);
  });

  it('reports none when no interface uses the group', async () => {
    ec2.setInterfaces([{ ...RDS_ENI, groupIds: [OTHER_GROUP] }]);
    expect(await ask(adapter())).toEqual({ status: 'none', resources: [] });
  });

  it('does not take a description alone as proof of RDS', async () => {
    ec2.setInterfaces([{ ...INSTANCE_ENI, description: 'RDSNetworkInterface' }]);
    expect((await ask(adapter())).status).toBe('other');
  });

  it('reads further pages until it finds a data store', async () => {
    ec2.setPageSize(2);
    ec2.setInterfaces([
      INSTANCE_ENI,
      { ...INSTANCE_ENI, networkInterfaceId: 'eni-0ec2000000000002' },
      RDS_ENI,
    ]);
    expect((await ask(adapter())).status).toBe('rds');
    expect(ec2.requests.map((r) => r.nextToken)).toEqual([undefined, '2']);
  });

  it('says so when it stopped reading pages before finding a data store', async () => {
    ec2.setPageSize(1);
    ec2.setInterfaces([
      INSTANCE_ENI,
      { ...INSTANCE_ENI, networkInterfaceId: 'eni-0ec2000000000002' },
      RDS_ENI,
    ]);
    const result = await ask(adapter({ maxPages: 2 }));
    expect(result.status).toBe('other');
    expect(result.reason).toMatch(/only the first pages/);
  });

  it('answers unknown within its time limit when EC2 is slow', async () => {
    // Given EC2 slower than the time box, and a timer the test fires itself
    ec2.setInterfaces([RDS_ENI]);
    ec2.setDelay(1500);
    const timers: number[] = [];
    const lookup = adapter({
      timeoutMs: 200,
      startTimer: (ms, expire) => {
        timers.push(ms);
        // The box runs out as soon as EC2 has the request, long before it answers.
        const poll = setInterval(() => {
          if (ec2.requests.length > 0) {
            clearInterval(poll);
            expire();
          }
        }, 5);
        return () => clearInterval(poll);
      },
    });
    // When the lookup runs out of time
    const result = await ask(lookup);
    // Then it answered unknown, naming the budget, without waiting for EC2
    expect(timers).toEqual([200]);
    expect(ec2.requests).toHaveLength(1);
    expect(result).toEqual({
      status: 'unknown',
      resources: [],
      reason: 'EC2 did not answer within 200 ms',
    });
  });

  it('answers unknown, naming the permission, when EC2 denies the call', async () => {
    ec2.setInterfaces([RDS_ENI]);
    ec2.failNext(1, { status: 403, code: 'UnauthorizedOperation' });
    const result = await ask(adapter());
    expect(result.status).toBe('unknown');
    expect(result.reason).toContain('UnauthorizedOperation');
    expect(result.reason).toContain('ec2:DescribeNetworkInterfaces');
    expect(ec2.requests).toHaveLength(1);
  });

  it('answers unknown when EC2 keeps failing, after the SDK retries', async () => {
    ec2.failNext(10, { status: 503, code: 'Unavailable' });
    const result = await ask(adapter({ timeoutMs: 5000 }));
    expect(result.status).toBe('unknown');
    expect(result.reason).toContain('Unavailable');
    expect(ec2.requests.length).toBeGreaterThan(1);
  });

  it('reuses an answer for the same groups instead of asking again', async () => {
    ec2.setInterfaces([RDS_ENI]);
    let now = 1_000_000;
    const lookup = adapter({ now: () => now, cacheTtlMs: 60_000 });
    const first = await ask(lookup);
    now += 59_000;
    expect(await ask(lookup, [GROUP, GROUP])).toEqual(first);
    expect(ec2.requests).toHaveLength(1);
    now += 2_000;
    await ask(lookup);
    expect(ec2.requests).toHaveLength(2);
  });

  it('remembers a failure briefly, so a burst pays the time limit once', async () => {
    ec2.failNext(1, { status: 403, code: 'UnauthorizedOperation' });
    let now = 0;
    const lookup = adapter({ now: () => now, failureTtlMs: 10_000 });
    expect((await ask(lookup)).status).toBe('unknown');
    expect((await ask(lookup)).status).toBe('unknown');
    expect(ec2.requests).toHaveLength(1);
    now += 10_001;
    ec2.setInterfaces([RDS_ENI]);
    expect((await ask(lookup)).status).toBe('rds');
  });

  it.each([
    [
      'the event is from another Region',
      { groupIds: [GROUP], region: 'eu-west-1', account: ACCOUNT },
      {},
    ],
    [
      'the event is from another account',
      { groupIds: [GROUP], region: REGION, account: '444455556666' },
      { account: ACCOUNT },
    ],
    [
      'no group id is well formed',
      { groupIds: ['sg-*', 'default'], region: REGION, account: ACCOUNT },
      {},
    ],
  ] as const)('answers unknown without asking EC2 when %s', async (_label, request, options) => {
    const result = await adapter(options).lookup(request);
    expect(result.status).toBe('unknown');
    expect(ec2.requests).toHaveLength(0);
  });
});

describe('processRecord with an attachment lookup', () => {
  let dynamodb: EmbeddedDynamoDb;
  let published: RenderedMessage[];
  let counter = 0;

  const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const publisher: AlertPublisher = {
    publish: (message) => {
      published.push(message);
      return Promise.resolve({ messageId: `m-${published.length}` });
    },
  };

  beforeAll(async () => {
    dynamodb = await startEmbeddedDynamoDb();
  });

  afterAll(async () => {
    await dynamodb.close();
  });

  beforeEach(() => {
    published = [];
  });

  function deps(attachmentLookup?: AttachmentLookup): ProcessDeps {
    return {
      store: new DynamoDbAlertStore(dynamodb.client, dynamodb.tableName),
      publisher,
      clock: { now: () => new Date('2026-03-03T10:30:00Z') },
      logger: silent,
      retentionDays: 30,
      claimSeconds: 60,
      ...(attachmentLookup !== undefined ? { attachmentLookup } : {}),
    };
  }

  /** The internet-exposure fixture with a fresh event id and caller, so each test owns its alert. */
  function exposure(): CloudTrailRecord {
    const record = loadRecord(
      'cloudtrail/aws.ec2.datastore-port-open-to-internet/ec2-authorize-security-group-ingress.success.postgres-internet.json',
    );
    counter += 1;
    return {
      ...record,
      eventID: `lookup-${Date.now()}-${counter}`,
      userIdentity: { ...record.userIdentity, arn: `${record.userIdentity.arn ?? ''}-${counter}` },
    };
  }

  function email(message: RenderedMessage | undefined): string {
    return (JSON.parse(message?.message ?? '{}') as { email: string }).email;
  }

  it('records and shows an RDS resource behind the group', async () => {
    ec2.setInterfaces([RDS_ENI]);
    const [result] = await processRecord(exposure(), deps(adapter()));
    expect(result?.outcome).toBe('notified');
    expect(result?.alert.context.attachment?.status).toBe('rds');
    expect(email(published[0])).toContain(
      '  Behind it:   an RDS resource uses the group: eni-0rds000000000001',
    );
  });

  it('still sends the alert, marked attachment unknown, when EC2 denies the lookup', async () => {
    ec2.failNext(1, { status: 403, code: 'UnauthorizedOperation' });
    const [result] = await processRecord(exposure(), deps(adapter()));
    expect(result?.outcome).toBe('notified');
    expect(result?.alert.context.attachment).toMatchObject({ status: 'unknown' });
    expect(published).toHaveLength(1);
    expect(email(published[0])).toMatch(
      /Behind it: {3}attachment unknown \(EC2 refused DescribeNetworkInterfaces/,
    );
  });

  it('still sends the alert when a lookup throws instead of answering', async () => {
    const broken: AttachmentLookup = { lookup: () => Promise.reject(new Error('socket hang up')) };
    const [result] = await processRecord(exposure(), deps(broken));
    expect(result?.outcome).toBe('notified');
    expect(result?.alert.context.attachment).toEqual({
      status: 'unknown',
      resources: [],
      reason: 'lookup failed: Error: socket hang up',
    });
  });

  it('does not look up detections that name no group', async () => {
    const record = loadRecord(
      'cloudtrail/aws.rds.instance-made-public/rds-modify-db-instance.success.made-public.json',
    );
    const [result] = await processRecord(
      { ...record, eventID: `lookup-rds-${Date.now()}` },
      deps(adapter()),
    );
    expect(result?.alert.context.attachment).toBeUndefined();
    expect(ec2.requests).toHaveLength(0);
  });

  it('leaves the context out when lookups are off', async () => {
    const [result] = await processRecord(exposure(), deps());
    expect(result?.alert.context.attachment).toBeUndefined();
    expect(email(published[0])).not.toContain('Behind it');
  });
});
