import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import { SnsAlertPublisher } from '../../lambda/adapters/sns-publisher';
import type { Alert } from '../../lambda/core/alert';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { Policy } from '../../lambda/core/policy';
import { DEFAULT_POLICY } from '../../lambda/core/policy';
import { parsePolicy } from '../../lambda/core/policy-file';
import type { ProcessDeps } from '../../lambda/core/process';
import { processRecord } from '../../lambda/core/process';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { loadRecord, toEnvelope } from '../support/fixtures';
import type { PublishedMessage } from '../support/local-sns';
import type { LocalAws } from '../support/servers';
import { startLocalAws, TEST_TOPIC_ARN } from '../support/servers';

const RDS_FIXTURE =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const SILENT = { info: () => undefined, warn: () => undefined, error: () => undefined };

let aws: LocalAws;
let sns: SNSClient;
let run = 0;

beforeAll(async () => {
  aws = await startLocalAws();
  sns = new SNSClient({});
});

afterAll(async () => {
  sns.destroy();
  await aws.close();
});

beforeEach(() => {
  aws.sns.reset();
  run += 1;
});

/**
 * Events from one caller unique to this test, a minute apart, on a day of their own: the
 * detection-wide cap counts every alert of a detection in the window, whoever caused it.
 */
function burstOf(
  count: number,
  start = new Date(Date.UTC(2026, 0, 1, 9) + run * 3 * 86_400_000).toISOString(),
): CloudTrailRecord[] {
  const base = loadRecord(RDS_FIXTURE);
  const arn = `arn:aws:iam::111122223333:user/burst-${run}-${Date.now()}`;
  return Array.from({ length: count }, (_, i) => ({
    ...base,
    eventID: `burst-${run}-${i}-${Date.now()}`,
    eventTime: new Date(Date.parse(start) + i * 60_000).toISOString(),
    userIdentity: { ...base.userIdentity, arn },
    requestParameters: { dBSecurityGroupName: `group-${i}`, dBSecurityGroupDescription: 'x' },
  }));
}

function deps(policy: Policy = DEFAULT_POLICY): ProcessDeps {
  return {
    store: new DynamoDbAlertStore(aws.dynamodb.client, aws.dynamodb.tableName),
    publisher: new SnsAlertPublisher(sns, TEST_TOPIC_ARN),
    clock: { now: () => new Date('2026-06-01T10:00:00Z') },
    logger: SILENT,
    policy,
    retentionDays: 30,
    claimSeconds: 60,
  };
}

function kinds(messages: readonly PublishedMessage[]): string[] {
  return messages.map((m) => m.attributes.notification?.stringValue ?? 'missing');
}

function threadOf(message: PublishedMessage | undefined): string {
  const body = JSON.parse(message?.message ?? '{}') as { default: string };
  return (JSON.parse(body.default) as { metadata: { threadId: string } }).metadata.threadId;
}

async function stored(alertId: string): Promise<Alert | undefined> {
  return new DynamoDbAlertStore(aws.dynamodb.client, aws.dynamodb.tableName).get(alertId);
}

