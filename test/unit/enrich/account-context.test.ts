import { accountContext } from '../../../lambda/core/enrich/account-context';
import type { AccountDirectory } from '../../../lambda/core/enrich/account-context';
import { parsePolicy } from '../../../lambda/core/policy-file';

const DIRECTORY: AccountDirectory = {
  '111122223333': { name: 'payments-prod', environment: 'prod' },
  '444455556666': { name: 'payments-staging', environment: 'staging' },
  '012345678901': { name: 'sandbox-alice', environment: 'sandbox' },
};

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

  it('works on the directory of a parsed configuration file', () => {
    const dir = parsePolicy({
      accounts: { '444455556666': { name: 'shared', environment: 'dev' } },
    }).accounts;
    expect(accountContext(dir, '444455556666')).toEqual({
      accountId: '444455556666',
      name: 'shared',
      environment: 'dev',
    });
  });
});
