import fc from 'fast-check';
import { buildAlert } from '../../lambda/core/alert';
import type { Alert } from '../../lambda/core/alert';
import type { Detection } from '../../lambda/core/catalog';
import { EXPOSURE_PACK, eventPatternFor, findDetection, matches } from '../../lambda/core/catalog';
import { DATA_STORE_PORTS } from '../../lambda/core/catalog/ingress';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { renderChatbot, renderEmail } from '../../lambda/core/render';
import { matchesPattern } from '../support/event-pattern';
import { loadRecord, toEnvelope } from '../support/fixtures';

const NOW = new Date('2026-03-03T10:30:00.000Z');
const GROUP = 'sg-0a1b2c3d4e5f60718';

function detection(id: string): Detection {
  const found = findDetection(id);
  if (found === undefined) throw new Error(`no detection ${id}`);
  return found;
}

const portOpen = detection('aws.ec2.datastore-port-open-to-internet');
const rdsPublic = detection('aws.rds.instance-made-public');
const groupsChanged = detection('aws.datastore.security-groups-changed');
const legacyIngress = detection('aws.legacy-security-group.ingress-authorized');

const SERVICE_OF: Record<string, string> = {
  AuthorizeSecurityGroupIngress: 'ec2',
  ModifySecurityGroupRules: 'ec2',
  AuthorizeDBSecurityGroupIngress: 'rds',
  AuthorizeCacheSecurityGroupIngress: 'elasticache',
  RevokeDBSecurityGroupIngress: 'rds',
  ModifyCacheCluster: 'elasticache',
  ModifyReplicationGroup: 'elasticache',
};

/** A successful call of `eventName` with the given parameters; `extra` overrides anything. */
function call(
  eventName: string,
  requestParameters: unknown,
  extra: Record<string, unknown> = {},
): CloudTrailRecord {
  const service = SERVICE_OF[eventName] ?? 'rds';
  return {
    eventVersion: '1.09',
    eventID: `unit-${eventName}`,
    eventTime: '2026-03-03T10:29:00Z',
    eventSource: `${service}.amazonaws.com`,
    eventName,
    awsRegion: 'us-east-1',
    userIdentity: {
      type: 'IAMUser',
      arn: 'arn:aws:iam::111122223333:user/dana',
      accountId: '111122223333',
    },
    sourceIPAddress: '203.0.113.24',
    userAgent: 'aws-cli/2.15.30',
    requestParameters: requestParameters as Record<string, unknown>,
    responseElements: null,
    recipientAccountId: '111122223333',
    ...extra,
  };
}

interface Permission {
  ipProtocol?: unknown;
  fromPort?: unknown;
  toPort?: unknown;
  v4?: unknown[];
  v6?: unknown[];
  groups?: string[];
  prefixLists?: string[];
}

/** One `ipPermissions` item as CloudTrail writes it. */
function permission(p: Permission): Record<string, unknown> {
  return {
    ...(p.ipProtocol !== undefined ? { ipProtocol: p.ipProtocol } : {}),
    ...(p.fromPort !== undefined ? { fromPort: p.fromPort } : {}),
    ...(p.toPort !== undefined ? { toPort: p.toPort } : {}),
    groups: p.groups ? { items: p.groups.map((groupId) => ({ groupId })) } : {},
    ipRanges: p.v4 ? { items: p.v4.map((cidrIp) => ({ cidrIp })) } : {},
    ipv6Ranges: p.v6 ? { items: p.v6.map((cidrIpv6) => ({ cidrIpv6 })) } : {},
    prefixListIds: p.prefixLists
      ? { items: p.prefixLists.map((prefixListId) => ({ prefixListId })) }
      : {},
  };
}

function authorize(...permissions: Permission[]): CloudTrailRecord {
  return call('AuthorizeSecurityGroupIngress', {
    groupId: GROUP,
    ipPermissions: { items: permissions.map(permission) },
  });
}

function modifyRules(...rules: Record<string, unknown>[]): CloudTrailRecord {
  return call('ModifySecurityGroupRules', {
    ModifySecurityGroupRulesRequest: {
      GroupId: GROUP,
      SecurityGroupRule:
        rules.length === 1
          ? { SecurityGroupRuleId: 'sgr-0abcdef0123456789', SecurityGroupRule: rules[0] }
          : rules.map((rule, i) => ({
              SecurityGroupRuleId: `sgr-0abcdef012345678${i}`,
              SecurityGroupRule: rule,
            })),
    },
  });
}

/** The detection must agree with its EventBridge pattern on every record it accepts. */
function expectPatternAdmits(d: Detection, record: CloudTrailRecord): void {
  expect(matchesPattern(eventPatternFor(d), toEnvelope(record))).toBe(true);
}

const tcp = (fromPort: unknown, toPort: unknown = fromPort): Permission => ({
  ipProtocol: 'tcp',
  fromPort,
  toPort,
});

