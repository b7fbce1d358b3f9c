/**
 * Who a snapshot-sharing call lets restore the snapshot, read from the request alone.
 *
 * RDS (and Aurora, DocumentDB and Neptune, which all log as rds.amazonaws.com) shares a DB or
 * cluster snapshot through its `restore` attribute: `valuesToAdd` lists account ids, or `all`
 * for every AWS account. Redshift names one account per call in `accountWithRestoreAccess`.
 * Decisions, each mirrored by the rule patterns so the two cannot drift:
 * - Values are read where the pattern reads them: the scalars of the parameter, looking
 *   through arrays, so a lone string and a list are the same request. Anything else (an
 *   object, a list of objects) is not a share this detection can describe.
 * - An account id may be logged as a string or a number; a number is written back as the
 *   12 digits AWS uses (leading zeros restored). `all` is compared without regard to case.
 * - The snapshot's own account (`recipientAccountId`, else the caller's account) is not a
 *   recipient: adding it changes nothing. The caller's home account is not excluded when it
 *   differs, because a cross-account caller copying a snapshot home is exactly the attack.
 * - Removing accounts (`valuesToRemove`) narrows access and never fires.
 */
import type { CloudTrailRecord } from '../../cloudtrail';
import { accountContext } from '../../enrich/account-context';
import { cleanText } from '../../text';
import type { Detection, DetectionContext, EventPatternJson, WatchedCall } from '../detection';
import { EMPTY_DETECTION_CONTEXT } from '../detection';
import { EXFILTRATION, TRANSFER_TO_CLOUD_ACCOUNT } from '../mitre';
import { requestString, scalarsAt, stringsAt } from '../request';

/** What the `restore` attribute value `all` means: any AWS account may restore the snapshot. */
export const PUBLIC_SHARE = 'all';

const ACCOUNT_ID = /^[0-9]{12}$/;
const MAX_ACCOUNT_NUMBER = 999_999_999_999;
/** Recipients listed in findings; the raw record keeps the rest. */
const MAX_RECIPIENTS_SHOWN = 10;

/** One party a share call adds: every AWS account, or one account (or value) it names. */
export type Recipient =
  | { readonly kind: 'public' }
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'other'; readonly value: string };

interface ShareCall {
  readonly call: WatchedCall;
  /** The request parameter listing who is added. */
  readonly addParameter: string;
  /** How the alert names the snapshot. */
  readonly label: string;
}

/** The attribute RDS shares snapshots through; `equals-ignore-case` admits any spelling. */
const RESTORE_ATTRIBUTE = 'restore';

const RDS_SHARE_FILTER: EventPatternJson = {
  requestParameters: {
    attributeName: [{ 'equals-ignore-case': RESTORE_ATTRIBUTE }],
    valuesToAdd: [{ exists: true }],
  },
};

/** The same call asked to add every account: what the failed-attempt detection watches. */
const RDS_PUBLIC_SHARE_FILTER: EventPatternJson = {
  requestParameters: {
    attributeName: [{ 'equals-ignore-case': RESTORE_ATTRIBUTE }],
    valuesToAdd: [{ 'equals-ignore-case': PUBLIC_SHARE }],
  },
};

function rdsShare(
  eventName: string,
  type: string,
  nameParameter: string,
  label: string,
  filter: EventPatternJson,
): ShareCall {
  return {
    call: {
      source: 'aws.rds',
      eventSource: 'rds.amazonaws.com',
      eventName,
      resource: { type, nameParameter, consolePath: 'rds/home' },
      detailFilter: filter,
    },
    addParameter: 'valuesToAdd',
    label,
  };
}

function rdsShares(filter: EventPatternJson): ShareCall[] {
  return [
    rdsShare(
      'ModifyDBSnapshotAttribute',
      'RDS DB snapshot',
      'dBSnapshotIdentifier',
      'DB snapshot',
      filter,
    ),
    rdsShare(
      'ModifyDBClusterSnapshotAttribute',
      'RDS DB cluster snapshot',
      'dBClusterSnapshotIdentifier',
      'DB cluster snapshot',
      filter,
    ),
  ];
}

const REDSHIFT_SHARE: ShareCall = {
  call: {
    source: 'aws.redshift',
    eventSource: 'redshift.amazonaws.com',
    eventName: 'AuthorizeSnapshotAccess',
    resource: {
      type: 'Redshift snapshot',
      nameParameter: 'snapshotIdentifier',
      consolePath: 'redshiftv2/home',
    },
    detailFilter: { requestParameters: { accountWithRestoreAccess: [{ exists: true }] } },
  },
  addParameter: 'accountWithRestoreAccess',
  label: 'Redshift snapshot',
};