describe('burst control against dynalite and the local SNS endpoint', () => {
  it('sends one new notification and updates for 50 concurrent events from one caller, recording all 50', async () => {
    const { handler } = await import('../../lambda/main');
    const events = burstOf(50).map((record) => toEnvelope(record));
    const results = await Promise.all(events.map((event) => handler(event)));

    expect(kinds(aws.sns.published).filter((k) => k === 'new')).toHaveLength(1);
    expect(kinds(aws.sns.published).filter((k) => k === 'update')).toHaveLength(49);
    const alertIds = results.flatMap((r) => r.alerts.map((a) => a.alertId));
    expect(new Set(alertIds).size).toBe(50);
    const sequences: number[] = [];
    for (const alertId of alertIds) {
      const alert = await stored(alertId);
      expect(alert?.delivery).toBe('notified');
      sequences.push(alert?.burst?.sequence ?? 0);
    }
    expect(sequences.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // One Slack thread for the whole burst.
    expect(new Set(aws.sns.published.map(threadOf)).size).toBe(1);
  });

  it('turns notifications past the cap into one summary and records the rest as capped', async () => {
    const policy: Policy = {
      ...DEFAULT_POLICY,
      burst: { windowMinutes: 60, maxNotificationsPerWindow: 3 },
    };
    const outcomes: string[] = [];
    for (const record of burstOf(6)) {
      for (const result of await processRecord(record, deps(policy))) outcomes.push(result.outcome);
    }
    expect(kinds(aws.sns.published)).toEqual(['new', 'update', 'update', 'summary']);
    expect(outcomes).toEqual(['notified', 'notified', 'notified', 'notified', 'capped', 'capped']);
    expect(aws.sns.published[3]?.subject).toMatch(/^\[sgwatch\] CAP REACHED: /);
  });

  it('opens a new group, and a new thread, once the window has passed', async () => {
    const policy: Policy = {
      ...DEFAULT_POLICY,
      burst: { windowMinutes: 30, maxNotificationsPerWindow: 100 },
    };
    const records = burstOf(2);
    const later = {
      ...records[1],
      eventID: `${records[1]?.eventID}-late`,
      eventTime: '2026-03-02T09:45:00.000Z',
    } as CloudTrailRecord;
    for (const record of [records[0], records[1], later]) {
      if (record !== undefined) await processRecord(record, deps(policy));
    }
    expect(kinds(aws.sns.published)).toEqual(['new', 'update', 'new']);
    expect(threadOf(aws.sns.published[0])).toBe(threadOf(aws.sns.published[1]));
    expect(threadOf(aws.sns.published[2])).not.toBe(threadOf(aws.sns.published[0]));
  });

  it('keeps an update an update when its first publish fails and a retry sends it', async () => {
    const [first, second] = burstOf(2);
    if (first === undefined || second === undefined) throw new Error('no records');
    await processRecord(first, deps());
    aws.sns.failNext(10, { status: 503, code: 'ServiceUnavailable' });
    await expect(processRecord(second, deps())).rejects.toMatchObject({ name: 'PublishError' });
    aws.sns.reset();
    const [retry] = await processRecord(second, deps());
    expect(retry?.outcome).toBe('resumed');
    expect(kinds(aws.sns.published)).toEqual(['update']);
  });
});

describe('principal history', () => {
  it('tells the first alert of a caller from later ones, counting 24 hours and 7 days', async () => {
    const [first, second, third] = burstOf(3);
    if (first === undefined || second === undefined || third === undefined)
      throw new Error('no records');
    const weekAgo = {
      ...first,
      eventTime: new Date(Date.parse(first.eventTime) - 6 * 86_400_000).toISOString(),
    };
    const [a] = await processRecord(weekAgo, deps());
    const [b] = await processRecord(second, deps());
    const [c] = await processRecord(third, deps());
    expect(a?.alert.context.history).toEqual({ last24h: 0, last7d: 0, firstSeen: true });
    expect(b?.alert.context.history).toEqual({ last24h: 0, last7d: 1, firstSeen: false });
    expect(c?.alert.context.history).toEqual({ last24h: 1, last7d: 2, firstSeen: false });
    const email = (JSON.parse(aws.sns.published[2]?.message ?? '{}') as { email: string }).email;
    expect(email).toContain('History:    1 earlier alert(s) in 24 h, 2 in 7 days');
  });
});

describe('exceptions', () => {
  const policy = parsePolicy({
    exceptions: [
      {
        id: 'reporting-pipeline',
        reason: 'The reporting pipeline still manages one legacy group; tracked in MIGRATE-1.',
        owner: 'data-platform@example.com',
        expires: '2026-12-31',
        match: { groupName: 'legacy-*', rules: ['aws.rds.create-db-security-group'] },
      },
    ],
  });

  it('records a matching event as suppressed with the exception, and publishes nothing', async () => {
    const record = { ...loadRecord(RDS_FIXTURE), eventID: `suppress-${Date.now()}` };
    const [result] = await processRecord(record, deps(policy));
    expect(result?.outcome).toBe('suppressed');
    expect(aws.sns.published).toHaveLength(0);
    const alert = await stored(result?.alert.alertId ?? '');
    expect(alert).toMatchObject({
      status: 'suppressed',
      delivery: 'suppressed',
      suppression: { exceptionId: 'reporting-pipeline', owner: 'data-platform@example.com' },
    });
  });

  it('stops applying an exception after it expires', async () => {
    const record = { ...loadRecord(RDS_FIXTURE), eventID: `expired-${Date.now()}` };
    const late = { ...deps(policy), clock: { now: () => new Date('2027-01-01T00:00:01Z') } };
    const [result] = await processRecord(record, late);
    expect(result?.outcome).toBe('notified');
    expect(aws.sns.published).toHaveLength(1);
  });

  it('applies the exceptions of the file the deployed function is shipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sgwatch-policy-'));
    const file = join(dir, 'sgwatch.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        exceptions: [
          {
            id: 'all-legacy',
            reason: 'test of the shipped file',
            owner: 'tests',
            expires: '2099-01-01',
            match: { groupName: 'legacy-*' },
          },
        ],
      }),
    );
    try {
      const handler = createHandler(
        handlerDepsFromEnvironment({ ...process.env, SGWATCH_CONFIG_FILE: file }),
      );
      const record = { ...loadRecord(RDS_FIXTURE), eventID: `shipped-${Date.now()}` };
      const result = await handler(toEnvelope(record));
      expect(result.alerts[0]?.outcome).toBe('suppressed');
      expect(aws.sns.published).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile strings through the whole pipeline', () => {
  it.each([
    ['Slack mentions and links', '<!channel> <@U123> <https://evil.example|click>'],
    ['markdown and backticks', '*b* _i_ ~s~ `c` ```x```'],
    ['control characters and newlines', 'a\r\nb\u0000c\u001b[2Jd\u2028e'],
    ['a 10 KB string', 'Z'.repeat(10_240)],
    ['odd Unicode', '\u202eevil\u200b\ufeff😀'.repeat(300)],
  ])('publishes a message the strict SNS endpoint accepts for %s', async (_label, hostile) => {
    const base = burstOf(1)[0];
    if (base === undefined) throw new Error('no record');
    const record = {
      ...base,
      userAgent: hostile,
      requestParameters: { dBSecurityGroupName: hostile, dBSecurityGroupDescription: hostile },
    };
    const [result] = await processRecord(record, deps());
    expect(result?.outcome).toBe('notified');
    const message = aws.sns.published[0];
    expect(Buffer.byteLength(message?.message ?? '')).toBeLessThan(256 * 1024);
    const body = JSON.parse(message?.message ?? '{}') as { default: string; email: string };
    expect(body.default).not.toMatch(/<!channel>|<@U123>|<https:\/\/evil/);

    expect(body.email).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
  });
});
