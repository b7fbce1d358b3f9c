/** User agents, accounts, principals and the userIdentity blocks CloudTrail writes for them. */
import type { UserIdentity } from '../../../lambda/core/cloudtrail';
import type { Prng } from './random';
import { BASE32 } from './random';
import { actionName, kebab, minutesBefore } from './format';

// ---------------------------------------------------------------------------
// User agents
// ---------------------------------------------------------------------------

export type UserAgentKind =
  | 'console'
  | 'aws-internal'
  | 'browser'
  | 'aws-cli'
  | 'boto3'
  | 'boto3-lambda'
  | 'go-v2'
  | 'java'
  | 'js-v3'
  | 'terraform'
  | 'cdk'
  | 'pulumi'
  | 'cloudformation'
  | 'pacu'
  | 'kali'
  | 'stratus';

const CLI_VERSIONS = ['2.15.30', '2.17.51', '2.18.12', '2.22.4', '2.24.10', '2.27.2'];
const BOTO_VERSIONS = ['1.34.54', '1.34.131', '1.35.36', '1.35.90', '1.36.21', '1.37.3'];
const PY_VERSIONS = ['3.11.8', '3.12.2', '3.12.7', '3.13.1'];
const LINUX_KERNELS = [
  '5.10.233-223.887.amzn2.x86_64',
  '6.1.119-129.201.amzn2023.x86_64',
  '6.8.0-1021-aws',
];
const GO_SDK = ['1.30.3', '1.32.6', '1.36.1'];
const TF_PROVIDER = ['5.72.1', '5.84.0', '5.94.1'];
const BROWSERS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15',
];

/** The SDK service id used in `api/<svc>#` user-agent tokens. */
function sdkId(service: string): string {
  return service === 'monitoring'
    ? 'cloudwatch'
    : service === 'elasticloadbalancing'
      ? 'elbv2'
      : service;
}

/**
 * A user agent of the given family as CloudTrail shows it. `service` and `eventName`
 * shape the tokens SDKs and the CLI add for the API being called.
 */
