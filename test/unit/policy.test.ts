import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOG } from '../../lambda/core/catalog';
import type { ExceptionFacts, ExceptionMatch, Policy } from '../../lambda/core/policy';
import {
  compileGlob,
  DEFAULT_POLICY,
  expiredExceptions,
  findException,
  forHistory,
  isIacRole,
  serializePolicy,
} from '../../lambda/core/policy';
import { parsePolicy, PolicyError } from '../../lambda/core/policy-file';
import { ConfigurationError } from '../../lambda/env';
import { readPolicy } from '../../lambda/policy-loader';
import type { Json } from '../support/policy-json';
import { exceptionJson as exceptionEntry } from '../support/policy-json';

const RDS = 'aws.rds.create-db-security-group';
const ELASTICACHE = 'aws.elasticache.create-cache-security-group';
const FAILED = 'aws.legacy-security-group.create-failed';

const REPO_CONFIG = join(__dirname, '..', '..', 'sgwatch.config.json');

/** A day well before every expiry used below. */
const NOW = new Date('2026-11-22T12:00:00Z');

/** A Terraform pipeline session creating an RDS group in prod on Tuesday 24 November 2026. */
const FACTS: ExceptionFacts = {
  ruleId: RDS,
  principalArn: 'arn:aws:sts::111122223333:assumed-role/terraform-ci/run-42',
  roleArn: 'arn:aws:iam::111122223333:role/terraform-ci',
  userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io)',
  userAgentKind: 'terraform',
  account: '111122223333',
  groupName: 'legacy-reporting-db',
  eventTime: new Date('2026-11-24T21:30:00Z'),
};

function exceptionJson(id: string, match: Json, extra: Json = {}): Json {
  return exceptionEntry(match, { id, ...extra });
}

/** A policy holding one exception, built through parsePolicy as a real file would be. */
function policyMatching(match: Json): Policy {
  return parsePolicy({ exceptions: [exceptionJson('under-test', match)] });
}

function matchedId(policy: Policy, facts: Partial<ExceptionFacts> = {}, now = NOW) {
  return findException(policy, { ...FACTS, ...facts }, now)?.id;
}

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

function tmpFile(name: string, content: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sgwatch-policy-'));
  tmpDirs.push(dir);
  const file = join(dir, name);
  writeFileSync(file, content);
  return { dir, file };
}

describe('findException criteria', () => {
  it.each<{ name: string; match: ExceptionMatch; facts?: Partial<ExceptionFacts>; hit: boolean }>([
    {
      name: 'matches a principal ARN written out in full',
      match: { principalArn: FACTS.principalArn },
      hit: true,
    },
    {
      name: 'does not match a different principal ARN',
      match: { principalArn: 'arn:aws:sts::111122223333:assumed-role/terraform-ci/run-43' },
      hit: false,
    },
    {
      name: 'matches a role glob against the role a session was issued from',
      match: { principalArn: 'arn:aws:iam::*:role/terraform-*' },
      hit: true,
    },
    {
      name: 'does not match a role glob when the caller has no role',
      match: { principalArn: 'arn:aws:iam::*:role/terraform-*' },
      facts: { principalArn: 'arn:aws:iam::111122223333:user/terraform-ci', roleArn: undefined },
      hit: false,
    },
    {
      name: 'matches a glob with a star in the middle',
      match: { principalArn: 'arn:aws:iam::111122223333:role/*-ci' },
      hit: true,
    },
    {
      name: 'treats globs as case-sensitive',
      match: { principalArn: 'arn:aws:iam::*:role/Terraform-*' },
      hit: false,
    },
    {
      name: 'anchors globs at the start of the text',
      match: { principalArn: 'role/terraform-*' },
      hit: false,
    },
    {
      name: 'anchors globs at the end of the text',
      match: { principalArn: 'arn:aws:iam::111122223333:role/terraform' },
      hit: false,
    },
    {
      name: 'matches a listed user agent class',
      match: { userAgentClass: ['terraform'] },
      hit: true,
    },
    {
      name: 'does not match an unlisted user agent class',
      match: { userAgentClass: ['console', 'cloudformation'] },
      hit: false,
    },
    {
      name: 'matches a user agent glob',
      match: { userAgent: '*HashiCorp/1.0 Terraform/1.8.*' },
      hit: true,
    },
    {
      name: 'does not match a user agent glob for another version',
      match: { userAgent: '*Terraform/1.9.*' },
      hit: false,
    },
    {
      name: 'matches a listed account',
      match: { accounts: ['444455556666', '111122223333'] },
      hit: true,
    },
    {
      name: 'does not match an unlisted account',
      match: { accounts: ['444455556666'] },
      hit: false,
    },
    { name: 'matches a group name glob', match: { groupName: 'legacy-*' }, hit: true },
    { name: 'does not match another group name', match: { groupName: 'sandbox-*' }, hit: false },
    {
      name: 'takes regular-expression characters in a glob literally',
      match: { groupName: 'legacy.*' },
      hit: false,
    },
    {
      name: 'matches regular-expression characters in a glob against the same characters',
      match: { groupName: 'legacy.(db)+?*' },
      facts: { groupName: 'legacy.(db)+?[1]' },
      hit: true,
    },
    { name: 'matches a listed detection', match: { rules: [ELASTICACHE, RDS] }, hit: true },
    { name: 'does not match an unlisted detection', match: { rules: [FAILED] }, hit: false },
    {
      name: 'matches when every one of several criteria matches',
      match: {
        principalArn: 'arn:aws:iam::*:role/terraform-*',
        userAgentClass: ['terraform'],
        accounts: ['111122223333'],
        groupName: 'legacy-*',
        rules: [RDS],
        window: { days: ['tue'], fromUtc: '20:00', untilUtc: '23:00' },
      },
      hit: true,
    },
    {
      name: 'does not match when one of several criteria fails',
      match: {
        principalArn: 'arn:aws:iam::*:role/terraform-*',
        userAgentClass: ['terraform'],
        accounts: ['111122223333'],
        groupName: 'legacy-*',
        rules: [ELASTICACHE],
      },
      hit: false,
    },
  ])('$name', ({ match, facts, hit }) => {
    expect(matchedId(policyMatching({ ...match }), facts)).toBe(hit ? 'under-test' : undefined);
  });
});

