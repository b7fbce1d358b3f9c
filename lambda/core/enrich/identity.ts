import type { UserIdentity } from '../cloudtrail';

export type IdentityKind =
  | 'root'
  | 'iam-user'
  | 'assumed-role'
  | 'federated-user'
  | 'aws-service'
  | 'aws-account'
  | 'identity-center-user'
  | 'unknown';

/** Who made the call, reduced to what an analyst reads first. */
export interface IdentitySummary {
  readonly kind: IdentityKind;
  /** The CloudTrail `userIdentity.type`, verbatim (empty when absent). */
  readonly type: string;
  /** The caller's ARN; for an AWS service, its service principal. */
  readonly principalArn: string;
  readonly principalId: string;
  readonly accountId: string;
  readonly userName?: string;
  /** For an assumed role: the role the session was issued from. */
  readonly roleArn?: string;
  readonly sessionName?: string;
  /** true or false when CloudTrail says; undefined when the record does not tell. */
  readonly mfa?: boolean;
  readonly accessKeyId?: string;
  /** Set when an AWS service made the call on the caller's behalf. */
  readonly invokedBy?: string;
}

const KIND_BY_TYPE: Readonly<Record<string, IdentityKind>> = {
  Root: 'root',
  IAMUser: 'iam-user',
  AssumedRole: 'assumed-role',
  FederatedUser: 'federated-user',
  AWSService: 'aws-service',
  AWSAccount: 'aws-account',
  IdentityCenterUser: 'identity-center-user',
};

function mfaOf(identity: UserIdentity): boolean | undefined {
  const flag = identity.sessionContext?.attributes?.mfaAuthenticated;
  if (flag === 'true') return true;
  if (flag === 'false') return false;
  return undefined;
}

/** The session name is the last segment of an assumed-role ARN. */
function sessionNameOf(arn: string | undefined): string | undefined {
  if (arn === undefined || !arn.includes(':assumed-role/')) return undefined;
  const parts = arn.split('/');
  return parts.length >= 3 ? parts[parts.length - 1] : undefined;
}

/**
 * A field's text, or undefined. CloudTrail writes `null` for some absent values, and
 * validation lets null through for optional fields, so `?? ''` alone is not enough.
 */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function summarizeIdentity(identity: UserIdentity): IdentitySummary {
  const type = text(identity.type) ?? '';
  // Own keys only: a type of "constructor" or "__proto__" must not read Object.prototype.
  const kind = Object.hasOwn(KIND_BY_TYPE, type) ? (KIND_BY_TYPE[type] ?? 'unknown') : 'unknown';
  const issuerArn = text(identity.sessionContext?.sessionIssuer?.arn);
  const arn = text(identity.arn);
  const invokedBy = text(identity.invokedBy);
  const userName = text(identity.userName);
  const accessKeyId = text(identity.accessKeyId);
  const principalArn = arn ?? (kind === 'aws-service' ? (invokedBy ?? '') : '');
  const sessionName = kind === 'assumed-role' ? sessionNameOf(arn) : undefined;
  const mfa = mfaOf(identity);
  return {
    kind,
    type,
    principalArn,
    principalId: text(identity.principalId) ?? '',
    accountId: text(identity.accountId) ?? '',
    ...(userName !== undefined ? { userName } : {}),
    ...(kind === 'assumed-role' && issuerArn !== undefined ? { roleArn: issuerArn } : {}),
    ...(sessionName !== undefined ? { sessionName } : {}),
    ...(kind === 'federated-user' && issuerArn !== undefined ? { roleArn: issuerArn } : {}),
    ...(mfa !== undefined ? { mfa } : {}),
    ...(accessKeyId !== undefined && accessKeyId !== '' ? { accessKeyId } : {}),
    ...(invokedBy !== undefined ? { invokedBy } : {}),
  };
}