describe('aws.ec2.datastore-port-open-to-internet', () => {
  const positives: [string, CloudTrailRecord][] = [
    ['tcp 5432 from 0.0.0.0/0', authorize({ ...tcp(5432), v4: ['0.0.0.0/0'] })],
    ['tcp 0-65535 from 0.0.0.0/0', authorize({ ...tcp(0, 65535), v4: ['0.0.0.0/0'] })],
    [
      'protocol -1 with ports -1 from 0.0.0.0/0',
      authorize({ ipProtocol: '-1', fromPort: -1, toPort: -1, v4: ['0.0.0.0/0'] }),
    ],
    ['protocol -1 without ports from ::/0', authorize({ ipProtocol: '-1', v6: ['::/0'] })],
    ['tcp 3300-3310, which covers 3306', authorize({ ...tcp(3300, 3310), v4: ['0.0.0.0/0'] })],
    [
      'TCP in upper case',
      authorize({ ipProtocol: 'TCP', fromPort: 6379, toPort: 6379, v4: ['0.0.0.0/0'] }),
    ],
    [
      'protocol number 6',
      authorize({ ipProtocol: '6', fromPort: 1433, toPort: 1433, v4: ['0.0.0.0/0'] }),
    ],
    ['tcp 27017 from ::/0', authorize({ ...tcp(27017), v6: ['::/0'] })],
    ['an IPv6 /0 spelled 0::/0', authorize({ ...tcp(9042), v6: ['0::/0'] })],
    [
      'an IPv4 /0 with a non-zero address, which EC2 stores as 0.0.0.0/0',
      authorize({ ...tcp(5439), v4: ['10.1.2.3/0'] }),
    ],
    [
      'the second of two permissions',
      authorize({ ...tcp(443), v4: ['0.0.0.0/0'] }, { ...tcp(5432), v4: ['0.0.0.0/0'] }),
    ],
    [
      'the second range of one permission',
      authorize({ ...tcp(5432), v4: ['10.0.0.0/8', '0.0.0.0/0'] }),
    ],
    [
      'a single permission object instead of a list under items',
      call('AuthorizeSecurityGroupIngress', {
        groupId: GROUP,
        ipPermissions: { items: permission({ ...tcp(3306), v4: ['0.0.0.0/0'] }) },
      }),
    ],
    [
      'the older top-level request form',
      call('AuthorizeSecurityGroupIngress', {
        groupName: 'default',
        ipProtocol: 'tcp',
        fromPort: 11211,
        toPort: 11211,
        cidrIp: '0.0.0.0/0',
      }),
    ],
    [
      'ModifySecurityGroupRules to tcp 27017 from 0.0.0.0/0',
      modifyRules({ IpProtocol: 'tcp', FromPort: 27017, ToPort: 27017, CidrIpv4: '0.0.0.0/0' }),
    ],
    [
      'ModifySecurityGroupRules with a list whose second rule opens -1 to ::/0',
      modifyRules(
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' },
        { IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv6: '::/0' },
      ),
    ],
  ];

  it.each(positives)('fires on %s, and its pattern admits the event', (_label, record) => {
    expect(matches(portOpen, record)).toBe(true);
    expectPatternAdmits(portOpen, record);
  });

  it.each(DATA_STORE_PORTS.map(({ port, engines }) => [port, engines] as const))(
    'fires on tcp %i (%s) from 0.0.0.0/0',
    (port) => {
      const record = authorize({ ...tcp(port), v4: ['0.0.0.0/0'] });
      expect(matches(portOpen, record)).toBe(true);
      expectPatternAdmits(portOpen, record);
    },
  );

  const negatives: [string, CloudTrailRecord, boolean][] = [
    // [label, record, whether EventBridge can already drop it]. Ranges inside 1433-27017
    // that miss every data-store port are left to the detector (see ingress.ts).
    ['tcp 443 from 0.0.0.0/0', authorize({ ...tcp(443), v4: ['0.0.0.0/0'] }), true],
    ['tcp 5432 from a private range', authorize({ ...tcp(5432), v4: ['10.0.0.0/8'] }), true],
    [
      'udp 6379 from 0.0.0.0/0',
      authorize({ ipProtocol: 'udp', fromPort: 6379, toPort: 6379, v4: ['0.0.0.0/0'] }),
      true,
    ],
    [
      'protocol 17 on 6379 from 0.0.0.0/0',
      authorize({ ipProtocol: '17', fromPort: 6379, toPort: 6379, v4: ['0.0.0.0/0'] }),
      true,
    ],
    [
      'icmp from 0.0.0.0/0',
      authorize({ ipProtocol: 'icmp', fromPort: -1, toPort: -1, v4: ['0.0.0.0/0'] }),
      true,
    ],
    [
      'tcp 5432 from a security group',
      authorize({ ...tcp(5432), groups: ['sg-0f1e2d3c4b5a69788'] }),
      true,
    ],
    [
      'tcp 5432 from a prefix list',
      authorize({ ...tcp(5432), prefixLists: ['pl-0123456789abcdef0'] }),
      true,
    ],
    [
      'tcp 5432 from 0.0.0.0/1, wide but not the whole internet',
      authorize({ ...tcp(5432), v4: ['0.0.0.0/1'] }),
      true,
    ],
    [
      'tcp 5433-5438, between two data-store ports',
      authorize({ ...tcp(5433, 5438), v4: ['0.0.0.0/0'] }),
      false,
    ],
    ['a reversed range 5440-5430', authorize({ ...tcp(5440, 5430), v4: ['0.0.0.0/0'] }), false],
    ['ports written as strings', authorize({ ...tcp('5432'), v4: ['0.0.0.0/0'] }), true],
    ['ports beyond 65535', authorize({ ...tcp(0, 70000), v4: ['0.0.0.0/0'] }), false],
    ['tcp without ports', authorize({ ipProtocol: 'tcp', v4: ['0.0.0.0/0'] }), true],
    ['protocol -1 written as a number', authorize({ ipProtocol: -1, v4: ['0.0.0.0/0'] }), true],
    ['a /00 prefix', authorize({ ...tcp(5432), v4: ['0.0.0.0/00'] }), true],
    [
      'permissions as a bare list without items',
      call('AuthorizeSecurityGroupIngress', {
        groupId: GROUP,
        ipPermissions: [permission({ ...tcp(5432), v4: ['0.0.0.0/0'] })],
      }),
      true,
    ],
    [
      'a protocol and ports from one permission and the range from another',
      authorize({ ...tcp(5432), v4: ['10.0.0.0/8'] }, { ...tcp(443), v4: ['0.0.0.0/0'] }),
      true,
    ],
    ['no request parameters', call('AuthorizeSecurityGroupIngress', null), true],
    [
      'a failed call',
      {
        ...authorize({ ...tcp(5432), v4: ['0.0.0.0/0'] }),
        errorCode: 'Client.UnauthorizedOperation',
      },
      true,
    ],
    [
      'ModifySecurityGroupRules to tcp 443 from 0.0.0.0/0',
      modifyRules({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' }),
      true,
    ],
    [
      'ModifySecurityGroupRules to a referenced group',
      modifyRules({
        IpProtocol: 'tcp',
        FromPort: 5432,
        ToPort: 5432,
        ReferencedGroupId: 'sg-0f1e2d3c4b5a69788',
      }),
      true,
    ],
    [
      'a lookalike call from another service',
      { ...authorize({ ...tcp(5432), v4: ['0.0.0.0/0'] }), eventSource: 'rds.amazonaws.com' },
      true,
    ],
  ];

  it.each(negatives)('does not fire on %s', (_label, record, filteredByPattern) => {
    expect(matches(portOpen, record)).toBe(false);
    expect(matchesPattern(eventPatternFor(portOpen), toEnvelope(record))).toBe(!filteredByPattern);
  });

  it('describes each opened port, range and group', () => {
    const record = authorize(
      { ...tcp(5432), v4: ['0.0.0.0/0'] },
      { ...tcp(3300, 3310), v6: ['::/0'] },
      { ipProtocol: '-1', v4: ['0.0.0.0/0'] },
    );
    expect(portOpen.findings?.(record)).toEqual([
      `${GROUP}: tcp 5432 (PostgreSQL/Aurora PostgreSQL) open to 0.0.0.0/0`,
      `${GROUP}: tcp 3300-3310, which covers 3306 (MySQL/MariaDB/Aurora MySQL) open to ::/0`,
      `${GROUP}: all protocols and ports (protocol -1), every data-store port included open to 0.0.0.0/0`,
    ]);
  });

  it('says a rewritten rule may be outbound, since the request does not tell', () => {
    const record = modifyRules({
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      CidrIpv4: '0.0.0.0/0',
    });
    expect(portOpen.findings?.(record)).toEqual([
      `${GROUP}: tcp 6379 (Redis/Valkey) open to 0.0.0.0/0 (rule sgr-0abcdef0123456789 rewritten; the request does not say whether it is inbound or outbound)`,
    ]);
  });

  it('names the exposed groups for the lookup, and only well-formed ids', () => {
    expect(portOpen.attachmentGroups?.(authorize({ ...tcp(5432), v4: ['0.0.0.0/0'] }))).toEqual([
      GROUP,
    ]);
    const odd = call('AuthorizeSecurityGroupIngress', {
      groupId: 'sg-*',
      ipPermissions: { items: [permission({ ...tcp(5432), v4: ['0.0.0.0/0'] })] },
    });
    expect(matches(portOpen, odd)).toBe(true);
    expect(portOpen.attachmentGroups?.(odd)).toEqual([]);
    expect(portOpen.attachmentGroups?.(authorize({ ...tcp(443), v4: ['0.0.0.0/0'] }))).toEqual([]);
  });

  it('keeps findings bounded for a request with thousands of rules', () => {
    const many = Array.from({ length: 5000 }, () => ({ ...tcp(5432), v4: ['0.0.0.0/0'] }));
    const findings = portOpen.findings?.(authorize(...many)) ?? [];
    expect(findings).toHaveLength(21);
    expect(findings[20]).toBe('…and 4980 more (see the CloudTrail record)');
  });

  it('builds a high alert naming the group, with the findings in email and chat', () => {
    const record = loadRecord(
      'cloudtrail/aws.ec2.datastore-port-open-to-internet/ec2-authorize-security-group-ingress.success.postgres-internet.json',
    );
    const alert = buildAlert(portOpen, record, { now: NOW, retentionDays: 30 });
    expect(alert).toMatchObject({
      ruleId: 'aws.ec2.datastore-port-open-to-internet',
      severity: 'high',
      mitre: ['TA0005', 'T1562', 'T1562.007'],
      resource: { type: 'EC2 security group', name: GROUP, description: '' },
      findings: [`${GROUP}: tcp 5432 (PostgreSQL/Aurora PostgreSQL) open to 0.0.0.0/0`],
      links: { console: 'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1' },
    });
    expect(renderEmail(alert, portOpen)).toContain(
      `  Finding:     ${GROUP}: tcp 5432 (PostgreSQL/Aurora PostgreSQL) open to 0.0.0.0/0`,
    );
    const chat = JSON.parse(renderChatbot(alert, portOpen)) as { content: { description: string } };
    expect(chat.content.description).toContain(
      `*Finding:* \`${GROUP}: tcp 5432 (PostgreSQL/Aurora PostgreSQL) open to 0.0.0.0/0\``,
    );
    expect(chat.content.description).toContain(
      '*What:* AuthorizeSecurityGroupIngress on EC2 security group',
    );
  });

  it('names a ModifySecurityGroupRules alert by the group in the wrapped request', () => {
    const record = loadRecord(
      'cloudtrail/aws.ec2.datastore-port-open-to-internet/ec2-modify-security-group-rules.success.mongodb-internet.json',
    );
    expect(buildAlert(portOpen, record, { now: NOW, retentionDays: 30 }).resource.name).toBe(GROUP);
  });

  it('neutralises hostile group ids in every format', () => {
    const record = call('AuthorizeSecurityGroupIngress', {
      groupId: 'sg-1\u202e<!channel> `x` <https://evil.example|ok>\n',
      ipPermissions: { items: [permission({ ...tcp(5432), v4: ['0.0.0.0/0'] })] },
    });
    const alert = buildAlert(portOpen, record, { now: NOW, retentionDays: 30 });
    const chat = renderChatbot(alert, portOpen);
    expect(chat).not.toContain('<!channel>');
    expect(chat).not.toContain('<https://evil');
    expect(chat).toContain('&lt;!channel&gt;');
    expect(chat).not.toContain('\u202e');
    const email = renderEmail(alert, portOpen);
    expect(email).not.toContain('https://evil');
    expect(email).not.toContain('\u202e');
  });
});

describe('aws.rds.instance-made-public', () => {
  const modify = (params: unknown, response: unknown = null) =>
    call('ModifyDBInstance', params, { responseElements: response });
  const create = (eventName: string, params: unknown, response: unknown) =>
    call(eventName, params, { responseElements: response });

  const positives: [string, CloudTrailRecord][] = [
    [
      'ModifyDBInstance with publiclyAccessible true',
      modify({ dBInstanceIdentifier: 'db1', publiclyAccessible: true }),
    ],
    [
      'ModifyDBCluster with publiclyAccessible true',
      call('ModifyDBCluster', { dBClusterIdentifier: 'c1', publiclyAccessible: true }),
    ],
    [
      'CreateDBInstance with publiclyAccessible true',
      create(
        'CreateDBInstance',
        { dBInstanceIdentifier: 'db1', publiclyAccessible: true },
        { publiclyAccessible: true },
      ),
    ],
    [
      'CreateDBInstance that leaves the choice to RDS, which made it public',
      create('CreateDBInstance', { dBInstanceIdentifier: 'db1' }, { publiclyAccessible: true }),
    ],
    [
      'CreateDBCluster that leaves the choice to RDS, which made it public',
      create('CreateDBCluster', { dBClusterIdentifier: 'c1' }, { publiclyAccessible: true }),
    ],
    [
      'RestoreDBInstanceFromDBSnapshot with publiclyAccessible true',
      create(
        'RestoreDBInstanceFromDBSnapshot',
        { dBInstanceIdentifier: 'db2', publiclyAccessible: true },
        null,
      ),
    ],
    [
      'CreateDBInstance with no request parameters and a public response',
      create('CreateDBInstance', null, { publiclyAccessible: true }),
    ],
  ];

  it.each(positives)('fires on %s, and its pattern admits the event', (_label, record) => {
    expect(matches(rdsPublic, record)).toBe(true);
    expectPatternAdmits(rdsPublic, record);
  });

  const RESTORES = [
    'RestoreDBInstanceFromS3',
    'RestoreDBInstanceToPointInTime',
    'CreateDBInstanceReadReplica',
    'RestoreDBClusterFromSnapshot',
    'RestoreDBClusterToPointInTime',
    'RestoreDBClusterFromS3',
  ];

  it.each(RESTORES)(
    'fires on %s made public by the request or, when the request is silent, by the response',
    (eventName) => {
      const requested = create(eventName, { publiclyAccessible: true }, null);
      const byDefault = create(eventName, { engine: 'postgres' }, { publiclyAccessible: true });
      for (const record of [requested, byDefault]) {
        expect(matches(rdsPublic, record)).toBe(true);
        expectPatternAdmits(rdsPublic, record);
      }
    },
  );

  it.each(RESTORES)('does not fire on %s kept private, or failed', (eventName) => {
    const pattern = eventPatternFor(rdsPublic);
    const refused = [
      create(eventName, { publiclyAccessible: false }, { publiclyAccessible: true }),
      create(eventName, {}, { publiclyAccessible: false }),
      create(eventName, {}, null),
      { ...create(eventName, { publiclyAccessible: true }, null), errorCode: '' },
      { ...create(eventName, { publiclyAccessible: true }, null), errorCode: null },
    ] as CloudTrailRecord[];
    for (const record of refused) {
      expect(matches(rdsPublic, record)).toBe(false);
      expect(matchesPattern(pattern, toEnvelope(record))).toBe(false);
    }
  });

  it('names a point-in-time restore by the instance it creates', () => {
    expect(
      rdsPublic.findings?.(
        create(
          'RestoreDBInstanceToPointInTime',
          { sourceDBInstanceIdentifier: 'billing', targetDBInstanceIdentifier: 'billing-copy' },
          { publiclyAccessible: true },
        ),
      ),
    ).toEqual([
      'DB instance billing-copy created publicly accessible by default: the request did not set publiclyAccessible and the response shows true',
    ]);
  });

  const negatives: [string, CloudTrailRecord, boolean][] = [
    ['ModifyDBInstance with publiclyAccessible false', modify({ publiclyAccessible: false }), true],
    ['ModifyDBInstance with the string "true"', modify({ publiclyAccessible: 'true' }), true],
    ['ModifyDBInstance with the number 1', modify({ publiclyAccessible: 1 }), true],
    [
      'a ModifyDBInstance that does not touch public access on a public database',
      modify({ allocatedStorage: 200 }, { publiclyAccessible: true }),
      true,
    ],
    [
      'CreateDBInstance that asks for private even though the response says public',
      create('CreateDBInstance', { publiclyAccessible: false }, { publiclyAccessible: true }),
      true,
    ],
    [
      'CreateDBInstance created private by default',
      create('CreateDBInstance', {}, { publiclyAccessible: false }),
      true,
    ],
    ['CreateDBInstance with no response recorded', create('CreateDBInstance', {}, null), true],
    [
      'CreateDBInstance whose request holds publiclyAccessible as an object',
      create('CreateDBInstance', { publiclyAccessible: {} }, { publiclyAccessible: true }),
      false,
    ],
    [
      'a failed ModifyDBInstance',
      { ...modify({ publiclyAccessible: true }), errorCode: 'AccessDenied' },
      true,
    ],
    [
      'a public request on an unwatched call',
      call('ModifyDBSnapshotAttribute', { publiclyAccessible: true }),
      true,
    ],
  ];

  it.each(negatives)('does not fire on %s', (_label, record, filteredByPattern) => {
    expect(matches(rdsPublic, record)).toBe(false);
    expect(matchesPattern(eventPatternFor(rdsPublic), toEnvelope(record))).toBe(!filteredByPattern);
  });

  it('says whether public access was requested or a default', () => {
    expect(
      rdsPublic.findings?.(modify({ dBInstanceIdentifier: 'orders', publiclyAccessible: true })),
    ).toEqual([
      'DB instance orders set publicly accessible (publiclyAccessible: true in the request)',
    ]);
    expect(
      rdsPublic.findings?.(
        create('CreateDBCluster', { dBClusterIdentifier: 'metrics' }, { publiclyAccessible: true }),
      ),
    ).toEqual([
      'DB cluster metrics created publicly accessible by default: the request did not set publiclyAccessible and the response shows true',
    ]);
  });

  it('fires on the real CreateDBInstance records that created public databases', () => {
    for (const file of [
      'public-cloudtrail/awsdocs-rds__CreateDBInstance__1.json',
      'public-cloudtrail/elastic-integrations__CreateDBInstance__1.json',
    ]) {
      const record = loadRecord(file);
      expect(matches(rdsPublic, record)).toBe(true);
      expect(buildAlert(rdsPublic, record, { now: NOW, retentionDays: 30 }).resource).toMatchObject(
        {
          type: 'RDS DB instance',
        },
      );
    }
    expect(
      matches(rdsPublic, loadRecord('public-cloudtrail/custodian__CreateDBInstance__1.json')),
    ).toBe(false);
  });
});

describe('aws.datastore.security-groups-changed', () => {
  const positives: [string, CloudTrailRecord][] = [
    [
      'ModifyDBInstance with vpcSecurityGroupIds',
      call('ModifyDBInstance', { dBInstanceIdentifier: 'db1', vpcSecurityGroupIds: ['sg-1'] }),
    ],
    [
      'ModifyDBCluster with vpcSecurityGroupIds',
      call('ModifyDBCluster', { dBClusterIdentifier: 'c1', vpcSecurityGroupIds: ['sg-1', 'sg-2'] }),
    ],
    [
      'ModifyCacheCluster with securityGroupIds',
      call('ModifyCacheCluster', { cacheClusterId: 'm1', securityGroupIds: ['sg-1'] }),
    ],
    [
      'ModifyReplicationGroup with securityGroupIds',
      call('ModifyReplicationGroup', { replicationGroupId: 'r1', securityGroupIds: ['sg-1'] }),
    ],
    [
      'a list holding one id among other values',
      call('ModifyDBInstance', { vpcSecurityGroupIds: [null, 'sg-1', 7] }),
    ],
  ];

  it.each(positives)('fires on %s, and its pattern admits the event', (_label, record) => {
    expect(matches(groupsChanged, record)).toBe(true);
    expectPatternAdmits(groupsChanged, record);
  });

  const negatives: [string, CloudTrailRecord, boolean][] = [
    ['an empty list', call('ModifyDBInstance', { vpcSecurityGroupIds: [] }), true],
    [
      'a bare string instead of a list',
      call('ModifyDBInstance', { vpcSecurityGroupIds: 'sg-1' }),
      false,
    ],
    [
      'a list of objects',
      call('ModifyDBInstance', { vpcSecurityGroupIds: [{ id: 'sg-1' }] }),
      true,
    ],
    ['a list of nulls', call('ModifyDBInstance', { vpcSecurityGroupIds: [null] }), false],
    ['no groups in the request', call('ModifyDBInstance', { allocatedStorage: 200 }), true],
    [
      'the ElastiCache parameter on an RDS call',
      call('ModifyDBInstance', { securityGroupIds: ['sg-1'] }),
      true,
    ],
    [
      'the RDS parameter on an ElastiCache call',
      call('ModifyCacheCluster', { vpcSecurityGroupIds: ['sg-1'] }),
      true,
    ],
    [
      'the legacy cacheSecurityGroupNames parameter',
      call('ModifyCacheCluster', { cacheSecurityGroupNames: ['default'] }),
      true,
    ],
    [
      'a failed call',
      {
        ...call('ModifyReplicationGroup', { securityGroupIds: ['sg-1'] }),
        errorCode: 'InvalidParameterValue',
      },
      true,
    ],
  ];

  it.each(negatives)('does not fire on %s', (_label, record, filteredByPattern) => {
    expect(matches(groupsChanged, record)).toBe(false);
    expect(matchesPattern(eventPatternFor(groupsChanged), toEnvelope(record))).toBe(
      !filteredByPattern,
    );
  });

  it('lists the new groups, at most ten', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `sg-${i}`);
    expect(
      groupsChanged.findings?.(
        call('ModifyReplicationGroup', { replicationGroupId: 'sessions', securityGroupIds: ids }),
      ),
    ).toEqual([
      `security groups of replication group sessions set to ${ids.slice(0, 10).join(', ')} and 2 more`,
    ]);
  });
});

