/**
 * `sgwatch hunt` end to end: the query built from the catalog runs on a local Athena
 * endpoint (DuckDB over the archive, test/support/local-athena.ts), and the files it names
 * are replayed from a local S3 (s3rver) holding the same archive. A hunt must store exactly
 * the alerts a replay of the whole archive stores.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Parser } from 'node-sql-parser';
import type { Alert } from '../../lambda/core/alert';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { accountOf } from '../../lambda/core/cloudtrail';
import { huntCommand } from '../../cli/commands/hunt';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { runCli } from '../support/cli';
import { startFaultProxy } from '../support/fault-proxy';
import { fixtureCases, loadRecord } from '../support/fixtures';
import type { LocalAthena, LocalAthenaOptions } from '../support/local-athena';
import { startLocalAthena } from '../support/local-athena';
import type { LocalS3 } from '../support/local-s3';
import { startLocalS3, uploadFolder } from '../support/local-s3';
import { startLocalSns } from '../support/local-sns';
import { TEST_TOPIC_ARN } from '../support/servers';
import { removeTemporaryDirs, temporaryDir } from '../support/synth';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'archive');
const DATABASE = 'sgwatch_hunt';
const TABLE = 'cloudtrail';
const WORKGROUP = 'Sgwatch-hunt';
const NOW = new Date('2025-04-01T00:00:00Z');
const RANGE = ['--since', '2025-03-01', '--until', '2025-03-31'];
const STORE = ['--store', 'memory', '--format', 'jsonl'];

// With SGWATCH_MOTO_URL, S3 is moto; Athena stays the local endpoint, because these tests
// need the query's answer and moto's Athena runs no SQL (it answers every query with an
// empty result). The lifecycle against moto's Athena is in hunt-lifecycle.aws-api.test.ts.

let s3: LocalS3;
const athenas: LocalAthena[] = [];

async function athenaOver(
  archive: string,
  bucket: string,
  extra: Partial<LocalAthenaOptions> = {},
): Promise<LocalAthena> {
  const athena = await startLocalAthena({
    archive,
    s3Root: `s3://${bucket}/`,
    database: DATABASE,
    table: TABLE,
    workGroups: { [WORKGROUP]: {}, tiny: { cutoffBytes: 1000 } },
    maxPageRows: 3,
    ...extra,
  });
  athenas.push(athena);
  process.env.AWS_ENDPOINT_URL_ATHENA = athena.url;
  return athena;
}

function alertIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as Alert).alertId)
    .sort();
}

function hunt(flags: string[]) {
  return runCli(
    [
      'hunt',
      '--database',
      DATABASE,
      '--table',
      TABLE,
      '--workgroup',
      WORKGROUP,
      ...STORE,
      ...flags,
    ],
    { now: NOW, cwd: join(__dirname, '..', '..') },
  );
}

function replay(archive: string, flags: string[]) {
  return runCli(['replay', ...STORE, ...flags, archive], {
    now: NOW,
    cwd: join(__dirname, '..', '..'),
  });
}

/** Files replayed, from replay's counts line. */
function filesRead(stderr: string): number {
  return Number(/records \d+ in (\d+) files?/.exec(stderr)?.[1] ?? NaN);
}

const CLOCK = Date.parse('2025-03-10T08:00:00Z');

/**
 * An archive of every fixture (positives and their near misses) plus records made to look
 * like matches without being one: watched names inside a policy document, failed calls,
 * look-alike names and sources, and a watched key written with a JSON escape.
 */
