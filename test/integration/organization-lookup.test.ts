/**
 * The organization lookup (lookups=true): the real Organizations client against a local
 * ListAccounts endpoint, and the unchanged handler telling a snapshot shared with a member
 * account from one shared outside the organization.
 */
import {
  lazyOrganizations,
  OrganizationAccounts,
} from '../../lambda/adapters/organization-accounts';
import type { Logger } from '../../lambda/core/ports';
import { createHandler, handlerDepsFromEnvironment } from '../../lambda/handler';
import { loadEnvelope } from '../support/fixtures';
import type { LocalOrganizations } from '../support/local-organizations';
import { startLocalOrganizations } from '../support/local-organizations';
import type { LocalAws } from '../support/servers';
import { readStoredAlert, startLocalAws } from '../support/servers';
import { alertIdFor } from '../../lambda/core/alert';

const SHARED =
  'cloudtrail/aws.datastore.snapshot-shared/rds-modify-db-snapshot-attribute.success.shared-unknown-account.json';
const RECIPIENT = '210987654321';
const RULE = 'aws.datastore.snapshot-shared';

let aws: LocalAws;
let organizations: LocalOrganizations;

beforeAll(async () => {
  [aws, organizations] = await Promise.all([startLocalAws(), startLocalOrganizations()]);
});

afterAll(async () => {
  await Promise.all([aws.close(), organizations.close()]);
});

beforeEach(() => {
  organizations.refuse(undefined);
  organizations.setAccounts([]);
});

function members(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(100000000000 + i));
}

function lookup(options: ConstructorParameters<typeof OrganizationAccounts>[1] = {}) {
  return new OrganizationAccounts(
    lazyOrganizations({
      region: 'us-east-1',
      endpoint: organizations.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
    options,
  );
}

describe('OrganizationAccounts', () => {
  it('reads every page of the organization’s accounts, once per container while fresh', async () => {
    organizations.setAccounts([...members(45), RECIPIENT]);
    const before = organizations.requests();
    const accounts = lookup();
    const first = await accounts.accounts();
    expect(first?.size).toBe(46);
    expect(first?.has(RECIPIENT)).toBe(true);
    expect(organizations.requests() - before).toBe(3);
    await accounts.accounts();
    expect(organizations.requests() - before).toBe(3);
  });

  it.each(['AccessDeniedException', 'AWSOrganizationsNotInUseException'] as const)(
    'answers unknown, saying why once, when Organizations answers %s',
    async (error) => {
      organizations.refuse(error);
      const warnings: unknown[] = [];
      const logger: Logger = {
        info: () => undefined,
        warn: (_message, fields) => warnings.push(fields),
        error: () => undefined,
      };
      const before = organizations.requests();
      const accounts = lookup({ logger });
      expect(await accounts.accounts()).toBeUndefined();
      expect(await accounts.accounts()).toBeUndefined();
      expect(organizations.requests() - before).toBe(1);
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).toMatch(
        error === 'AccessDeniedException' ? /management account or a delegated/ : /no organization/,
      );
    },
  );

  it('answers unknown when its time box runs out, without waiting for Organizations', async () => {
    organizations.setAccounts(members(3));
    let expire = (): void => undefined;
    const accounts = lookup({
      startTimer: (_ms, fire) => {
        expire = fire;
        return () => undefined;
      },
    });
    const answer = accounts.accounts();
    expire();
    expect(await answer).toBeUndefined();
  });

  it('answers unknown past its page budget rather than with a partial list', async () => {
    organizations.setAccounts(members(41));
    expect(await lookup({ maxPages: 2 }).accounts()).toBeUndefined();
  });
});

describe('a snapshot shared with another account, with lookups on', () => {
  function handlerWith(endpoint: string) {
    return createHandler(
      handlerDepsFromEnvironment({
        ...process.env,
        SGWATCH_LOOKUPS: 'true',
        AWS_ENDPOINT_URL_ORGANIZATIONS: endpoint,
      }),
    );
  }

  async function shareAlert(eventID: string, endpoint = organizations.url) {
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = endpoint;
    try {
      const event = loadEnvelope(SHARED);
      (event.detail as unknown as Record<string, unknown>).eventID = eventID;
      const result = await handlerWith(endpoint)(event);
      expect(result.alerts.map((a) => a.outcome)).toEqual(['notified']);
      return await readStoredAlert(aws.dynamodb, alertIdFor(RULE, eventID));
    } finally {
      delete process.env.AWS_ENDPOINT_URL_ORGANIZATIONS;
    }
  }

  it('names a member account as one, and does not score it as unknown', async () => {
    organizations.setAccounts([...members(5), RECIPIENT]);
    const alert = await shareAlert(`org-member-${Date.now()}`);
    expect((alert?.findings ?? []).join('\n')).toContain(
      `account ${RECIPIENT}, a member of this organization`,
    );
    expect(alert?.risk.factors.map((f) => f.id)).not.toContain('unknown-recipient-account');
  });

  it('names an account outside the organization as such, and scores it higher', async () => {
    organizations.setAccounts(members(5));
    const alert = await shareAlert(`org-outsider-${Date.now()}`);
    expect((alert?.findings ?? []).join('\n')).toContain(
      `account ${RECIPIENT}, outside this organization`,
    );
    expect(alert?.risk.factors.map((f) => f.id)).toContain('unknown-recipient-account');
  });

  it('still alerts, naming accounts from the directory alone, when Organizations refuses', async () => {
    organizations.refuse('AccessDeniedException');
    const alert = await shareAlert(`org-refused-${Date.now()}`);
    expect((alert?.findings ?? []).join('\n')).toContain(
      `account ${RECIPIENT}, which the account directory does not list`,
    );
    expect(alert?.risk.factors.map((f) => f.id)).toContain('unknown-recipient-account');
  });
});