describe('aws.legacy-security-group.ingress-authorized', () => {
  it.each([
    'public-cloudtrail/panther__AuthorizeDBSecurityGroupIngress__1.json',
    'public-cloudtrail/panther__AuthorizeDBSecurityGroupIngress__2.json',
    'public-cloudtrail/panther__AuthorizeDBSecurityGroupIngress__3.json',
    'cloudtrail/aws.legacy-security-group.ingress-authorized/elasticache-authorize-cache-security-group-ingress.success.json',
  ])('fires on the successful call in %s', (file) => {
    const record = loadRecord(file);
    expect(matches(legacyIngress, record)).toBe(true);
    expectPatternAdmits(legacyIngress, record);
  });

  it.each([
    'public-cloudtrail/panther__AuthorizeDBSecurityGroupIngress__4.json',
    'public-cloudtrail/panther__RevokeDBSecurityGroupIngress__1.json',
  ])('does not fire on %s', (file) => {
    expect(matches(legacyIngress, loadRecord(file))).toBe(false);
  });

  it('scores ingress from the whole internet 26 points higher', () => {
    const specific = loadRecord(
      'public-cloudtrail/panther__AuthorizeDBSecurityGroupIngress__1.json',
    );
    const internet = {
      ...specific,
      requestParameters: { ...specific.requestParameters, cIDRIP: '0.0.0.0/0' },
    };
    const low = buildAlert(legacyIngress, specific, { now: NOW, retentionDays: 30 });
    const high = buildAlert(legacyIngress, internet, { now: NOW, retentionDays: 30 });
    expect(high.riskScore - low.riskScore).toBe(26);
    expect(high.risk.baseScore).toBe(47);
    expect(high.risk.factors[0]).toEqual({
      id: 'internet-wide-range',
      delta: 26,
      reason: 'the ingress admits the whole internet (a /0 range)',
    });
    expect(low.risk.factors.map((f) => f.id)).not.toContain('internet-wide-range');
  });

  it('says what was admitted', () => {
    expect(
      legacyIngress.findings?.(
        loadRecord('public-cloudtrail/panther__AuthorizeDBSecurityGroupIngress__2.json'),
      ),
    ).toEqual(['database-sg: ingress allowed from 0.0.0.0/0']);
    expect(
      legacyIngress.findings?.(
        loadRecord(
          'cloudtrail/aws.legacy-security-group.ingress-authorized/elasticache-authorize-cache-security-group-ingress.success.json',
        ),
      ),
    ).toEqual([
      'legacy-sessions: ingress allowed from EC2 security group app-tier owned by account 444455556666',
    ]);
  });
});

