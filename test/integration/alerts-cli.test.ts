import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TriagedAlert } from '../../lambda/core/triage';
import { LocalAlertStore } from '../../cli/local-alert-store';
import { LOCAL_STORE_FILE } from '../../cli/store';
import type { Alert } from '../../lambda/core/alert';
import { buildAlert } from '../../lambda/core/alert';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { ALERTS_HELP } from '../../cli/commands/alerts';
import { runCli } from '../support/cli';
import { loadRecord } from '../support/fixtures';
import { CATALOG } from '../../lambda/core/catalog';
import { alertFacts, renderEmail } from '../../lambda/core/render';
import { cleanText } from '../../lambda/core/text';
import { displayWidth } from '../../cli/display-width';
import { parseTable } from '../support/table-text';

const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';
const CACHE =
  'cloudtrail/aws.elasticache.create-cache-security-group/elasticache-create-cache-security-group.success.json';
const EXPOSURE =
  'cloudtrail/aws.ec2.datastore-port-open-to-internet/ec2-authorize-security-group-ingress.success.postgres-internet.json';
const NOW = new Date('2026-03-15T12:00:00Z');
const ESC = '\u001b';
const HOSTILE_NAME = `legacy${ESC}[31mRED${ESC}[0m`;

let dir: string;
let rds: Alert;
let cache: Alert;
let hostile: Alert;

function alertFor(file: string, extra: Partial<CloudTrailRecord>): Alert {
  const record: CloudTrailRecord = { ...loadRecord(file), ...extra };
  const detection = detect(record)[0];
  if (detection === undefined) throw new Error(`fixture ${file} matched nothing`);
  return buildAlert(detection, record, { now: NOW, retentionDays: 365 });
}

/** Seeds the embedded store where the CLI looks by default, then closes it (one opener at a time). */
async function seedStore(alerts: readonly Alert[]): Promise<void> {
  const store = LocalAlertStore.open({ path: join(dir, '.sgwatch', LOCAL_STORE_FILE) });
  try {
    for (const alert of alerts) {
      const result = await store.create(alert, NOW);
      if (!result.created) throw new Error(`seed alert ${alert.alertId} existed already`);
      await store.markNotified(alert.alertId, result.token, `msg-${alert.eventId}`, NOW);
    }
  } finally {
    await store.close();
  }
}