/** Every call that shares a snapshot with other accounts. */
export const SHARE_CALLS: readonly ShareCall[] = [...rdsShares(RDS_SHARE_FILTER), REDSHIFT_SHARE];

/** The RDS share calls asked to make a snapshot public. */
export const PUBLIC_SHARE_CALLS: readonly WatchedCall[] = rdsShares(RDS_PUBLIC_SHARE_FILTER).map(
  ({ call }) => call,
);

function shareCallOf(record: CloudTrailRecord): ShareCall | undefined {
  return SHARE_CALLS.find(
    ({ call }) => call.eventSource === record.eventSource && call.eventName === record.eventName,
  );
}

/** A 12-digit account id from a string or a JSON number, or undefined. */
export function accountIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return ACCOUNT_ID.test(value) ? value : undefined;
  if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= 0 &&
    value <= MAX_ACCOUNT_NUMBER
  ) {
    return String(value).padStart(12, '0');
  }
  return undefined;
}

// ASCII case only: a subset of what the patterns' equals-ignore-case admits.
const RESTORE_NAME = /^restore$/i;
const PUBLIC_NAME = /^all$/i;

function isRestoreAttribute(record: CloudTrailRecord): boolean {
  return stringsAt(record.requestParameters, ['attributeName']).some((name) =>
    RESTORE_NAME.test(name),
  );
}

function recipientOf(value: unknown): Recipient | undefined {
  if (typeof value === 'string' && PUBLIC_NAME.test(value)) return { kind: 'public' };
  const accountId = accountIdOf(value);
  if (accountId !== undefined) return { kind: 'account', accountId };
  if (typeof value === 'string' && value.trim() !== '') return { kind: 'other', value };
  return undefined;
}

function keyOf(recipient: Recipient): string {
  switch (recipient.kind) {
    case 'public':
      return 'public';
    case 'account':
      return `account:${recipient.accountId}`;
    case 'other':
      return `other:${recipient.value}`;
  }
}

/** The snapshot's own account, which a share to itself does not leave. */
function ownAccount(record: CloudTrailRecord): string | undefined {
  return accountIdOf(record.recipientAccountId) ?? accountIdOf(record.userIdentity.accountId);
}

/**
 * The parties a successful or attempted share adds, other than the snapshot's own account,
 * each once, in request order. Empty for any call that is not a share.
 */
export function shareRecipients(record: CloudTrailRecord): Recipient[] {
  const share = shareCallOf(record);
  if (share === undefined) return [];
  if (share.addParameter === 'valuesToAdd' && !isRestoreAttribute(record)) return [];
  const own = ownAccount(record);
  const seen = new Set<string>();
  const recipients: Recipient[] = [];
  for (const value of scalarsAt(record.requestParameters, [share.addParameter])) {
    const recipient = recipientOf(value);
    if (recipient === undefined) continue;
    if (recipient.kind === 'account' && recipient.accountId === own) continue;
    const key = keyOf(recipient);
    if (seen.has(key)) continue;
    seen.add(key);
    recipients.push(recipient);
  }
  return recipients;
}

export function isPublicShare(record: CloudTrailRecord): boolean {
  return shareRecipients(record).some((recipient) => recipient.kind === 'public');
}

/** Whether the organization, as looked up, has `accountId` as a member. */
function inOrganization(context: DetectionContext, accountId: string): boolean {
  return context.organizationAccounts?.has(accountId) === true;
}

/** Accounts (or values that are not account ids) neither the directory nor the organization knows. */
export function hasUnknownRecipient(record: CloudTrailRecord, context: DetectionContext): boolean {
  return shareRecipients(record).some(
    (recipient) =>
      recipient.kind === 'other' ||
      (recipient.kind === 'account' &&
        accountContext(context.accounts, recipient.accountId).name === undefined &&
        !inOrganization(context, recipient.accountId)),
  );
}

function describeRecipient(recipient: Recipient, context: DetectionContext): string {
  switch (recipient.kind) {
    case 'public':
      return `every AWS account (${PUBLIC_SHARE}): the snapshot is public`;
    case 'account': {
      const known = accountContext(context.accounts, recipient.accountId);
      if (known.name !== undefined) {
        return `account ${recipient.accountId}, known as ${cleanText(known.name, 64)} (${cleanText(known.environment, 32)})`;
      }
      if (inOrganization(context, recipient.accountId)) {
        return `account ${recipient.accountId}, a member of this organization (not in the account directory)`;
      }
      return context.organizationAccounts !== undefined
        ? `account ${recipient.accountId}, outside this organization and not in the account directory`
        : `account ${recipient.accountId}, which the account directory does not list`;
    }
    case 'other':
      return `${cleanText(recipient.value, 64)}, which is not an account id (not in the account directory)`;
  }
}