describe('findException windows', () => {
  const tuesdayEvening = { days: ['tue'], fromUtc: '20:00', untilUtc: '23:00' };
  const weekend = { days: ['sat', 'sun'], fromUtc: '00:00', untilUtc: '24:00' };
  const cutover = { from: '2026-12-05T20:00:00Z', until: '2026-12-06T04:00:00Z' };

  it.each<{ name: string; window: Json; at: string; hit: boolean }>([
    {
      name: 'a weekly window includes its start',
      window: tuesdayEvening,
      at: '2026-11-24T20:00:00Z',
      hit: true,
    },
    {
      name: 'a weekly window includes its last millisecond',
      window: tuesdayEvening,
      at: '2026-11-24T22:59:59.999Z',
      hit: true,
    },
    {
      name: 'a weekly window excludes its end',
      window: tuesdayEvening,
      at: '2026-11-24T23:00:00Z',
      hit: false,
    },
    {
      name: 'a weekly window excludes the minute before it',
      window: tuesdayEvening,
      at: '2026-11-24T19:59:59Z',
      hit: false,
    },
    {
      name: 'a weekly window excludes the same time on another day',
      window: tuesdayEvening,
      at: '2026-11-25T21:00:00Z',
      hit: false,
    },
    {
      name: 'a weekly window recurs the following week',
      window: tuesdayEvening,
      at: '2026-12-01T21:00:00Z',
      hit: true,
    },
    {
      name: 'a weekly window reads the event time in UTC',
      window: tuesdayEvening,
      at: '2026-11-24T21:30:00-05:00',
      hit: false,
    },
    {
      name: 'a weekly window on the UTC day an offset time falls on matches it',
      window: { days: ['wed'], fromUtc: '02:00', untilUtc: '03:00' },
      at: '2026-11-24T21:30:00-05:00',
      hit: true,
    },
    {
      name: 'a window over several days covers the first',
      window: weekend,
      at: '2026-11-28T00:00:00Z',
      hit: true,
    },
    {
      name: 'a window ending at 24:00 covers the last second of the day',
      window: weekend,
      at: '2026-11-29T23:59:59Z',
      hit: true,
    },
    {
      name: 'a window over several days stops after the last',
      window: weekend,
      at: '2026-11-30T00:00:00Z',
      hit: false,
    },
    {
      name: 'a window over several days does not start early',
      window: weekend,
      at: '2026-11-27T23:59:59Z',
      hit: false,
    },
    {
      name: 'an absolute window includes its start',
      window: cutover,
      at: '2026-12-05T20:00:00Z',
      hit: true,
    },
    {
      name: 'an absolute window spans midnight',
      window: cutover,
      at: '2026-12-06T01:00:00Z',
      hit: true,
    },
    {
      name: 'an absolute window excludes its end',
      window: cutover,
      at: '2026-12-06T04:00:00Z',
      hit: false,
    },
    {
      name: 'an absolute window excludes earlier times',
      window: cutover,
      at: '2026-12-05T19:59:59Z',
      hit: false,
    },
    {
      name: 'an absolute window honours the zone offsets it is written with',
      window: { from: '2026-12-05T21:00:00+01:00', until: '2026-12-05T22:00:00+01:00' },
      at: '2026-12-05T20:30:00Z',
      hit: true,
    },
  ])('$name', ({ window, at, hit }) => {
    const policy = policyMatching({ window });
    expect(matchedId(policy, { eventTime: new Date(at) })).toBe(hit ? 'under-test' : undefined);
  });

  it.each([
    { name: 'weekly', window: weekend },
    { name: 'absolute', window: cutover },
  ])('fails to match a $name window when the event time is unreadable', ({ window }) => {
    expect(matchedId(policyMatching({ window }), { eventTime: new Date('not a time') })).toBe(
      undefined,
    );
  });
});

