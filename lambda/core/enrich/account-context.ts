/**
 * The operator's list of AWS accounts (id → name and environment), used to say which account
 * an alert is about in words and to raise the risk of calls in production.
 *
 * The directory comes from the configuration file, whose schema (`policy-file.ts`) validates
 * it once at the boundary.
 */

export interface AccountDirectory {
  readonly [accountId: string]: { readonly name: string; readonly environment: string };
}

export interface AccountContext {
  readonly accountId: string;
  readonly name?: string;
  readonly environment?: string;
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
