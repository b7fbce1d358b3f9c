/**
 * Every boundary (the configuration file, CDK context, the detector's environment, events)
 * refuses input of the wrong type, with stray keys, wrong deep inside, or of absurd size,
 * with a one-line message that names where the problem is and stays short whatever the
 * input's size.
 */
import { InvalidEventError, validateEnvelope } from '../../lambda/core/cloudtrail';
import { parsePolicy, PolicyError } from '../../lambda/core/policy-file';
import { readInvocation } from '../../lambda/core/routing';
import { ConfigurationError, readEnvironment } from '../../lambda/env';
import { ConfigError, parseConfig } from '../../lib/config';
import type { Json } from '../support/policy-json';
import { exceptionJson } from '../support/policy-json';

const LEGACY_GROUPS = { groupName: 'legacy-*' };

/** Long enough that an error quoting it whole would be unusable. */
const HUGE = 1 << 20;
const MAX_MESSAGE = 400;

function thrownBy(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

describe('a hostile configuration file', () => {
  const CI = 'exceptions[0] ("ci-pipeline")';

  it.each<[string, unknown, string]>([
    ['a section of the wrong type', { accounts: 'payments' }, 'accounts: must be an object'],
    ['an exception of the wrong type', { exceptions: [42] }, 'exceptions[0]: must be an object'],
    [
      'a stray key deep in a window',
      {
        exceptions: [
          exceptionJson({ window: { days: ['tue'], fromUtc: '20:00', untilUtc: '23:00', tz: 1 } }),
        ],
      },
      `${CI}.match.window.tz: unknown key`,
    ],
    [
      'a wrong type inside a list inside the match',
      { exceptions: [exceptionJson({ userAgentClass: ['sdk', 7] })] },
      `${CI}.match.userAgentClass[1]: number is not a known user agent class`,
    ],
    [
      'a number where an account name belongs',
      { accounts: { '111122223333': { name: 1, environment: 'prod' } } },
      'accounts["111122223333"].name: must be a string, got number',
    ],
    [
      'an owner of a megabyte',
      { exceptions: [exceptionJson(LEGACY_GROUPS, { owner: 'o'.repeat(HUGE) })] },
      `${CI}.owner: must be at most 256 characters, got ${HUGE}`,
    ],
    [
      'an id of a megabyte, named in the path only in part',
      { exceptions: [exceptionJson(LEGACY_GROUPS, { id: 'i'.repeat(HUGE) })] },
      `exceptions[0] ("${'i'.repeat(79)}…").id: must be at most 256 characters`,
    ],
    ['a key of a megabyte', { ['k'.repeat(HUGE)]: true }, `["${'k'.repeat(79)}…"]: unknown key`],
    [
      'a glob of a megabyte',
      { iacRoles: ['arn:aws:iam::*:role/'.padEnd(HUGE, 'x')] },
      'iacRoles[0]: must be at most 2048 characters',
    ],
    [
      'an object nested ten thousand deep where settings belong',
      { burst: nested(10_000) },
      'burst.a: unknown key',
    ],
    [
      'a __proto__ key, as JSON.parse makes one',
      JSON.parse('{"__proto__": {"polluted": true}}'),
      '__proto__: unknown key',
    ],
  ])('rejects %s, naming the path', (_name, input, start) => {
    const error = thrownBy(() => parsePolicy(input));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error.message.startsWith(start)).toBe(true);
    expect(error.message.length).toBeLessThan(MAX_MESSAGE);
    expect(error.message).not.toContain('\n');
  });
});

describe('hostile CDK context', () => {
  it.each<[string, Json, string]>([
    ['an object where emails belong', { alertEmails: { to: 'a@example.com' } }, 'alertEmails'],
    ['a list inside a list of Regions', { regions: ['eu-west-1', ['us-east-1']] }, 'regions'],
    [
      'an object where a number belongs',
      { cloudTrailBucket: 'acme-trail', huntMaxScanGb: { gb: 1 } },
      'huntMaxScanGb',
    ],
    [
      'a number where a Slack id belongs',
      { slackWorkspaceId: 42, slackChannelId: 'C0123ABCD' },
      'slackWorkspaceId',
    ],
    [
      'an organization id of a megabyte',
      { organizationId: `o-${'a'.repeat(HUGE)}` },
      'organizationId',
    ],
    ['a list of a megabyte of commas', { spokeAccounts: ','.repeat(HUGE) + 'x' }, 'spokeAccounts'],
  ])('rejects %s, naming the key', (_name, context, key) => {
    const error = thrownBy(() => parseConfig(context));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect(error.message.startsWith(`Invalid CDK context "${key}": `)).toBe(true);
    expect(error.message.length).toBeLessThan(MAX_MESSAGE);
  });
});