function alerts(args: string[], env: NodeJS.ProcessEnv = { USER: 'tester' }) {
  return runCli(['alerts', ...args], { cwd: dir, now: NOW, env });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-alerts-'));
  rds = alertFor(RDS, { eventID: 'cli-rds', eventTime: '2026-03-14T10:00:00Z' });
  cache = alertFor(CACHE, { eventID: 'cli-cache', eventTime: '2026-03-10T08:00:00Z' });
  const base = loadRecord(RDS);
  hostile = alertFor(RDS, {
    eventID: 'cli-hostile',
    eventTime: '2026-03-12T08:00:00Z',
    requestParameters: {
      dBSecurityGroupName: HOSTILE_NAME,
      dBSecurityGroupDescription: `hidden\u202edirection\u009b2J`,
    },
    userIdentity: { ...base.userIdentity, userName: `dana${ESC}]0;owned\u0007` },
  });
  await seedStore([rds, cache, hostile]);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sgwatch alerts list', () => {
  it('prints a table of alerts newest first', async () => {
    const run = await alerts(['list']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TIME\s+SEV\s+CALL/);
    expect(lines.slice(2).map((line) => line.split(/\s+/)[0])).toEqual([
      rds.alertId,
      hostile.alertId,
      cache.alertId,
    ]);
    expect(run.stdout).toContain('CreateCacheSecurityGroup');
  });

  it('prints a JSON array of the stored alerts without their CloudTrail records', async () => {
    const run = await alerts(['list', '--json', '--rule', 'aws.rds.create-db-security-group']);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as TriagedAlert[];
    expect(parsed.map((alert) => alert.alertId)).toEqual([rds.alertId, hostile.alertId]);
    expect(parsed[0]).toMatchObject({ eventId: 'cli-rds', status: 'open', delivery: 'notified' });
    expect(parsed[0]).not.toHaveProperty('cloudTrailEvent');
    expect(parsed[1]?.resource.name).toBe(HOSTILE_NAME);
  });

  it('prints the same alerts one per line with --format jsonl, and as --json does with --format json', async () => {
    const args = ['list', '--rule', 'aws.rds.create-db-security-group'];
    const lines = await alerts([...args, '--format', 'jsonl']);
    const array = await alerts([...args, '--format', 'json']);
    const legacy = await alerts([...args, '--json']);
    expect(lines.code).toBe(0);
    const parsed = lines.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TriagedAlert);
    expect(parsed).toEqual(JSON.parse(array.stdout));
    expect(array.stdout).toBe(legacy.stdout);
    expect(parsed[0]).not.toHaveProperty('cloudTrailEvent');
  });

  it('says so when nothing matches', async () => {
    const run = await alerts(['list', '--severity', 'critical']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^No alerts match in the last 30 days \(the default window\); use --since/,
    );
    const bounded = await alerts(['list', '--severity', 'critical', '--since', '2026-01-01']);
    expect(bounded).toMatchObject({ code: 0, stdout: 'No alerts match.\n' });
  });

  it('narrows by status, account and time window', async () => {
    await alerts(['ack', rds.alertId]);
    const open = await alerts(['list', '--status', 'open', '--json']);
    expect((JSON.parse(open.stdout) as Alert[]).map((a) => a.eventId)).toEqual([
      'cli-hostile',
      'cli-cache',
    ]);
    const recent = await alerts([
      'list',
      '--since',
      '2026-03-11',
      '--until',
      '2026-03-13',
      '--json',
    ]);
    expect((JSON.parse(recent.stdout) as Alert[]).map((a) => a.eventId)).toEqual(['cli-hostile']);
    const none = await alerts(['list', '--account', '999999999999', '--since', '2026-01-01']);
    expect(none.stdout).toBe('No alerts match.\n');
  });

  it('warns on stderr when the limit cuts the list short', async () => {
    const run = await alerts(['list', '--limit', '1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(rds.alertId);
    expect(run.stdout).not.toContain(cache.alertId);
    expect(run.stderr).toMatch(/showing the newest 1/);
  });

  it('rejects bad filter values with exit code 2 before opening the store', async () => {
    for (const args of [
      ['--status', 'closed'],
      ['--severity', 'urgent'],
      ['--limit', '0'],
      ['--limit', '5x'],
      ['--since', 'yesterday'],
      ['--since', '1d', '--until', '2d'],
      ['--region', 'us-east-1'],
      ['--bogus'],
      ['extra'],
    ]) {
      const run = await alerts(['list', ...args]);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/sgwatch alerts --help/);
    }
  });
});