describe('exception expiry', () => {
  const policy = parsePolicy({
    exceptions: [
      exceptionJson('short-lived', { accounts: ['111122223333'] }, { expires: '2026-12-06' }),
    ],
  });

  it.each([
    { name: 'applies on the day before the expiry date', now: '2026-12-05T12:00:00Z', live: true },
    { name: 'applies at the start of the expiry date', now: '2026-12-06T00:00:00Z', live: true },
    {
      name: 'applies until the last millisecond of the expiry date',
      now: '2026-12-06T23:59:59.999Z',
      live: true,
    },
    { name: 'lapses when the expiry date ends', now: '2026-12-07T00:00:00Z', live: false },
    { name: 'stays lapsed afterwards', now: '2027-03-01T00:00:00Z', live: false },
  ])('$name', ({ now, live }) => {
    const at = new Date(now);
    expect(matchedId(policy, {}, at)).toBe(live ? 'short-lived' : undefined);
    expect(expiredExceptions(policy, at).map((exception) => exception.id)).toEqual(
      live ? [] : ['short-lived'],
    );
  });

  it('judges expiry by the clock, not by when the event happened', () => {
    const old = new Date('2020-01-01T00:00:00Z');
    expect(matchedId(policy, { eventTime: old }, new Date('2026-12-08T00:00:00Z'))).toBe(undefined);
  });
  it.each([
    {
      name: 'applies to an event on the expiry date',
      eventTime: '2026-12-06T23:59:59Z',
      live: true,
    },
    {
      name: 'applies to an event before the expiry date',
      eventTime: '2026-03-01T00:00:00Z',
      live: true,
    },
    {
      name: 'lapses for an event after the expiry date',
      eventTime: '2026-12-07T00:00:00Z',
      live: false,
    },
  ])('for history, $name, whatever the clock says', ({ eventTime, live }) => {
    // Prepare: a replay run long after the exception lapsed.
    const history = forHistory(policy);
    const today = new Date('2027-06-01T00:00:00Z');

    // Act
    const matched = matchedId(history, { eventTime: new Date(eventTime) }, today);

    // Assess
    expect(matched).toBe(live ? 'short-lived' : undefined);
  });

  it('for history, lets no exception match an event whose time cannot be read', () => {
    expect(matchedId(forHistory(policy), { eventTime: new Date('not a time') })).toBe(undefined);
  });

  it('leaves how expiry is judged out of the serialized file', () => {
    const text = serializePolicy(forHistory(policy));
    expect(parsePolicy(JSON.parse(text))).toEqual(policy);
  });
});

describe('findException order', () => {
  it.each([
    {
      name: 'returns the first matching exception in file order',
      exceptions: [
        exceptionJson('first', { accounts: ['111122223333'] }),
        exceptionJson('second', { groupName: 'legacy-*' }),
      ],
      expected: 'first',
    },
    {
      name: 'skips an earlier exception that does not match',
      exceptions: [
        exceptionJson('elsewhere', { accounts: ['444455556666'] }),
        exceptionJson('second', { groupName: 'legacy-*' }),
      ],
      expected: 'second',
    },
    {
      name: 'skips an earlier exception that has expired',
      exceptions: [
        exceptionJson('lapsed', { accounts: ['111122223333'] }, { expires: '2026-01-31' }),
        exceptionJson('second', { groupName: 'legacy-*' }),
      ],
      expected: 'second',
    },
    {
      name: 'returns nothing when no exception matches',
      exceptions: [exceptionJson('elsewhere', { accounts: ['444455556666'] })],
      expected: undefined,
    },
  ])('$name', ({ exceptions, expected }) => {
    expect(matchedId(parsePolicy({ exceptions }))).toBe(expected);
  });

  it('returns the exception itself, with its reason and owner, for the alert record', () => {
    const policy = policyMatching({ accounts: ['111122223333'] });
    expect(findException(policy, FACTS, NOW)).toBe(policy.exceptions[0]);
  });

  it('suppresses nothing under the default policy', () => {
    expect(findException(DEFAULT_POLICY, FACTS, NOW)).toBeUndefined();
  });
});

