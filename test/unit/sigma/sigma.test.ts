import { loadSigmaRules, MAX_PATTERN_LENGTH } from '../../../lambda/core/sigma';
import { admitted, compile, errorOf, record, ruleText, verdict } from './helpers';

function rule(detection: string, extra = ''): ReturnType<typeof compile> {
  return compile(ruleText(detection, extra));
}

describe('Sigma values', () => {
  it('compares text case-insensitively and pins the call in the pattern', () => {
    const r = rule(`
  selection:
    eventSource: iam.amazonaws.com
    eventName: createuser
  condition: selection`);
    expect(verdict(r, { eventName: 'CreateUser' })).toBe(true);
    expect(verdict(r, { eventName: 'CreateUsers' })).toBe(false);
    expect(r.patterns.exact).toBe(true);
    expect(r.patterns.patterns).toEqual([
      {
        'detail-type': ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'],
        source: [{ prefix: 'aws.' }],
        detail: {
          eventSource: [{ 'equals-ignore-case': 'iam.amazonaws.com' }],
          eventName: [{ 'equals-ignore-case': 'createuser' }],
        },
      },
    ]);
  });

  it('matches * and ? as wildcards and \\* as a star', () => {
    const r = rule(`
  selection:
    requestParameters.userName: 'adm?n*'
  literal:
    requestParameters.policyName: 'a\\*b'
  condition: selection or literal`);
    expect(verdict(r, { requestParameters: { userName: 'ADMIN-2' } })).toBe(true);
    expect(verdict(r, { requestParameters: { userName: 'admn' } })).toBe(false);
    expect(verdict(r, { requestParameters: { policyName: 'a*b' } })).toBe(true);
    expect(verdict(r, { requestParameters: { policyName: 'axb' } })).toBe(false);
  });

  it('compares numbers and booleans as their text, so a JSON true matches the text true', () => {
    const r = rule(`
  selection:
    requestParameters.publiclyAccessible: 'true'
    requestParameters.port: 5432
  condition: selection`);
    expect(verdict(r, { requestParameters: { publiclyAccessible: true, port: 5432 } })).toBe(true);
    expect(verdict(r, { requestParameters: { publiclyAccessible: 'TRUE', port: '5432' } })).toBe(
      true,
    );
    expect(verdict(r, { requestParameters: { publiclyAccessible: false, port: 5432 } })).toBe(
      false,
    );
  });

  it('keeps the digits of an unquoted whole number as written, leading zeros included', () => {
    const r = rule(`
  selection:
    recipientAccountId: 012345678901
  condition: selection`);
    expect(verdict(r, { recipientAccountId: '012345678901' })).toBe(true);
    expect(verdict(r, { recipientAccountId: '12345678901' })).toBe(false);
  });

  it('matches null on a missing or null field only', () => {
    const r = rule(`
  selection:
    errorCode: null
  condition: selection`);
    expect(verdict(r, {})).toBe(true);
    expect(verdict(r, { errorCode: null })).toBe(true);
    expect(verdict(r, { errorCode: 'AccessDenied' })).toBe(false);
  });

  it('takes a list of values as OR and a map as AND', () => {
    const r = rule(`
  selection:
    eventName:
      - DeleteTrail
      - StopLogging
    eventSource: cloudtrail.amazonaws.com
  condition: selection`);
    expect(verdict(r, { eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com' })).toBe(
      true,
    );
    expect(verdict(r, { eventName: 'StopLogging', eventSource: 'iam.amazonaws.com' })).toBe(false);
    expect(verdict(r, { eventName: 'UpdateTrail', eventSource: 'cloudtrail.amazonaws.com' })).toBe(
      false,
    );
  });

  it('matches a path through an array when any element matches', () => {
    const r = rule(`
  selection:
    requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0
  condition: selection`);
    const permissions = (cidr: string) => ({
      ipPermissions: {
        items: [{ ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }, { cidrIp: cidr }] } }],
      },
    });
    expect(verdict(r, { requestParameters: permissions('0.0.0.0/0') })).toBe(true);
    expect(verdict(r, { requestParameters: permissions('192.0.2.0/24') })).toBe(false);
  });
});