describe('sgwatch alerts list in a terminal', () => {
  // A terminal's width only reaches the CLI through a TTY, which a child process on pipes
  // does not have: these run the CLI in this process with a terminal-shaped stdout.
  function list(args: string[], options: { tty: boolean; columns?: number }) {
    return runCli(['alerts', 'list', ...args], { cwd: dir, now: NOW, ...options });
  }

  function rowOf(stdout: string, alertId: string): string[] {
    return parseTable(stdout).rows.find((row) => row[0] === alertId) ?? [];
  }

  it.each([80, 100, 132])(
    'fits a %i-column terminal, keeping the id and the call whole',
    async (columns) => {
      const run = await list([], { tty: true, columns });

      const table = parseTable(run.stdout);
      expect(Math.max(...table.lines.map(displayWidth))).toBeLessThanOrEqual(columns);
      // The id can be pasted into `show`; the call tells RDS from ElastiCache.
      expect(table.rows.map((row) => row.slice(0, 4))).toEqual([
        [rds.alertId, '03-14 10:00', 'low', 'CreateDBSecurityGroup'],
        [hostile.alertId, '03-12 08:00', 'low', 'CreateDBSecurityGroup'],
        [cache.alertId, '03-10 08:00', 'low', 'CreateCacheSecurityGroup'],
      ]);
      expect(table.headers.slice(0, 4)).toEqual(['ID', '2026 (UTC)', 'SEV', 'CALL']);
    },
  );

  it('leaves out the least useful columns, and says so on stderr, when the rest cannot fit', async () => {
    const run = await list([], { tty: true, columns: 80 });

    expect(parseTable(run.stdout).headers).toEqual([
      'ID',
      '2026 (UTC)',
      'SEV',
      'CALL',
      'PRINCIPAL',
    ]);
    expect(rowOf(run.stdout, rds.alertId)[4]).toBe('dana');
    expect(run.stderr).toBe(
      'sgwatch: left out STATUS, RESULT and 2 more (--wide or --format jsonl shows all)\n',
    );
  });

  it('keeps the id, time, severity and call whole when the terminal is narrower than them', async () => {
    const run = await list([], { tty: true, columns: 60 });

    expect(parseTable(run.stdout).headers).toEqual(['ID', '2026 (UTC)', 'SEV', 'CALL']);
    expect(rowOf(run.stdout, cache.alertId)).toEqual([
      cache.alertId,
      '03-10 08:00',
      'low',
      'CreateCacheSecurityGroup',
    ]);
  });

  it('shows every column whole with --wide, whatever the terminal', async () => {
    const run = await list(['--wide'], { tty: true, columns: 80 });

    expect(run.stdout).not.toContain('…');
    expect(run.stderr).toBe('');
    expect(rowOf(run.stdout, rds.alertId)).toContain(
      rds.principal.replace(/^arn:aws:iam::\d{12}:/, ''),
    );
    expect(Math.max(...run.stdout.split('\n').map((line) => line.length))).toBeGreaterThan(80);
  });

  it('does not fit the table when the output is not a terminal', async () => {
    const piped = await list([], { tty: false, columns: 80 });
    const wide = await list([], { tty: true, columns: 1000 });

    expect(piped.stdout).toBe(wide.stdout);
    expect(Math.max(...piped.stdout.split('\n').map((line) => line.length))).toBeGreaterThan(80);
  });
});