describe('attachment context in messages', () => {
  const record = loadRecord(
    'cloudtrail/aws.ec2.datastore-port-open-to-internet/ec2-authorize-security-group-ingress.success.postgres-internet.json',
  );
  const base = buildAlert(portOpen, record, { now: NOW, retentionDays: 30 });
  const withAttachment = (attachment: Alert['context']['attachment']): Alert => ({
    ...base,
    context: { ...base.context, attachment },
  });

  it.each([
    [
      { status: 'rds', resources: ['eni-1 rds requester amazon-rds "RDSNetworkInterface"'] },
      'an RDS resource uses the group: eni-1 rds requester amazon-rds "RDSNetworkInterface"',
    ],
    [
      { status: 'elasticache', resources: ['eni-2 elasticache'] },
      'an ElastiCache resource uses the group: eni-2 elasticache',
    ],
    [
      { status: 'other', resources: ['eni-3 interface'] },
      'no RDS or ElastiCache interface, but other interfaces use the group: eni-3 interface',
    ],
    [{ status: 'none', resources: [] }, 'no network interface uses the group right now'],
    [
      { status: 'unknown', resources: [], reason: 'EC2 did not answer within 1500 ms' },
      'attachment unknown (EC2 did not answer within 1500 ms)',
    ],
  ] as const)('shows %j in the email', (attachment, line) => {
    expect(renderEmail(withAttachment(attachment), portOpen)).toContain(`  Behind it:   ${line}`);
  });

  it('escapes interface descriptions, which people write, in chat', () => {
    const alert = withAttachment({
      status: 'other',
      resources: ['eni-4 "<!here> see <https://x.example|y>"'],
    });
    const chat = JSON.parse(renderChatbot(alert, portOpen)) as { content: { description: string } };
    expect(chat.content.description).toContain('*Behind it:* no RDS or ElastiCache interface');
    expect(chat.content.description).not.toContain('<!here>');
    expect(chat.content.description).toContain('&lt;!here&gt;');
  });

  it('leaves the line out when nothing was looked up', () => {
    expect(renderEmail(base, portOpen)).not.toContain('Behind it');
  });
});

