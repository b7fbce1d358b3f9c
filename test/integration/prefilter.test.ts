import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { LocalPublisher } from '../../cli/replay/local-publisher';
import { discoverFiles } from '../../cli/replay/files';
import { createPrefilter } from '../../cli/replay/prefilter';
import { runReplay } from '../../cli/replay/run';
import { writeArchive } from '../../scripts/lib/cloudtrail-generator';
import { runCli } from '../support/cli';
import { loadRecord } from '../support/fixtures';

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-prefilter-'));
  await writeArchive({
    root: join(dir, 'archive'),
    seed: 7,
    accounts: ['111122223333', '444455556666'],
    regions: ['us-east-1', 'eu-west-1'],
    start: new Date('2026-02-01T00:00:00Z'),
    files: 24,
    recordsPerFile: 400,
    targetRate: 0.002,
    duplicateFiles: 3,
  });
  const base = loadRecord(RDS);
  // Files written to trip a byte-level filter: names spelled with \u escapes (a valid JSON
  // spelling of the same string), a watched name inside another field, and a look-alike.
  const escapedName = JSON.stringify({ Records: [{ ...base, eventID: 'escaped-1' }] }).replace(
    '"CreateDBSecurityGroup"',
    '"\\u0043reateDBSecurityGroup"',
  );
  writeFileSync(join(dir, 'archive', 'escaped.json'), escapedName);
  writeFileSync(
    join(dir, 'archive', 'mention.json.gz'),
    gzipSync(
      JSON.stringify({
        Records: [
          {
            ...base,
            eventID: 'mention-1',
            eventName: 'DescribeDBSecurityGroups',
            userAgent: 'script "CreateDBSecurityGroup"',
          },
          { ...base, eventID: 'lookalike-1', eventName: 'CreateDBSecurityGroups' },
          // A nested object that opens like a record: cutting the record out of the file
          // by its boundaries fails, and the file must be parsed whole.
          {
            ...base,
            eventID: 'nested-1',
            userIdentity: { eventVersion: 'x', ...base.userIdentity },
          },
          { ...base, eventID: 'plain-1' },
        ],
      }),
    ),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function alertKeys(
  fullParse: boolean,
  workers = 1,
): Promise<{ keys: string[]; eventIds: string[]; records: number }> {
  const db: EmbeddedDynamoDb = await startEmbeddedDynamoDb();
  try {
    const { files } = await discoverFiles([join(dir, 'archive')]);
    const keys: string[] = [];
    const eventIds: string[] = [];
    const counts = await runReplay(
      {
        files,
        filter: {},
        workers,
        fullParse,
        deps: {
          store: new DynamoDbAlertStore(db.client, db.tableName),
          publisher: new LocalPublisher(),
          clock: { now: () => new Date('2026-03-01T00:00:00Z') },
          logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
          retentionDays: 30,
          claimSeconds: 60,
        },
      },
      {
        onAlert: (result) => {
          keys.push(`${result.alert.alertId}:${result.outcome}`);
          eventIds.push(result.alert.eventId);
        },
      },
    );
    return { keys, eventIds, records: counts.records };
  } finally {
    await db.close();
  }
}

describe('replay prefilter', () => {
  it('produces exactly the alerts of a full parse, including escaped and look-alike names', async () => {
    const full = await alertKeys(true);
    const filtered = await alertKeys(false);
    expect(filtered.keys).toEqual(full.keys);
    expect(full.keys.length).toBeGreaterThan(10);
    expect(full.keys.some((k) => k.endsWith(':duplicate'))).toBe(true);
    // The escaped spelling and the nested-object record are real matches; the mention and
    // the look-alike are not.
    for (const id of ['escaped-1', 'nested-1', 'plain-1']) {
      expect(filtered.eventIds).toContain(id);
    }
    expect(filtered.eventIds).not.toContain('mention-1');
    expect(filtered.eventIds).not.toContain('lookalike-1');
    expect(filtered.records).toBe(full.records);
  });

  it('gives the same alerts with two worker threads as with one', async () => {
    const single = await alertKeys(false, 1);
    const parallel = await alertKeys(false, 2);
    expect(parallel.keys).toEqual(single.keys);
  });

  /** A one-record file in CloudTrail's own layout, with `fields` after eventVersion. */
  const layout = (fields: string) => `{"Records":[{"eventVersion":"1.08",${fields}}]}`;

  it.each([
    ['a \\u-escaped name', '"eventName":"\\u0043reateDBSecurityGroup"', true],
    ['an escaped key', '"event\\u004eame":"CreateDBSecurityGroup"', true],
    ['a watched name', '"eventName":"CreateDBSecurityGroup"', true],
    ['pretty-printed spacing', '"eventName" : "DescribeInstances"', true],
    ['a second eventName key, nested', '"eventName":"DescribeX","p":{"eventName":"Y"}', true],
    ['no eventName at all', '"eventID":"x"', true],
    ['an empty eventName', '"eventName":""', true],
    ['a longer name with the watched one as prefix', '"eventName":"CreateDBSecurityGroups"', false],
    [
      'the name in another field',
      '"eventName":"DescribeX","userAgent":"CreateDBSecurityGroup"',
      false,
    ],
    ['an unrelated call', '"eventName":"DescribeInstances"', false],
  ])('decides from bytes alone for %s', (_label, fields, mayMatch) => {
    const prefilter = createPrefilter(['CreateDBSecurityGroup']);
    const look = prefilter.scan(Buffer.from(layout(fields)));
    expect(!look.exact || look.hits.length > 0).toBe(mayMatch);
  });

  it.each([
    ['EventBridge events in a JSON array', '[{"detail":{"eventName":"DescribeX"}}]'],
    ['a record that is not an object', '{"Records":[{"eventVersion":"1","eventName":"A"},null]}'],
    ['a record opening without eventVersion', '{"Records":[{"eventName":"A"}]}'],
    ['a file cut short', '{"Records":[{"eventVersion":"1","eventName":"A"'],
  ])('leaves %s to a full parse', (_label, text) => {
    expect(createPrefilter(['CreateDBSecurityGroup']).scan(Buffer.from(text)).exact).toBe(false);
  });

  it('counts records by their openings exactly as a parse does', () => {
    const records = Array.from({ length: 37 }, (_, i) => ({
      // A real record of a call no detection watches (CreateDBInstance is watched now).
      ...loadRecord('public-cloudtrail/custodian__DeleteTransitGatewayVpcAttachment__1.json'),
      eventID: `c-${i}`,
    }));
    const look = createPrefilter().scan(Buffer.from(JSON.stringify({ Records: records })));
    expect(look).toEqual({ exact: true, records: 37, hits: [] });
  });
});

describe('replay judges records alike with and without the prefilter', () => {
  const WATCHED = loadRecord(RDS);
  const UNWATCHED = loadRecord(
    'public-cloudtrail/custodian__DeleteTransitGatewayVpcAttachment__1.json',
  );
  /** `count` unwatched records with distinct ids, then `extra` at `at`. */
  function file(extra: unknown[], count = 49, at = 20): string {
    const records: unknown[] = Array.from({ length: count }, (_, i) => ({
      ...UNWATCHED,
      eventID: `u-${i}`,
    }));
    records.splice(at, 0, ...extra);
    return JSON.stringify({ Records: records });
  }
  const without = (record: object, key: string) =>
    Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));

  it.each([
    ['a record without eventName', [without({ ...UNWATCHED, eventID: 'x' }, 'eventName')]],
    ['a record whose eventName is a number', [{ ...UNWATCHED, eventID: 'x', eventName: 5 }]],
    ['a record whose eventName is empty', [{ ...UNWATCHED, eventID: 'x', eventName: '' }]],
    ['a record that is not an object', [null]],
    ['a watched record without eventTime', [without({ ...WATCHED, eventID: 'x' }, 'eventTime')]],
    [
      'an unwatched record without eventTime',
      [without({ ...UNWATCHED, eventID: 'x' }, 'eventTime')],
    ],
    [
      'a watched name as a nested look-alike key',
      [{ ...UNWATCHED, eventID: 'x', requestParameters: { eventName: 'CreateDBSecurityGroup' } }],
    ],
    [
      'a nested object imitating a record that holds a watched name',
      [
        {
          ...UNWATCHED,
          eventID: 'x',
          requestParameters: {
            items: [{ a: 1 }, { eventVersion: '1.08', eventName: 'CreateDBSecurityGroup' }],
          },
        },
      ],
    ],
    ['a watched record among them', [{ ...WATCHED, eventID: 'w-1' }]],
    ['a record with two top-level eventName keys', ['TWO_KEYS']],
  ])('gives the same counts, reports and exit code for %s', async (_label, extra) => {
    // Prepare: one crafted file; the two-key record can only be written as text.
    const work = mkdtempSync(join(tmpdir(), 'sgwatch-equivalence-'));
    try {
      const text = file(extra).replace(
        '"TWO_KEYS"',
        JSON.stringify({ ...WATCHED, eventID: 'two-keys' }).replace(
          '"eventName":"CreateDBSecurityGroup"',
          '"eventName":"DescribeX","eventName":"CreateDBSecurityGroup"',
        ),
      );
      writeFileSync(join(work, 'crafted.json.gz'), gzipSync(text));
      const args = ['replay', '--store', 'memory', '--format', 'jsonl', 'crafted.json.gz'];

      // Act
      const now = new Date('2026-03-05T00:00:00Z');
      const fast = await runCli(args, { cwd: work, now });
      const full = await runCli([...args, '--full-parse'], { cwd: work, now });

      // Assess: identical output, and the record count is the file's.
      expect(fast).toEqual(full);
      expect(fast.stderr).toContain(`records ${49 + extra.length}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('reports a record without eventName by its index and fails the run, as a full parse does', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sgwatch-equivalence-'));
    try {
      writeFileSync(
        join(work, 'a.json.gz'),
        gzipSync(file([without({ ...UNWATCHED, eventID: 'x' }, 'eventName')])),
      );

      const run = await runCli(['replay', '--store', 'memory', 'a.json.gz'], { cwd: work });

      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /invalid record #20 in .*a\.json\.gz: invalid event: eventName is missing/,
      );
      expect(run.stderr).toContain('records 50');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