describe('sgwatch alerts show', () => {
  it('prints every field, the caller, links, history and the CloudTrail record', async () => {
    const run = await alerts(['show', rds.alertId]);
    expect(run.code).toBe(0);
    for (const expected of [
      `Alert ${rds.alertId}`,
      'aws.rds.create-db-security-group',
      'CreateDBSecurityGroup from rds.amazonaws.com',
      '2026-03-14T10:00:00.000Z',
      'arn:aws:iam::111122223333:user/dana',
      'iam-user (IAMUser)',
      'AKIAIOSFODNN7EXAMPLE',
      'legacy-reporting',
      'notified at 2026-03-15T12:00:00.000Z (message msg-cli-rds)',
      'Tool:          AWS CLI 2.15.30 [aws-cli]',
      'Source class:  public',
      'Risk:          base 21 (low)',
      'https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/cli-rds',
      '(no status changes yet)',
      'CloudTrail record:',
      '  "eventName": "CreateDBSecurityGroup",',
      '    "dBSecurityGroupArn": "arn:aws:rds:us-east-1:111122223333:secgrp:legacy-reporting"',
    ]) {
      expect(run.stdout).toContain(expected);
    }
  });

  it('prints the stored alert as JSON with --json, CloudTrail record included', async () => {
    const run = await alerts(['show', cache.alertId, '--json']);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout) as TriagedAlert;
    expect(parsed.alertId).toBe(cache.alertId);
    expect(JSON.parse(parsed.cloudTrailEvent)).toEqual(JSON.parse(cache.cloudTrailEvent));
  });

  it('shows what an exposure alert found and what sits behind the group', async () => {
    const exposure = alertFor(EXPOSURE, { eventID: 'cli-exposure' });
    const withLookup: Alert = {
      ...exposure,
      context: {
        ...exposure.context,
        attachment: {
          status: 'rds',
          resources: [`eni-0a1b2c3d amazon-rds: RDSNetworkInterface ${ESC}[2J`],
        },
      },
    };
    await seedStore([withLookup]);
    const run = await alerts(['show', exposure.alertId]);
    expect(run.code).toBe(0);
    expect(exposure.findings?.length).toBeGreaterThan(0);
    for (const finding of exposure.findings ?? []) expect(run.stdout).toContain(`  ${finding}`);
    expect(run.stdout).toMatch(/Findings:\n {2}\S/);
    expect(run.stdout).toMatch(
      /Behind group:\s+rds\n {2}eni-0a1b2c3d amazon-rds: RDSNetworkInterface/,
    );
    expect(run.stdout).not.toContain(ESC);
  });

  it('states the facts the email states, in the same words', async () => {
    // Prepare: an alert with every optional fact, stored as the detector stores it.
    const exposure = alertFor(EXPOSURE, { eventID: 'cli-same-words' });
    const full: Alert = {
      ...exposure,
      error: { code: 'Client.InvalidPermission.Duplicate', message: 'the rule already exists' },
      context: {
        ...exposure.context,
        history: { firstSeen: true, last24h: 0, last7d: 0 },
        attachment: { status: 'rds', resources: ['eni-0a1b2c3d amazon-rds'] },
      },
    };
    await seedStore([full]);
    const detection = CATALOG.find((d) => d.id === full.ruleId);
    if (detection === undefined) throw new Error('no detection for the exposure fixture');

    // Act
    const shown = (await alerts(['show', full.alertId])).stdout;
    const email = renderEmail(full, detection);

    // Assess: every fact, worded once, appears in both.
    const facts = alertFacts(full, (value, max) => cleanText(value, max));
    const stated = [
      facts.severity,
      facts.caller,
      facts.mfa,
      facts.sourceIp,
      facts.userAgent,
      facts.tool,
      facts.account,
      facts.callerHistory,
      facts.call,
      facts.resourceName,
      facts.resourceType,
      facts.description,
      facts.error ?? 'no error',
      facts.eventId,
      ...facts.findings,
      ...facts.riskFactors,
      ...(facts.attachment?.resources ?? []),
    ];
    expect(stated.filter((fact) => !shown.includes(fact))).toEqual([]);
    expect(stated.filter((fact) => !email.includes(fact))).toEqual([]);
    expect(shown).toContain('Caller history: first alert for this principal\n');
  });

  it('shows the triage history after changes', async () => {
    await alerts(['ack', rds.alertId, '--user', 'alice']);
    await alerts(['resolve', rds.alertId, '--note', 'approved in CHG-12', '--user', 'bob']);
    const run = await alerts(['show', rds.alertId]);
    expect(run.stdout).toMatch(/Status:\s+resolved/);
    expect(run.stdout).toMatch(/Changed:\s+by bob at 2026-03-15T12:00:00.000Z \(version 2\)/);
    expect(run.stdout).toMatch(/Note:\s+approved in CHG-12/);
    expect(run.stdout).toContain('2026-03-15T12:00:00.000Z  alice: open -> acknowledged');
    expect(run.stdout).toContain('bob: acknowledged -> resolved  "approved in CHG-12"');
  });

  it('fails with exit code 1 for an unknown id and explains that ids are not prefixes', async () => {
    const unknown = await alerts(['show', '0123456789abcdef0123']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toBe('sgwatch: no alert with id 0123456789abcdef0123\n');
    const prefix = await alerts(['show', rds.alertId.slice(0, 8)]);
    expect(prefix.code).toBe(1);
    expect(prefix.stderr).toMatch(/full 20-character id/);
  });
});