// --- Properties over generated requests --------------------------------------------------

/** JSON round trip, so generated values look exactly like parsed CloudTrail (no undefined, NaN). */
function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const protocolArb = fc.constantFrom<unknown>(
  'tcp',
  'TCP',
  'Tcp',
  '6',
  '-1',
  'udp',
  '17',
  'icmp',
  -1,
  6,
  null,
  'all',
);
const portArb = fc.oneof(
  fc.constantFrom<unknown>(
    ...DATA_STORE_PORTS.map(({ port }) => port),
    -1,
    0,
    22,
    443,
    5433,
    65535,
  ),
  fc.integer({ min: -5, max: 70_000 }),
  fc.constantFrom<unknown>('5432', null, 5432.5, true, [5432]),
);
const rangeArb = fc.constantFrom<unknown>(
  '0.0.0.0/0',
  '::/0',
  '0::/0',
  '10.1.2.3/0',
  '10.0.0.0/8',
  '0.0.0.0/1',
  '0.0.0.0/00',
  '/0',
  'x/0',
  5,
  null,
  ['0.0.0.0/0'],
);
const listOf = (key: string) =>
  fc.oneof(
    fc.constant({}),
    fc.record({ items: fc.array(fc.record({ [key]: rangeArb }), { maxLength: 3 }) }),
    fc.record({ items: fc.record({ [key]: rangeArb }) }),
    fc.array(fc.record({ [key]: rangeArb }), { maxLength: 2 }),
  );