describe('glob matching on hostile input', () => {
  const many = 'a'.repeat(200_000);

  it.each([
    {
      name: 'rejects a long near-miss against a glob of many stars in linear time',
      glob: `${'*a'.repeat(40)}*b`,
      text: many,
      hit: false,
    },
    {
      name: 'matches a long text against a glob of many stars in linear time',
      glob: `${'*a'.repeat(40)}*b`,
      text: `${many}b`,
      hit: true,
    },
    {
      name: 'rejects a long text of repeated pieces that never completes the glob',
      glob: '*ab*ab*ab*ab*ab*ab*ab*ab*ab*ab*abc',
      text: 'ab'.repeat(100_000),
      hit: false,
    },
    {
      name: 'does not let a head and tail overlap on a short text',
      glob: 'legacy-*-db',
      text: 'legacy-db',
      hit: false,
    },
  ])('$name', ({ glob, text, hit }) => {
    const policy = policyMatching({ userAgent: glob });
    expect(matchedId(policy, { userAgent: text })).toBe(hit ? 'under-test' : undefined);
    // Each literal piece is looked for once, never from an earlier place than the last
    // piece ended: one pass over the text, where backtracking would retry every split.
    const searches: number[] = [];
    compileGlob(glob, (from) => searches.push(from)).test(text);
    expect(searches.length).toBeLessThanOrEqual(glob.split('*').length);
    expect(searches).toEqual([...searches].sort((a, b) => a - b));
  });
});

describe('isIacRole', () => {
  const policy = parsePolicy({
    iacRoles: ['arn:aws:iam::*:role/github-actions-deploy', 'arn:aws:iam::*:role/terraform-*'],
  });

  it.each([
    {
      name: 'recognises a session of a listed role by its role ARN',
      principalArn: 'arn:aws:sts::111122223333:assumed-role/github-actions-deploy/GitHubActions',
      roleArn: 'arn:aws:iam::111122223333:role/github-actions-deploy',
      expected: true,
    },
    {
      name: 'recognises a role ARN given as the principal',
      principalArn: 'arn:aws:iam::444455556666:role/terraform-apply',
      roleArn: undefined,
      expected: true,
    },
    {
      name: 'does not recognise a person using the console',
      principalArn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_1/kenji',
      roleArn:
        'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1',
      expected: false,
    },
    {
      name: 'does not recognise a role whose name only contains a listed one',
      principalArn: 'arn:aws:iam::111122223333:role/not-github-actions-deploy',
      roleArn: undefined,
      expected: false,
    },
  ])('$name', ({ principalArn, roleArn, expected }) => {
    expect(isIacRole(policy, principalArn, roleArn)).toBe(expected);
  });

  it('recognises no role under the default policy', () => {
    expect(isIacRole(DEFAULT_POLICY, FACTS.principalArn, FACTS.roleArn)).toBe(false);
  });
});

describe('parsePolicy', () => {
  it.each([
    { name: 'fills every default for an empty object', input: {}, expected: DEFAULT_POLICY },
    {
      name: 'fills the burst setting left out',
      input: { burst: { windowMinutes: 30 } },
      expected: { ...DEFAULT_POLICY, burst: { windowMinutes: 30, maxNotificationsPerWindow: 100 } },
    },
    {
      name: 'keeps only the criteria that were given',
      input: { exceptions: [exceptionJson('a', { groupName: 'legacy-*' })] },
      expected: {
        ...DEFAULT_POLICY,
        exceptions: [
          {
            id: 'a',
            reason: 'a documented, expected call',
            owner: 'platform-team@example.com',
            expires: '2027-06-30',
            match: { groupName: 'legacy-*' },
          },
        ],
      },
    },
    {
      name: 'keeps account ids with leading zeros as written',
      input: { accounts: { '000000000001': { name: 'first', environment: 'dev' } } },
      expected: {
        ...DEFAULT_POLICY,
        accounts: { '000000000001': { name: 'first', environment: 'dev' } },
      },
    },
  ])('$name', ({ input, expected }) => {
    expect(parsePolicy(input)).toEqual(expected);
  });

  it('has 60-minute windows of at most 100 notifications by default, as the seed rules run', () => {
    expect(DEFAULT_POLICY.burst).toEqual({ windowMinutes: 60, maxNotificationsPerWindow: 100 });
  });

  it("parses the repository's sgwatch.config.json", () => {
    const policy = parsePolicy(JSON.parse(readFileSync(REPO_CONFIG, 'utf8')));
    expect(Object.keys(policy.accounts).sort()).toEqual(['111122223333', '444455556666']);
    expect(policy.exceptions.length).toBeGreaterThanOrEqual(2);
    expect(policy.iacRoles).toContain('arn:aws:iam::*:role/terraform-*');
  });

  it('reads back its own serialization as an equal policy', () => {
    const policy = parsePolicy(JSON.parse(readFileSync(REPO_CONFIG, 'utf8')));
    expect(parsePolicy(JSON.parse(serializePolicy(policy)))).toEqual(policy);
  });
});

