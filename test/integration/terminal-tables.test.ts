import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { displayWidth } from '../../cli/display-width';
import type { CliRun } from '../support/cli';
import { runCli } from '../support/cli';
import { loadRecord } from '../support/fixtures';
import { parseTable } from '../support/table-text';

// A terminal's width only reaches the CLI through a TTY, which a child process on pipes does
// not have: these run the CLI in this process with a terminal-shaped stdout.
const SAMPLES = resolve(__dirname, '../../samples/archive');
const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const ALL_HEADERS = [
  'ID',
  'TIME',
  'SEV',
  'CALL',
  'RESULT',
  'ACCOUNT/REGION',
  'PRINCIPAL',
  'GROUP',
  'STATUS',
  'THIS RUN',
];

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-terminal-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function replay(
  paths: string[],
  options: { tty: boolean; columns?: number },
  flags: string[] = [],
) {
  return runCli(['replay', '--quiet', '--store', 'memory', ...flags, ...paths], {
    cwd: dir,
    ...options,
  });
}

/** The cells of one column of the table a run printed, found by its header. */
function column(run: CliRun, header: string): string[] {
  const table = parseTable(run.stdout);
  const index = table.headers.indexOf(header);
  return table.rows.map((row) => row[index] ?? '');
}

describe('the replay table of the sample archive in a terminal', () => {
  let piped: CliRun;

  beforeEach(async () => {
    piped = await replay([SAMPLES], { tty: false });
  });

  it.each([80, 100, 120, 160, 200])(
    'fits %i columns and keeps every alert id and call whole',
    async (width) => {
      const run = await replay([SAMPLES], { tty: true, columns: width });
      const table = parseTable(run.stdout);

      expect(table.rows.length).toBeGreaterThan(10);
      for (const line of table.lines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
      // The same alerts in the same order: the ids can be pasted into `alerts show`, and the
      // calls still tell CreateDBSecurityGroup from CreateCacheSecurityGroup.
      expect(column(run, 'ID')).toEqual(column(piped, 'ID'));
      expect(column(run, 'CALL')).toEqual(column(piped, 'CALL'));
      expect(column(run, 'CALL')).toEqual(
        expect.arrayContaining(['CreateDBSecurityGroup', 'CreateCacheSecurityGroup']),
      );
      const note = run.stderr.split('\n').find((line) => line.startsWith('sgwatch: left out'));
      // A note follows exactly the tables that left columns out.
      if (table.headers.length < ALL_HEADERS.length) {
        expect(displayWidth(note ?? '')).toBeLessThanOrEqual(80);
        expect(note).toContain('(--wide or --format jsonl shows all)');
      } else {
        expect(note).toBeUndefined();
      }
    },
  );

  it('leaves out the least useful columns at 80 columns, and names them', async () => {
    const run = await replay([SAMPLES], { tty: true, columns: 80 });

    expect(parseTable(run.stdout).headers).toEqual(['ID', '2025 (UTC)', 'SEV', 'CALL']);
    expect(column(run, '2025 (UTC)')[0]).toMatch(/^\d\d-\d\d \d\d:\d\d$/);
    expect(run.stderr).toContain(
      'sgwatch: left out THIS RUN and 5 more (--wide or --format jsonl shows all)\n',
    );
  });

  it('is never cut nor narrowed when the output is not a terminal, and --wide shows the same', async () => {
    const table = parseTable(piped.stdout);
    const wide = await replay([SAMPLES], { tty: true, columns: 80 }, ['--wide']);

    expect(table.headers).toEqual(ALL_HEADERS);
    expect(piped.stdout).not.toContain('…');
    expect(column(piped, 'PRINCIPAL')).toContain(
      'assumed-role/AWSReservedSSO_AdministratorAccess_7f55d79b92d59cc7/priya.raman@example.com',
    );
    expect(column(piped, 'RESULT')).toContain('failed: InvalidParameterCombination');
    expect(column(piped, 'TIME')).toContain('2025-03-10T11:02:19Z');
    expect(piped.stderr).not.toContain('left out');
    expect(wide.stdout).toBe(piped.stdout);
    expect(wide.stderr).not.toContain('left out');
  });
});

describe('a replay table of hostile event text in a terminal', () => {
  const GROUP = `キャッシュ🔥\u202eevil\u0301-${'データ'.repeat(20)}`;
  // The longest ARN a record may carry: validation refuses one over 1,024 bytes.
  const LONG_NAME = 'x'.repeat(990);

  beforeEach(() => {
    const record = loadRecord(RDS);
    const hostile = {
      ...record,
      userIdentity: {
        ...record.userIdentity,
        arn: `arn:aws:iam::111122223333:user/${LONG_NAME}`,
      },
      requestParameters: { dBSecurityGroupName: GROUP, dBSecurityGroupDescription: 'x' },
    };
    writeFileSync(join(dir, 'events.json'), JSON.stringify({ Records: [hostile] }));
  });

  it.each([80, 120, 200])('fits %i columns, measured as displayed', async (width) => {
    const run = await replay(['events.json'], { tty: true, columns: width });
    const table = parseTable(run.stdout);

    expect(run.code).toBe(0);
    for (const line of table.lines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
    expect(column(run, 'ID')[0]).toMatch(/^[0-9a-f]{20}$/);
    expect(column(run, 'CALL')).toEqual(['CreateDBSecurityGroup']);
    expect(run.stdout).not.toContain('\u202e');
  });

  it('shows the group and the principal whole, cleaned, when piped', async () => {
    const run = await replay(['events.json'], { tty: false });

    expect(column(run, 'GROUP')).toEqual([GROUP.replace('\u202e', ' ')]);
    expect(column(run, 'PRINCIPAL')).toEqual([`user/${LONG_NAME}`]);
  });
});
