/**
 * The hunt's query lifecycle against an Athena that runs no SQL of ours: the local endpoint
 * over an archive with no watched call, or, in CI, moto (`SGWATCH_MOTO_URL`), whose Athena
 * runs every query to SUCCEEDED with an empty result. Both must see a query started in the
 * named workgroup, polled to its end, its results read, and the errors Athena raises turned
 * into one line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from '../support/cli';
import type { FakeCloudFormation } from '../support/fakes/cloudformation';
import { startFakeCloudFormation } from '../support/fakes/cloudformation';
import { loadRecord } from '../support/fixtures';
import type { LocalAthena } from '../support/local-athena';
import { startLocalAthena } from '../support/local-athena';
import { removeTemporaryDirs, temporaryDir } from '../support/synth';

const moto = process.env.SGWATCH_MOTO_URL ?? '';
// moto's only workgroup until one is created; the local endpoint is given the same name.
const WORKGROUP = 'primary';
const NOW = new Date('2025-04-01T00:00:00Z');

let athena: LocalAthena | undefined;
// CloudFormation stays local in both cases: only Athena is the subject here.
let cloudFormation: FakeCloudFormation;

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  cloudFormation = await startFakeCloudFormation();
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cloudFormation.url;
  if (moto !== '') {
    process.env.AWS_ENDPOINT_URL_ATHENA = moto;
    return;
  }
  const archive = temporaryDir('sgwatch-quiet-trail-');
  const folder = join(
    archive,
    'AWSLogs',
    '111122223333',
    'CloudTrail',
    'us-east-1',
    '2025',
    '03',
    '10',
  );
  mkdirSync(folder, { recursive: true });
  const quiet = {
    ...loadRecord('cloudtrail/shared/negative.ec2-create-security-group.json'),
    eventTime: '2025-03-10T10:00:00Z',
  };
  writeFileSync(join(folder, 'quiet.json.gz'), gzipSync(JSON.stringify({ Records: [quiet] })));
  athena = await startLocalAthena({
    archive,
    s3Root: 's3://quiet-trail/',
    database: 'sgwatch_hunt',
    table: 'cloudtrail',
    workGroups: { [WORKGROUP]: {} },
  });
  process.env.AWS_ENDPOINT_URL_ATHENA = athena.url;
});

afterAll(async () => {
  await athena?.close();
  await cloudFormation.close();
  removeTemporaryDirs();
});

function hunt(flags: string[]) {
  return runCli(
    [
      'hunt',
      '--database',
      'sgwatch_hunt',
      '--table',
      'cloudtrail',
      '--since',
      '2025-03-01',
      '--until',
      '2025-03-31',
      '--store',
      'memory',
      ...flags,
    ],
    { now: NOW },
  );
}

describe('the hunt query lifecycle', () => {
  it('runs the query to SUCCEEDED, reads its results and reports no alerts when no file matches', async () => {
    // Act
    const run = await hunt(['--workgroup', WORKGROUP]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^query \S+ SUCCEEDED {2}\S+ B scanned {2}~<\$0\.01$/m);
    expect(run.stderr).toContain('hunt: 0 log files hold a watched call');
    expect(run.stdout).toBe('No alerts: no record matched a detection.\n');
    if (athena !== undefined) {
      // The local endpoint records what was called; moto has no such hook.
      expect(athena.calls).toEqual(
        expect.arrayContaining(['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults']),
      );
    }
  });

  it('fails in one line naming a workgroup Athena does not have', async () => {
    const run = await hunt(['--workgroup', 'no-such-workgroup']);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'sgwatch: Athena has no workgroup no-such-workgroup: check --workgroup or the HuntWorkGroupName output of the stack\n',
    );
  });

  it('refuses to run without a workgroup, naming the stack output', async () => {
    const run = await hunt([]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--workgroup is needed .*HuntWorkGroupName/);
  });

  it('finds database, table and workgroup in the stack outputs', async () => {
    // Prepare
    cloudFormation.putStack({
      name: 'HuntStack',
      outputs: {
        HuntDatabaseName: 'sgwatch_hunt',
        HuntTableName: 'cloudtrail',
        HuntWorkGroupName: WORKGROUP,
      },
    });

    // Act
    const run = await runCli(
      ['hunt', '--stack', 'HuntStack', '--since', '2025-03-01', '--store', 'memory'],
      { now: NOW },
    );

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('hunt: 0 log files hold a watched call');
  });

  it('fails in one line naming the output and the context key when the stack has no hunt table', async () => {
    cloudFormation.putStack({ name: 'Sgwatch', outputs: { AlertTableName: 'alerts' } });

    const run = await runCli(['hunt', '--since', '30d', '--print-sql'], { now: NOW });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'sgwatch: no hunt table: stack Sgwatch has no HuntTableName output; deploy the stack with -c cloudTrailBucket=BUCKET (its outputs HuntDatabaseName, HuntTableName and HuntWorkGroupName), or pass --database, --table and --workgroup\n',
    );
  });
});
