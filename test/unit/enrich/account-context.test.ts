import {
  accountContext,
  AccountDirectoryError,
  parseAccountDirectory,
} from '../../../lambda/core/enrich/account-context';
import type { AccountDirectory } from '../../../lambda/core/enrich/account-context';

const DIRECTORY: AccountDirectory = {
  '111122223333': { name: 'payments-prod', environment: 'prod' },
  '444455556666': { name: 'payments-staging', environment: 'staging' },
  '012345678901': { name: 'sandbox-alice', environment: 'sandbox' },
};

describe('parseAccountDirectory', () => {
  it.each([
    {
      name: 'accepts a directory and returns an equal copy',
      input: {
        '111122223333': { name: 'payments-prod', environment: 'prod' },
        '012345678901': { name: 'sandbox-alice', environment: 'sandbox' },
      },
      expected: {
        '111122223333': { name: 'payments-prod', environment: 'prod' },
        '012345678901': { name: 'sandbox-alice', environment: 'sandbox' },
      },
    },
    { name: 'accepts an empty directory', input: {}, expected: {} },
    {
      name: 'keeps only the name and environment of each entry',
      input: { '111122223333': { name: 'core', environment: 'prod', owner: 'platform-team' } },
      expected: { '111122223333': { name: 'core', environment: 'prod' } },
    },
    {
      name: 'keeps account ids with leading zeros as written',
      input: { '000000000001': { name: 'first', environment: 'dev' } },
      expected: { '000000000001': { name: 'first', environment: 'dev' } },
    },
  ])('$name', ({ input, expected }) => {
    const parsed = parseAccountDirectory(input);
    expect(parsed).toEqual(expected);
    expect(parsed).not.toBe(input);
  });

  it.each([
    {
      input: null,
      message: 'accounts: must be an object mapping account ids to { name, environment }, got null',
    },
    {
      input: undefined,
      message:
        'accounts: must be an object mapping account ids to { name, environment }, got undefined',
    },
    {
      input: [],
      message:
        'accounts: must be an object mapping account ids to { name, environment }, got an array',
    },
    {
      input: '111122223333',
      message:
        'accounts: must be an object mapping account ids to { name, environment }, got string',
    },
    {
      input: { '1234': { name: 'a', environment: 'dev' } },
      message: 'accounts["1234"]: account id must be 12 digits',
    },
    {
      input: { '1111222233334': { name: 'a', environment: 'dev' } },
      message: 'accounts["1111222233334"]: account id must be 12 digits',
    },
    {
      input: { '11112222333a': { name: 'a', environment: 'dev' } },
      message: 'accounts["11112222333a"]: account id must be 12 digits',
    },
    {
      input: { ' 111122223333': { name: 'a', environment: 'dev' } },
      message: 'accounts[" 111122223333"]: account id must be 12 digits',
    },
    {
      input: { '': { name: 'a', environment: 'dev' } },
      message: 'accounts[""]: account id must be 12 digits',
    },
    {
      input: { '111122223333': 'payments-prod' },
      message: 'accounts["111122223333"]: must be an object with name and environment, got string',
    },
    {
      input: { '111122223333': null },
      message: 'accounts["111122223333"]: must be an object with name and environment, got null',
    },
    {
      input: { '111122223333': ['payments', 'prod'] },
      message:
        'accounts["111122223333"]: must be an object with name and environment, got an array',
    },
    {
      input: { '111122223333': { environment: 'prod' } },
      message: 'accounts["111122223333"].name: is missing',
    },
    {
      input: { '111122223333': { name: '', environment: 'prod' } },
      message: 'accounts["111122223333"].name: must not be empty',
    },
    {
      input: { '111122223333': { name: '   ', environment: 'prod' } },
      message: 'accounts["111122223333"].name: must not be empty',
    },
    {
      input: { '111122223333': { name: 42, environment: 'prod' } },
      message: 'accounts["111122223333"].name: must be a string, got number',
    },
    {
      input: { '111122223333': { name: 'core' } },
      message: 'accounts["111122223333"].environment: is missing',
    },
    {
      input: { '111122223333': { name: 'core', environment: '' } },
      message: 'accounts["111122223333"].environment: must not be empty',
    },
    {
      input: { '111122223333': { name: 'core', environment: null } },
      message: 'accounts["111122223333"].environment: must be a string, got null',
    },
    {
      input: { '111122223333': { name: 'core', env: 'prod' } },
      message: 'accounts["111122223333"].environment: is missing',
    },
  ])('rejects a bad directory with "$message"', ({ input, message }) => {
    expect(() => parseAccountDirectory(input)).toThrow(AccountDirectoryError);
    expect(() => parseAccountDirectory(input)).toThrow(message);
  });

  it('throws an error whose path names the entry at fault', () => {
    let caught: unknown;
    try {
      parseAccountDirectory({
        '111122223333': { name: 'ok', environment: 'prod' },
        '99': { name: 'bad', environment: 'dev' },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AccountDirectoryError);
    expect(caught).toMatchObject({
      name: 'AccountDirectoryError',
      path: 'accounts["99"]',
      reason: 'account id must be 12 digits',
    });
  });

  it('throws with the caller-supplied path prefix', () => {
    expect(() => parseAccountDirectory({ '1234': {} }, 'context.sgwatch:accounts')).toThrow(
      'context.sgwatch:accounts["1234"]: account id must be 12 digits',
    );
  });
});

describe('accountContext', () => {
  it.each([
    {
      name: 'names a listed production account',
      dir: DIRECTORY,
      accountId: '111122223333',
      expected: { accountId: '111122223333', name: 'payments-prod', environment: 'prod' },
    },
    {
      name: 'names a listed account whose id starts with zero',
      dir: DIRECTORY,
      accountId: '012345678901',
      expected: { accountId: '012345678901', name: 'sandbox-alice', environment: 'sandbox' },
    },
    {
      name: 'returns only the id for an account that is not listed',
      dir: DIRECTORY,
      accountId: '999988887777',
      expected: { accountId: '999988887777' },
    },
    {
      name: 'returns only the id when there is no directory',
      dir: undefined,
      accountId: '111122223333',
      expected: { accountId: '111122223333' },
    },
    {
      name: 'passes through the "unknown" placeholder used when a record names no account',
      dir: DIRECTORY,
      accountId: 'unknown',
      expected: { accountId: 'unknown' },
    },
    {
      name: 'does not read an inherited "constructor" key as an account',
      dir: DIRECTORY,
      accountId: 'constructor',
      expected: { accountId: 'constructor' },
    },
    {
      name: 'does not read "__proto__" as an account',
      dir: DIRECTORY,
      accountId: '__proto__',
      expected: { accountId: '__proto__' },
    },
  ])('$name', ({ dir, accountId, expected }) => {
    expect(accountContext(dir, accountId)).toEqual(expected);
  });

  it('works on the output of parseAccountDirectory', () => {
    const dir = parseAccountDirectory({ '444455556666': { name: 'shared', environment: 'dev' } });
    expect(accountContext(dir, '444455556666')).toEqual({
      accountId: '444455556666',
      name: 'shared',
      environment: 'dev',
    });
  });
});