const permissionArb = fc.record(
  {
    ipProtocol: protocolArb,
    fromPort: portArb,
    toPort: portArb,
    ipRanges: listOf('cidrIp'),
    ipv6Ranges: listOf('cidrIpv6'),
  },
  { requiredKeys: [] },
);
const authorizeArb = fc
  .record(
    {
      groupId: fc.constantFrom(GROUP, 'sg-*', 'default'),
      ipPermissions: fc.oneof(
        fc.record({ items: fc.array(permissionArb, { maxLength: 3 }) }),
        fc.record({ items: permissionArb }),
        fc.array(permissionArb, { maxLength: 2 }),
      ),
      ipProtocol: protocolArb,
      fromPort: portArb,
      toPort: portArb,
      cidrIp: rangeArb,
    },
    { requiredKeys: [] },
  )
  .map((params) => call('AuthorizeSecurityGroupIngress', params));
const modifyRuleArb = fc.record(
  {
    IpProtocol: protocolArb,
    FromPort: portArb,
    ToPort: portArb,
    CidrIpv4: rangeArb,
    CidrIpv6: rangeArb,
  },
  { requiredKeys: [] },
);
const modifyArb = fc
  .oneof(
    fc.record({ SecurityGroupRuleId: fc.constant('sgr-1'), SecurityGroupRule: modifyRuleArb }),
    fc.array(
      fc.record({ SecurityGroupRuleId: fc.constant('sgr-1'), SecurityGroupRule: modifyRuleArb }),
      {
        maxLength: 3,
      },
    ),
  )
  .map((rules) =>
    call('ModifySecurityGroupRules', {
      ModifySecurityGroupRulesRequest: { GroupId: GROUP, SecurityGroupRule: rules },
    }),
  );
