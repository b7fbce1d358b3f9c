import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { EmbeddedDynamoDb } from '../../lambda/adapters/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../lambda/adapters/embedded-dynamodb';
import { LocalPublisher } from '../../cli/replay/local-publisher';
import { discoverFiles } from '../../cli/replay/files';
import { createPrefilter } from '../../cli/replay/prefilter';
import { runReplay } from '../../cli/replay/run';
import { writeArchive } from '../../scripts/lib/cloudtrail-generator';
import { loadRecord } from '../support/fixtures';

const RDS = 'cloudtrail/rds-create-db-security-group.success.iam-user.json';
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

  it.each([
    ['a \\u-escaped name', '{"eventName":"\\u0043reateDBSecurityGroup"}', true],
    ['an escaped key', '{"event\\u004eame":"CreateDBSecurityGroup"}', true],
    ['a watched name', '{"eventName":"CreateDBSecurityGroup"}', true],
    ['pretty-printed spacing', '{"eventName" : "DescribeInstances"}', true],
    [
      'a longer name with the watched one as prefix',
      '{"eventName":"CreateDBSecurityGroups"}',
      false,
    ],
    [
      'the name in another field',
      '{"eventName":"DescribeX","userAgent":"CreateDBSecurityGroup"}',
      false,
    ],
    ['an unrelated call', '{"eventName":"DescribeInstances"}', false],
  ])('decides from bytes alone for %s', (_label, text, mayMatch) => {
    const prefilter = createPrefilter(['CreateDBSecurityGroup']);
    const look = prefilter.scan(Buffer.from(text));
    expect(!look.exact || look.hits.length > 0).toBe(mayMatch);
  });

  it('counts records by their eventName key exactly as a parse does', () => {
    const records = Array.from({ length: 37 }, (_, i) => ({
      // A real record of a call no detection watches (CreateDBInstance is watched now).
      ...loadRecord('public-cloudtrail/custodian__DeleteTransitGatewayVpcAttachment__1.json'),
      eventID: `c-${i}`,
    }));
    const look = createPrefilter().scan(Buffer.from(JSON.stringify({ Records: records })));
    expect(look).toEqual({ exact: true, records: 37, hits: [] });
  });
});
