import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigmaRules, MAX_PATTERN_LENGTH } from '../../../lambda/core/sigma';
import { matchesPattern } from '../../support/event-pattern';
import { admitted, envelope, record } from './helpers';

const FOLDER = join(__dirname, '..', '..', 'fixtures', 'sigma', 'sigmahq');
const sources = readdirSync(FOLDER)
  .filter((name) => name.endsWith('.yml'))
  .sort()
  .map((name) => ({ file: name, text: readFileSync(join(FOLDER, name), 'utf8') }));

describe('the SigmaHQ CloudTrail rules', () => {
  const load = loadSigmaRules(sources);

  it('all load and compile, none skipped', () => {
    expect(sources.length).toBeGreaterThanOrEqual(50);
    expect(load.errors.map((error) => error.message)).toEqual([]);
    expect(load.skipped).toEqual([]);
    expect(load.compiled).toHaveLength(sources.length);
  });

  it.each(load.compiled.map((c) => [c.rule.file, c] as const))(
    '%s deploys valid patterns within EventBridge’s limit',
    (_file, compiled) => {
      expect(compiled.detection.id).toBe(`sigma.${compiled.rule.id}`);
      expect(compiled.patterns.patterns.length).toBeGreaterThan(0);
      for (const pattern of compiled.patterns.patterns) {
        expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
        // The matcher refuses a pattern EventBridge would refuse, or one it cannot read.
        expect(typeof matchesPattern(pattern, envelope(record({})))).toBe('boolean');
      }
    },
  );

  it('pins the call where the rule does, and flags read-only rules', () => {
    const byFile = new Map(load.compiled.map((c) => [c.rule.file, c]));
    const trail = byFile.get('aws_cloudtrail_disable_logging.yml');
    expect(trail?.scope.eventNames).toEqual(['StopLogging', 'UpdateTrail', 'DeleteTrail']);
    expect(trail?.scope.readOnly).toBe(false);
    expect(trail?.patterns.exact).toBe(true);
    const buckets = byFile.get('aws_enum_buckets.yml');
    expect(buckets?.scope.readOnly).toBe(true);
  });
});

describe('SigmaHQ rules on CloudTrail records', () => {
  const byFile = new Map(loadSigmaRules(sources).compiled.map((c) => [c.rule.file, c]));

  it.each([
    [
      'aws_cloudtrail_security_group_change_ingress_egress.yml',
      { eventSource: 'ec2.amazonaws.com', eventName: 'AuthorizeSecurityGroupIngress' },
      { eventSource: 'ec2.amazonaws.com', eventName: 'DescribeSecurityGroups' },
    ],
    [
      'aws_iam_s3browser_user_or_accesskey_creation.yml',
      { eventName: 'CreateAccessKey', userAgent: 'S3 Browser 11.5.7 https://s3browser.com' },
      { eventName: 'CreateAccessKey', userAgent: 'aws-cli/2.15.0' },
    ],
    [
      'aws_cloudtrail_imds_malicious_usage.yml',
      {
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        userIdentity: { arn: 'arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc' },
      },
      {
        eventSource: 'ssm.amazonaws.com',
        eventName: 'UpdateInstanceInformation',
        userIdentity: { arn: 'arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc' },
      },
    ],
    [
      'aws_sts_getsessiontoken_misuse.yml',
      {
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetSessionToken',
        userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
      },
      {
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetSessionToken',
        userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/r/s' },
      },
    ],
    [
      'aws_cloudtrail_console_login_success_without_mfa.yml',
      {
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        additionalEventData: { MFAUsed: 'No' },
        responseElements: { ConsoleLogin: 'Success' },
      },
      {
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        additionalEventData: { MFAUsed: 'Yes' },
        responseElements: { ConsoleLogin: 'Success' },
      },
    ],
  ])('%s fires on its call, admitted by its pattern, and not on a near miss', (file, hit, miss) => {
    const compiled = byFile.get(file);
    if (compiled === undefined) throw new Error(`${file} did not load`);
    const matches = compiled.detection.condition?.matches;
    expect(matches?.(record(hit))).toBe(true);
    expect(admitted(compiled, record(hit))).toBe(true);
    expect(matches?.(record(miss))).toBe(false);
  });
});