describe('Sigma modifiers', () => {
  it('contains, startswith and endswith anchor the value', () => {
    const r = rule(`
  contains:
    userAgent|contains: TruffleHog
  starts:
    eventName|startswith: Delete
  ends:
    eventSource|endswith: .AMAZONAWS.COM.cn
  condition: 1 of them`);
    expect(verdict(r, { userAgent: 'x trufflehog/3 y' })).toBe(true);
    expect(verdict(r, { eventName: 'deleteBucket' })).toBe(true);
    expect(verdict(r, { eventSource: 's3.amazonaws.com.cn' })).toBe(true);
    expect(verdict(r, { eventName: 'xDelete' })).toBe(false);
  });

  it('takes all with a single value as that value', () => {
    const r = rule(`\n  selection:\n    userAgent|contains|all: boto3\n  condition: selection`);
    expect(verdict(r, { userAgent: 'Boto3/1.34' })).toBe(true);
  });

  it('all requires every value of the list', () => {
    const r = rule(`
  selection:
    userAgent|contains|all:
      - aws-cli
      - S3Browser
  condition: selection`);
    expect(verdict(r, { userAgent: 'S3Browser aws-cli/2' })).toBe(true);
    expect(verdict(r, { userAgent: 'aws-cli/2' })).toBe(false);
  });

  it('re searches case-sensitively, and i, m and s set its flags', () => {
    const r = rule(`
  plain:
    userIdentity.arn|re: ':assumed-role/aws:.+'
  folded:
    userAgent|re|i: '^boto3/[0-9]'
  lines:
    requestParameters.script|re|m: '^curl '
  dots:
    requestParameters.text|re|s: 'a.b'
  condition: 1 of them`);
    expect(verdict(r, { userIdentity: { arn: 'arn:aws:sts::1:assumed-role/aws:x/y' } })).toBe(true);
    expect(verdict(r, { userIdentity: { arn: 'arn:aws:sts::1:ASSUMED-ROLE/aws:x/y' } })).toBe(
      false,
    );
    expect(verdict(r, { userAgent: 'BOTO3/1.2' })).toBe(true);
    expect(verdict(r, { requestParameters: { script: 'echo\ncurl http://x' } })).toBe(true);
    expect(verdict(r, { requestParameters: { text: 'a\nb' } })).toBe(true);
  });

  it('cidr matches addresses inside IPv4 and IPv6 ranges', () => {
    const r = rule(`
  selection:
    sourceIPAddress|cidr:
      - 10.0.0.0/8
      - 2001:db8::/32
  condition: selection`);
    expect(verdict(r, { sourceIPAddress: '10.20.30.40' })).toBe(true);
    expect(verdict(r, { sourceIPAddress: '2001:DB8:0:1::5' })).toBe(true);
    expect(verdict(r, { sourceIPAddress: '11.0.0.1' })).toBe(false);
    expect(verdict(r, { sourceIPAddress: 'ec2.amazonaws.com' })).toBe(false);
  });

  it('exists tests whether the field is there', () => {
    const r = rule(`
  present:
    errorCode|exists: true
  absent:
    requestParameters.mfa|exists: false
  condition: present and absent`);
    expect(verdict(r, { errorCode: 'AccessDenied', requestParameters: {} })).toBe(true);
    expect(verdict(r, { errorCode: 'AccessDenied', requestParameters: { mfa: 'x' } })).toBe(false);
    expect(verdict(r, {})).toBe(false);
  });

  it('fieldref compares with another field of the same record', () => {
    const r = rule(`
  selection:
    eventName: UpdateLoginProfile
  self:
    userIdentity.userName|fieldref: requestParameters.userName
  condition: selection and not self`);
    expect(
      verdict(r, {
        eventName: 'UpdateLoginProfile',
        userIdentity: { userName: 'alice' },
        requestParameters: { userName: 'bob' },
      }),
    ).toBe(true);
    expect(
      verdict(r, {
        eventName: 'UpdateLoginProfile',
        userIdentity: { userName: 'Alice' },
        requestParameters: { userName: 'alice' },
      }),
    ).toBe(false);
  });
});

