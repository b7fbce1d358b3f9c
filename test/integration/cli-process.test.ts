import { availableParallelism } from 'node:os';
/**
 * The CLI as a person runs it: the bundle `npm run build` makes, started as its own process,
 * with an environment spelled out by each test (no AWS profile, credentials or Region from the
 * machine). AWS is the local fakes, dynalite, or an endpoint nothing listens on.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { EmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { startEmbeddedDynamoDb } from '../../cli/embedded-dynamodb';
import { LocalAlertStore } from '../../cli/local-alert-store';
import { LOCAL_STORE_FILE } from '../../cli/store';
import type { AlertStore } from '../../lambda/core/ports';
import type { Alert } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { TriagedAlert } from '../../lambda/core/triage';
import type { BuiltCli } from '../support/built-cli';
import { buildCli } from '../support/built-cli';
import type { CliRun } from '../support/cli';
import { dynamoError, dynamoOperation, startFaultProxy } from '../support/fault-proxy';
import { startFakeSts } from '../support/fakes/sts';
import { loadRecord } from '../support/fixtures';

/** A replay into a deployed table delivers, so it names the topic too. */
const PUBLISH = ['--publish', '--topic', 'arn:aws:sns:eu-west-1:111122223333:sgwatch-alerts'];

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
const KEYS = { AWS_ACCESS_KEY_ID: 'AKIDCLITEST', AWS_SECRET_ACCESS_KEY: 'secret' };

let cli: BuiltCli;
let dir: string;

beforeAll(async () => {
  cli = await buildCli();
}, 120_000);