describe('sgwatch alerts ack, resolve and reopen', () => {
  it('prints the alert as it now stands for --format json, and the sentence to stderr', async () => {
    const ack = await alerts(['ack', cache.alertId, '--format', 'json']);
    expect(ack.code).toBe(0);
    const updated = JSON.parse(ack.stdout) as TriagedAlert;
    expect(updated).toMatchObject({ alertId: cache.alertId, status: 'acknowledged' });
    expect(updated).not.toHaveProperty('cloudTrailEvent');
    expect(ack.stderr).toContain(`Alert ${cache.alertId} is now acknowledged`);
    const reopened = await alerts(['reopen', cache.alertId, '--format', 'jsonl']);
    expect(reopened.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(reopened.stdout)).toMatchObject({ status: 'open' });
  });

  it('changes the status and prints a confirmation naming who made the change', async () => {
    const ack = await alerts(['ack', rds.alertId], { SGWATCH_USER: 'alice', USER: 'root' });
    expect(ack.code).toBe(0);
    expect(ack.stdout).toBe(
      `Alert ${rds.alertId} is now acknowledged (was open), changed by alice at 2026-03-15T12:00:00.000Z.\n`,
    );

    const resolve = await alerts(['resolve', rds.alertId, '--note', 'expected change']);
    expect(resolve.code).toBe(0);
    expect(resolve.stdout).toContain('is now resolved (was acknowledged), changed by tester');
    expect(resolve.stdout).toContain('Note: expected change');

    const reopen = await alerts(['reopen', rds.alertId, '--user', 'carol']);
    expect(reopen.code).toBe(0);
    expect(reopen.stdout).toContain('is now open (was resolved), changed by carol');

    const stored = JSON.parse(
      (await alerts(['show', rds.alertId, '--json'])).stdout,
    ) as TriagedAlert;
    expect(stored).toMatchObject({ status: 'open', statusVersion: 3, statusChangedBy: 'carol' });
    expect(stored.history?.map((h) => `${h.from}->${h.to} by ${h.by}`)).toEqual([
      'open->acknowledged by alice',
      'acknowledged->resolved by tester',
      'resolved->open by carol',
    ]);
  });

  it('fails with exit code 2 when resolve has no note, and changes nothing', async () => {
    for (const args of [[], ['--note', '  ']]) {
      const run = await alerts(['resolve', rds.alertId, ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/resolve needs --note/);
    }
    const stored = JSON.parse((await alerts(['show', rds.alertId, '--json'])).stdout) as Alert;
    expect(stored.status).toBe('open');
  });

  it('fails with exit code 2 for a missing id, a note over 2,000 characters or a stray option', async () => {
    expect((await alerts(['ack'])).code).toBe(2);
    expect((await alerts(['ack', rds.alertId, cache.alertId])).code).toBe(2);
    expect((await alerts(['ack', rds.alertId, '--note', 'x'.repeat(2001)])).code).toBe(2);
    expect((await alerts(['ack', rds.alertId, '--since', '1d'])).code).toBe(2);
    expect((await alerts(['frobnicate'])).code).toBe(2);
  });

  it('fails with exit code 1 for an unknown id', async () => {
    const run = await alerts(['ack', 'ffffffffffffffffffff']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe('sgwatch: no alert with id ffffffffffffffffffff\n');
  });

  it('fails with exit code 1 for a change the current status does not allow, suggesting what does', async () => {
    const run = await alerts(['reopen', rds.alertId]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `sgwatch: alert ${rds.alertId} is open, so "reopen" does not apply; from open use sgwatch alerts ack or sgwatch alerts resolve\n`,
    );
  });
});

describe('sgwatch alerts output safety and help', () => {
  it('never prints control characters from event data to the terminal', async () => {
    const list = await alerts(['list']);
    const show = await alerts(['show', hostile.alertId]);
    const json = await alerts(['show', hostile.alertId, '--json']);
    for (const run of [list, show, json]) {
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain(ESC);
      expect(run.stdout).not.toContain('\u0007');
      expect(run.stdout).not.toContain('\u009b');
      expect(run.stdout).not.toContain('\u202e');
    }
    expect(list.stdout).toContain('legacy [31mRED [0m');
    expect(show.stdout).toMatch(/Resource:\s+legacy \[31mRED \[0m \(RDS DB security group\)/);
    // The JSON stays exact: escaped, it parses back to the original hostile value.
    expect((JSON.parse(json.stdout) as Alert).resource).toMatchObject({
      name: HOSTILE_NAME,
      description: 'hidden\u202edirection\u009b2J',
    });
  });

  it('documents every subcommand and option in its help', async () => {
    const run = await alerts(['--help']);
    expect(run).toMatchObject({ code: 0, stdout: ALERTS_HELP });
    for (const word of [
      'list',
      'show <id>',
      'ack <id>',
      'resolve <id> --note TEXT',
      'reopen <id>',
      '--since',
      '--until',
      '--status',
      '--rule',
      '--account',
      '--principal',
      '--severity',
      '--limit',
      '--json',
      '--note',
      '--user',
      '--store',
      '--table',
      '--region',
      '--state-dir',
      'Exit status',
    ]) {
      expect(ALERTS_HELP).toContain(word);
    }
    expect((await alerts(['list', '-h'])).stdout).toBe(ALERTS_HELP);
    expect((await runCli(['help', 'alerts'])).stdout).toBe(ALERTS_HELP);
  });
});
