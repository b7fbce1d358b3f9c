import type { SigmaCompilation } from '../../../lambda/core/sigma';
import { loadSigmaRules } from '../../../lambda/core/sigma';
import type { CloudTrailRecord } from '../../../lambda/core/cloudtrail';
import { matchesPattern } from '../../support/event-pattern';

/** A rule file around a detection block (indented YAML, without the `detection:` line). */
export function ruleText(detection: string, extra = ''): string {
  return [
    'title: Test rule',
    'id: 11111111-2222-3333-4444-555555555555',
    'level: high',
    'logsource:',
    '  product: aws',
    '  service: cloudtrail',
    'detection:',
    detection.replace(/^\n/, '').trimEnd(),
    extra,
  ].join('\n');
}

/** Compiles one rule; fails the test with the reason when it does not load. */
export function compile(text: string, file = 'rule.yml'): SigmaCompilation {
  const load = loadSigmaRules([{ file, text }]);
  const [error] = load.errors;
  if (error !== undefined) throw new Error(error.message);
  const [compiled] = load.compiled;
  if (compiled === undefined) throw new Error('no rule compiled');
  return compiled;
}

/** The one error a rule text gives. */
export function errorOf(text: string, file = 'rule.yml'): string {
  const load = loadSigmaRules([{ file, text }]);
  const [error] = load.errors;
  if (error === undefined) throw new Error('the rule loaded');
  return error.message;
}

export function record(fields: Record<string, unknown>): CloudTrailRecord {
  return {
    eventVersion: '1.08',
    eventTime: '2026-03-01T12:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2',
    eventID: '00000000-0000-0000-0000-000000000001',
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
    ...fields,
  };
}

export function envelope(detail: unknown): Record<string, unknown> {
  return {
    version: '0',
    id: 'e',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account: '111122223333',
    time: '2026-03-01T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** Whether any of the compiled rule's patterns admits the record. */
export function admitted(compiled: SigmaCompilation, detail: unknown): boolean {
  return compiled.patterns.patterns.some((pattern) => matchesPattern(pattern, envelope(detail)));
}

/** The rule's verdict on a record, checking that its patterns admit every match. */
export function verdict(compiled: SigmaCompilation, detail: Record<string, unknown>): boolean {
  const matched = compiled.detection.condition?.matches(record(detail)) ?? false;
  if (matched && !admitted(compiled, record(detail))) {
    throw new Error(`the patterns drop a match: ${JSON.stringify(compiled.patterns.patterns)}`);
  }
  return matched;
}