afterAll(() => {
  cli.remove();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-process-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function alertFor(eventID: string, extra: Partial<CloudTrailRecord> = {}): Alert {
  const record: CloudTrailRecord = { ...loadRecord(RDS), eventID, ...extra };
  const detection = detect(record)[0];
  if (detection === undefined) throw new Error('the RDS fixture matched nothing');
  return buildAlert(detection, record, { now: new Date(), retentionDays: 365 });
}

async function seed(db: EmbeddedDynamoDb, alerts: readonly Alert[]): Promise<void> {
  await seedInto(new DynamoDbAlertStore(db.client, db.tableName), alerts);
}

async function seedInto(store: AlertStore, alerts: readonly Alert[]): Promise<void> {
  for (const alert of alerts) {
    const result = await store.create(alert, new Date());
    if (!result.created) throw new Error(`seed alert ${alert.alertId} existed already`);
    await store.markNotified(alert.alertId, result.token, `msg-${alert.eventId}`, new Date());
  }
}

/** Seeds the local store under `stateDir`, then closes it (one opener at a time). */
async function seedLocal(stateDir: string, alerts: readonly Alert[]): Promise<void> {
  const store = LocalAlertStore.open({ path: join(stateDir, LOCAL_STORE_FILE) });
  try {
    await seedInto(store, alerts);
  } finally {
    await store.close();
  }
}

/** A loopback URL nothing listens on: a port taken from the system, then let go. */
async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

function expectOneLine(run: CliRun): void {
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('sgwatch --version', () => {
  it.each([['--version'], ['-v'], ['version']])('prints the version for %s', async (flag) => {
    const run = await cli.run([flag]);
    expect(run).toEqual({ code: 0, stdout: `sgwatch ${VERSION}\n`, stderr: '' });
  });
});

describe('usage errors', () => {
  it.each([
    {
      argv: ['alerts', 'list', '--table', 't', '--region', 'mars-1'],
      says: '--region must be an AWS Region name such as us-east-1; got "mars-1"',
    },
    {
      argv: ['replay', '--region', 'eu-west-1,mars-1', 'logs'],
      says: '--region must be an AWS Region name such as us-east-1; got "mars-1"',
    },
    {
      argv: ['replay', '--account', 'notanaccount', 'logs'],
      says: '--account must be a 12-digit AWS account id such as 111122223333; got "notanaccount"',
    },
    {
      argv: ['alerts', 'list', '--account', '12'],
      says: '--account must be a 12-digit AWS account id such as 111122223333; got "12"',
    },
    {
      argv: ['alerts', 'list', '--since', '2025-02-30'],
      says: '--since "2025-02-30" is not a real date or time',
    },
    {
      argv: ['replay', '--until', '2025-04-31T10:00Z', 'logs'],
      says: '--until "2025-04-31T10:00Z" is not a real date or time',
    },
    {
      argv: ['alerts', 'list', '--since', '2025-03-01T25:00Z'],
      says: '--since "2025-03-01T25:00Z" is not a real date or time',
    },
    { argv: ['help', 'nosuch'], says: 'no help on "nosuch": it is not a command' },
    { argv: ['nosuch'], says: 'unknown command "nosuch"' },
    {
      argv: ['alerts', 'list', '--sinse', '7d'],
      says: 'unknown option --sinse (did you mean --since?)',
    },
    { argv: ['alerts', 'list', '--limit'], says: '--limit needs a value' },
  ])('exits 2 with one line for $argv', async ({ argv, says }) => {
    const run = await cli.run(argv, { cwd: dir });

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(says);
    expectOneLine(run);
    // Every quote the message opens, it closes.
    expect((run.stderr.match(/"/g) ?? []).length % 2).toBe(0);
    expect((run.stderr.match(/'/g) ?? []).length % 2).toBe(0);
    expect(existsSync(join(dir, '.sgwatch'))).toBe(false);
  });

  it('still accepts real dates, ages and Region and account lists', async () => {
    mkdirSync(join(dir, '.sgwatch'));
    await seedLocal(join(dir, '.sgwatch'), []);
    const run = await cli.run(
      [
        'alerts',
        'list',
        '--since',
        '2024-02-29',
        '--until',
        '2024-03-01T23:59:59.999Z',
        '--account',
        '111122223333',
      ],
      { cwd: dir },
    );
    expect(run).toMatchObject({ code: 0, stdout: 'No alerts match.\n', stderr: '' });
  });
});

describe('AWS errors', () => {
  it('asks for a Region when --table is used without one', async () => {
    const run = await cli.run(['alerts', 'list', '--table', 'sgwatch-alerts'], {
      env: { ...KEYS, AWS_ENDPOINT_URL_DYNAMODB: await closedEndpoint() },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'sgwatch: cannot use DynamoDB table sgwatch-alerts: no AWS Region: pass --region R, set AWS_REGION, or set region in your AWS profile\n',
    );
  });

  it('asks replay for --table-region, its option for the table, when there is no Region', async () => {
    // Prepare
    writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [loadRecord(RDS)] }));

    // Act
    const run = await cli.run(['replay', ...PUBLISH, '--table', 'sgwatch-alerts', 'events.json'], {
      cwd: dir,
      env: { ...KEYS, AWS_ENDPOINT_URL_DYNAMODB: await closedEndpoint() },
    });

    // Assess: --region is replay's record filter, so it must not be what the hint names
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'sgwatch: cannot use DynamoDB table sgwatch-alerts: no AWS Region: pass --table-region R, set AWS_REGION, or set region in your AWS profile\n',
    );
  });

  it.each([
    ['alerts', 'list', '--table', 'sgwatch-alerts', '--region', 'eu-west-1'],
    [
      'alerts',
      'show',
      '0123456789abcdef0123',
      '--table',
      'sgwatch-alerts',
      '--region',
      'eu-west-1',
    ],
  ])('says how to give credentials when there are none: %s %s', async (...argv) => {
    const run = await cli.run(argv, {
      env: { AWS_ENDPOINT_URL_DYNAMODB: await closedEndpoint() },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^sgwatch: cannot use DynamoDB table sgwatch-alerts in eu-west-1: no AWS credentials found: configure a profile \(AWS_PROFILE\)/,
    );
    expect(run.stderr).not.toContain('Could not load credentials');
    expectOneLine(run);
  });

  it('says how to give credentials when replay writes to a table without them', async () => {
    writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [loadRecord(RDS)] }));
    const run = await cli.run(
      [
        'replay',
        ...PUBLISH,
        '--table',
        'sgwatch-alerts',
        '--table-region',
        'us-east-1',
        'events.json',
      ],
      { cwd: dir, env: { AWS_ENDPOINT_URL_DYNAMODB: await closedEndpoint() } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no AWS credentials found: configure a profile/);
    expect(run.stderr).not.toMatch(/CredentialsProviderError|Could not load credentials/);
    expectOneLine(run);
  });

  describe('against a table server', () => {
    let db: EmbeddedDynamoDb;

    beforeEach(async () => {
      db = await startEmbeddedDynamoDb();
    });

    afterEach(async () => {
      await db.close();
    });

    it('names the table and the stack output when the table does not exist', async () => {
      const run = await cli.run(
        ['alerts', 'list', '--table', 'no-such-table', '--region', 'eu-west-1'],
        {
          env: { ...KEYS, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint },
        },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        "sgwatch: DynamoDB table no-such-table in eu-west-1 does not exist: pass the stack's AlertTableName output as --table, and the stack's Region as --region\n",
      );
    });

    it('names --table-region when replay meets a table that does not exist', async () => {
      // Prepare
      writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [loadRecord(RDS)] }));

      // Act
      const run = await cli.run(
        [
          'replay',
          ...PUBLISH,
          '--table',
          'no-such-table',
          '--table-region',
          'eu-west-1',
          'events.json',
        ],
        { cwd: dir, env: { ...KEYS, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint } },
      );

      // Assess
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "sgwatch: DynamoDB table no-such-table in eu-west-1 does not exist: pass the stack's AlertTableName output as --table, and the stack's Region as --table-region\n",
      );
    });

    it('points at the permissions when access is denied', async () => {
      const proxy = await startFaultProxy(db.endpoint);
      proxy.inject({
        match: dynamoOperation('Query'),
        fault: dynamoError(
          400,
          'AccessDeniedException',
          'User: arn:aws:iam::111122223333:user/dana is not authorized to perform: dynamodb:Query',
        ),
        times: 10,
      });
      try {
        const run = await cli.run(
          ['alerts', 'list', '--table', db.tableName, '--region', 'eu-west-1'],
          {
            env: { ...KEYS, AWS_ENDPOINT_URL_DYNAMODB: proxy.url },
          },
        );
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
          /^sgwatch: cannot use DynamoDB table sgwatch-alerts in eu-west-1: access denied \(User: .* dynamodb:Query\): the credentials need the permissions listed in docs\/operations\.md\n$/,
        );
      } finally {
        await proxy.close();
      }
    });
  });
});

