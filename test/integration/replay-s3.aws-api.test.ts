/**
 * `sgwatch replay s3://…` against a real S3-compatible server (s3rver, or moto in CI)
 * holding the sample archive in CloudTrail's layout: the same alerts as replaying the
 * folder, and pruning that lists only the prefixes the filters leave in range.
 */
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Alert } from '../../lambda/core/alert';
import { listS3, prefixInRange } from '../../cli/replay/s3-source';
import { runCli } from '../support/cli';
import type { LocalS3 } from '../support/local-s3';
import { putObject, startLocalS3, uploadFolder } from '../support/local-s3';
import { removeTemporaryDirs } from '../support/synth';

const ARCHIVE = join(__dirname, '..', '..', 'samples', 'archive');
const BUCKET = 'org-trail';
const PREFIX = 'security/';
const NOW = new Date('2025-03-20T00:00:00Z');

let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3();
  await uploadFolder(BUCKET, ARCHIVE, PREFIX);
  await putObject(
    BUCKET,
    `${PREFIX}AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2025/03/10/digest.json.gz`,
    'not events',
  );
  await putObject(BUCKET, `${PREFIX}AWSLogs/README.txt`, 'not a log');
});

afterAll(async () => {
  await s3.close();
  removeTemporaryDirs();
});

function alertIds(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as Alert).alertId)
    .sort();
}

async function replay(paths: string[], flags: string[] = []) {
  return runCli(['replay', '--store', 'memory', '--format', 'jsonl', ...flags, ...paths], {
    now: NOW,
    cwd: join(__dirname, '..', '..'),
  });
}

describe('replay from S3', () => {
  it('stores the same alerts as a replay of the same files on disk', async () => {
    // Act
    const local = await replay([ARCHIVE]);
    const remote = await replay([`s3://${BUCKET}/${PREFIX}`]);

    // Assess
    expect(local.code).toBe(0);
    expect(remote.code).toBe(0);
    expect(alertIds(remote.stdout)).toEqual(alertIds(local.stdout));
    expect(alertIds(local.stdout).length).toBeGreaterThan(0);
    // Records read and alerts raised, without how the bytes were read.
    const counts = (run: { stderr: string }) => [
      /records \d+ in \d+ files?/.exec(run.stderr)?.[0],
      /^alerts .*$/m.exec(run.stderr)?.[0],
    ];
    expect(counts(local).every((part) => part !== undefined)).toBe(true);
    expect(counts(remote)).toEqual(counts(local));
    expect(remote.stderr).toContain('skipped 1 CloudTrail-Digest prefix(es)');
    expect(remote.stderr).toContain(`ignored 1 object(s)`);
  });

  it('applies the filters exactly as a local replay does', async () => {
    const flags = [
      '--since',
      '2025-03-11',
      '--until',
      '2025-03-12T12:00Z',
      '--account',
      '111122223333',
    ];

    const local = await replay([ARCHIVE], flags);
    const remote = await replay([`s3://${BUCKET}/${PREFIX}AWSLogs/`], flags);

    expect(alertIds(remote.stdout)).toEqual(alertIds(local.stdout));
  });

  it('takes S3 locations and local paths in one run', async () => {
    const mixed = await replay([
      `s3://${BUCKET}/${PREFIX}AWSLogs/111122223333/`,
      join(ARCHIVE, 'AWSLogs', '444455556666'),
    ]);
    const local = await replay([ARCHIVE]);

    expect(alertIds(mixed.stdout)).toEqual(alertIds(local.stdout));
  });

  it('lists only the accounts, Regions and days in range', async () => {
    // Prepare
    const client = new S3Client({});
    const filter = {
      since: Date.parse('2025-03-12T00:00:00Z'),
      until: Date.parse('2025-03-12T23:59:59Z'),
      accounts: ['111122223333'],
      regions: ['eu-west-1'],
    };

    // Act
    const listing = await listS3(client, { bucket: BUCKET, prefix: PREFIX }, filter);
    client.destroy();

    // Assess
    const days = listing.listed.filter((prefix) => /\/\d{4}\/\d{2}\/\d{2}\/$/.test(prefix));
    expect(days).toEqual([
      `${PREFIX}AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/11/`,
      `${PREFIX}AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/12/`,
      `${PREFIX}AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/13/`,
    ]);
    expect(listing.listed.some((prefix) => prefix.includes('444455556666'))).toBe(false);
    expect(listing.listed.some((prefix) => prefix.includes('us-east-1'))).toBe(false);
    expect(listing.listed.some((prefix) => prefix.includes('Digest'))).toBe(false);
    expect(listing.objects.length).toBeGreaterThan(0);
    expect(listing.objects.every((o) => o.key.includes('/eu-west-1/2025/03/1'))).toBe(true);
  });

  it.each([
    [`s3://${BUCKET}/nothing-here/`, [], /no CloudTrail logs under s3:\/\/\S+\/nothing-here\/\s/],
    [
      `s3://${BUCKET}/${PREFIX}`,
      ['--since', '2020-01-01', '--until', '2020-01-02'],
      /within --since\/--until\/--account\/--region/,
    ],
  ])('fails as a usage error when %s holds no log to read', async (uri, flags, message) => {
    const run = await replay([uri], flags);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails in one line naming the bucket when it does not exist', async () => {
    const run = await replay(['s3://no-such-trail-bucket/AWSLogs/']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/no-such-trail-bucket/);
  });
});

describe('key pruning', () => {
  const filter = {
    since: Date.parse('2025-03-10T00:00:00Z'),
    until: Date.parse('2025-03-10T12:00:00Z'),
    accounts: ['111122223333'],
    regions: ['eu-west-1'],
  };

  it.each([
    ['AWSLogs/111122223333', true],
    ['AWSLogs/444455556666', false],
    ['AWSLogs/o-a1b2c3d4e5/444455556666', false],
    ['AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2025/03/11', true],
    ['AWSLogs/111122223333/CloudTrail/us-east-1', false],
    ['AWSLogs/111122223333/CloudTrail-Digest', false],
    ['AWSLogs/111122223333/CloudTrail/eu-west-1/2025', true],
    ['AWSLogs/111122223333/CloudTrail/eu-west-1/2024', false],
    ['AWSLogs/111122223333/CloudTrail/eu-west-1/2025/02', false],
    ['AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/09', true],
    ['AWSLogs/111122223333/CloudTrail/eu-west-1/2025/03/12', false],
    ['some/other/folder', true],
  ])('decides %s: %s', (prefix, kept) => {
    expect(prefixInRange(prefix.split('/'), filter)).toBe(kept);
  });
});
