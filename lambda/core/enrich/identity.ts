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

export function summarizeIdentity(identity: UserIdentity): IdentitySummary {
  const type = typeof identity.type === 'string' ? identity.type : '';
  const kind = KIND_BY_TYPE[type] ?? 'unknown';
  const issuer = identity.sessionContext?.sessionIssuer;
  const principalArn = identity.arn ?? (kind === 'aws-service' ? (identity.invokedBy ?? '') : '');
  const sessionName = kind === 'assumed-role' ? sessionNameOf(identity.arn) : undefined;
  const mfa = mfaOf(identity);
  return {
    kind,
    type,
    principalArn,
    principalId: identity.principalId ?? '',
    accountId: identity.accountId ?? '',
    ...(identity.userName !== undefined ? { userName: identity.userName } : {}),
    ...(kind === 'assumed-role' && issuer?.arn !== undefined ? { roleArn: issuer.arn } : {}),
    ...(sessionName !== undefined ? { sessionName } : {}),
    ...(kind === 'federated-user' && issuer?.arn !== undefined ? { roleArn: issuer.arn } : {}),
    ...(mfa !== undefined ? { mfa } : {}),
    ...(identity.accessKeyId !== undefined && identity.accessKeyId !== ''
      ? { accessKeyId: identity.accessKeyId }
      : {}),
    ...(identity.invokedBy !== undefined ? { invokedBy: identity.invokedBy } : {}),
  };
}
