import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Alert } from '../../lambda/core/alert';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { runCli } from '../support/cli';
import { loadRecord } from '../support/fixtures';

const RULES = join(__dirname, '..', 'fixtures', 'sigma', 'rules');
const BROKEN = join(__dirname, '..', 'fixtures', 'sigma', 'broken');
const RDS =
  'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json';

const TRAIL_STOPPED = 'sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b';
const PUBLIC_DB = 'sigma.8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d';
const SECRETS = 'sigma.2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-sigma-replay-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function call(eventID: string, fields: Partial<CloudTrailRecord>): CloudTrailRecord {
  return { ...loadRecord(RDS), eventID, ...fields };
}

const stopLogging = call('00000000-0000-4000-8000-000000000001', {
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'StopLogging',
  requestParameters: { name: 'main' },
});
// Sigma compares names in any case, so the prefilter must not pass over this one.
const stopLoggingLowerCase = call('00000000-0000-4000-8000-000000000002', {
  eventSource: 'cloudtrail.amazonaws.com',
  eventName: 'stoplogging',
  requestParameters: { name: 'main' },
});
const publicByHand = call('00000000-0000-4000-8000-000000000003', {
  eventSource: 'rds.amazonaws.com',
  eventName: 'ModifyDBInstance',
  userAgent: 'console.amazonaws.com',
  requestParameters: { dBInstanceIdentifier: 'db1', publiclyAccessible: true },
});
const publicByPipeline = call('00000000-0000-4000-8000-000000000004', {
  eventSource: 'rds.amazonaws.com',
  eventName: 'ModifyDBInstance',
  userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.0',
  requestParameters: { dBInstanceIdentifier: 'db2', publiclyAccessible: true },
});
const listedFromOutside = call('00000000-0000-4000-8000-000000000005', {
  eventSource: 'secretsmanager.amazonaws.com',
  eventName: 'ListSecrets',
  sourceIPAddress: '203.0.113.9',
  requestParameters: null,
});
const readFromInside = call('00000000-0000-4000-8000-000000000006', {
  eventSource: 'secretsmanager.amazonaws.com',
  eventName: 'GetSecretValue',
  sourceIPAddress: '10.1.2.3',
  requestParameters: { secretId: 'db' },
});
const builtIn = call('00000000-0000-4000-8000-000000000007', {});

function writeTrail(name: string, records: CloudTrailRecord[]): void {
  const path = join(dir, 'logs', name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, gzipSync(JSON.stringify({ Records: records })));
}

async function replay(args: string[]) {
  const run = await runCli(['replay', '--store', 'memory', '--format', 'jsonl', ...args], {
    cwd: dir,
  });
  const alerts = run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Alert);
  return { ...run, alerts };
}

function pairs(alerts: readonly Alert[]): string[] {
  return alerts.map((alert) => `${alert.ruleId} ${alert.eventId.slice(-1)}`).sort();
}

describe('sgwatch replay --sigma', () => {
  beforeEach(() => {
    writeTrail('a.json.gz', [stopLogging, publicByHand, publicByPipeline, builtIn]);
    writeTrail('b.json.gz', [stopLoggingLowerCase, listedFromOutside, readFromInside]);
  });

  it('runs the rules beside the built-in detections, through the same core', async () => {
    const run = await replay(['--sigma', RULES, 'logs']);
    expect(run.stderr).toMatch(/alerts 7 = /);
    expect(run.code).toBe(0);
    expect(pairs(run.alerts)).toEqual(
      [
        `${TRAIL_STOPPED} 1`,
        `${TRAIL_STOPPED} 2`,
        `${PUBLIC_DB} 3`,
        `${SECRETS} 5`,
        'aws.rds.create-db-security-group 7',
        'aws.rds.instance-made-public 3',
        'aws.rds.instance-made-public 4',
      ].sort(),
    );
    const sigmaAlert = run.alerts.find((alert) => alert.ruleId === SECRETS);
    expect(sigmaAlert).toMatchObject({
      ruleTitle: 'Secrets listed from outside the corporate network',
      severity: 'low',
      eventName: 'ListSecrets',
      outcome: 'success',
    });
  });

  it('runs only the rules with --no-builtin, on several scan threads alike', async () => {
    const one = await replay(['--sigma', RULES, '--no-builtin', 'logs']);
    const two = await replay(['--sigma', RULES, '--no-builtin', '--workers', '2', 'logs']);
    expect(one.code).toBe(0);
    expect(pairs(one.alerts)).toEqual(
      [`${TRAIL_STOPPED} 1`, `${TRAIL_STOPPED} 2`, `${PUBLIC_DB} 3`, `${SECRETS} 5`].sort(),
    );
    expect(pairs(two.alerts)).toEqual(pairs(one.alerts));
  }, 60_000);

  it('reads every record when a rule does not pin eventName', async () => {
    const rule = join(dir, 'any-call.yml');
    writeFileSync(
      rule,
      [
        'title: Calls from the documentation range',
        'id: any-call-from-test-net',
        'logsource: {product: aws, service: cloudtrail}',
        'detection:',
        '  selection:',
        '    sourceIPAddress|cidr: 203.0.113.0/24',
        '  condition: selection',
        'level: low',
      ].join('\n'),
    );
    const run = await replay(['--sigma', rule, '--no-builtin', 'logs']);
    expect(run.code).toBe(0);
    expect(pairs(run.alerts)).toEqual(
      ['1', '2', '3', '4', '5', '7'].map((id) => `sigma.any-call-from-test-net ${id}`),
    );
  });

  it('rejects rules that do not load, naming the file and line, as a usage error', async () => {
    const run = await replay(['--sigma', BROKEN, 'logs']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--sigma: 2 Sigma rules did not load: .*counting\.yml:10: condition: aggregations/,
    );
  });

  it('rejects --no-builtin without rules', async () => {
    const run = await replay(['--no-builtin', 'logs']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--no-builtin leaves nothing to run without --sigma PATH');
  });
});

describe('sgwatch hunt --sigma', () => {
  it('prints a query covering the rules, and only them with --no-builtin', async () => {
    const run = await runCli([
      'hunt',
      '--since',
      '2026-03-01',
      '--until',
      '2026-03-02',
      '--database',
      'trail_db',
      '--table',
      'trail',
      '--print-sql',
      '--sigma',
      RULES,
      '--no-builtin',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("lower(eventname) IN ('deletetrail', 'stoplogging')");
    expect(run.stdout).toContain("OR lower(eventsource) IN ('rds.amazonaws.com')");
    expect(run.stdout).not.toContain('CreateDBSecurityGroup');
  });
});
