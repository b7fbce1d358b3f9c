import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { loadRecord } from '../support/fixtures';

// A terminal's width only reaches the CLI through a TTY, which a child process on pipes does
// not have: this runs the CLI in this process with a terminal-shaped stdout.
const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-terminal-'));
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [loadRecord(RDS)] }));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function replay(options: { tty: boolean; columns?: number }) {
  return runCli(['replay', '--quiet', '--store', 'memory', 'events.json'], {
    cwd: dir,
    ...options,
  });
}

describe('the replay summary table in a terminal', () => {
  it('fits a 120-column terminal and keeps the id, time and severity whole', async () => {
    const run = await replay({ tty: true, columns: 120 });

    const lines = run.stdout.split('\n');
    const table = lines.slice(
      0,
      lines.findIndex((line) => line === ''),
    );
    expect(Math.max(...table.map((line) => line.length))).toBeLessThanOrEqual(120);
    expect(run.stdout).toContain('…');
    expect(table[2]?.split(/\s{2,}/).slice(0, 3)).toEqual([
      expect.stringMatching(/^[0-9a-f]{20}$/),
      '2026-03-02T09:15:42Z',
      'low',
    ]);
  });

  it('is not cut when the output is not a terminal', async () => {
    const run = await replay({ tty: false, columns: 120 });
    expect(run.stdout).not.toContain('…');
    expect(Math.max(...run.stdout.split('\n').map((line) => line.length))).toBeGreaterThan(120);
  });
});