function nearMissArchive(): string {
  const dir = temporaryDir('sgwatch-near-miss-');
  const records: { record: CloudTrailRecord; raw?: (text: string) => string }[] = [];
  fixtureCases().forEach((fixture, index) => {
    records.push({ record: { ...loadRecord(fixture.file), eventID: `fixture-${index}` } });
  });
  const base = loadRecord(
    'cloudtrail/aws.rds.instance-made-public/rds-modify-db-instance.success.made-public.json',
  );
  records.push(
    {
      record: {
        ...base,
        eventID: 'policy-document',
        eventSource: 'iam.amazonaws.com',
        eventName: 'PutRolePolicy',
        requestParameters: {
          policyDocument:
            '{"Statement":[{"Action":["rds:CreateDBSecurityGroup","rds:ModifyDBInstance"],"Effect":"Allow"}]}',
          publiclyAccessible: true,
        },
      },
    },
    { record: { ...base, eventID: 'failed-public', errorCode: 'AccessDenied' } },
    { record: { ...base, eventID: 'look-alike', eventName: 'ModifyDBInstances' } },
    { record: { ...base, eventID: 'wrong-source', eventSource: 'docdb.amazonaws.com' } },
    {
      record: { ...base, eventID: 'escaped-key' },
      raw: (text) => text.replace('"publiclyAccessible"', '"publicly\\u0041ccessible"'),
    },
    { record: { ...base, eventID: 'private', requestParameters: { publiclyAccessible: false } } },
  );
  // One file per record, each in its account's, Region's and day's folder.
  records.forEach(({ record, raw }, index) => {
    const time = new Date(CLOCK + index * 3 * 60 * 60 * 1000);
    const placed = { ...record, eventTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z') };
    // CloudTrail's keys always carry a 12-digit account; a public fixture with a malformed
    // one goes to a stand-in account's folder.
    const account = /^\d{12}$/.test(accountOf(placed)) ? accountOf(placed) : '999988887777';
    const day = time.toISOString().slice(0, 10).replaceAll('-', '/');
    const folder = join(dir, 'AWSLogs', account, 'CloudTrail', placed.awsRegion, day);
    mkdirSync(folder, { recursive: true });
    const text = JSON.stringify({ Records: [placed] });
    writeFileSync(
      join(
        folder,
        `${account}_CloudTrail_${placed.awsRegion}_${String(index).padStart(3, '0')}.json.gz`,
      ),
      gzipSync(raw !== undefined ? raw(text) : text),
    );
  });
  return dir;
}

beforeAll(async () => {
  s3 = await startLocalS3();
  await uploadFolder('org-trail', SAMPLE);
});

afterAll(async () => {
  for (const athena of athenas.splice(0)) await athena.close();
  await s3.close();
  removeTemporaryDirs();
});

describe('hunt over the sample archive', () => {
  let athena: LocalAthena;

  beforeAll(async () => {
    athena = await athenaOver(SAMPLE, 'org-trail');
  });

  it('stores the same alerts as a replay of the whole archive, reading fewer files', async () => {
    // Act
    const full = await replay(SAMPLE, RANGE);
    const hunted = await hunt(RANGE);

    // Assess
    expect(hunted.code).toBe(0);
    expect(alertIds(hunted.stdout)).toEqual(alertIds(full.stdout));
    expect(alertIds(full.stdout).length).toBeGreaterThan(0);
    expect(filesRead(hunted.stderr)).toBeLessThan(filesRead(full.stderr));
    expect(hunted.stderr).toMatch(/SUCCEEDED {2}[\d.]+ (B|KB|MB) scanned {2}~<\$0\.01/);
  });

  it('reads every page of the results', async () => {
    const before = athena.calls.filter((call) => call === 'GetQueryResults').length;

    await hunt(RANGE);

    const pages = athena.calls.filter((call) => call === 'GetQueryResults').length - before;
    expect(pages).toBeGreaterThan(1);
  });

  it.each([
    [['--account', '111122223333']],
    [['--region', 'eu-west-1']],
    [['--since', '2025-03-11T06:00Z', '--until', '2025-03-12T18:00Z']],
    [['--detections', 'seed']],
  ])('agrees with replay given %j', async (flags) => {
    const withRange = flags.includes('--since') ? flags : [...RANGE, ...flags];

    const full = await replay(SAMPLE, withRange);
    const hunted = await hunt(withRange);

    expect(hunted.code).toBe(0);
    expect(alertIds(hunted.stdout)).toEqual(alertIds(full.stdout));
  });

  it('prints the query offline, without calling Athena', async () => {
    const before = athena.calls.length;

    const run = await runCli(
      ['hunt', '--print-sql', '--database', DATABASE, '--table', TABLE, '--since', '30d'],
      { now: NOW },
    );

    expect(run.code).toBe(0);
    expect(athena.calls.length).toBe(before);
    expect(() =>
      new Parser().astify(run.stdout.replace(/;\s*$/, ''), { database: 'trino' }),
    ).not.toThrow();
    expect(run.stdout).toContain(`FROM "${DATABASE}"."${TABLE}"`);
  });

  it('fails in one line naming the fix when the table does not exist', async () => {
    const run = await hunt([...RANGE, '--table', 'no_such_table']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^sgwatch: no hunt table sgwatch_hunt\.no_such_table .*cloudTrailBucket/,
    );
  });

  it('fails in one line saying how to raise the scan limit when the cutoff stops the query', async () => {
    const run = await hunt([...RANGE, '--workgroup', 'tiny']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /^sgwatch: the hunt query stopped at the workgroup's scan limit .*-c huntMaxScanGb=N$/,
    );
  });

  it('fails in one line naming a workgroup that does not exist', async () => {
    const run = await hunt([...RANGE, '--workgroup', 'nope']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^sgwatch: Athena has no workgroup nope/);
  });
});

describe('hunt over an archive of near misses', () => {
  it('stores the same alerts as a full replay, leaving out files of near misses only', async () => {
    // Prepare
    const archive = nearMissArchive();
    await uploadFolder('near-misses', archive);
    await athenaOver(archive, 'near-misses');
    const range = ['--since', '2025-03-09', '--until', '2025-03-31'];

    // Act
    const full = await replay(archive, range);
    const hunted = await hunt(range);

    // Assess
    expect(hunted.code).toBe(0);
    expect(alertIds(hunted.stdout)).toEqual(alertIds(full.stdout));
    expect(alertIds(full.stdout).length).toBeGreaterThan(10);
    expect(filesRead(hunted.stderr)).toBeLessThan(filesRead(full.stderr));
  });
});

describe('hunt hands its replay options to replay', () => {
  let athena: LocalAthena;

  beforeAll(async () => {
    athena = await athenaOver(SAMPLE, 'org-trail');
  });

  it('writes into the alert table in the Region of --table-region, and publishes there', async () => {
    // Prepare: dynalite behind a proxy that reads the Region each request is signed for, and
    // the local SNS endpoint; the S3 endpoint keeps its own credentials.
    const [dynamodb, sns] = await Promise.all([startEmbeddedDynamoDb(), startLocalSns()]);
    const proxy = await startFaultProxy(dynamodb.endpoint);
    const signedFor = new Set<string>();
    proxy.inject({
      match: (request) => {
        const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/dynamodb\//.exec(
          String(request.headers.authorization),
        );
        if (scope?.[1] !== undefined) signedFor.add(scope[1]);
        return false;
      },
      fault: { kind: 'reset' },
    });
    process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.url;
    process.env.AWS_ENDPOINT_URL_SNS = sns.url;

    try {
      // Act
      const run = await runCli(
        [
          'hunt',
          ...['--database', DATABASE, '--table', TABLE, '--workgroup', WORKGROUP],
          ...RANGE,
          ...['--alert-table', dynamodb.tableName, '--table-region', 'eu-west-1'],
          ...['--publish', '--topic', TEST_TOPIC_ARN],
        ],
        { now: NOW, cwd: join(__dirname, '..', '..') },
      );

      // Assess
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`in the DynamoDB table ${dynamodb.tableName} in eu-west-1.`);
      expect([...signedFor]).toEqual(['eu-west-1']);
      expect(sns.published.length).toBeGreaterThan(0);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      delete process.env.AWS_ENDPOINT_URL_SNS;
      await proxy.close();
      await Promise.all([dynamodb.close(), sns.close()]);
    }
  });

  it('scans with the threads --workers asks for, held to the cores as replay holds them', async () => {
    const cores = availableParallelism();
    const asked = cores + 1;

    const run = await hunt([...RANGE, '--workers', String(asked)]);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `sgwatch: --workers ${asked} is more than this machine's ${cores} cores; using ${cores}\n`,
    );
    expect(run.stderr).toMatch(new RegExp(`, ${cores} threads?\\)`));
  });

  it.each([
    [['--alert-table', 'T', '--publish', '--topic', 'alerts'], '--topic must be an SNS topic ARN'],
    [['--topic', TEST_TOPIC_ARN], '--topic is only read with --publish'],
    [['--until', '2025-02-01'], '--since is later than --until'],
    [['--no-builtin'], '--no-builtin leaves nothing to run without --sigma PATH'],
  ])('rejects what replay rejects before the query runs: %j', async (flags, message) => {
    const before = athena.calls.length;

    const run = await hunt([...RANGE, ...flags]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(athena.calls.length).toBe(before);
  });
});

