import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EXPOSURE_PACK, detect, findDetection, matches } from '../../lambda/core/catalog';
import type { Detection } from '../../lambda/core/catalog';
import { validateRecord } from '../../lambda/core/cloudtrail';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import {
  CLOUDTRAIL_KEY_PATTERN,
  Prng,
  authorizeSecurityGroupIngressRecord,
  createCacheSecurityGroupRecord,
  createDbSecurityGroupRecord,
  generateRecords,
  isTargetRecord,
  modifyDbInstanceRecord,
  writeArchive,
} from '../../scripts/lib/cloudtrail-generator';
import type { WriteArchiveOptions } from '../../scripts/lib/cloudtrail-generator';

const ACCOUNTS = ['111122223333', '444455556666'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const START = new Date('2025-03-10T00:00:00Z');
const END = new Date('2025-03-11T00:00:00Z');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function records(
  seed: number,
  count: number,
  extra: { targetRate?: number; failureShare?: number } = {},
) {
  return [
    ...generateRecords({
      seed,
      count,
      start: START,
      end: END,
      accounts: ACCOUNTS,
      regions: REGIONS,
      ...extra,
    }),
  ];
}

const sample = records(11, 5000);

describe('Prng', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const rng = new Prng(seed);
      return Array.from({ length: 8 }, () => rng.uint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('makes version-4 UUIDs', () => {
    const rng = new Prng(1);
    for (let i = 0; i < 200; i++) expect(rng.uuid()).toMatch(UUID_V4);
  });
});

describe('generateRecords', () => {
  it('produces identical records for the same seed', () => {
    const first = records(21, 1000);
    const second = records(21, 1000);
    expect(second).toEqual(first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('produces different records for a different seed', () => {
    const other = records(12, 50).map((r) => r.eventID);
    expect(other).not.toEqual(sample.slice(0, 50).map((r) => r.eventID));
  });

  it('keeps the mean serialized record between 1.1 and 1.8 KB over 5,000 records', () => {
    const bytes = sample.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify(r)), 0);
    const mean = bytes / sample.length;
    expect(mean).toBeGreaterThan(1.1 * 1024);
    expect(mean).toBeLessThan(1.8 * 1024);
  });

  it('yields records that all pass validateRecord', () => {
    for (const r of sample) expect(() => validateRecord(r)).not.toThrow();
  });

  it('yields records in time order inside the requested window', () => {
    const times = sample.map((r) => Date.parse(r.eventTime));
    for (let i = 1; i < times.length; i++) {
      expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] ?? 0);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(START.getTime());
    expect(Math.max(...times)).toBeLessThan(END.getTime());
  });

  it('gives every record a unique version-4 eventID and the common CloudTrail fields', () => {
    const ids = new Set(sample.map((r) => r.eventID));
    expect(ids.size).toBe(sample.length);
    for (const r of sample) {
      expect(r.eventID).toMatch(UUID_V4);
      expect(r.eventType).toBe('AwsApiCall');
      expect(r.eventCategory).toBe('Management');
      expect(ACCOUNTS).toContain(r.recipientAccountId);
      expect(REGIONS).toContain(r.awsRegion);
      expect(['1.08', '1.09', '1.10', '1.11']).toContain(r.eventVersion);
      expect(typeof r.requestID).toBe('string');
    }
  });

  it('mixes services, identity types, clients and outcomes like a real account', () => {
    const services = new Set(sample.map((r) => r.eventSource));
    const types = new Set(sample.map((r) => r.userIdentity.type));
    const agents = sample.map((r) => r.userAgent ?? '');
    expect(services.size).toBeGreaterThanOrEqual(15);
    for (const type of ['IAMUser', 'AssumedRole', 'AWSService', 'FederatedUser', 'Root']) {
      expect(types).toContain(type);
    }
    for (const marker of [
      'aws-cli/2.',
      'Boto3/1.',
      'aws-sdk-go-v2/',
      'aws-sdk-java/',
      'Terraform/1.',
    ]) {
      expect(agents.some((a) => a.includes(marker))).toBe(true);
    }
    expect(agents).toContain('AWS Internal');
    expect(agents.some((a) => /kali|Pacu|stratus-red-team/.test(a))).toBe(true);
    const errors = sample.filter((r) => r.errorCode !== undefined);
    expect(errors.length / sample.length).toBeGreaterThan(0.005);
    expect(errors.length / sample.length).toBeLessThan(0.1);
    for (const r of errors) expect(r.responseElements).toBeNull();
    const withMfa = sample.filter(
      (r) => r.userIdentity.sessionContext?.attributes?.mfaAuthenticated,
    );
    expect(withMfa.length).toBeGreaterThan(0);
    const viaService = sample.filter((r) => r.userIdentity.type === 'AWSService');
    for (const r of viaService) {
      expect(r.userIdentity.invokedBy).toMatch(/\.amazonaws\.com$/);
      expect(r.sourceIPAddress).toBe(r.userIdentity.invokedBy);
    }
  });

  it('logs IAM calls only in us-east-1', () => {
    const iam = sample.filter((r) => r.eventSource === 'iam.amazonaws.com');
    expect(iam.length).toBeGreaterThan(0);
    for (const r of iam) expect(r.awsRegion).toBe('us-east-1');
  });

  it('includes neighbouring RDS and ElastiCache calls but no target call when targetRate is zero', () => {
    expect(sample.filter(isTargetRecord)).toHaveLength(0);
    const names = new Set(sample.map((r) => r.eventName));
    expect(names).toContain('DescribeDBInstances');
    expect(names).toContain('DescribeCacheClusters');
  });

  it('plants exactly the requested number of target calls and failures', () => {
    const out = records(5, 4000, { targetRate: 0.01, failureShare: 0.25 });
    const targets = out.filter(isTargetRecord);
    expect(targets).toHaveLength(40);
    expect(targets.filter((r) => r.errorCode !== undefined)).toHaveLength(10);
    const names = new Set(targets.map((r) => r.eventName));
    expect(names).toEqual(new Set(['CreateDBSecurityGroup', 'CreateCacheSecurityGroup']));
    for (const r of targets) {
      expect(() => validateRecord(r)).not.toThrow();
      if (r.errorCode === undefined) expect(r.responseElements).not.toBeNull();
      else expect(r.responseElements).toBeNull();
    }
  });

  it('throws when targetRate is outside 0..1', () => {
    expect(() => records(1, 10, { targetRate: 1.5 })).toThrow(RangeError);
  });
});

describe('target record builders', () => {
  const time = new Date('2025-03-10T12:34:56Z');

  it('builds CreateDBSecurityGroup with the casing CloudTrail uses', () => {
    const r = createDbSecurityGroupRecord({
      account: '111122223333',
      region: 'us-east-1',
      time,
      groupName: 'reports-db',
      description: 'Reports access',
      tags: [{ key: 'team', value: 'data' }],
    });
    expect(validateRecord(r)).toBe(r);
    expect(r.eventSource).toBe('rds.amazonaws.com');
    expect(r.eventName).toBe('CreateDBSecurityGroup');
    expect(r.eventTime).toBe('2025-03-10T12:34:56Z');
    expect(r.errorCode).toBeUndefined();
    expect(r.requestParameters).toEqual({
      dBSecurityGroupName: 'reports-db',
      dBSecurityGroupDescription: 'Reports access',
      tags: [{ key: 'team', value: 'data' }],
    });
    expect(r.responseElements).toEqual({
      ownerId: '111122223333',
      dBSecurityGroupName: 'reports-db',
      dBSecurityGroupDescription: 'Reports access',
      eC2SecurityGroups: [],
      iPRanges: [],
      dBSecurityGroupArn: 'arn:aws:rds:us-east-1:111122223333:secgrp:reports-db',
    });
  });

  it('builds CreateCacheSecurityGroup with a lower-cased name and the aRN field', () => {
    const r = createCacheSecurityGroupRecord({
      account: '444455556666',
      region: 'eu-west-1',
      time,
      groupName: 'Sessions-Cache',
      description: 'Session store',
      identity: 'root',
    });
    expect(validateRecord(r)).toBe(r);
    expect(r.eventSource).toBe('elasticache.amazonaws.com');
    expect(r.userIdentity.type).toBe('Root');
    expect(r.requestParameters).toEqual({
      cacheSecurityGroupName: 'sessions-cache',
      description: 'Session store',
    });
    expect(r.responseElements).toEqual({
      ownerId: '444455556666',
      cacheSecurityGroupName: 'sessions-cache',
      description: 'Session store',
      eC2SecurityGroups: [],
      aRN: 'arn:aws:elasticache:eu-west-1:444455556666:securitygroup:sessions-cache',
    });
  });

  it('records a failed attempt with an error code, a message and null responseElements', () => {
    const denied = createDbSecurityGroupRecord({
      account: '111122223333',
      region: 'us-east-1',
      time,
      failure: true,
      identity: 'iam-user',
    });
    expect(denied.errorCode).toBe('AccessDenied');
    expect(denied.errorMessage).toContain('rds:CreateDBSecurityGroup');
    expect(denied.errorMessage).toContain(denied.userIdentity.arn);
    expect(denied.responseElements).toBeNull();
    const invalid = createCacheSecurityGroupRecord({
      account: '111122223333',
      region: 'us-east-1',
      time,
      failure: 'InvalidParameterCombination',
    });
    expect(invalid.errorCode).toBe('InvalidParameterCombination');
    expect(invalid.errorMessage?.length).toBeGreaterThan(10);
    const custom = createCacheSecurityGroupRecord({
      account: '111122223333',
      region: 'us-east-1',
      time,
      failure: { errorCode: 'CacheSecurityGroupAlreadyExists', errorMessage: 'exists' },
    });
    expect([custom.errorCode, custom.errorMessage]).toEqual([
      'CacheSecurityGroupAlreadyExists',
      'exists',
    ]);
  });

  it('uses the given user agent, source address and eventID verbatim', () => {
    const r = createDbSecurityGroupRecord({
      account: '111122223333',
      region: 'us-east-1',
      time,
      userAgent: 'custom-agent/1.0',
      sourceIPAddress: '203.0.113.9',
      eventID: '00000000-0000-4000-8000-000000000001',
    });
    expect([r.userAgent, r.sourceIPAddress, r.eventID]).toEqual([
      'custom-agent/1.0',
      '203.0.113.9',
      '00000000-0000-4000-8000-000000000001',
    ]);
  });

  it('is deterministic for the same options and seed', () => {
    const opts = {
      account: '111122223333',
      region: 'us-east-1',
      time,
      userAgentKind: 'pacu' as const,
    };
    expect(createCacheSecurityGroupRecord(opts)).toEqual(createCacheSecurityGroupRecord(opts));
    expect(createCacheSecurityGroupRecord(opts).userAgent).toContain('Pacu/');
  });
});

describe('exposure record builders and background traffic', () => {
  const time = new Date('2025-03-11T13:22:09Z');
  const detection = (id: string) => findDetection(id) as Detection;

  it('builds AuthorizeSecurityGroupIngress in the ipPermissions.items shape CloudTrail logs', () => {
    const r = authorizeSecurityGroupIngressRecord({
      account: '444455556666',
      region: 'us-east-1',
      time,
      seed: 1,
      groupId: 'sg-04c9e1a7b2d3f5e68',
      permissions: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, ipv4: ['0.0.0.0/0'] }],
    });
    expect(validateRecord(r)).toBe(r);
    expect(r).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      eventTime: '2025-03-11T13:22:09Z',
    });
    expect(r.requestParameters).toEqual({
      groupId: 'sg-04c9e1a7b2d3f5e68',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 5432,
            toPort: 5432,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    });
    expect(detect(r).map((d) => d.id)).toEqual(['aws.ec2.datastore-port-open-to-internet']);
  });

  it('builds ModifyDBInstance that alerts only when the change makes the database public', () => {
    const base = {
      account: '111122223333',
      region: 'eu-west-1',
      time,
      seed: 2,
      dbInstanceIdentifier: 'ledger',
    };
    const made = modifyDbInstanceRecord({ ...base, changes: { publiclyAccessible: true } });
    const storage = modifyDbInstanceRecord({ ...base, changes: { allocatedStorage: 200 } });
    expect(made.requestParameters).toEqual({
      dBInstanceIdentifier: 'ledger',
      publiclyAccessible: true,
    });
    expect(detect(made).map((d) => d.id)).toEqual(['aws.rds.instance-made-public']);
    expect(detect(storage)).toEqual([]);
  });

  it('never makes background traffic that the exposure pack fires on', () => {
    const sample = records(11, 20_000);
    const watched = new Set(EXPOSURE_PACK.flatMap((d) => d.calls.map((c) => c.eventName)));
    // The background does make the watched calls, so the check below is not vacuous.
    expect(sample.filter((r) => watched.has(r.eventName)).length).toBeGreaterThan(50);
    expect(sample.filter((r) => detect(r, EXPOSURE_PACK).length > 0)).toEqual([]);
  });

  it('fails every background AuthorizeDBSecurityGroupIngress, as the retired API does today', () => {
    const legacy = records(11, 20_000).filter(
      (r) => r.eventName === 'AuthorizeDBSecurityGroupIngress',
    );
    expect(legacy.length).toBeGreaterThan(0);
    for (const r of legacy) {
      expect(r.errorCode).toBeDefined();
      expect(matches(detection('aws.legacy-security-group.ingress-authorized'), r)).toBe(false);
    }
  });
});

