import { PathError } from '../path-error';

/**
 * The operator's list of AWS accounts (id → name and environment), used to say which account
 * an alert is about in words and to raise the risk of calls in production.
 *
 * The directory comes from configuration, so it is validated once at the boundary by
 * `parseAccountDirectory`; errors name the entry at fault.
 */

export interface AccountDirectory {
  readonly [accountId: string]: { readonly name: string; readonly environment: string };
}

export interface AccountContext {
  readonly accountId: string;
  readonly name?: string;
  readonly environment?: string;
}

/** Thrown when an account directory is malformed; `path` names the bad entry. */
export class AccountDirectoryError extends PathError {
  override readonly name = 'AccountDirectoryError';
}

const ACCOUNT_ID = /^[0-9]{12}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function requireText(entry: Record<string, unknown>, key: string, path: string): string {
  const value = entry[key];
  if (typeof value !== 'string') {
    throw new AccountDirectoryError(
      `${path}.${key}`,
      value === undefined ? 'is missing' : `must be a string, got ${describe(value)}`,
    );
  }
  if (value.trim() === '') {
    throw new AccountDirectoryError(`${path}.${key}`, 'must not be empty');
  }
  return value;
}

/**
 * Checks that `input` maps 12-digit account ids to `{ name, environment }` with non-empty
 * strings, and returns a copy holding only those fields. `path` prefixes error messages, e.g.
 * `accounts["1234"]: account id must be 12 digits`.
 */
export function parseAccountDirectory(input: unknown, path = 'accounts'): AccountDirectory {
  if (!isPlainObject(input)) {
    throw new AccountDirectoryError(
      path,
      `must be an object mapping account ids to { name, environment }, got ${describe(input)}`,
    );
  }
  const directory: Record<string, { name: string; environment: string }> = {};
  for (const [accountId, entry] of Object.entries(input)) {
    const entryPath = `${path}[${JSON.stringify(accountId)}]`;
    if (!ACCOUNT_ID.test(accountId)) {
      throw new AccountDirectoryError(entryPath, 'account id must be 12 digits');
    }
    if (!isPlainObject(entry)) {
      throw new AccountDirectoryError(
        entryPath,
        `must be an object with name and environment, got ${describe(entry)}`,
      );
    }
    directory[accountId] = {
      name: requireText(entry, 'name', entryPath),
      environment: requireText(entry, 'environment', entryPath),
    };
  }
  return directory;
}

/** What the directory knows about `accountId`; just the id when the account is not listed. */
export function accountContext(
  dir: AccountDirectory | undefined,
  accountId: string,
): AccountContext {
  // Object.hasOwn keeps inherited keys such as "constructor" from reading as accounts.
  const entry = dir !== undefined && Object.hasOwn(dir, accountId) ? dir[accountId] : undefined;
  if (entry === undefined) return { accountId };
  return { accountId, name: entry.name, environment: entry.environment };
}