describe('who a triage change is recorded as', () => {
  it('is the AWS caller identity on a deployed table', async () => {
    // Prepare: a table holding one alert, and STS answering for the test's key.
    const db = await startEmbeddedDynamoDb();
    const sts = await startFakeSts();
    const arn = 'arn:aws:sts::111122223333:assumed-role/SecurityOps/dana';
    sts.addIdentity(KEYS.AWS_ACCESS_KEY_ID, arn);
    const alert = alertFor('process-sts');
    try {
      await seed(db, [alert]);

      // Act
      const run = await cli.run(
        ['alerts', 'ack', alert.alertId, '--table', db.tableName, '--region', 'us-east-1'],
        {
          env: {
            ...KEYS,
            AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
            AWS_ENDPOINT_URL_STS: sts.url,
            USER: 'root',
          },
        },
      );

      // Assess
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(`changed by ${arn} at`);
    } finally {
      await Promise.all([db.close(), sts.close()]);
    }
  });

  it('says what to do when STS refuses the credentials', async () => {
    const db = await startEmbeddedDynamoDb();
    const sts = await startFakeSts();
    const alert = alertFor('process-sts-refused');
    try {
      await seed(db, [alert]);
      const run = await cli.run(
        ['alerts', 'ack', alert.alertId, '--table', db.tableName, '--region', 'us-east-1'],
        { env: { ...KEYS, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint, AWS_ENDPOINT_URL_STS: sts.url } },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^sgwatch: cannot use AWS STS to find out who you are: AWS rejected the credentials \(InvalidClientTokenId/,
      );
      expectOneLine(run);
    } finally {
      await Promise.all([db.close(), sts.close()]);
    }
  });

  it('is the login name from the system when $USER and $USERNAME are unset, never "unknown"', async () => {
    const alert = alertFor('process-os-user');
    await seedLocal(join(dir, '.sgwatch'), [alert]);

    const run = await cli.run(['alerts', 'ack', alert.alertId], { cwd: dir });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`changed by ${userInfo().username} at`);
    expect(run.stdout).not.toContain('unknown');
  });

  it('is the name given with --by, on any store', async () => {
    const alert = alertFor('process-by');
    await seedLocal(join(dir, '.sgwatch'), [alert]);
    const run = await cli.run(['alerts', 'ack', alert.alertId, '--by', 'carol'], {
      cwd: dir,
      env: { USER: 'root' },
    });
    expect(run.stdout).toContain('changed by carol at');
  });
});