export function userAgentFor(
  kind: UserAgentKind,
  rng: Prng,
  service = 'sts',
  eventName = 'GetCallerIdentity',
): string {
  const api = sdkId(service);
  const command = `${service === 'monitoring' ? 'cloudwatch' : service}.${kebab(actionName(eventName))}`;
  switch (kind) {
    case 'console':
      return rng.chance(0.5) ? 'console.amazonaws.com' : `${service}.amazonaws.com`;
    case 'aws-internal':
      return 'AWS Internal';
    case 'browser':
      return rng.pick(BROWSERS);
    case 'aws-cli': {
      const v = rng.pick(CLI_VERSIONS);
      const os = rng.pick(['macos#24.2.0', 'linux#6.8.0-51-generic', 'windows#10']);
      return `aws-cli/${v} md/awscrt#0.23.4 ua/2.0 os/${os} md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#${command}`;
    }
    case 'boto3':
    case 'boto3-lambda': {
      const v = rng.pick(BOTO_VERSIONS);
      const env = kind === 'boto3-lambda' ? ' exec-env/AWS_Lambda_python3.12' : '';
      return `Boto3/${v} md/Botocore#${v} ua/2.0 os/linux#${rng.pick(LINUX_KERNELS)} md/arch#x86_64 lang/python#${rng.pick(PY_VERSIONS)} md/pyimpl#CPython${env} cfg/retry-mode#legacy Botocore/${v}`;
    }
    case 'go-v2':
      return `aws-sdk-go-v2/${rng.pick(GO_SDK)} ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/${api}#1.${rng.between(20, 190)}.${rng.between(0, 9)} m/E`;
    case 'java':
      return `aws-sdk-java/2.29.${rng.between(10, 52)} md/io#sync md/http#Apache ua/2.1 os/Linux#${rng.pick(LINUX_KERNELS)} lang/java#17.0.13 md/OpenJDK_64-Bit_Server_VM#17.0.13+11-LTS md/vendor#Amazon.com_Inc. md/en_US m/F,G`;
    case 'js-v3': {
      const v = `3.7${rng.between(10, 40)}.0`;
      return `aws-sdk-js/${v} ua/2.1 os/linux#${rng.pick(LINUX_KERNELS)} lang/js md/nodejs#20.18.1 api/${api}#${v} exec-env/AWS_Lambda_nodejs20.x m/N,E,e`;
    }
    case 'terraform':
      return `APN/1.0 HashiCorp/1.0 Terraform/1.${rng.between(8, 10)}.${rng.between(0, 5)} (+https://www.terraform.io) terraform-provider-aws/${rng.pick(TF_PROVIDER)} (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/${rng.pick(GO_SDK)} ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/${api}#1.${rng.between(20, 190)}.0`;
    case 'cdk': {
      const v = `3.6${rng.between(30, 99)}.0`;
      return `aws-sdk-js/${v} ua/2.1 os/linux#6.8.0-1017-azure lang/js md/nodejs#20.18.0 api/${api}#${v} m/N,E aws-cdk/2.17${rng.between(0, 9)}.0`;
    }
    case 'pulumi':
      return `APN/1.0 Pulumi/1.0 pulumi-aws/6.6${rng.between(0, 9)}.0 (+https://www.pulumi.com) aws-sdk-go-v2/${rng.pick(GO_SDK)} ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/${api}#1.${rng.between(20, 190)}.0`;
    case 'cloudformation':
      return 'cloudformation.amazonaws.com';
    case 'pacu': {
      // Pacu rides on boto3; the trailing token marks the tool the way its own user
      // agent override would, which is what offensive-tooling heuristics look for.
      const v = rng.pick(BOTO_VERSIONS);
      return `Boto3/${v} md/Botocore#${v} ua/2.0 os/linux#6.11.2-amd64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/${v} Pacu/1.6.0`;
    }
    case 'kali':
      return rng.chance(0.5)
        ? `aws-cli/${rng.pick(CLI_VERSIONS)} md/awscrt#0.23.4 ua/2.0 os/linux#6.11.2-kali1-amd64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#kali.2024 md/prompt#off md/command#${command}`
        : `Boto3/1.36.2 md/Botocore#1.36.2 ua/2.0 os/linux#6.11.2-kali1-amd64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.36.2`;
    case 'stratus':
      return `stratus-red-team_${rng.uuid()}`;
  }
}

// ---------------------------------------------------------------------------
// Accounts, principals and identities
// ---------------------------------------------------------------------------

export const APPS = [
  'orders',
  'billing',
  'checkout',
  'ledger',
  'search',
  'catalog',
  'notify',
  'reports',
  'ingest',
  'payments',
  'inventory',
  'pricing',
  'shipping',
];
export const PEOPLE = [
  'maria.garcia',
  'wei.chen',
  'priya.raman',
  'tom.becker',
  'aisha.okafor',
  'lucas.silva',
  'emma.johansson',
  'kenji.sato',
];
export const ENVS = ['prod', 'staging', 'shared', 'data', 'sandbox'];

export interface Principal {
  readonly name: string;
  readonly id: string;
  /** Path inside the ARN, e.g. "aws-reserved/sso.amazonaws.com/". */
  readonly path: string;
}

export interface IamUserPrincipal extends Principal {
  readonly accessKeyId: string;
}

/** What an account holds, named once so every call in it refers to the same things. */
export interface AccountResources {
  readonly id: string;
  readonly env: string;
  readonly apps: readonly string[];
  readonly buckets: readonly string[];
  readonly keyIds: readonly string[];
  readonly vpcs: readonly string[];
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly dbInstances: readonly string[];
  readonly cacheClusters: readonly string[];
  readonly users: readonly IamUserPrincipal[];
  readonly appRoles: readonly Principal[];
  readonly ssoRoles: readonly Principal[];
  readonly people: readonly string[];
  readonly officeIps: readonly string[];
  readonly runnerIps: readonly string[];
}