const flagArb = fc.constantFrom<unknown>(true, false, 'true', 1, null, {}, [true]);
const rdsArb = fc
  .tuple(
    fc.constantFrom(...rdsPublic.calls.map((c) => c.eventName)),
    fc.record(
      { publiclyAccessible: flagArb, dBInstanceIdentifier: fc.constant('db') },
      { requiredKeys: [] },
    ),
    fc.oneof(fc.constant(null), fc.record({ publiclyAccessible: flagArb }, { requiredKeys: [] })),
  )
  .map(([eventName, params, response]) => call(eventName, params, { responseElements: response }));
const idsArb = fc.constantFrom<unknown>(
  ['sg-1'],
  [],
  'sg-1',
  [null],
  [{}],
  [['sg-1']],
  ['sg-1', 7],
);
const swapArb = fc
  .tuple(
    fc.constantFrom(...groupsChanged.calls.map((c) => c.eventName)),
    fc.record({ vpcSecurityGroupIds: idsArb, securityGroupIds: idsArb }, { requiredKeys: [] }),
  )
  .map(([eventName, params]) => call(eventName, params));

/**
 * [detection, generator, the largest share of non-firing requests the pattern may still
 * admit]. The share says how much work EventBridge does for the detector. For the group swap
 * it is higher because the generator makes many shapes CloudTrail never writes (a bare
 * string, a list of nulls) that `exists` cannot tell from a real list.
 */