describe('writeArchive', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sgwatch-archive-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function listFiles(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
  }

  async function readArchiveFile(
    path: string,
  ): Promise<{ raw: Buffer; records: CloudTrailRecord[] }> {
    const raw = gunzipSync(await readFile(path));
    const body = JSON.parse(raw.toString('utf8')) as unknown;
    expect(Object.keys(body as object)).toEqual(['Records']);
    return { raw, records: (body as { Records: CloudTrailRecord[] }).Records };
  }

  const base: Omit<WriteArchiveOptions, 'root'> = {
    seed: 99,
    accounts: ACCOUNTS,
    regions: REGIONS,
    start: START,
    files: 12,
    recordsPerFile: 60,
    targetRate: 0.02,
    duplicateFiles: 3,
  };

  it('writes gzip files of {"Records":[...]} under CloudTrail S3 keys and reports matching stats', async () => {
    const seen: string[] = [];
    const stats = await writeArchive({ ...base, root, onFile: (p) => seen.push(p) });
    const files = await listFiles(root);
    expect(files).toHaveLength(12);
    expect([...seen].sort()).toEqual(files);
    expect(stats.paths).toEqual(seen);

    let count = 0;
    let raw = 0;
    let compressed = 0;
    const targets = new Map<string, CloudTrailRecord>();
    for (const path of files) {
      const key = relative(root, path).split(sep).join('/');
      const match = CLOUDTRAIL_KEY_PATTERN.exec(key);
      expect(match).not.toBeNull();
      const [, account, region] = match ?? [];
      const file = await readArchiveFile(path);
      expect(file.records.length).toBeGreaterThanOrEqual(60);
      for (const r of file.records) {
        expect(() => validateRecord(r)).not.toThrow();
        expect(r.recipientAccountId).toBe(account);
        expect(r.awsRegion).toBe(region);
        if (isTargetRecord(r)) targets.set(r.eventID, r);
      }
      count += file.records.length;
      raw += file.raw.length;
      compressed += (await stat(path)).size;
    }
    expect(stats.files).toBe(12);
    expect(stats.records).toBe(count);
    expect(stats.uniqueRecords + stats.duplicateRecords).toBe(count);
    expect(stats.rawBytes).toBe(raw);
    expect(stats.compressedBytes).toBe(compressed);

    // round(12 * 60 * 0.02) = 14 target calls, round(14 * 0.3) = 4 of them failed.
    expect(stats.targetEventIds).toHaveLength(14);
    expect(new Set(stats.targetEventIds)).toEqual(new Set(targets.keys()));
    const { CreateDBSecurityGroup: rds, CreateCacheSecurityGroup: cache } = stats.targets;
    expect(rds.success + rds.failure + cache.success + cache.failure).toBe(14);
    expect(rds.failure + cache.failure).toBe(4);
    const failed = [...targets.values()].filter((r) => r.errorCode !== undefined);
    expect(failed).toHaveLength(4);
  });

  it('re-delivers records in a later file with the same eventID and content', async () => {
    const stats = await writeArchive({ ...base, root });
    const byId = new Map<string, Array<{ path: string; record: CloudTrailRecord }>>();
    for (const path of await listFiles(root)) {
      for (const record of (await readArchiveFile(path)).records) {
        const list = byId.get(record.eventID) ?? [];
        list.push({ path, record });
        byId.set(record.eventID, list);
      }
    }
    const repeated = [...byId.entries()].filter(([, copies]) => copies.length > 1);
    expect(repeated.length).toBeGreaterThan(0);
    expect(new Set(repeated.map(([id]) => id))).toEqual(new Set(stats.duplicatedEventIds));
    expect(stats.duplicateRecords).toBe(stats.duplicatedEventIds.length);
    // Exactly the requested number of files carry re-deliveries, and the source files'
    // target calls are among them so deduplication on the detection path gets exercised.
    const receivers = new Set(repeated.map(([, copies]) => copies[1]?.path));
    expect(receivers.size).toBe(3);
    expect(repeated.some(([, copies]) => copies[0] && isTargetRecord(copies[0].record))).toBe(true);
    for (const [, copies] of repeated) {
      const [first, second] = copies;
      expect(second?.path).not.toBe(first?.path);
      expect(second?.record).toEqual(first?.record);
    }
  });

  it('writes the same names and bytes for the same options', async () => {
    const again = await mkdtemp(join(tmpdir(), 'sgwatch-archive-'));
    try {
      await writeArchive({ ...base, root });
      await writeArchive({ ...base, root: again });
      const first = await listFiles(root);
      const second = await listFiles(again);
      expect(first.map((p) => relative(root, p))).toEqual(second.map((p) => relative(again, p)));
      for (let i = 0; i < first.length; i++) {
        const [a, b] = [first[i], second[i]];
        expect(await readFile(b ?? '')).toEqual(await readFile(a ?? ''));
      }
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });

  it('places planted records by account, region and time, and re-delivers them when asked', async () => {
    const planted = createCacheSecurityGroupRecord({
      account: '444455556666',
      region: 'eu-west-1',
      time: new Date('2025-03-10T06:10:00Z'),
    });
    const stats = await writeArchive({
      ...base,
      root,
      targetRate: 0,
      duplicateFiles: 0,
      end: END,
      planted: [{ record: planted, redeliver: true }],
    });
    expect(stats.targetEventIds).toEqual([planted.eventID]);
    expect(stats.targets.CreateCacheSecurityGroup).toEqual({ success: 1, failure: 0 });
    expect(stats.duplicatedEventIds).toEqual([planted.eventID]);
    const paths = stats.targetEvents[0]?.paths ?? [];
    expect(paths).toHaveLength(2);
    for (const path of paths) {
      expect(path).toContain(`${sep}444455556666${sep}CloudTrail${sep}eu-west-1${sep}`);
      const { records: inFile } = await readArchiveFile(path);
      expect(inFile.filter((r) => r.eventID === planted.eventID)).toEqual([planted]);
    }
  });

  it('throws when a planted record belongs to an account the archive does not cover', async () => {
    const stray = createDbSecurityGroupRecord({
      account: '999999999999',
      region: 'us-east-1',
      time: START,
    });
    await expect(writeArchive({ ...base, root, planted: [{ record: stray }] })).rejects.toThrow(
      /outside the archive/,
    );
  });
});
