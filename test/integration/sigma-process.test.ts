/**
 * Sigma rules through the CLI as it ships: the bundles `npm run build` makes, each command
 * and the scan thread a bundle of its own, started as a process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { BuiltCli } from '../support/built-cli';
import { buildCli } from '../support/built-cli';
import { loadRecord } from '../support/fixtures';

const ROOT = join(__dirname, '..', '..');
const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';

let cli: BuiltCli;
let dir: string;

beforeAll(async () => {
  cli = await buildCli();
}, 120_000);

afterAll(() => cli.remove());

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-sigma-process-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the built CLI with Sigma rules', () => {
  it('checks a folder of rules, and names each broken one by file and line', async () => {
    const good = await cli.run(['sigma', 'check', 'test/fixtures/sigma/rules'], { cwd: ROOT });
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('3 of 3 rules loaded');
    const broken = await cli.run(['sigma', 'check', 'test/fixtures/sigma/broken'], { cwd: ROOT });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^test\/fixtures\/sigma\/broken\/counting\.yml:10: /);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });

  it('replays with the rules on two scan threads', async () => {
    const call = (eventID: string, eventName: string): CloudTrailRecord => ({
      ...loadRecord(RDS),
      eventID,
      eventSource: 'cloudtrail.amazonaws.com',
      eventName,
    });
    mkdirSync(join(dir, 'logs'));
    writeFileSync(
      join(dir, 'logs', 'a.json'),
      JSON.stringify({ Records: [call('00000000-0000-4000-8000-00000000000a', 'StopLogging')] }),
    );
    writeFileSync(
      join(dir, 'logs', 'b.json'),
      JSON.stringify({ Records: [call('00000000-0000-4000-8000-00000000000b', 'DeleteTrail')] }),
    );
    const run = await cli.run(
      [
        'replay',
        '--store',
        'memory',
        '--format',
        'jsonl',
        '--workers',
        '2',
        '--no-builtin',
        '--sigma',
        join(ROOT, 'test/fixtures/sigma/rules'),
        'logs',
      ],
      { cwd: dir },
    );
    expect(run.stderr).toContain('2 threads');
    expect(run.code).toBe(0);
    const ruleIds = run.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { ruleId: string }).ruleId);
    expect(ruleIds).toEqual([
      'sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b',
      'sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b',
    ]);
  });
});