describe('Sigma conditions', () => {
  const body = `
  sel_a:
    eventName: A
  sel_b:
    eventName: B
  _helper:
    eventName: C`;

  it.each([
    ['sel_a or sel_b', ['A', 'B']],
    ['sel_a and not sel_b', ['A']],
    ['not (sel_a or sel_b)', ['C', 'D']],
    ['1 of sel_*', ['A', 'B']],
    ['all of sel_*', []],
    ['1 of them', ['A', 'B']],
    ['all of them', []],
    ['any of sel_* or _helper', ['A', 'B', 'C']],
  ])('%s', (condition, expected) => {
    const r = rule(`${body}\n  condition: ${condition}`);
    const names = ['A', 'B', 'C', 'D'].filter((name) => verdict(r, { eventName: name }));
    expect(names).toEqual(expected);
  });

  it('leaves identifiers starting with an underscore out of "them"', () => {
    const r = rule(`${body}\n  condition: 1 of them`);
    expect(verdict(r, { eventName: 'C' })).toBe(false);
  });

  it('fires on any condition of a list', () => {
    const r = rule(`${body}\n  condition:\n    - sel_a\n    - _helper`);
    expect(verdict(r, { eventName: 'C' })).toBe(true);
  });
});

describe('Sigma refusals, each naming the file and line', () => {
  it('rejects an unknown modifier by name', () => {
    const text = ruleText(`
  selection:
    requestParameters.data|base64: abc
  condition: selection`);
    expect(errorOf(text)).toBe(
      'rule.yml:9: requestParameters.data: the modifier "base64" is not supported (sgwatch supports contains, startswith, endswith, all, re, i, m, s, cidr, exists, fieldref)',
    );
  });

  it.each([
    ['userAgent|contains|startswith: a', 'contains and startswith cannot be combined'],
    ['userAgent|i: a', 'the modifier "i" needs "re"'],
    ['userAgent|re|contains: a', '"re" cannot be combined with "contains"'],
    ['sourceIPAddress|cidr: 10.0.0.300/8', 'is not a CIDR range'],
    ['errorCode|exists: maybe', 'exists takes true or false'],
    ['errorCode|contains: null', 'a null value takes no modifiers'],
    ['userAgent|cased: a', 'the modifier "cased" is not supported'],
  ])('rejects %s', (line, reason) => {
    const message = errorOf(ruleText(`\n  selection:\n    ${line}\n  condition: selection`));
    expect(message).toMatch(/^rule\.yml:9: /);
    expect(message).toContain(reason);
  });

  it('rejects aggregations', () => {
    expect(
      errorOf(ruleText(`\n  selection:\n    eventName: A\n  condition: selection | count() > 5`)),
    ).toMatch(/^rule\.yml:10: condition: aggregations .* are not supported/);
  });

  it('rejects a timeframe', () => {
    expect(
      errorOf(
        ruleText(`\n  selection:\n    eventName: A\n  timeframe: 5m\n  condition: selection`),
      ),
    ).toMatch(/^rule\.yml:10: timeframe is not supported/);
  });

  it('rejects correlation rules', () => {
    const text = 'title: c\nid: c1\ncorrelation:\n  type: event_count\n  rules: [a]\n';
    expect(errorOf(text)).toMatch(/^rule\.yml:3: correlation rules are not supported/);
  });

  it('rejects keyword searches', () => {
    expect(errorOf(ruleText(`\n  keywords:\n    - evil\n  condition: keywords`))).toMatch(
      /^rule\.yml:9: keywords: keyword searches .* not supported/,
    );
  });

  it('rejects a regular expression RE2 cannot run', () => {
    expect(
      errorOf(ruleText(`\n  selection:\n    userAgent|re: '(a)\\1'\n  condition: selection`)),
    ).toMatch(/^rule\.yml:9: userAgent: the regular expression cannot run on RE2/);
  });

  it('rejects a condition naming an unknown identifier, or "2 of"', () => {
    expect(errorOf(ruleText(`\n  selection:\n    eventName: A\n  condition: selecton`))).toBe(
      'rule.yml:10: condition: "selecton" is not a search identifier of this rule',
    );
    expect(errorOf(ruleText(`\n  selection:\n    eventName: A\n  condition: 2 of sel*`))).toMatch(
      /"2 of" is not supported/,
    );
  });

  it('rejects YAML that does not parse, at its line', () => {
    expect(errorOf('title: x\nid: [unclosed\n')).toMatch(/^rule\.yml:\d+: not valid YAML/);
  });

  it('rejects a rule without an id, and two rules with the same id', () => {
    expect(
      errorOf(ruleText('\n  s:\n    eventName: A\n  condition: s').replace(/^id: .*\n/m, '')),
    ).toMatch(/^rule\.yml:1: the rule has no id/);
    const text = ruleText('\n  s:\n    eventName: A\n  condition: s');
    const load = loadSigmaRules([
      { file: 'a.yml', text },
      { file: 'b.yml', text },
    ]);
    expect(load.compiled).toHaveLength(1);
    expect(load.errors.map((error) => error.message)).toEqual([
      'b.yml:1: id 11111111-2222-3333-4444-555555555555 is also the id of a.yml:1; alerts are keyed by it, so each rule needs its own',
    ]);
  });

  it('skips a rule for another log source, with a note', () => {
    const text = ruleText('\n  s:\n    eventName: A\n  condition: s').replace(
      'service: cloudtrail',
      'service: guardduty',
    );
    const load = loadSigmaRules([{ file: 'g.yml', text }]);
    expect(load.compiled).toHaveLength(0);
    expect(load.errors).toHaveLength(0);
    expect(load.skipped).toEqual([
      expect.objectContaining({
        file: 'g.yml',
        line: 4,
        reason: 'its logsource is aws/guardduty, not aws/cloudtrail',
      }),
    ]);
  });
});

