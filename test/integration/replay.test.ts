import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Alert } from '../../lambda/core/alert';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { openDeliveryStore } from '../../cli/store';
import { fixtureCases, loadRecord, toEnvelope } from '../support/fixtures';
import { runCli } from '../support/cli';
import type { LocalAws } from '../support/servers';
import { startLocalAws, TEST_TOPIC_ARN } from '../support/servers';

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const ELASTICACHE =
  'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.json';
const FAILED =
  'cloudtrail/aws.legacy-security-group.create-failed/rds-create-db-security-group.failure.access-denied.json';
// A real call that fires nothing: a database created private.
const NEGATIVE = 'public-cloudtrail/custodian__CreateDBInstance__1.json';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-replay-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function withId(
  file: string,
  eventID: string,
  extra: Partial<CloudTrailRecord> = {},
): CloudTrailRecord {
  return { ...loadRecord(file), eventID, ...extra };
}

function cloudTrailFile(records: CloudTrailRecord[]): Buffer {
  return gzipSync(JSON.stringify({ Records: records }));
}

function jsonlAlerts(stdout: string): Alert[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Alert);
}

async function replay(args: string[], options: { now?: Date } = {}) {
  return runCli(['replay', '--store', 'memory', '--format', 'jsonl', ...args], {
    cwd: dir,
    ...options,
  });
}