export function awsPublicIp(rng: Prng): string {
  const first = rng.pick([3, 18, 34, 35, 44, 52, 54]);
  return `${first}.${rng.between(0, 255)}.${rng.between(0, 255)}.${rng.between(1, 254)}`;
}

/** Addresses from the documentation ranges, so no real third party appears in logs. */
export function docIp(rng: Prng): string {
  const net = rng.pick(['192.0.2', '198.51.100', '203.0.113']);
  return `${net}.${rng.between(1, 254)}`;
}

export function privateIp(rng: Prng): string {
  return `10.${rng.between(0, 31)}.${rng.between(0, 255)}.${rng.between(4, 250)}`;
}

export function makePrincipal(
  rng: Prng,
  prefix: 'AROA' | 'AIDA',
  name: string,
  path = '',
): Principal {
  return { name, id: `${prefix}${rng.chars(BASE32, 17)}`, path };
}

/** The identity shapes `createDbSecurityGroupRecord` and friends accept by name. */
export type IdentityKindOption =
  'iam-user' | 'assumed-role' | 'sso-user' | 'root' | 'federated-user' | 'ci-role';

export function iamUserIdentity(account: string, user: IamUserPrincipal): UserIdentity {
  return {
    type: 'IAMUser',
    principalId: user.id,
    arn: `arn:aws:iam::${account}:user/${user.path}${user.name}`,
    accountId: account,
    accessKeyId: user.accessKeyId,
    userName: user.name,
  };
}

/** Temporary credentials as CloudTrail shows them: the key id and when the session began. */
export interface Credential {
  readonly accessKeyId: string;
  readonly creationDate: string;
}

export function freshCredential(rng: Prng, time: Date, maxAgeMinutes = 55): Credential {
  return {
    accessKeyId: `ASIA${rng.chars(BASE32, 16)}`,
    creationDate: minutesBefore(time, rng, maxAgeMinutes),
  };
}

export function assumedRoleIdentity(
  account: string,
  role: Principal,
  session: string,
  cred: Credential,
  extra: { mfa?: boolean; invokedBy?: string; webIdProvider?: string } = {},
): UserIdentity {
  return {
    type: 'AssumedRole',
    principalId: `${role.id}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role.name}/${session}`,
    accountId: account,
    accessKeyId: cred.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: role.id,
        arn: `arn:aws:iam::${account}:role/${role.path}${role.name}`,
        accountId: account,
        userName: role.name,
      },
      webIdFederationData:
        extra.webIdProvider === undefined
          ? {}
          : { federatedProvider: extra.webIdProvider, attributes: {} },
      attributes: {
        creationDate: cred.creationDate,
        mfaAuthenticated: extra.mfa === true ? 'true' : 'false',
      },
    },
    ...(extra.invokedBy !== undefined ? { invokedBy: extra.invokedBy } : {}),
  };
}

export function rootIdentity(account: string, cred: Credential): UserIdentity {
  return {
    type: 'Root',
    principalId: account,
    arn: `arn:aws:iam::${account}:root`,
    accountId: account,
    accessKeyId: cred.accessKeyId,
    sessionContext: {
      sessionIssuer: {},
      webIdFederationData: {},
      attributes: { creationDate: cred.creationDate, mfaAuthenticated: 'true' },
    },
  };
}

export function federatedIdentity(
  account: string,
  broker: IamUserPrincipal,
  name: string,
  cred: Credential,
): UserIdentity {
  return {
    type: 'FederatedUser',
    principalId: `${account}:${name}`,
    arn: `arn:aws:sts::${account}:federated-user/${name}`,
    accountId: account,
    accessKeyId: cred.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'IAMUser',
        principalId: broker.id,
        arn: `arn:aws:iam::${account}:user/${broker.name}`,
        accountId: account,
        userName: broker.name,
      },
      webIdFederationData: {},
      attributes: { creationDate: cred.creationDate, mfaAuthenticated: 'false' },
    },
  };
}

export function awsServiceIdentity(service: string): UserIdentity {
  return { type: 'AWSService', invokedBy: service };
}