describe('Sigma regular expressions run in linear time', () => {
  it('answers a pattern that backtracking engines take exponential time on', () => {
    const r = rule(`\n  selection:\n    userAgent|re: '^(a|a?)+$'\n  condition: selection`);
    const hostile = `${'a'.repeat(100_000)}!`;
    // A backtracking engine would not return within the test's timeout.
    expect(verdict(r, { userAgent: hostile })).toBe(false);
    expect(verdict(r, { userAgent: 'aaaa' })).toBe(true);
  }, 20_000);

  it('rejects a pattern longer than the bound', () => {
    const long = 'a'.repeat(5000);
    expect(
      errorOf(ruleText(`\n  selection:\n    userAgent|re: '${long}'\n  condition: selection`)),
    ).toMatch(/longer than 4096 characters/);
  });
});

describe('Sigma rules as detections', () => {
  it('carries the rule id, level as severity, tags as ATT&CK and the rule’s own words', () => {
    const r = compile(
      ruleText(
        '\n  s:\n    eventName: StopLogging\n  condition: s',
        'falsepositives:\n  - Planned maintenance\nreferences:\n  - https://example.com/r\ntags:\n  - attack.defense-evasion\n  - attack.t1562.008',
      ).replace('title: Test rule', 'title: Trail stopped\ndescription: A trail was stopped.'),
    );
    expect(r.detection).toMatchObject({
      id: 'sigma.11111111-2222-3333-4444-555555555555',
      pack: 'sigma',
      title: 'Trail stopped',
      description: 'A trail was stopped.',
      severity: 'high',
      calls: [],
      falsePositives: ['Planned maintenance'],
      references: ['https://example.com/r'],
    });
    expect(r.detection.mitre).toEqual([
      {
        tactic: {
          id: 'TA0005',
          name: 'Defense Evasion',
          url: 'https://attack.mitre.org/tactics/TA0005/',
        },
        technique: {
          id: 'T1562',
          name: 'T1562',
          url: 'https://attack.mitre.org/techniques/T1562/',
        },
        subtechnique: {
          id: 'T1562.008',
          name: 'T1562.008',
          url: 'https://attack.mitre.org/techniques/T1562/008/',
        },
      },
    ]);
    expect(r.detection.investigation.length).toBeGreaterThan(0);
    expect(r.detection.response.length).toBeGreaterThan(0);
  });

  it.each([
    ['informational', 'low'],
    ['low', 'low'],
    ['medium', 'medium'],
    ['critical', 'critical'],
  ])('maps level %s to severity %s', (level, severity) => {
    const r = compile(
      ruleText('\n  s:\n    eventName: A\n  condition: s').replace(
        'level: high',
        `level: ${level}`,
      ),
    );
    expect(r.detection.severity).toBe(severity);
  });
});