describe('sgwatch replay input formats', () => {
  it('reads a CloudTrail archive laid out as S3 delivers it', async () => {
    write(
      'AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T0915Z_abc.json.gz',
      cloudTrailFile([withId(RDS, 'a-1'), withId(NEGATIVE, 'n-1'), withId(FAILED, 'f-1')]),
    );
    const run = await replay(['AWSLogs']);
    expect(run.code).toBe(0);
    expect(jsonlAlerts(run.stdout).map((a) => [a.eventId, a.ruleId])).toEqual([
      ['a-1', 'aws.rds.create-db-security-group'],
      ['f-1', 'aws.legacy-security-group.create-failed'],
    ]);
    expect(run.stderr).toContain('records 3 in 1 file (');
    expect(run.stderr).toContain('; unreadable files 0\n');
    expect(run.stderr).toContain(
      'alerts 2 = new 2 + already stored 0; new 2 = notified 2 + suppressed 0 + capped 0\n',
    );
  });

  it('reads plain JSON, an EventBridge JSON array, JSON lines and a single pretty event', async () => {
    write('plain.json', JSON.stringify({ Records: [withId(RDS, 'p-1')] }));
    write('events.json', JSON.stringify([toEnvelope(withId(ELASTICACHE, 'e-1'))]));
    write(
      'events.jsonl',
      [toEnvelope(withId(RDS, 'l-1')), withId(ELASTICACHE, 'l-2')]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    write('single.json', JSON.stringify(toEnvelope(withId(RDS, 's-1')), null, 2));
    write('gz-without-suffix.jsonl.gz', gzipSync(JSON.stringify(withId(RDS, 'g-1'))));
    const run = await replay(['.']);
    expect(run.code).toBe(0);
    expect(
      jsonlAlerts(run.stdout)
        .map((a) => a.eventId)
        .sort(),
    ).toEqual(['e-1', 'g-1', 'l-1', 'l-2', 'p-1', 's-1']);
  });

  it('prints only alert records on stdout with --format jsonl and the counts on stderr', async () => {
    write('a.json.gz', cloudTrailFile([withId(RDS, 'j-1'), withId(ELASTICACHE, 'j-2')]));
    const run = await replay(['a.json.gz']);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const alert = JSON.parse(line) as Alert;
      expect(alert).toMatchObject({ delivery: 'notified', status: 'open' });
      expect(JSON.parse(alert.cloudTrailEvent)).toMatchObject({ eventID: alert.eventId });
    }
    expect(run.stderr).toContain('alerts 2 = new 2 + already stored 0');
    expect(run.stdout).not.toContain('files ');
  });

  it('skips CloudTrail digest files and reports files it ignores', async () => {
    write(
      'AWSLogs/1/CloudTrail-Digest/us-east-1/2026/03/02/digest.json.gz',
      gzipSync('{"awsAccountId":"1"}'),
    );
    write(
      'AWSLogs/1/CloudTrail/us-east-1/2026/03/02/log.json.gz',
      cloudTrailFile([withId(RDS, 'd-1')]),
    );
    write('AWSLogs/notes.txt', 'hello');
    const run = await replay(['AWSLogs']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('skipped 1 CloudTrail digest file');
    expect(run.stderr).toMatch(/ignored 1 file.*notes\.txt/);
    expect(jsonlAlerts(run.stdout)).toHaveLength(1);
  });
});

describe('sgwatch replay with bad input', () => {
  it('fails the run but reads every other file when files are corrupt, truncated or not JSON', async () => {
    const good = cloudTrailFile([withId(RDS, 'ok-1')]);
    write('1-truncated.json.gz', good.subarray(0, good.length - 12));
    write('2-not-json.json', 'this is not json');
    write('3-empty.json', '');
    write('4-bad-json.json', '{"Records": [ {"eventID": ');
    write('5-good.json.gz', good);
    const published = readFileSync(
      join(
        __dirname,
        '..',
        'fixtures',
        'public-cloudtrail',
        'awsdocs-elasticache__CreateCacheCluster__1.invalid-json.txt',
      ),
    );
    write('6-published-example.txt', published);
    const run = await replay(['--full-parse', '.', '6-published-example.txt']);
    expect(run.code).toBe(1);
    expect(jsonlAlerts(run.stdout).map((a) => a.eventId)).toEqual(['ok-1']);
    expect(run.stderr).toMatch(
      /unreadable .*1-truncated\.json\.gz: gzip data is corrupt or truncated/,
    );
    expect(run.stderr).toMatch(/unreadable .*2-not-json\.json: file is not JSON/);
    expect(run.stderr).toMatch(/unreadable .*3-empty\.json: file is empty/);
    expect(run.stderr).toMatch(/unreadable .*4-bad-json\.json: file is not valid JSON/);
    expect(run.stderr).toMatch(/unreadable .*6-published-example\.txt: file is not valid JSON/);
    expect(run.stderr).toContain('unreadable files 5');
  });

  it('reports empty, non-JSON and truncated files even when the prefilter skips the parse', async () => {
    write('a-empty.json', '  \n');
    write('b-text.json', 'hello');
    write('c-cut.json.gz', gzipSync('{"Records":[{"eventID":"x","eventName":"DescribeInstances"'));
    write('d-fine.json', JSON.stringify({ Records: [withId(NEGATIVE, 'n-2')] }));
    const run = await replay(['.']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unreadable .*a-empty\.json: file is empty/);
    expect(run.stderr).toMatch(/unreadable .*b-text\.json: file is not JSON/);
    expect(run.stderr).toMatch(/unreadable .*c-cut\.json\.gz: file is not valid JSON/);
    expect(run.stderr).toContain('records 1 in 4 files');
  });

  it('reports a record that fails validation by file and index, and still stores the rest', async () => {
    const broken = { ...withId(RDS, 'bad-1') } as Record<string, unknown>;
    delete broken.eventTime;
    write('mixed.json', JSON.stringify({ Records: [broken, withId(RDS, 'good-1')] }));
    const run = await replay(['mixed.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /invalid record #0 in .*mixed\.json: invalid event: eventTime is missing/,
    );
    expect(jsonlAlerts(run.stdout).map((a) => a.eventId)).toEqual(['good-1']);
  });

  it('loses only the broken lines of a JSON lines file, naming each by its line', async () => {
    const event = (id: string) => JSON.stringify(toEnvelope(withId(RDS, id)));
    const invalid = { ...withId(RDS, 'jl-bad') } as Record<string, unknown>;
    delete invalid.eventTime;
    write(
      'events.jsonl',
      [
        event('jl-1'),
        '{"detail-type": broken',
        event('jl-2'),
        JSON.stringify(invalid),
        event('jl-3'),
      ]
        .join('\n')
        .concat('\n'),
    );
    const run = await replay(['events.jsonl']);
    expect(run.code).toBe(1);
    expect(jsonlAlerts(run.stdout).map((a) => a.eventId)).toEqual(['jl-1', 'jl-2', 'jl-3']);
    expect(run.stderr).toMatch(/events\.jsonl:2: invalid line: not valid JSON/);
    expect(run.stderr).toMatch(
      /events\.jsonl:4: invalid line: invalid event: eventTime is missing/,
    );
    expect(run.stderr).toContain('records 5 in 1 file');
    expect(run.stderr).toContain(', 2 invalid; unreadable files 0');
    expect(run.stderr).toContain('alerts 3 = new 3');
  });

  it('reports a matching record over CloudTrail’s 256 KB event limit as too large, and delivers the rest', async () => {
    const huge = {
      ...withId(RDS, 'huge-1'),
      requestParameters: {
        dBSecurityGroupName: 'big',
        dBSecurityGroupDescription: 'x'.repeat(300 * 1024),
      },
    };
    write('large.json', JSON.stringify({ Records: [huge, withId(RDS, 'small-1')] }));
    const run = await replay(['large.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /invalid record #0 in .*large\.json: record is too large: \d+ bytes/,
    );
    expect(jsonlAlerts(run.stdout).map((a) => a.eventId)).toEqual(['small-1']);
  });

  it('follows symbolic links in a folder, reports one to nothing, and walks a loop once', async () => {
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'picked'));
    write('real/a.json', JSON.stringify({ Records: [withId(RDS, 'linked-1')] }));
    write('real/b.json', JSON.stringify({ Records: [withId(RDS, 'linked-2')] }));
    symlinkSync(join(dir, 'real'), join(dir, 'picked', 'folder'));
    symlinkSync(join(dir, 'real', 'b.json'), join(dir, 'picked', 'file.json'));
    symlinkSync(join(dir, 'nowhere.json'), join(dir, 'picked', 'dangling.json'));
    symlinkSync(join(dir, 'picked'), join(dir, 'real', 'loop'));
    const run = await replay(['picked']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot read .*dangling\.json: a symbolic link to nothing \(ENOENT\)/,
    );
    expect(
      jsonlAlerts(run.stdout)
        .map((a) => a.eventId)
        .sort(),
    ).toEqual(['linked-1', 'linked-2']);
  });

  it('fails naming the embedded store when another sgwatch holds it', async () => {
    write('a.json', JSON.stringify({ Records: [withId(RDS, 'locked-1')] }));
    const holder = await openDeliveryStore({ stateDir: join(dir, '.sgwatch') });
    try {
      const run = await runCli(['replay', 'a.json'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /cannot open the embedded alert store at .*\.sgwatch\/alerts\.mdb: sgwatch process \d+ is using it/,
      );
    } finally {
      await holder.close();
    }
  });

  it('fails with exit code 2 on a path that does not exist or a bad flag', async () => {
    const missing = await replay(['nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`sgwatch: ${join(dir, 'nope')} does not exist`);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runCli(['replay', '--format', 'xml', 'x'])).code).toBe(2);
    expect((await runCli(['replay', '--store', 'disk', 'x'])).code).toBe(2);
    expect((await runCli(['replay', '--since', 'last tuesday', 'x'])).code).toBe(2);
    expect((await runCli(['replay'])).stderr).toContain('replay needs at least one file or folder');
  });
});

describe('sgwatch replay with nothing to read', () => {
  it.each([
    ['an empty folder', () => mkdirSync(join(dir, 'in')), 'the folder is empty'],
    [
      'a folder of files that are not logs',
      () => write('in/notes.txt', 'hello'),
      'none of its 1 file(s) is a .json, .jsonl or .json.gz log (e.g.',
    ],
    [
      'a folder holding only digest files',
      () => write('in/CloudTrail-Digest/d.json.gz', gzipSync('{}')),
      'it holds only CloudTrail digest files',
    ],
  ])('fails as a usage error naming the path for %s', async (_label, prepare, reason) => {
    prepare();

    const run = await replay(['in']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`sgwatch: no CloudTrail logs in ${join(dir, 'in')}: ${reason}`);
  });

  it('fails as a usage error before reading anything when one of several paths is missing', async () => {
    write('a.json', JSON.stringify({ Records: [withId(RDS, 'early-1')] }));

    const run = await replay(['a.json', 'missing']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${join(dir, 'missing')} does not exist`);
  });
});

describe('sgwatch replay filters', () => {
  beforeEach(() => {
    write(
      'log.json',
      JSON.stringify({
        Records: [
          withId(RDS, 'old', { eventTime: '2026-01-01T00:00:00Z' }),
          withId(RDS, 'new', { eventTime: '2026-03-01T00:00:00Z' }),
          withId(ELASTICACHE, 'other-account', {
            recipientAccountId: '444455556666',
            eventTime: '2026-03-01T00:00:00Z',
          }),
        ],
      }),
    );
  });

  it.each([
    [
      ['--since', '2026-02-01'],
      ['new', 'other-account'],
    ],
    [['--until', '2026-02-01'], ['old']],
    [
      ['--since', '7d'],
      ['new', 'other-account'],
    ],
    [['--account', '444455556666'], ['other-account']],
    [['--region', 'eu-west-1'], ['other-account']],
    [['--region', 'us-east-1', '--since', '2026-02-15T00:00:00Z'], ['new']],
  ])('keeps only matching records with %j', async (flags, expected) => {
    const run = await replay([...flags, 'log.json'], { now: new Date('2026-03-05T00:00:00Z') });
    expect(
      jsonlAlerts(run.stdout)
        .map((a) => a.eventId)
        .sort(),
    ).toEqual(expected);
    expect(run.stderr).toContain(`, ${3 - expected.length} filtered out`);
  });
});

describe('sgwatch replay output for people', () => {
  it('prints a summary table and says where the alerts are stored', async () => {
    write('log.json', JSON.stringify({ Records: [withId(RDS, 't-1')] }));
    const run = await runCli(['replay', '--store', 'memory', 'log.json'], { cwd: dir });
    expect(run.stdout).toMatch(/^ID\s+TIME\s+SEV\s+CALL/);
    expect(run.stdout).toContain('CreateDBSecurityGroup');
    expect(run.stdout).toContain('legacy-reporting');
    expect(run.stdout).toContain('in-memory store');
  });

  it('counts an event delivered twice as one matched alert and one repeat, printed once', async () => {
    write('a.json', JSON.stringify({ Records: [withId(RDS, 'dup-1')] }));
    write('b.json', JSON.stringify({ Records: [withId(RDS, 'dup-1')] }));

    const run = await replay(['.']);

    expect(jsonlAlerts(run.stdout).map((a) => a.eventId)).toEqual(['dup-1']);
    expect(run.stderr).toContain('alerts 1 = new 1 + already stored 0');
    expect(run.stderr).toContain('met again 1');
  });

  it('prints one jsonl line per stored alert for the sample archive, whose redelivered event matches twice', async () => {
    const sample = join(__dirname, '..', '..', 'samples', 'archive');

    const run = await replay([sample]);

    const ids = jsonlAlerts(run.stdout).map((a) => a.alertId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(run.stderr).toContain(`alerts ${ids.length} = new ${ids.length} + already stored 0`);
    expect(run.stderr).toMatch(/met again [1-9]/);
  });

  it('uses counts that add up, in the same words on stderr and under the table', async () => {
    // Prepare: two alerts, one of them redelivered, and a second run over the same files.
    write(
      'a.json',
      JSON.stringify({ Records: [withId(RDS, 'sum-1'), withId(ELASTICACHE, 'sum-2')] }),
    );
    write('b.json', JSON.stringify({ Records: [withId(RDS, 'sum-1')] }));

    // Act
    const first = await runCli(['replay', 'a.json', 'b.json'], { cwd: dir });
    const second = await runCli(['replay', 'a.json', 'b.json'], { cwd: dir });

    // Assess
    expect(first.stderr).toContain(
      'alerts 2 = new 2 + already stored 0; new 2 = notified 2 + suppressed 0 + capped 0',
    );
    expect(first.stdout).toContain('2 alerts matched (new 2, already stored 0)');
    expect(second.stderr).toContain(
      'alerts 2 = new 0 + already stored 2; new 0 = notified 0 + suppressed 0 + capped 0',
    );
    expect(second.stdout).toContain('2 alerts matched (new 0, already stored 2)');
    expect(second.stdout).toContain('already stored, seen 2x');
  });

  it('tells a repeat from an alert stored earlier when the first meeting is hundreds of alerts back, in the embedded store', async () => {
    // The embedded store keeps a run's record of the alerts it met in its file, a batch at a
    // time: the repeat below is met long after its first meeting left memory.
    const events = Array.from({ length: 1300 }, (_, i) => withId(RDS, `far-${i}`));
    write('a.json', JSON.stringify({ Records: events }));
    write('b.json', JSON.stringify({ Records: [withId(RDS, 'far-3'), withId(RDS, 'far-1299')] }));

    const first = await runCli(['replay', '--format', 'jsonl', 'a.json', 'b.json'], { cwd: dir });
    const second = await runCli(['replay', '--format', 'jsonl', 'a.json', 'b.json'], { cwd: dir });

    expect(first.stderr).toContain('alerts 1300 = new 1300 + already stored 0');
    expect(first.stderr).toContain('met again 2');
    expect(jsonlAlerts(first.stdout)).toHaveLength(1300);
    // The next run forgets what the first met: its first meetings are alerts stored earlier.
    expect(second.stderr).toContain('alerts 1300 = new 0 + already stored 1300');
    expect(second.stderr).toContain('met again 2');
    expect(jsonlAlerts(second.stdout)).toHaveLength(1300);
  });

  it('prints the alerts --format jsonl prints as one JSON array with --format json', async () => {
    write('both.json', JSON.stringify({ Records: [withId(RDS, 'fmt-1'), withId(RDS, 'fmt-2')] }));
    const lines = await runCli(['replay', '--store', 'memory', '--format', 'jsonl', 'both.json'], {
      cwd: dir,
    });
    const array = await runCli(['replay', '--store', 'memory', '--json', 'both.json'], {
      cwd: dir,
    });
    expect(array.code).toBe(0);
    // The same alerts, but for when each run decided and sent them.
    const untimed = (alerts: Alert[]) =>
      alerts.map(({ detectedAt: _d, notifiedAt: _n, expiresAt: _e, ...rest }) => rest);
    expect(untimed(JSON.parse(array.stdout) as Alert[])).toEqual(
      untimed(jsonlAlerts(lines.stdout)),
    );
    expect(jsonlAlerts(lines.stdout)).toHaveLength(2);
  });

  it('fires on every positive fixture exactly as the catalog says', async () => {
    const cases = fixtureCases();
    write('all.json', JSON.stringify({ Records: cases.map((c) => loadRecord(c.file)) }));
    const run = await replay(['all.json']);
    const expected = cases.flatMap((c) =>
      c.detections.map((d) => `${loadRecord(c.file).eventID}:${d}`),
    );
    expect(jsonlAlerts(run.stdout).map((a) => `${a.eventId}:${a.ruleId}`)).toEqual(expected);
  });
});

describe('sgwatch replay into a deployed table', () => {
  let aws: LocalAws;
  const saved = { ...process.env };

  beforeAll(async () => {
    aws = await startLocalAws();
    delete process.env.AWS_REGION;
  });

  afterAll(async () => {
    await aws.close();
    process.env = saved;
  });

  beforeEach(() => {
    write(
      'log.json',
      JSON.stringify({
        Records: [
          withId(RDS, 'us-1'),
          withId(RDS, 'eu-1', { awsRegion: 'eu-west-1', eventTime: '2026-03-02T10:00:00Z' }),
        ],
      }),
    );
  });

  it('filters records with --region and takes the table Region from --table-region', async () => {
    const run = await runCli(
      [
        'replay',
        '--table',
        aws.dynamodb.tableName,
        '--publish',
        '--topic',
        TEST_TOPIC_ARN,
        '--table-region',
        'eu-west-1',
        '--region',
        'us-east-1',
        'log.json',
      ],
      { cwd: dir },
    );

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`DynamoDB table ${aws.dynamodb.tableName} in eu-west-1`);
    expect(run.stdout).toContain('111122223333/us-east-1');
    expect(run.stdout).toContain('1 alert matched');
    expect(run.stderr).toContain(', 1 filtered out');
  });

  it('does not take the table Region from --region', async () => {
    process.env.AWS_REGION = 'ap-southeast-2';
    try {
      const run = await runCli(
        [
          'replay',
          '--table',
          aws.dynamodb.tableName,
          '--publish',
          '--topic',
          TEST_TOPIC_ARN,
          '--region',
          'eu-west-1',
          'log.json',
        ],
        { cwd: dir },
      );

      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`DynamoDB table ${aws.dynamodb.tableName}.`);
      expect(run.stdout).not.toContain('in eu-west-1');
    } finally {
      delete process.env.AWS_REGION;
    }
  });

  it.each([
    [['replay', '--table', 'T', 'log.json'], '--table without --publish would mark alerts as sent'],
    [
      ['hunt', '--alert-table', 'T', '--since', '7d'],
      '--alert-table without --publish would mark alerts as sent',
    ],
    [['replay', '--topic', TEST_TOPIC_ARN, 'log.json'], '--topic is only read with --publish'],
  ])(
    'refuses a backtest that would write into a live table without delivering: %j',
    async (argv, message) => {
      const run = await runCli(argv, { cwd: dir });

      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it('rejects a --topic that is not an SNS topic ARN before opening anything', async () => {
    const run = await runCli(
      ['replay', '--table', 'T', '--publish', '--topic', 'alerts', 'log.json'],
      { cwd: dir },
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--topic must be an SNS topic ARN');
  });
});
