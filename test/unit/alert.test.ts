import { alertIdFor, buildAlert } from '../../lambda/core/alert';
import { findDetection } from '../../lambda/core/catalog';
import type { Detection } from '../../lambda/core/catalog';
import { loadRecord } from '../support/fixtures';

const NOW = new Date('2026-03-02T09:16:00.000Z');

function detection(id: string): Detection {
  const found = findDetection(id);
  if (found === undefined) throw new Error(`no detection ${id}`);
  return found;
}

const rds = detection('aws.rds.create-db-security-group');
const elasticache = detection('aws.elasticache.create-cache-security-group');
const failed = detection('aws.legacy-security-group.create-failed');

describe('buildAlert', () => {
  it('enriches an RDS alert with who, where, what and links', () => {
    const record = loadRecord(
      'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
    );
    const alert = buildAlert(rds, record, { now: NOW, retentionDays: 30 });
    expect(alert).toMatchObject({
      ruleId: 'aws.rds.create-db-security-group',
      severity: 'low',
      riskScore: 21,
      mitre: ['TA0003', 'T1136', 'T1136.003'],
      eventId: record.eventID,
      eventTime: '2026-03-02T09:15:42.000Z',
      account: '111122223333',
      region: 'us-east-1',
      principal: 'arn:aws:iam::111122223333:user/dana',
      actor: { kind: 'iam-user', userName: 'dana', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
      sourceIp: '203.0.113.24',
      resource: {
        type: 'RDS DB security group',
        name: 'legacy-reporting',
        description: 'reporting access',
      },
      links: {
        cloudTrail: `https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/${record.eventID}`,
        console: 'https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1',
      },
      timeBucket: '2026-03',
      status: 'open',
      delivery: 'pending',
      detectedAt: NOW.toISOString(),
      expiresAt: Math.floor(NOW.getTime() / 1000) + 30 * 86_400,
    });
    expect(alert.error).toBeUndefined();
    expect(JSON.parse(alert.cloudTrailEvent)).toEqual(record);
  });

  it('reads the ElastiCache request casing and the assumed-role session', () => {
    const record = loadRecord(
      'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.json',
    );
    const alert = buildAlert(elasticache, record, { now: NOW, retentionDays: 30 });
    expect(alert.resource).toEqual({
      type: 'ElastiCache cache security group',
      name: 'sessions-cache',
      description: 'app tier access to session cache',
    });
    expect(alert.actor).toMatchObject({
      kind: 'assumed-role',
      roleArn: 'arn:aws:iam::111122223333:role/NetworkAdmin',
      sessionName: 'ops-session',
      mfa: true,
    });
    expect(alert.mitre).toEqual(['TA0005', 'T1562', 'T1562.007']);
  });

  it('tolerates absent description and null response elements', () => {
    const record = loadRecord(
      'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.null-response.json',
    );
    const alert = buildAlert(elasticache, record, { now: NOW, retentionDays: 30 });
    expect(alert.resource.name).toBe('batch-cache');
    expect(alert.resource.description).toBe('');
  });

  it('carries the error of a failed attempt', () => {
    const record = loadRecord(
      'cloudtrail/aws.legacy-security-group.create-failed/rds-create-db-security-group.failure.access-denied.json',
    );
    const alert = buildAlert(failed, record, { now: NOW, retentionDays: 30 });
    expect(alert.outcome).toBe('failure');
    expect(alert.error?.code).toBe('AccessDenied');
    expect(alert.resource.type).toBe('RDS DB security group');
  });

  it('derives the same id for the same rule and event, and different ids otherwise', () => {
    expect(alertIdFor(rds.id, 'e-1')).toBe(alertIdFor(rds.id, 'e-1'));
    expect(alertIdFor(rds.id, 'e-1')).not.toBe(alertIdFor(failed.id, 'e-1'));
    expect(alertIdFor(rds.id, 'e-1')).not.toBe(alertIdFor(rds.id, 'e-2'));
    expect(alertIdFor(rds.id, 'e-1')).toMatch(/^[0-9a-f]{20}$/);
  });

  it('rejects a Region that is not Region-shaped when building console links', () => {
    const record = {
      ...loadRecord(
        'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
      ),
      awsRegion: 'evil.example.com/x',
    };
    expect(buildAlert(rds, record, { now: NOW, retentionDays: 30 }).links).toEqual({});
  });

  it('builds the CloudTrail link of an event id holding half a surrogate pair', () => {
    // A JSON escape can put a lone surrogate in any string; encodeURIComponent throws on one.
    const base = loadRecord(
      'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
    );
    for (const [eventID, encoded] of [
      ['a\ud800b', 'a%EF%BF%BDb'],
      ['\udc00', '%EF%BF%BD'],
      ['\udbff\udfff', '%F4%8F%BF%BF'],
    ] as const) {
      const alert = buildAlert(rds, { ...base, eventID }, { now: NOW, retentionDays: 30 });
      expect(alert.eventId).toBe(eventID);
      expect(alert.links.cloudTrail).toMatch(new RegExp(`#/events/${encoded}$`));
    }
  });

  it('caps attacker-sized strings on the summary fields but keeps the raw record whole', () => {
    const huge = 'A'.repeat(10_000);
    const base = loadRecord(
      'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
    );
    const record = {
      ...base,
      userAgent: huge,
      requestParameters: { dBSecurityGroupName: huge, dBSecurityGroupDescription: huge },
    };
    const alert = buildAlert(rds, record, { now: NOW, retentionDays: 30 });
    expect(alert.userAgent.length).toBeLessThanOrEqual(1024);
    expect(alert.resource.name.length).toBeLessThanOrEqual(1024);
    expect(alert.cloudTrailEvent).toContain(huge);
  });

  it('falls back to unknown when the caller has no ARN', () => {
    const base = loadRecord(
      'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
    );
    const record = { ...base, userIdentity: { type: 'Unknown' } };
    expect(buildAlert(rds, record, { now: NOW, retentionDays: 30 }).principal).toBe('unknown');
  });
});

describe('the account an alert is filed under', () => {
  const base = loadRecord(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  );
  const withAccounts = (recipient: string | undefined, caller: string | undefined) => {
    const { recipientAccountId: _recipient, ...rest } = base;
    const { accountId: _caller, ...identity } = base.userIdentity;
    return {
      ...rest,
      ...(recipient !== undefined ? { recipientAccountId: recipient } : {}),
      userIdentity: { ...identity, ...(caller !== undefined ? { accountId: caller } : {}) },
    };
  };

  it.each([
    ['the recipient account', '111122223333', '444455556666', '777788889999', '111122223333'],
    [
      'the event account for an empty recipient',
      '',
      '444455556666',
      '777788889999',
      '444455556666',
    ],
    [
      'the event account for a missing recipient',
      undefined,
      '444455556666',
      '7777',
      '444455556666',
    ],
    ['the caller account for a blank event account', '', ' ', '777788889999', '777788889999'],
    ['the caller account without an event (replay)', '', undefined, '777788889999', '777788889999'],
    ['unknown when every account is empty', '', '', '', 'unknown'],
  ])('is %s', (_label, recipient, eventAccount, caller, expected) => {
    const alert = buildAlert(rds, withAccounts(recipient, caller), {
      now: NOW,
      retentionDays: 30,
      ...(eventAccount !== undefined ? { eventAccount } : {}),
    });

    expect(alert.account).toBe(expected);
  });

  it('never leaves an index key empty', () => {
    const { userIdentity: _identity, ...rest } = withAccounts('', '');
    const alert = buildAlert(
      rds,
      { ...rest, userIdentity: { type: 'Unknown', arn: '', principalId: '' } },
      { now: NOW, retentionDays: 30, eventAccount: '' },
    );

    expect(alert).toMatchObject({ account: 'unknown', principal: 'unknown', status: 'open' });
    expect(alert.timeBucket).not.toBe('');
    expect(alert.eventTime).not.toBe('');
  });
});