describe('Sigma patterns', () => {
  it('widens a "not" to the selection it narrows, and says the pattern is a superset', () => {
    const r = rule(`
  selection:
    eventName: StartInstances
  filter:
    userAgent|startswith: terraform
  condition: selection and not filter`);
    expect(r.patterns.exact).toBe(false);
    expect(r.patterns.patterns).toEqual([
      expect.objectContaining({
        detail: { eventName: [{ 'equals-ignore-case': 'StartInstances' }] },
      }),
    ]);
    expect(admitted(r, record({ eventName: 'StartInstances', userAgent: 'terraform/1' }))).toBe(
      true,
    );
  });

  it('admits every CloudTrail event when the rule pins nothing EventBridge can say', () => {
    const r = rule(`\n  selection:\n    userAgent|contains: trufflehog\n  condition: selection`);
    expect(r.patterns.patterns).toEqual([
      {
        'detail-type': ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'],
        source: [{ prefix: 'aws.' }],
      },
    ]);
    expect(r.scope.eventNames).toBeUndefined();
    expect(r.scope.readOnly).toBe(true);
  });

  it('uses wildcard for values without letters and prefix for cidr ranges', () => {
    const r = rule(`
  a:
    eventName: X
    sourceIPAddress: '10.*.0.?'
  b:
    eventName: Y
    sourceIPAddress|cidr: 192.168.0.0/16
  condition: a or b`);
    expect(r.patterns.patterns[0]?.detail).toEqual({
      $or: [
        { eventName: [{ 'equals-ignore-case': 'X' }], sourceIPAddress: [{ wildcard: '10.*.0.*' }] },
        { eventName: [{ 'equals-ignore-case': 'Y' }], sourceIPAddress: [{ prefix: '192.168.' }] },
      ],
    });
  });

  it('splits the patterns of a large rule, each within EventBridge’s limit', () => {
    const names = Array.from({ length: 120 }, (_, i) => `    - Operation${i}Name`).join('\n');
    const sources = Array.from(
      { length: 40 },
      (_, i) => `s${i}:\n    eventSource: svc${i}.amazonaws.com\n    eventName: Do${i}Thing`,
    ).join('\n  ');
    const r = rule(`\n  big:\n    eventName:\n${names}\n  ${sources}\n  condition: 1 of them`);
    expect(r.patterns.patterns.length).toBeGreaterThan(1);
    for (const pattern of r.patterns.patterns) {
      expect(JSON.stringify(pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
    }
    expect(verdict(r, { eventName: 'operation77name' })).toBe(true);
    expect(verdict(r, { eventSource: 'svc39.amazonaws.com', eventName: 'Do39Thing' })).toBe(true);
  });

  it('keeps the narrowest part of a conjunction whose expansion grows too large', () => {
    const alternatives = (field: string) =>
      Array.from({ length: 5 }, (_, i) => `    - ${field}: v${i}`).join('\n');
    const r = rule(`
  a:
${alternatives('eventName')}
  b:
${alternatives('userAgent')}
  c:
${alternatives('sourceIPAddress')}
  condition: a and b and c`);
    expect(r.patterns.exact).toBe(false);
    expect(verdict(r, { eventName: 'V3', userAgent: 'v1', sourceIPAddress: 'v4' })).toBe(true);
    expect(verdict(r, { eventName: 'v3', userAgent: 'v9', sourceIPAddress: 'v4' })).toBe(false);
    expect(admitted(r, record({ eventName: 'v9' }))).toBe(false);
  });

  it('says null as a missing field or null, and leaves fieldref and exists: true to the detector', () => {
    const r = rule(`
  selection:
    eventName: X
    errorCode: null
    userIdentity.userName|fieldref: requestParameters.userName
    responseElements|exists: true
  condition: selection`);
    // `exists` is kept apart from other matchers, each in a branch of its own.
    expect(r.patterns.patterns[0]?.detail).toEqual({
      $or: [
        { eventName: [{ 'equals-ignore-case': 'X' }], errorCode: [{ exists: false }] },
        { eventName: [{ 'equals-ignore-case': 'X' }], errorCode: [null] },
      ],
    });
  });

  it('flags rules that can match read-only calls, and only those', () => {
    const readOnly = rule(
      `\n  s:\n    eventName:\n      - GetSecretValue\n      - PutSecretValue\n  condition: s`,
    );
    expect(readOnly.scope.readOnly).toBe(true);
    const writes = rule(`\n  s:\n    eventName|startswith: Delete\n  condition: s`);
    expect(writes.scope.readOnly).toBe(false);
    const declared = rule(`\n  s:\n    readOnly: false\n    userAgent|contains: x\n  condition: s`);
    expect(declared.scope.readOnly).toBe(false);
  });
});
