import { join } from 'node:path';
import { runCli } from '../support/cli';

const ROOT = join(__dirname, '..', '..');
const RULES = 'test/fixtures/sigma/rules';
const BROKEN = 'test/fixtures/sigma/broken';

describe('sgwatch sigma check', () => {
  it('shows each rule’s id, level, patterns, exactness, what it admits and the read-only warning', async () => {
    const run = await runCli(['sigma', 'check', RULES], { cwd: ROOT });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'sigma.5b1e3f0a-7c2d-4e8f-9a6b-1c2d3e4f5a6b  CloudTrail logging stopped or trail deleted',
    );
    expect(run.stdout).toContain('  file:      test/fixtures/sigma/rules/trail-stopped.yml:1');
    expect(run.stdout).toContain('  level:     high (severity high)');
    expect(run.stdout).toContain('  pattern:   exact, 1 EventBridge rule');
    expect(run.stdout).toContain('"eventName":[{"equals-ignore-case":"StopLogging"}');
    expect(run.stdout).toContain(
      '  pattern:   superset (the detector narrows it to the rule), 1 EventBridge rule',
    );
    expect(run.stdout).toContain('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(run.stdout).toMatch(
      /skipped test\/fixtures\/sigma\/rules\/enumeration\.yaml:\d+ "A Windows rule in the same folder": its logsource is windows/,
    );
    expect(run.stdout).toContain('3 of 3 rules loaded, 1 skipped (not CloudTrail)');
  });

  it('says when EventBridge lets every management event through', async () => {
    const run = await runCli(
      ['sigma', 'check', 'test/fixtures/sigma/sigmahq/aws_cloudtrail_imds_malicious_usage.yml'],
      { cwd: ROOT },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('every management event of every service');
  });

  it('fails with file:line: reason for each rule that does not load, and no stack trace', async () => {
    const run = await runCli(['sigma', 'check', BROKEN, `${RULES}/trail-stopped.yml`], {
      cwd: ROOT,
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'test/fixtures/sigma/broken/counting.yml:10: condition: aggregations (| count(), | min() ...) are not supported: sgwatch alerts on each event, without counting events',
      'test/fixtures/sigma/broken/encoded.yml:9: requestParameters.userData: the modifier "base64offset" is not supported (sgwatch supports contains, startswith, endswith, all, re, i, m, s, cidr, exists, fieldref)',
    ]);
    expect(run.stdout).toContain('1 of 3 rules loaded, 2 did not load');
  });

  it('writes one JSON document with --format json', async () => {
    const run = await runCli(['sigma', 'check', '--format', 'json', RULES, BROKEN], {
      cwd: ROOT,
    });
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.rules).toHaveLength(3);
    expect(report.rules[0]).toMatchObject({
      id: 'sigma.2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
      level: 'low',
      exact: false,
      readOnly: true,
    });
    expect(report.errors).toEqual([
      expect.objectContaining({ file: 'test/fixtures/sigma/broken/counting.yml', line: 10 }),
      expect.objectContaining({ file: 'test/fixtures/sigma/broken/encoded.yml', line: 9 }),
    ]);
    expect(report.skipped).toHaveLength(1);
  });

  it.each([
    [['sigma'], 'sigma needs a subcommand'],
    [['sigma', 'lint', RULES], 'unknown sigma subcommand "lint"'],
    [['sigma', 'check'], 'sigma check needs at least one file or folder'],
    [['sigma', 'check', 'no/such/folder'], 'cannot read Sigma rules at no/such/folder: ENOENT'],
    [
      ['sigma', 'check', '--format', 'xml', RULES],
      '--format must be table, json or jsonl; got "xml"',
    ],
  ])('rejects %j as a usage error (exit 2)', async (argv, says) => {
    const run = await runCli(argv, { cwd: ROOT });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(says);
    expect(run.stderr).toContain('(see "sgwatch sigma --help")');
  });

  it('has help of its own, also under "sgwatch help sigma"', async () => {
    const direct = await runCli(['sigma', '--help']);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('Usage: sgwatch sigma check');
    expect((await runCli(['help', 'sigma'])).stdout).toBe(direct.stdout);
    expect((await runCli(['--help'])).stdout).toContain('sigma check <path>...');
  });
});
