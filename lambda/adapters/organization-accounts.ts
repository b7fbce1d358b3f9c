// Types only: the Organizations client is loaded on first use (see `lazyOrganizations`), so
// a deployment without lookups neither bundles nor loads it.
import type {
  ListAccountsCommandInput,
  ListAccountsCommandOutput,
  OrganizationsClientConfig,
} from '@aws-sdk/client-organizations';
import type * as OrganizationsSdk from '@aws-sdk/client-organizations';
import type { Logger, OrganizationLookup } from '../core/ports';
import { cleanText } from '../core/text';
import type { StartTimer } from './time-box';
import { eventLoopTimer, timeBoxed } from './time-box';

/** The one Organizations call the lookup makes, so the SDK can be loaded late. */
export interface OrganizationsApi {
  listAccounts(
    input: ListAccountsCommandInput,
    options: { abortSignal: AbortSignal },
  ): Promise<ListAccountsCommandOutput>;
}

/**
 * An Organizations client created, and its SDK module imported, on the first lookup. The
 * module is external to the detector bundle (lib/bundling.ts); the runtime's SDK supplies it.
 */
export function lazyOrganizations(config: OrganizationsClientConfig = {}): OrganizationsApi {
  type Sdk = typeof OrganizationsSdk;
  let sdk: Promise<{ module: Sdk; client: InstanceType<Sdk['OrganizationsClient']> }> | undefined;
  const load = () =>
    (sdk ??= import('@aws-sdk/client-organizations').then((module) => ({
      module,
      client: new module.OrganizationsClient(config),
    })));
  return {
    listAccounts: async (input, options) => {
      const { module, client } = await load();
      return client.send(new module.ListAccountsCommand(input), options);
    },
  };
}

export interface OrganizationAccountsOptions {
  /** The whole budget of one lookup, every page included. @default 1500 */
  readonly timeoutMs?: number;
  /** How long the member list is reused by this container. @default 900000 (15 minutes) */
  readonly cacheTtlMs?: number;
  /** How long a failed lookup is remembered before the next one asks again. @default 60000 */
  readonly failureTtlMs?: number;
  /** Pages of 20 accounts read at most; past them the answer is unknown. @default 50 */
  readonly maxPages?: number;
  /** The clock for cache expiry, in ms. @default Date.now */
  readonly now?: () => number;
  /** Starts the time box; returns its cancel. @default - a timer of the event loop */
  readonly startTimer?: StartTimer;
  /** Where a failed lookup is reported, once per failure period. @default - nowhere */
  readonly logger?: Logger;
}

/** An account id is 12 digits; anything else Organizations returned is not one. */
const ACCOUNT_ID = /^\d{12}$/;

/**
 * The organization's member accounts, from Organizations ListAccounts: answered only from
 * the management account or a delegated administrator. Anywhere else (access denied, not in
 * an organization, too slow, too many pages) the answer is undefined: unknown, and alerts
 * then name accounts from the account directory alone.
 */
export class OrganizationAccounts implements OrganizationLookup {
  private readonly timeoutMs: number;
  private readonly cacheTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxPages: number;
  private readonly now: () => number;
  private readonly startTimer: StartTimer;
  private cached: { accounts: ReadonlySet<string> | undefined; until: number } | undefined;
  private pending: Promise<ReadonlySet<string> | undefined> | undefined;

  constructor(
    private readonly api: OrganizationsApi,
    private readonly options: OrganizationAccountsOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.cacheTtlMs = options.cacheTtlMs ?? 900_000;
    this.failureTtlMs = options.failureTtlMs ?? 60_000;
    this.maxPages = options.maxPages ?? 50;
    this.now = options.now ?? Date.now;
    this.startTimer = options.startTimer ?? eventLoopTimer;
  }

  accounts(): Promise<ReadonlySet<string> | undefined> {
    if (this.cached !== undefined && this.cached.until > this.now()) {
      return Promise.resolve(this.cached.accounts);
    }
    // Concurrent alerts of one container share one lookup.
    this.pending ??= this.timeBoxed().then((accounts) => {
      this.cached = {
        accounts,
        until: this.now() + (accounts !== undefined ? this.cacheTtlMs : this.failureTtlMs),
      };
      this.pending = undefined;
      return accounts;
    });
    return this.pending;
  }

  private timeBoxed(): Promise<ReadonlySet<string> | undefined> {
    return timeBoxed(
      this.startTimer,
      this.timeoutMs,
      (signal) => this.list(signal),
      () => {
        this.report(`Organizations did not answer within ${this.timeoutMs} ms`);
        return undefined;
      },
    );
  }

  private async list(abortSignal: AbortSignal): Promise<ReadonlySet<string> | undefined> {
    const accounts = new Set<string>();
    let nextToken: string | undefined;
    try {
      for (let page = 0; page < this.maxPages; page += 1) {
        const output = await this.api.listAccounts(
          { MaxResults: 20, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) },
          { abortSignal },
        );
        for (const account of output.Accounts ?? []) {
          if (typeof account.Id === 'string' && ACCOUNT_ID.test(account.Id)) {
            accounts.add(account.Id);
          }
        }
        nextToken = output.NextToken === '' ? undefined : output.NextToken;
        if (nextToken === undefined) return accounts;
      }
      this.report(`the organization has more than ${this.maxPages * 20} accounts`);
      return undefined;
    } catch (error) {
      if (!abortSignal.aborted) this.report(reasonFor(error));
      return undefined;
    }
  }

  private report(reason: string): void {
    this.options.logger?.warn('organization lookup answered unknown', { reason });
  }
}

function reasonFor(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return 'Organizations refused ListAccounts (only the management account or a delegated administrator may list accounts)';
  }
  if (name === 'AWSOrganizationsNotInUseException') return 'this account is in no organization';
  return `Organizations ListAccounts failed: ${cleanText(`${name}: ${message}`, 200)}`;
}