describe('hunt errors Athena reports', () => {
  it('names the missing action when access is denied', async () => {
    await athenaOver(SAMPLE, 'org-trail', { deniedActions: ['athena:StartQueryExecution'] });

    const run = await hunt(RANGE);

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      "sgwatch: access denied: your AWS identity needs athena:StartQueryExecution; attach the stack's HuntOperatorPolicyArn policy",
    );
  });

  it('asks for --account when the table injects accounts', async () => {
    await athenaOver(SAMPLE, 'org-trail', { injectedAccount: true });

    const without = await hunt(RANGE);
    const withAccount = await hunt([...RANGE, '--account', '111122223333']);

    expect(without.code).toBe(1);
    expect(without.stderr.trim().split('\n').at(-1)).toMatch(/pass --account ID/);
    expect(withAccount.code).toBe(0);
  });

  it('stops the query in Athena when interrupted', async () => {
    // Prepare
    const athena = await athenaOver(SAMPLE, 'org-trail', { holdQueries: true });
    const controller = new AbortController();
    let stderr = '';
    const io = {
      stdout: { write: () => true },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: {},
      cwd: process.cwd(),
      now: () => NOW,
    };

    // Act
    const running = huntCommand(
      ['--database', DATABASE, '--table', TABLE, '--workgroup', WORKGROUP, ...RANGE, ...STORE],
      io,
      controller.signal,
    );
    while (!athena.calls.includes('GetQueryExecution')) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort();
    const code = await running;

    // Assess
    expect(code).toBe(130);
    expect(athena.calls).toContain('StopQueryExecution');
    expect(stderr).toMatch(/hunt stopped; query \S+ cancelled in Athena/);
  });
});