/** One line per party the snapshot was shared with, naming the snapshot. */
export function shareFindings(
  record: CloudTrailRecord,
  context: DetectionContext = EMPTY_DETECTION_CONTEXT,
): string[] {
  const share = shareCallOf(record);
  const recipients = shareRecipients(record);
  if (share === undefined || recipients.length === 0) return [];
  const name = requestString(record.requestParameters, share.call.resource.nameParameter);
  const what = `${share.label} ${name !== undefined ? cleanText(name, 100) : '(identifier not in the request)'}`;
  const lines = recipients
    .slice(0, MAX_RECIPIENTS_SHOWN)
    .map((recipient) => `${what} shared with ${describeRecipient(recipient, context)}`);
  const more = recipients.length - MAX_RECIPIENTS_SHOWN;
  return more > 0 ? [...lines, `…and ${more} more (see the CloudTrail record)`] : lines;
}

export const snapshotShared: Detection = {
  id: 'aws.datastore.snapshot-shared',
  pack: 'exfiltration',
  title: 'Database snapshot shared outside the account',
  shortTitle: 'Snapshot shared outside account',
  description:
    'An RDS, Aurora, DocumentDB or Neptune DB or cluster snapshot, or a Redshift snapshot, may ' +
    'now be restored by another AWS account, or by every AWS account when it was made public. ' +
    'Whoever controls that account can restore a full copy of the database in their own ' +
    'account, outside every control of yours, and nothing in your account records what they ' +
    'read afterwards. Sharing a snapshot with an attacker-owned account is the most common way ' +
    'whole databases leave AWS accounts.',
  severity: 'high',
  riskScore: 60,
  mitre: [{ tactic: EXFILTRATION, technique: TRANSFER_TO_CLOUD_ACCOUNT }],
  calls: SHARE_CALLS.map(({ call }) => call),
  outcome: 'success',
  requestMatches: (record) => shareRecipients(record).length > 0,
  findings: shareFindings,
  readsOrganization: true,
  riskRules: [
    {
      id: 'snapshot-public',
      delta: 20,
      description: 'The snapshot was made public: every AWS account may restore it.',
      applies: isPublicShare,
      reason: 'the snapshot was made public (valuesToAdd: all)',
    },
    {
      id: 'unknown-recipient-account',
      delta: 10,
      description:
        'The snapshot was shared with an account neither the account directory (sgwatch.config.json) nor, with lookups on, the organization knows.',
      applies: hasUnknownRecipient,
      reason:
        'the snapshot was shared with an account neither the account directory nor the organization knows',
    },
  ],
  investigation: [
    'Read the findings: which snapshot, and each account it was shared with; an account the directory does not list, or a public snapshot, comes first.',
    'Check what the snapshot holds: the database it was taken from (aws rds describe-db-snapshots or describe-db-cluster-snapshots, aws redshift describe-cluster-snapshots) and whether it carries production or personal data.',
    'List everyone who can restore it now (aws rds describe-db-snapshot-attributes or describe-db-cluster-snapshot-attributes); an earlier share by the same principal may already have been used.',
    'Look at what the same principal did just before: CreateDBSnapshot, CreateDBClusterSnapshot or CopyDBSnapshot (often with a new KMS key, then a key grant to the same account), which is how an attacker prepares a copy to share.',
    'Ask the owner of the caller, or the backup pipeline, whether the recipient is a backup, disaster-recovery or partner account.',
  ],
  falsePositives: [
    'Backup or disaster-recovery accounts that receive snapshot copies on a schedule; list them in the account directory so they score lower, or add an exception for the backup role.',
    'Sharing with a partner or vendor account for a migration or an analytics job; agree an expiry and remove the share afterwards.',
    'Sharing a Redshift snapshot with AWS Support (amazon-redshift-support) for a support case.',
  ],
  response: [
    'Remove the share now unless its owner confirms it (aws rds modify-db-snapshot-attribute --attribute-name restore --values-to-remove <account>, the cluster equivalent, or aws redshift revoke-snapshot-access).',
    'Assume the recipient may already hold a copy: a restore in their account is invisible to you. Rotate the database credentials the snapshot contains and treat its data as disclosed if the account is unknown.',
    'For an encrypted snapshot, check the KMS key policy and grants for the same account; a customer-managed key shared with it lets the copy be read.',
    'Prevent a repeat: an SCP or permission boundary that limits rds:ModifyDBSnapshotAttribute and redshift:AuthorizeSnapshotAccess to the backup role, and the AWS Config rules rds-snapshots-public-prohibited and redshift-cluster-public-access-check.',
  ],
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html',
    'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBClusterSnapshotAttribute.html',
    'https://docs.aws.amazon.com/redshift/latest/APIReference/API_AuthorizeSnapshotAccess.html',
    'https://attack.mitre.org/techniques/T1537/',
  ],
};