describe('a hostile detector environment', () => {
  const REQUIRED = {
    ALERT_TABLE_NAME: 'alerts',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:t',
  };

  it.each<[string, NodeJS.ProcessEnv, string]>([
    [
      'a blank table name',
      { ...REQUIRED, ALERT_TABLE_NAME: '   ' },
      'ALERT_TABLE_NAME is required',
    ],
    [
      'a retention of a megabyte of digits',
      { ...REQUIRED, ALERT_RETENTION_DAYS: `${'9'.repeat(HUGE)}x` },
      'ALERT_RETENTION_DAYS must be a positive integer',
    ],
    [
      'a log level of a megabyte',
      { ...REQUIRED, LOG_LEVEL: 'x'.repeat(HUGE) },
      'LOG_LEVEL must be info, warn, error or silent',
    ],
    [
      'an unknown detection pack',
      { ...REQUIRED, SGWATCH_DETECTIONS: 'everything' },
      'SGWATCH_DETECTIONS must be seed, exposure, exfiltration, all, got "everything"',
    ],
    [
      'a fractional claim',
      { ...REQUIRED, DELIVERY_CLAIM_SECONDS: '4.5' },
      'DELIVERY_CLAIM_SECONDS must be a positive integer, got "4.5"',
    ],
  ])('rejects %s, naming the variable', (_name, env, detail) => {
    const error = thrownBy(() => readEnvironment(env));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message.startsWith(`environment variable ${detail}`)).toBe(true);
    expect(error.message.length).toBeLessThan(MAX_MESSAGE);
  });
});

describe('a hostile event', () => {
  /** A valid event, with `detail` and `envelope` fields replaced. */
  function event(detail: Json = {}, envelope: Json = {}): Json {
    return {
      version: '0',
      id: 'c0e3b2a4-8f7e-4d1a-9b6c-2f5e8d7a1b3c',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.rds',
      account: '111122223333',
      time: '2026-03-02T10:00:00Z',
      region: 'us-east-1',
      detail: {
        eventID: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
        eventTime: '2026-03-02T10:00:00Z',
        eventSource: 'rds.amazonaws.com',
        eventName: 'CreateDBSecurityGroup',
        awsRegion: 'us-east-1',
        userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice' },
        requestParameters: { dBSecurityGroupName: 'legacy' },
        ...detail,
      },
      ...envelope,
    };
  }

  it('accepts the event these cases start from', () => {
    expect(validateEnvelope(event()).detail.eventName).toBe('CreateDBSecurityGroup');
  });

  it.each<[string, () => unknown, string]>([
    [
      'a detail-type that is a number',
      () => validateEnvelope(event({}, { 'detail-type': 7 })),
      'detail-type must be a string, got number',
    ],
    [
      'a detail that is a list',
      () => validateEnvelope(event({}, { detail: [] })),
      'detail must be an object',
    ],
    [
      'a userIdentity that is a list',
      () => validateEnvelope(event({ userIdentity: [] })),
      'detail.userIdentity must be an object',
    ],
    [
      'a session issuer that is a list',
      () =>
        validateEnvelope(
          event({ userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: [] } } }),
        ),
      'detail.userIdentity.sessionContext.sessionIssuer must be an object or null',
    ],
    [
      'a routed detection id of a megabyte',
      () => readInvocation({ detection: 'd'.repeat(HUGE), event: event() }),
      'detection must be a detection id (1 to 256 characters)',
    ],
    [
      'a key of a megabyte where nesting goes too deep',
      () => validateEnvelope(event({ requestParameters: { ['k'.repeat(HUGE)]: nested(200) } })),
      `detail.requestParameters.${'k'.repeat(99)}… nests deeper than 100 levels`,
    ],
  ])('rejects %s, naming the field', (_name, act, detail) => {
    const error = thrownBy(act);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.message).toBe(`invalid event: ${detail}`);
  });
});
