/**
 * A backtest that raises more alerts than a terminal can usefully show ends with a summary
 * (per detection, per day, top principals, accounts and Regions) and says how to list them
 * all; piped output still lists every alert.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAlertHeavyArchive } from '../../scripts/bench/alert-heavy';
import { runCli } from '../support/cli';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-summary-'));
  writeAlertHeavyArchive({ root: join(dir, 'archive'), events: 150 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function replay(tty: boolean) {
  return runCli(['replay', '--store', 'memory', '--quiet', 'archive'], {
    cwd: dir,
    tty,
    columns: 120,
  });
}

describe('sgwatch replay of an alert-heavy archive', () => {
  it('summarizes the alerts in a terminal instead of listing them', async () => {
    const run = await replay(true);
    expect(run.code).toBe(0);
    const matched = Number(/alerts (\d+) =/.exec(run.stderr)?.[1]);
    expect(matched).toBeGreaterThan(50);
    const lines = run.stdout.split('\n');
    expect(lines.length).toBeLessThan(60);
    expect(run.stdout).toContain(`${matched} alerts matched (new ${matched}, already stored 0)`);
    for (const heading of [
      'By detection:',
      'By day of the event (UTC):',
      'Top principals (5 of',
      'Top accounts:',
      'Top Regions:',
    ]) {
      expect(run.stdout).toContain(heading);
    }
    // The per-detection counts add up to the alerts matched.
    const detections = lines
      .slice(lines.indexOf('By detection:') + 1, lines.indexOf('', lines.indexOf('By detection:')))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
    expect(detections.reduce((sum, count) => sum + count, 0)).toBe(matched);
    expect(run.stdout).toMatch(/2026-02-01\s+\d+\s+#+/);
    expect(run.stdout).toContain('--format jsonl');
  });

  it('lists every alert when its output is piped', async () => {
    const run = await replay(false);
    const matched = Number(/alerts (\d+) =/.exec(run.stderr)?.[1]);
    const rows = run.stdout.split('\n').filter((line) => /^[0-9a-f]{20}\s/.test(line));
    expect(rows).toHaveLength(matched);
    expect(run.stdout).not.toContain('By detection:');
  });
});