const GENERATED: [Detection, fc.Arbitrary<CloudTrailRecord>, number][] = [
  [portOpen, fc.oneof(authorizeArb, modifyArb), 0.25],
  [rdsPublic, rdsArb, 0.25],
  [groupsChanged, swapArb, 0.6],
];

describe.each(GENERATED.map(([d, arb, share]) => [d.id, d, arb, share] as const))(
  'generated requests for %s',
  (_id, d, arb, maxAdmittedShare) => {
    const records = fc.sample(arb, { numRuns: 3000, seed: 20260303 }).map(asJson);
    const pattern = eventPatternFor(d);
    const accepted = records.filter((record) => matches(d, record));
    const rejected = records.filter((record) => !matches(d, record));

    it('include enough firing and non-firing requests to mean something', () => {
      expect(accepted.length).toBeGreaterThan(100);
      expect(rejected.length).toBeGreaterThan(100);
    });

    it('are all admitted by the pattern whenever the detection fires', () => {
      const missed = accepted.filter((record) => !matchesPattern(pattern, toEnvelope(record)));
      expect(missed.map((record) => record.requestParameters)).toEqual([]);
    });

    it('are mostly dropped by the pattern when the detection does not fire', () => {
      const admitted = rejected.filter((record) => matchesPattern(pattern, toEnvelope(record)));
      expect(admitted.length / rejected.length).toBeLessThan(maxAdmittedShare);
    });

    it('come with findings exactly when the detection fires', () => {
      for (const record of records) {
        expect((d.findings?.(record) ?? []).length > 0).toBe(matches(d, record));
      }
    });
  },
);

describe('every exposure detection on arbitrary JSON', () => {
  const anyCall = fc.constantFrom(...EXPOSURE_PACK.flatMap((d) => d.calls.map((c) => c.eventName)));
  const hostileKeys = fc.dictionary(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'ipPermissions',
      'items',
      'publiclyAccessible',
      'vpcSecurityGroupIds',
      'ModifySecurityGroupRulesRequest',
      'SecurityGroupRule',
      'cidrIp',
    ),
    fc.jsonValue(),
  );

  it('never throws while matching, describing or naming groups', () => {
    fc.assert(
      fc.property(
        anyCall,
        fc.oneof(fc.jsonValue(), hostileKeys),
        fc.oneof(fc.jsonValue(), hostileKeys),
        (eventName, params, response) => {
          const record = asJson(call(eventName, params, { responseElements: response }));
          for (const d of EXPOSURE_PACK) {
            const fired = matches(d, record);
            expect(typeof fired).toBe('boolean');
            d.findings?.(record);
            d.attachmentGroups?.(record);
            if (fired) expectPatternAdmits(d, record);
          }
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it('survives deeply nested arrays without running out of stack', () => {
    let deep: unknown = { cidrIp: '0.0.0.0/0' };
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const record = call('AuthorizeSecurityGroupIngress', { ipPermissions: { items: deep } });
    expect(matches(portOpen, record)).toBe(false);
  });
});