describe('parsePolicy rejections', () => {
  /** Exceptions 0 and 1 are valid, so the entry under test is always the third one. */
  function third(exception: Json): Json {
    return {
      exceptions: [
        exceptionJson('one', { accounts: ['111122223333'] }),
        exceptionJson('two', { rules: [FAILED] }),
        exception,
      ],
    };
  }
  const tf = (match: Json, extra: Json = {}) =>
    third(exceptionJson('terraform-pipeline', match, extra));
  const TF = 'exceptions[2] ("terraform-pipeline")';

  it.each<{ name: string; input: unknown; path: string; reason: string }>([
    // The file as a whole
    {
      name: 'rejects a policy that is not an object',
      input: [],
      path: '(policy)',
      reason: 'must be an object (with accounts, exceptions, iacRoles, burst), got an array',
    },
    {
      name: 'rejects an unknown top-level key',
      input: { exception: [] },
      path: 'exception',
      reason: 'unknown key; expected one of "accounts", "exceptions", "iacRoles", "burst"',
    },
    // accounts
    {
      name: 'rejects an account id that is not 12 digits',
      input: { accounts: { '1234': { name: 'a', environment: 'dev' } } },
      path: 'accounts["1234"]',
      reason: 'account id must be 12 digits',
    },
    {
      name: 'rejects an account entry without an environment',
      input: { accounts: { '111122223333': { name: 'a' } } },
      path: 'accounts["111122223333"].environment',
      reason: 'is missing',
    },
    {
      name: 'rejects an unknown key in an account entry',
      input: { accounts: { '111122223333': { name: 'a', environment: 'prod', env: 'prod' } } },
      path: 'accounts["111122223333"].env',
      reason: 'unknown key; expected one of "name", "environment"',
    },
    ...(
      [
        [null, 'got null'],
        [[], 'got an array'],
        ['111122223333', 'got "111122223333"'],
      ] as const
    ).map(([accounts, got]) => ({
      name: `rejects accounts that are not an object (${got})`,
      input: { accounts },
      path: 'accounts',
      reason: `must be an object mapping account ids to { name, environment }, ${got}`,
    })),
    ...['1111222233334', '11112222333a', ' 111122223333', '', '__proto__', 'constructor'].map(
      (id) => ({
        name: `rejects the account id ${JSON.stringify(id)}`,
        input: JSON.parse(
          `{"accounts": {${JSON.stringify(id)}: {"name": "a", "environment": "dev"}}}`,
        ),
        path: /^[A-Za-z_]/.test(id) ? `accounts.${id}` : `accounts[${JSON.stringify(id)}]`,
        reason: 'account id must be 12 digits',
      }),
    ),
    ...(
      [
        ['payments-prod', 'got "payments-prod"'],
        [null, 'got null'],
        [['payments', 'prod'], 'got an array'],
      ] as const
    ).map(([entry, got]) => ({
      name: `rejects an account entry that is not an object (${got})`,
      input: { accounts: { '111122223333': entry } },
      path: 'accounts["111122223333"]',
      reason: `must be an object with name and environment, ${got}`,
    })),
    {
      name: 'rejects an account entry without a name',
      input: { accounts: { '111122223333': { environment: 'prod' } } },
      path: 'accounts["111122223333"].name',
      reason: 'is missing',
    },
    {
      name: 'rejects a blank account name',
      input: { accounts: { '111122223333': { name: '   ', environment: 'prod' } } },
      path: 'accounts["111122223333"].name',
      reason: 'must not be empty',
    },
    {
      name: 'rejects an account name that is not a string',
      input: { accounts: { '111122223333': { name: 42, environment: 'prod' } } },
      path: 'accounts["111122223333"].name',
      reason: 'must be a string, got number',
    },
    {
      name: 'rejects a null environment',
      input: { accounts: { '111122223333': { name: 'core', environment: null } } },
      path: 'accounts["111122223333"].environment',
      reason: 'must be a string, got null',
    },
    {
      name: 'rejects a misspelt environment key, naming the key that is missing first',
      input: { accounts: { '111122223333': { name: 'core', env: 'prod' } } },
      path: 'accounts["111122223333"].environment',
      reason: 'is missing',
    },
    // exceptions, entry by entry
    {
      name: 'rejects exceptions that are not a list',
      input: { exceptions: {} },
      path: 'exceptions',
      reason: 'must be a list, got object',
    },
    {
      name: 'rejects an exception that is not an object',
      input: third('terraform-pipeline' as unknown as Json),
      path: 'exceptions[2]',
      reason:
        'must be an object (an exception with id, reason, owner, expires, match), got "terraform-pipeline"',
    },
    {
      name: 'rejects an exception without an id, naming it by index',
      input: third({ reason: 'r', owner: 'o', expires: '2027-01-01', match: { groupName: 'x' } }),
      path: 'exceptions[2].id',
      reason: 'is missing',
    },
    {
      name: 'rejects an id with spaces',
      input: tf({ groupName: 'x' }, { id: 'terraform pipeline' }),
      path: 'exceptions[2] ("terraform pipeline").id',
      reason: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    },
    {
      name: 'rejects a duplicate id',
      input: third(exceptionJson('one', { groupName: 'x' })),
      path: 'exceptions[2] ("one").id',
      reason: 'duplicates the id of exceptions[0]',
    },
    {
      name: 'rejects a misspelt exception key',
      input: tf({ groupName: 'x' }, { expiry: '2027-01-01' }),
      path: `${TF}.expiry`,
      reason: 'unknown key; expected one of "id", "reason", "owner", "expires", "match"',
    },
    {
      name: 'rejects an empty reason',
      input: tf({ groupName: 'x' }, { reason: '  ' }),
      path: `${TF}.reason`,
      reason: 'must not be empty',
    },
    {
      name: 'rejects an owner that is not a string',
      input: tf({ groupName: 'x' }, { owner: 42 }),
      path: `${TF}.owner`,
      reason: 'must be a string, got number',
    },
    {
      name: 'rejects an expiry that is not YYYY-MM-DD',
      input: tf({ groupName: 'x' }, { expires: '31/05/2027' }),
      path: `${TF}.expires`,
      reason: 'must be a date YYYY-MM-DD, got "31/05/2027"',
    },
    {
      name: 'rejects an expiry that is not a real date',
      input: tf({ groupName: 'x' }, { expires: '2027-02-29' }),
      path: `${TF}.expires`,
      reason: 'must be a date YYYY-MM-DD, got "2027-02-29"',
    },
    // match
    {
      name: 'rejects an exception without a match',
      input: tf({}, { match: undefined }),
      path: `${TF}.match`,
      reason: 'is missing',
    },
    {
      name: 'rejects an empty match, which would suppress every event',
      input: tf({}),
      path: `${TF}.match`,
      reason:
        'must give at least one criterion (principalArn, userAgentClass, userAgent, accounts, groupName, rules, window); an empty match would suppress every event',
    },
    {
      name: 'rejects a misspelt criterion instead of ignoring it',
      input: tf({ principalARN: 'arn:aws:iam::*:role/terraform-*' }),
      path: `${TF}.match.principalARN`,
      reason:
        'unknown key; expected one of "principalArn", "userAgentClass", "userAgent", "accounts", "groupName", "rules", "window"',
    },
    {
      name: 'rejects an exception account id that is not 12 digits',
      input: tf({ accounts: ['11112222333'] }),
      path: `${TF}.match.accounts[0]`,
      reason: 'account id must be 12 digits, got "11112222333"',
    },
    {
      name: 'rejects an account id written as a number',
      input: tf({ accounts: [111122223333] }),
      path: `${TF}.match.accounts[0]`,
      reason: 'account id must be 12 digits, got number',
    },
    {
      name: 'rejects an empty account list',
      input: tf({ accounts: [] }),
      path: `${TF}.match.accounts`,
      reason: 'must not be empty (an empty list would match nothing)',
    },
    {
      name: 'rejects accounts given as a string',
      input: tf({ accounts: '111122223333' }),
      path: `${TF}.match.accounts`,
      reason: 'must be a list, got "111122223333"',
    },
    {
      name: 'rejects an unknown user agent class',
      input: tf({ userAgentClass: ['terraform', 'terraform-cloud'] }),
      path: `${TF}.match.userAgentClass[1]`,
      reason:
        '"terraform-cloud" is not a known user agent class; expected one of console, aws-cli, sdk, cloudformation, terraform, pulumi, cdk, aws-service, offensive, other',
    },
    {
      name: 'rejects an unknown detection id',
      input: tf({ rules: ['aws.rds.create-security-group'] }),
      path: `${TF}.match.rules[0]`,
      reason: `"aws.rds.create-security-group" is not a known detection id; expected one of ${CATALOG.map((d) => d.id).join(', ')}`,
    },
    {
      name: 'rejects an empty principal glob',
      input: tf({ principalArn: '' }),
      path: `${TF}.match.principalArn`,
      reason: 'must not be empty',
    },
    {
      name: 'rejects a null criterion',
      input: tf({ principalArn: null }),
      path: `${TF}.match.principalArn`,
      reason: 'must be a string, got null',
    },
    {
      name: 'rejects a glob of stars alone, which would match every principal',
      input: tf({ principalArn: '**' }),
      path: `${TF}.match.principalArn`,
      reason: 'must not match everything; narrow the glob or leave it out',
    },
    {
      name: 'rejects a user agent glob that is not a string',
      input: tf({ userAgent: ['Terraform/*'] }),
      path: `${TF}.match.userAgent`,
      reason: 'must be a string, got an array',
    },
    {
      name: 'rejects a group name glob that matches everything',
      input: tf({ groupName: '*' }),
      path: `${TF}.match.groupName`,
      reason: 'must not match everything; narrow the glob or leave it out',
    },
    // windows
    {
      name: 'rejects a window that is not an object',
      input: tf({ window: 'tue 20:00-23:00' }),
      path: `${TF}.match.window`,
      reason:
        'must be an object ({ from, until } or { days, fromUtc, untilUtc }), got "tue 20:00-23:00"',
    },
    {
      name: 'rejects an absolute time without a zone',
      input: tf({ window: { from: '2026-12-05T20:00:00', until: '2026-12-06T04:00:00Z' } }),
      path: `${TF}.match.window.from`,
      reason: 'must be an ISO 8601 time with a zone, e.g. 2026-05-01T22:00:00Z',
    },
    {
      name: 'rejects an absolute time on a day that does not exist',
      input: tf({ window: { from: '2026-12-05T20:00:00Z', until: '2026-02-30T04:00:00Z' } }),
      path: `${TF}.match.window.until`,
      reason: 'must be an ISO 8601 time with a zone, e.g. 2026-05-01T22:00:00Z',
    },
    {
      name: 'rejects an absolute window that ends before it starts',
      input: tf({ window: { from: '2026-12-06T04:00:00Z', until: '2026-12-05T20:00:00Z' } }),
      path: `${TF}.match.window.until`,
      reason: 'must be later than from',
    },
    {
      name: 'rejects an absolute window without an end',
      input: tf({ window: { from: '2026-12-06T04:00:00Z' } }),
      path: `${TF}.match.window.until`,
      reason: 'is missing',
    },
    {
      name: 'rejects a window that mixes the weekly and absolute forms',
      input: tf({ window: { days: ['tue'], fromUtc: '20:00', untilUtc: '23:00', from: 'x' } }),
      path: `${TF}.match.window.from`,
      reason: 'unknown key; expected one of "days", "fromUtc", "untilUtc"',
    },
    {
      name: 'rejects a weekday spelt out',
      input: tf({ window: { days: ['tuesday'], fromUtc: '20:00', untilUtc: '23:00' } }),
      path: `${TF}.match.window.days[0]`,
      reason: '"tuesday" is not a known weekday; expected one of sun, mon, tue, wed, thu, fri, sat',
    },
    {
      name: 'rejects a weekly window without days',
      input: tf({ window: { days: [], fromUtc: '20:00', untilUtc: '23:00' } }),
      path: `${TF}.match.window.days`,
      reason: 'must not be empty (an empty list would match nothing)',
    },
    {
      name: 'rejects a start time without two-digit hours',
      input: tf({ window: { days: ['tue'], fromUtc: '8:00', untilUtc: '23:00' } }),
      path: `${TF}.match.window.fromUtc`,
      reason: 'must be a UTC time HH:MM between 00:00 and 23:59',
    },
    {
      name: 'rejects 24:00 as a start time',
      input: tf({ window: { days: ['tue'], fromUtc: '24:00', untilUtc: '24:00' } }),
      path: `${TF}.match.window.fromUtc`,
      reason: 'must be a UTC time HH:MM between 00:00 and 23:59',
    },
    {
      name: 'rejects an end time after midnight',
      input: tf({ window: { days: ['tue'], fromUtc: '20:00', untilUtc: '24:01' } }),
      path: `${TF}.match.window.untilUtc`,
      reason: 'must be a UTC time HH:MM between 00:01 and 24:00',
    },
    {
      name: 'rejects a weekly window that crosses midnight',
      input: tf({ window: { days: ['tue'], fromUtc: '22:00', untilUtc: '02:00' } }),
      path: `${TF}.match.window.untilUtc`,
      reason: 'must be later than fromUtc (a window over midnight needs two exceptions)',
    },
    // iacRoles
    {
      name: 'rejects IaC roles that are not a list',
      input: { iacRoles: 'arn:aws:iam::*:role/terraform-*' },
      path: 'iacRoles',
      reason: 'must be a list, got "arn:aws:iam::*:role/terraform-*"',
    },
    {
      name: 'rejects an empty IaC role glob',
      input: { iacRoles: ['arn:aws:iam::*:role/terraform-*', ''] },
      path: 'iacRoles[1]',
      reason: 'must not be empty',
    },
    {
      name: 'rejects an IaC role glob that matches every principal',
      input: { iacRoles: ['*'] },
      path: 'iacRoles[0]',
      reason: 'must not match everything; narrow the glob or leave it out',
    },
    // burst
    {
      name: 'rejects burst settings that are not an object',
      input: { burst: 100 },
      path: 'burst',
      reason: 'must be an object ({ windowMinutes, maxNotificationsPerWindow }), got number',
    },
    {
      name: 'rejects an unknown burst setting',
      input: { burst: { maxAlertsPerRun: 100 } },
      path: 'burst.maxAlertsPerRun',
      reason: 'unknown key; expected one of "windowMinutes", "maxNotificationsPerWindow"',
    },
    {
      name: 'rejects a zero-minute burst window',
      input: { burst: { windowMinutes: 0 } },
      path: 'burst.windowMinutes',
      reason: 'must be a positive whole number, got number',
    },
    {
      name: 'rejects a burst window given as a string',
      input: { burst: { windowMinutes: '60' } },
      path: 'burst.windowMinutes',
      reason: 'must be a positive whole number, got "60"',
    },
    {
      name: 'rejects a burst window longer than a day',
      input: { burst: { windowMinutes: 1441 } },
      path: 'burst.windowMinutes',
      reason: 'must be at most 1440, got 1441',
    },
    {
      name: 'rejects a fractional notification limit',
      input: { burst: { maxNotificationsPerWindow: 2.5 } },
      path: 'burst.maxNotificationsPerWindow',
      reason: 'must be a positive whole number, got number',
    },
  ])('$name', ({ input, path, reason }) => {
    let thrown: unknown;
    try {
      parsePolicy(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyError);
    expect(thrown).toMatchObject({ path, reason, message: `${path}: ${reason}` });
  });
});

describe('readPolicy (the detector reads its bundled copy)', () => {
  const valid = serializePolicy(parsePolicy({ iacRoles: ['arn:aws:iam::*:role/terraform-*'] }));

  it('uses the default policy when SGWATCH_CONFIG_FILE is not set', () => {
    expect(readPolicy({})).toBe(DEFAULT_POLICY);
  });

  it('reads a relative file from LAMBDA_TASK_ROOT', () => {
    const { dir } = tmpFile('sgwatch.config.json', valid);
    const policy = readPolicy({
      SGWATCH_CONFIG_FILE: 'sgwatch.config.json',
      LAMBDA_TASK_ROOT: dir,
    });
    expect(policy.iacRoles).toEqual(['arn:aws:iam::*:role/terraform-*']);
  });

  it('reads an absolute path as given', () => {
    const { file } = tmpFile('policy.json', valid);
    const policy = readPolicy({ SGWATCH_CONFIG_FILE: file, LAMBDA_TASK_ROOT: '/nowhere' });
    expect(policy.iacRoles).toEqual(['arn:aws:iam::*:role/terraform-*']);
  });

  it.each([
    {
      name: 'throws naming the file when it is missing',
      content: undefined,
      message: /^SGWATCH_CONFIG_FILE: sgwatch configuration .*policy\.json: cannot be read/,
    },
    {
      name: 'throws naming the file when it is not JSON',
      content: '{ "exceptions": [ }',
      message: /^SGWATCH_CONFIG_FILE: sgwatch configuration .*policy\.json: is not valid JSON/,
    },
    {
      name: 'throws naming the file and the entry when validation fails',
      content: JSON.stringify({ exceptions: [exceptionJson('bad-one', { accounts: ['1'] })] }),
      message:
        /^SGWATCH_CONFIG_FILE: sgwatch configuration .*policy\.json: exceptions\[0\] \("bad-one"\)\.match\.accounts\[0\]: account id must be 12 digits/,
    },
  ])('$name', ({ content, message }) => {
    const dir = mkdtempSync(join(tmpdir(), 'sgwatch-policy-'));
    tmpDirs.push(dir);
    if (content !== undefined) writeFileSync(join(dir, 'policy.json'), content);
    const read = () => readPolicy({ SGWATCH_CONFIG_FILE: 'policy.json', LAMBDA_TASK_ROOT: dir });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
  });
});
