/**
 * The JSON Schema of sgwatch.config.json is generated from the valibot schema the loader
 * validates with. These tests keep the committed file current, check that the shipped config
 * points editors at it, and that an editor (here ajv, a JSON Schema validator) and the loader
 * agree on good and bad files.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import { DEFAULT_POLICY, serializePolicy } from '../../lambda/core/policy';
import { parsePolicy, PolicyError } from '../../lambda/core/policy-file';
import { readPolicyFile } from '../../lambda/policy-loader';
import { CONFIG_SCHEMA_FILE, configJsonSchema } from '../../scripts/config-schema';
import type { Json } from '../support/policy-json';
import { exceptionJson } from '../support/policy-json';

const ROOT = join(__dirname, '..', '..');
const SHIPPED_CONFIG = join(ROOT, 'sgwatch.config.json');

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const validate = new Ajv({ allErrors: true }).compile(readJson(join(ROOT, CONFIG_SCHEMA_FILE)));

function loaderAccepts(config: unknown): boolean {
  try {
    parsePolicy(config);
    return true;
  } catch (error) {
    if (error instanceof PolicyError) return false;
    throw error;
  }
}

describe('the JSON Schema of sgwatch.config.json', () => {
  it('is what the valibot schema generates (run npm run docs when it is not)', () => {
    expect(readJson(join(ROOT, CONFIG_SCHEMA_FILE))).toEqual(configJsonSchema());
  });

  it('is the file the shipped config names in $schema, relative to the config', () => {
    const { $schema } = readJson(SHIPPED_CONFIG);
    expect(typeof $schema).toBe('string');
    expect(resolve(dirname(SHIPPED_CONFIG), $schema as string)).toBe(
      join(ROOT, CONFIG_SCHEMA_FILE),
    );
  });

  it('describes every key, so editors have something to show', () => {
    const undescribed: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const schema = node as Json;
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Json)) {
        const described = typeof (child as Json).description === 'string';
        const referenced = typeof (child as Json).$ref === 'string';
        if (!described && !referenced) undescribed.push(`${path}.${key}`);
        visit(child, `${path}.${key}`);
      }
      for (const key of ['items', 'additionalProperties']) visit(schema[key], `${path}[]`);
      for (const option of (schema.anyOf ?? []) as unknown[]) visit(option, path);
      for (const [name, child] of Object.entries((schema.definitions ?? {}) as Json)) {
        if (typeof (child as Json).description !== 'string') undescribed.push(name);
        visit(child, name);
      }
    };
    visit(configJsonSchema(), '(config)');
    expect(undescribed).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['the shipped config', readJson(SHIPPED_CONFIG)],
    ['an empty file', {}],
    ['a file with only $schema', { $schema: './schema/sgwatch.config.schema.json' }],
    [
      'a weekly window ending at midnight',
      {
        exceptions: [
          exceptionJson({ window: { days: ['sat', 'sun'], fromUtc: '00:00', untilUtc: '24:00' } }),
        ],
      },
    ],
    [
      'an absolute window with an offset',
      {
        exceptions: [
          exceptionJson({
            window: { from: '2026-12-05T20:00+01:00', until: '2026-12-06T04:00:00.5Z' },
          }),
        ],
      },
    ],
    ['a Sigma rule id', { exceptions: [exceptionJson({ rules: ['sigma.rule-1.a_b'] })] }],
    ['burst settings in part', { burst: { windowMinutes: 1440 } }],
  ])('accepts %s, as the loader does', (_name, config) => {
    expect(loaderAccepts(config)).toBe(true);
    expect(validate(config)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a list instead of an object', []],
    ['an unknown top-level key', { exception: [] }],
    [
      'an account id of 11 digits',
      { accounts: { '11112222333': { name: 'a', environment: 'b' } } },
    ],
    ['an account without an environment', { accounts: { '111122223333': { name: 'a' } } }],
    [
      'an exception without a match',
      { exceptions: [exceptionJson({ groupName: 'x' }, { match: undefined })] },
    ],
    [
      'an id with spaces',
      { exceptions: [exceptionJson({ groupName: 'x' }, { id: 'ci pipeline' })] },
    ],
    [
      'an expiry that is not a date',
      { exceptions: [exceptionJson({ groupName: 'x' }, { expires: '31/05/2027' })] },
    ],
    ['an empty reason', { exceptions: [exceptionJson({ groupName: 'x' }, { reason: '' })] }],
    ['a misspelt criterion', { exceptions: [exceptionJson({ principalARN: 'arn:*' })] }],
    [
      'an unknown user agent class',
      { exceptions: [exceptionJson({ userAgentClass: ['terraform-cloud'] })] },
    ],
    ['an empty account list', { exceptions: [exceptionJson({ accounts: [] })] }],
    ['an unknown detection id', { exceptions: [exceptionJson({ rules: ['aws.rds.nothing'] })] }],
    [
      'a window mixing both forms',
      {
        exceptions: [
          exceptionJson({
            window: { days: ['tue'], fromUtc: '20:00', untilUtc: '23:00', from: 'x' },
          }),
        ],
      },
    ],
    [
      'a time without a zone',
      {
        exceptions: [
          exceptionJson({ window: { from: '2026-12-05T20:00:00', until: '2026-12-06T04:00:00Z' } }),
        ],
      },
    ],
    [
      'a weekday spelt out',
      {
        exceptions: [
          exceptionJson({ window: { days: ['tuesday'], fromUtc: '20:00', untilUtc: '23:00' } }),
        ],
      },
    ],
    [
      '24:00 as a start',
      {
        exceptions: [
          exceptionJson({ window: { days: ['tue'], fromUtc: '24:00', untilUtc: '24:00' } }),
        ],
      },
    ],
    ['IaC roles as a string', { iacRoles: 'arn:aws:iam::*:role/ci' }],
    ['a burst window over a day', { burst: { windowMinutes: 1441 } }],
    ['a fractional notification limit', { burst: { maxNotificationsPerWindow: 2.5 } }],
    ['a $schema that is not text', { $schema: 7 }],
    [
      'a reason of a megabyte',
      { exceptions: [exceptionJson({ groupName: 'x' }, { reason: 'r'.repeat(1 << 20) })] },
    ],
  ])('rejects %s, as the loader does', (_name, config) => {
    // JSON has no undefined: what the file holds is what JSON.parse returns.
    const file: unknown = JSON.parse(JSON.stringify(config));
    expect(loaderAccepts(file)).toBe(false);
    expect(validate(file)).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a glob of stars alone', { iacRoles: ['**'] }],
    [
      'a day that does not exist',
      { exceptions: [exceptionJson({ groupName: 'x' }, { expires: '2027-02-29' })] },
    ],
    [
      'a window that ends before it starts',
      {
        exceptions: [
          exceptionJson({
            window: { from: '2026-12-06T04:00:00Z', until: '2026-12-05T20:00:00Z' },
          }),
        ],
      },
    ],
    [
      'a weekly window over midnight',
      {
        exceptions: [
          exceptionJson({ window: { days: ['tue'], fromUtc: '22:00', untilUtc: '02:00' } }),
        ],
      },
    ],
    ['an empty match', { exceptions: [exceptionJson({})] }],
    [
      'two exceptions with one id',
      { exceptions: [exceptionJson({ groupName: 'a' }), exceptionJson({ groupName: 'b' })] },
    ],
  ])('leaves %s to the loader, which rejects it naming the entry', (_name, config) => {
    expect(loaderAccepts(config)).toBe(false);
  });
});

describe('$schema in the configuration file', () => {
  it('is accepted and left out of the policy', () => {
    expect(parsePolicy({ $schema: './schema/sgwatch.config.schema.json' })).toEqual(DEFAULT_POLICY);
  });

  it('is not shipped to the detector with the rest of the file', () => {
    const { json } = readPolicyFile(SHIPPED_CONFIG);
    expect(JSON.parse(json)).not.toHaveProperty('$schema');
    expect(json).toBe(serializePolicy(parsePolicy(readJson(SHIPPED_CONFIG))));
  });

  it('rejects a $schema that is not text, naming it', () => {
    expect(() => parsePolicy({ $schema: ['./schema.json'] })).toThrow(
      new PolicyError('$schema', 'must be a string, got an array'),
    );
  });

  it('is not offered as a key when another key is unknown', () => {
    expect(() => parsePolicy({ $schema: 'x.json', burts: {} })).toThrow(
      'burts: unknown key; expected one of "accounts", "exceptions", "iacRoles", "burst"',
    );
  });
});