describe('finding the local store', () => {
  it('finds .sgwatch/ in a folder above the current one, as git finds a repository', async () => {
    const alert = alertFor('process-walk-up');
    await seedLocal(join(dir, '.sgwatch'), [alert]);
    const deeper = join(dir, 'src', 'deeper');
    mkdirSync(deeper, { recursive: true });

    const run = await cli.run(['alerts', 'list', '--since', '2026-01-01', '--json'], {
      cwd: deeper,
    });

    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as TriagedAlert[]).map((a) => a.alertId)).toEqual([
      alert.alertId,
    ]);
    expect(existsSync(join(deeper, '.sgwatch'))).toBe(false);
  });

  it('uses $SGWATCH_STATE_DIR from anywhere', async () => {
    const alert = alertFor('process-env-dir');
    const state = join(dir, 'state');
    await seedLocal(state, [alert]);
    const elsewhere = mkdtempSync(join(tmpdir(), 'sgwatch-elsewhere-'));
    try {
      const run = await cli.run(['alerts', 'show', alert.alertId], {
        cwd: elsewhere,
        env: { SGWATCH_STATE_DIR: state },
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Alert ${alert.alertId}`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses to read a store that does not exist, and creates none', async () => {
    const run = await cli.run(['alerts', 'list'], { cwd: dir });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `sgwatch: no local sgwatch store in ${dir} or any folder above it: run "sgwatch replay <path>" to create one, or pass --state-dir DIR, or --table NAME for a deployed table\n`,
    );
    expect(existsSync(join(dir, '.sgwatch'))).toBe(false);
  });

  it('names the replay command in the form the person ran sgwatch', async () => {
    const run = await cli.run(['alerts', 'list'], {
      cwd: dir,
      env: { npm_lifecycle_event: 'sgwatch' },
    });
    expect(run.stderr).toContain('run "npm run -s sgwatch -- replay <path>" to create one');
  });

  it('refuses a --state-dir that does not exist', async () => {
    const run = await cli.run(['alerts', 'list', '--state-dir', 'nowhere'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `no local sgwatch store at ${join(dir, 'nowhere')} (from --state-dir)`,
    );
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('refuses a --state-dir that holds no store, creating nothing there', async () => {
    mkdirSync(join(dir, 'empty'));
    const run = await cli.run(['alerts', 'list', '--state-dir', 'empty'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `sgwatch: ${join(dir, 'empty')} holds no sgwatch store: a state folder holds alerts.mdb, which "sgwatch replay <path>" writes there\n`,
    );
    expect(readdirSync(join(dir, 'empty'))).toEqual([]);
  });
});

describe('the "Next:" hint after a replay', () => {
  beforeEach(() => {
    writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [loadRecord(RDS)] }));
  });

  it('uses the command form the person ran and the --state-dir they gave', async () => {
    const run = await cli.run(['replay', '--quiet', '--state-dir', 'my store', 'events.json'], {
      cwd: dir,
      env: { npm_lifecycle_event: 'sgwatch' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "Next: npm run -s sgwatch -- alerts list --since 2026-03-02 --state-dir 'my store'   or   npm run -s sgwatch -- alerts show <ID> --state-dir 'my store'\n",
    );
    const list = await cli.run(
      ['alerts', 'list', '--since', '2026-03-02', '--state-dir', 'my store'],
      { cwd: dir },
    );
    expect(list.stdout).toContain('CreateDBSecurityGroup');
  });

  it('is the bare sgwatch command outside npm, with no --state-dir when none was given', async () => {
    const run = await cli.run(['replay', '--quiet', 'events.json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'Next: sgwatch alerts list --since 2026-03-02   or   sgwatch alerts show <ID>\n',
    );
  });
});

describe('replay judges exceptions at the time of each event', () => {
  it('suppresses a March 2025 event with an exception valid until April 2025, in a replay today', async () => {
    // Prepare: an exception that lapsed long before today, and an event from while it was live.
    writeFileSync(
      join(dir, 'sgwatch.config.json'),
      JSON.stringify({
        exceptions: [
          {
            id: 'spring-migration',
            reason: 'Database migration, March 2025',
            owner: 'data-platform@example.com',
            expires: '2025-04-30',
            match: { accounts: ['111122223333'] },
          },
        ],
      }),
    );
    const during = { ...loadRecord(RDS), eventID: 'in-window', eventTime: '2025-03-10T09:00:00Z' };
    const after = {
      ...loadRecord(RDS),
      eventID: 'after-expiry',
      eventTime: '2025-05-01T00:00:00Z',
    };
    writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [during, after] }));

    // Act
    const run = await cli.run(['replay', '--store', 'memory', '--format', 'jsonl', 'events.json'], {
      cwd: dir,
    });

    // Assess
    expect(run.code).toBe(0);
    const alerts = run.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Alert);
    const statusOf = (eventId: string) => alerts.find((a) => a.eventId === eventId)?.status;
    expect(statusOf('in-window')).toBe('suppressed');
    expect(alerts.find((a) => a.eventId === 'in-window')?.suppression?.exceptionId).toBe(
      'spring-migration',
    );
    expect(statusOf('after-expiry')).toBe('open');
  });
});

describe('replay on several threads, as built', () => {
  it('reports the same alerts and counts with two and three scan threads as with one', async () => {
    // Prepare: a few files, alerts spread over them, one unreadable
    const record = loadRecord(RDS);
    for (let file = 0; file < 6; file++) {
      const records = Array.from({ length: 30 }, (_, i) => ({
        ...record,
        eventID: `threads-${file}-${i}`,
        eventName: i % 7 === 0 ? record.eventName : 'DescribeDBInstances',
      }));
      writeFileSync(join(dir, `log-${file}.json`), JSON.stringify({ Records: records }));
    }
    writeFileSync(join(dir, 'log-9.json'), '{"Records":[');
    const replay = (workers: string) =>
      cli.run(['replay', '--store', 'memory', '--format', 'jsonl', '--workers', workers, '.'], {
        cwd: dir,
      });
    const idsOf = (run: CliRun) =>
      run.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as Alert).alertId);
    // More threads than cores are capped, with a note: not part of what the runs report.
    const countsOf = (run: CliRun) =>
      run.stderr.replace(/\d+ threads?\)/, '').replace(/^sgwatch: --workers .*\n/m, '');

    // Act
    const one = await replay('1');
    const two = await replay('2');
    const three = await replay('3');

    // Assess: the scan threads are the bundle's own worker, started beside the CLI
    expect(one.code).toBe(1);
    expect(idsOf(one)).toHaveLength(30);
    for (const run of [two, three]) {
      expect(run.code).toBe(1);
      expect(idsOf(run)).toEqual(idsOf(one));
      expect(countsOf(run)).toBe(countsOf(one));
    }
    expect(two.stderr).toMatch(/2 threads\)/);
    const cores = availableParallelism();
    if (cores < 3) {
      expect(three.stderr).toContain(
        `sgwatch: --workers 3 is more than this machine's ${cores} cores; using ${cores}\n`,
      );
      expect(three.stderr).toMatch(new RegExp(`${cores} threads?\\)`));
    } else {
      expect(three.stderr).toMatch(/3 threads\)/);
    }
  });
});
