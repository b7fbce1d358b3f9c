/**
 * Deterministic generator of CloudTrail management-event records and of S3-style
 * CloudTrail archives, for tests, the shipped sample and the replay benchmark.
 *
 * Everything random comes from a seeded PRNG, so a seed names an archive: the same
 * options always produce the same records and the same bytes. The background traffic
 * imitates what an ordinary AWS account logs (lots of reads from workloads and AWS
 * services, some deploys, a few humans, the odd intruder) so that detection runs
 * against realistic noise rather than a file of nothing but targets.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { CloudTrailRecord, UserIdentity } from '../../lambda/core/cloudtrail';

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

/** 32-bit FNV-1a; turns labels into seeds so derived streams do not depend on call order. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const HEX = '0123456789abcdef';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// AWS key and principal ids use the base32 alphabet after their four-letter prefix.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Small seeded PRNG (sfc32, seeded through splitmix32). Not for cryptography. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    // The first outputs of sfc32 are weakly mixed; discard them.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A stream that depends only on the seed and the labels, never on draws made so far. */
  static derive(seed: number, ...labels: ReadonlyArray<string | number>): Prng {
    return new Prng(hash32([seed, ...labels].join('\u0000')));
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max], both inclusive. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('cannot pick from an empty list');
    return item;
  }

  /** A shuffled copy (Fisher-Yates), independent of the engine's sort algorithm. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  chars(alphabet: string, n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet.charAt(this.int(alphabet.length));
    return out;
  }

  hex(n: number): string {
    return this.chars(HEX, n);
  }

  alnum(n: number): string {
    return this.chars(ALNUM, n);
  }

  /** An RFC 4122 version-4 UUID built from this stream. */
  uuid(): string {
    const bytes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const w = this.uint32();
      bytes.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
    }
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const h = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** A weighted choice table; picking is a binary search over cumulative weights. */
export class Weighted<T> {
  private readonly items: T[] = [];
  private readonly cumulative: number[] = [];
  private total = 0;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    for (const [item, weight] of entries) {
      if (weight <= 0) continue;
      this.total += weight;
      this.items.push(item);
      this.cumulative.push(this.total);
    }
    if (this.items.length === 0) throw new Error('a weighted table needs a positive weight');
  }

  pick(rng: Prng): T {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}

// ---------------------------------------------------------------------------
// Formatting helpers
// ---------------------------------------------------------------------------

/** CloudTrail writes eventTime to the second, without milliseconds. */
export function isoSeconds(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** STS reports credential expiry in this US locale style, e.g. "Mar 5, 2025, 3:04:05 PM". */
function stsExpiration(time: Date): string {
  const h = time.getUTCHours();
  const pad = (n: number): string => String(n).padStart(2, '0');
  const clock = `${h % 12 === 0 ? 12 : h % 12}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())}`;
  return `${MONTHS[time.getUTCMonth()] ?? 'Jan'} ${time.getUTCDate()}, ${time.getUTCFullYear()}, ${clock} ${h < 12 ? 'AM' : 'PM'}`;
}

function minutesBefore(time: Date, rng: Prng, maxMinutes: number): string {
  return isoSeconds(new Date(time.getTime() - rng.between(1, maxMinutes * 60) * 1000));
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Lambda's CloudTrail names carry an API version suffix the IAM action does not. */
function actionName(eventName: string): string {
  return eventName.replace(/\d{8}(v\d+)?$/, '');
}

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

const APPS = [
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
const PEOPLE = [
  'maria.garcia',
  'wei.chen',
  'priya.raman',
  'tom.becker',
  'aisha.okafor',
  'lucas.silva',
  'emma.johansson',
  'kenji.sato',
];
const ENVS = ['prod', 'staging', 'shared', 'data', 'sandbox'];

interface Principal {
  readonly name: string;
  readonly id: string;
  /** Path inside the ARN, e.g. "aws-reserved/sso.amazonaws.com/". */
  readonly path: string;
}

interface IamUserPrincipal extends Principal {
  readonly accessKeyId: string;
}

interface AccountProfile {
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
  readonly actors: Weighted<Actor>;
  readonly humanActors: readonly Actor[];
  readonly intruder: Actor;
}

function awsPublicIp(rng: Prng): string {
  const first = rng.pick([3, 18, 34, 35, 44, 52, 54]);
  return `${first}.${rng.between(0, 255)}.${rng.between(0, 255)}.${rng.between(1, 254)}`;
}

/** Addresses from the documentation ranges, so no real third party appears in logs. */
function docIp(rng: Prng): string {
  const net = rng.pick(['192.0.2', '198.51.100', '203.0.113']);
  return `${net}.${rng.between(1, 254)}`;
}

function privateIp(rng: Prng): string {
  return `10.${rng.between(0, 31)}.${rng.between(0, 255)}.${rng.between(4, 250)}`;
}

function makePrincipal(rng: Prng, prefix: 'AROA' | 'AIDA', name: string, path = ''): Principal {
  return { name, id: `${prefix}${rng.chars(BASE32, 17)}`, path };
}

/** The identity shapes `createDbSecurityGroupRecord` and friends accept by name. */
export type IdentityKindOption =
  'iam-user' | 'assumed-role' | 'sso-user' | 'root' | 'federated-user' | 'ci-role';

function iamUserIdentity(account: string, user: IamUserPrincipal): UserIdentity {
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
interface Credential {
  readonly accessKeyId: string;
  readonly creationDate: string;
}

function freshCredential(rng: Prng, time: Date, maxAgeMinutes = 55): Credential {
  return {
    accessKeyId: `ASIA${rng.chars(BASE32, 16)}`,
    creationDate: minutesBefore(time, rng, maxAgeMinutes),
  };
}

function assumedRoleIdentity(
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

function rootIdentity(account: string, cred: Credential): UserIdentity {
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

function federatedIdentity(
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

function awsServiceIdentity(service: string): UserIdentity {
  return { type: 'AWSService', invokedBy: service };
}

// ---------------------------------------------------------------------------
// Event templates
// ---------------------------------------------------------------------------

type Params = Record<string, unknown> | null;

interface Ctx {
  readonly rng: Prng;
  readonly acct: AccountProfile;
  readonly region: string;
  readonly time: Date;
  /** The caller's ARN, for responses and error messages that quote it. */
  readonly callerArn: string;
}

interface Built {
  readonly req?: Params;
  readonly resp?: Params;
  readonly additionalEventData?: Record<string, unknown>;
  readonly resources?: ReadonlyArray<Record<string, string>>;
  /** A plausible non-authorization failure for this call (code, message). */
  readonly miss?: readonly [string, string | undefined];
  /**
   * The error every call now gets because the API was retired (EC2-Classic): the call is
   * still made by old tooling, but never succeeds.
   */
  readonly retired?: readonly [string, string];
}

interface EventTemplate {
  readonly service: string;
  readonly source: string;
  readonly name: string;
  readonly readOnly: boolean;
  /** Global services log in us-east-1 only. */
  readonly global: boolean;
  readonly build: (c: Ctx) => Built;
}

const JSON_PROTOCOL = new Set([
  'kms',
  'lambda',
  'ssm',
  'secretsmanager',
  'logs',
  'ecr',
  'dynamodb',
  'ecs',
  'guardduty',
  'config',
  'cloudtrail',
  'organizations',
  'eks',
]);

function tpl(
  service: string,
  name: string,
  readOnly: boolean,
  build: (c: Ctx) => Built = () => ({}),
  global = false,
): EventTemplate {
  return { service, source: `${service}.amazonaws.com`, name, readOnly, global, build };
}

function filter(name: string, ...values: string[]): Record<string, unknown> {
  return { name, valueSet: { items: values.map((value) => ({ value })) } };
}

function tagSet(c: Ctx, app: string): Array<{ key: string; value: string }> {
  return [
    { key: 'app', value: app },
    { key: 'env', value: c.acct.env },
    { key: 'owner', value: `team-${app}` },
  ];
}

function ec2Response(c: Ctx, body: Record<string, unknown>): Record<string, unknown> {
  return { requestId: c.rng.uuid(), ...body };
}

function sessionToken(rng: Prng): string {
  // Real tokens run to several hundred characters; a shorter stand-in keeps records
  // near the size of real ones without padding them with noise.
  return `IQoJb3JpZ2luX2VjE${rng.alnum(120)}`;
}

function dbArn(c: Ctx, db: string): string {
  return `arn:aws:rds:${c.region}:${c.acct.id}:db:${db}`;
}

function keyArn(c: Ctx): string {
  return `arn:aws:kms:${c.region}:${c.acct.id}:key/${c.rng.pick(c.acct.keyIds)}`;
}

function s3Extra(c: Ctx, out: number): Record<string, unknown> {
  return {
    SignatureVersion: 'SigV4',
    CipherSuite: 'TLS_AES_128_GCM_SHA256',
    bytesTransferredIn: 0,
    AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': `${c.rng.alnum(56)}=`,
    bytesTransferredOut: out,
  };
}

function bucketTemplate(name: string, param: string, miss?: [string, string]): EventTemplate {
  return tpl('s3', name, true, (c) => {
    const bucket = c.rng.pick(c.acct.buckets);
    return {
      req: { bucketName: bucket, Host: `${bucket}.s3.${c.region}.amazonaws.com`, [param]: '' },
      resp: null,
      additionalEventData: s3Extra(c, c.rng.between(200, 1400)),
      resources: [{ accountId: c.acct.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      ...(miss !== undefined ? { miss } : {}),
    };
  });
}

const TEMPLATES = {
  // --- EC2 -----------------------------------------------------------------
  DescribeInstances: tpl('ec2', 'DescribeInstances', true, (c) => ({
    req: {
      instancesSet: {},
      filterSet: c.rng.chance(0.5)
        ? { items: [filter('instance-state-name', 'running', 'pending')] }
        : {},
    },
  })),
  DescribeSecurityGroups: tpl('ec2', 'DescribeSecurityGroups', true, (c) => ({
    req: {
      securityGroupSet: {},
      securityGroupIdSet: c.rng.chance(0.4)
        ? { items: [{ groupId: c.rng.pick(c.acct.securityGroups) }] }
        : {},
      filterSet: c.rng.chance(0.3) ? { items: [filter('vpc-id', c.rng.pick(c.acct.vpcs))] } : {},
    },
  })),
  DescribeVpcs: tpl('ec2', 'DescribeVpcs', true, () => ({ req: { vpcSet: {}, filterSet: {} } })),
  DescribeSubnets: tpl('ec2', 'DescribeSubnets', true, (c) => ({
    req: { subnetSet: {}, filterSet: { items: [filter('vpc-id', c.rng.pick(c.acct.vpcs))] } },
  })),
  DescribeRegions: tpl('ec2', 'DescribeRegions', true, (c) => ({
    req: { regionSet: {}, ...(c.rng.chance(0.5) ? { allRegions: true } : {}) },
  })),
  DescribeNetworkInterfaces: tpl('ec2', 'DescribeNetworkInterfaces', true, (c) => ({
    req: {
      networkInterfaceIdSet: {},
      filterSet: { items: [filter('subnet-id', c.rng.pick(c.acct.subnets))] },
    },
  })),
  DescribeVolumes: tpl('ec2', 'DescribeVolumes', true, () => ({
    req: { volumeSet: {}, filterSet: {}, maxResults: 500 },
  })),
  DescribeSnapshots: tpl('ec2', 'DescribeSnapshots', true, () => ({
    req: {
      snapshotSet: {},
      ownersSet: { items: [{ owner: 'self' }] },
      restorableBySet: {},
      filterSet: {},
    },
  })),
  DescribeAvailabilityZones: tpl('ec2', 'DescribeAvailabilityZones', true, () => ({
    req: { availabilityZoneSet: {}, availabilityZoneIdSet: {} },
  })),
  CreateSecurityGroup: tpl('ec2', 'CreateSecurityGroup', false, (c) => {
    const app = c.rng.pick(c.acct.apps);
    const groupId = `sg-0${c.rng.hex(16)}`;
    return {
      req: {
        groupName: `${app}-${c.acct.env}-${c.rng.pick(['alb', 'svc', 'db', 'cache'])}-sg`,
        groupDescription: `Security group for ${app} ${c.acct.env}`,
        vpcId: c.rng.pick(c.acct.vpcs),
      },
      resp: ec2Response(c, {
        _return: true,
        groupId,
        securityGroupArn: `arn:aws:ec2:${c.region}:${c.acct.id}:security-group/${groupId}`,
      }),
      miss: ['Client.InvalidGroup.Duplicate', 'The security group already exists for VPC'],
    };
  }),
  AuthorizeSecurityGroupIngress: tpl('ec2', 'AuthorizeSecurityGroupIngress', false, (c) => {
    const groupId = c.rng.pick(c.acct.securityGroups);
    const port = c.rng.pick([443, 5432, 6379, 3306, 22]);
    // Background traffic never opens a data-store port to the whole internet: those calls
    // are planted where a replay must find them. One draw either way keeps the stream
    // (and every later record) the same whichever list is used.
    const cidr = c.rng.pick(
      port === 443 || port === 22
        ? ['10.0.0.0/16', '10.20.0.0/16', '0.0.0.0/0', '203.0.113.0/24']
        : ['10.0.0.0/16', '10.20.0.0/16', '172.16.0.0/12', '203.0.113.0/24'],
    );
    return {
      req: {
        groupId,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: port,
              toPort: port,
              groups: {},
              ipRanges: { items: [{ cidrIp: cidr }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      resp: ec2Response(c, {
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupOwnerId: c.acct.id,
              groupId,
              securityGroupRuleId: `sgr-0${c.rng.hex(16)}`,
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: port,
              toPort: port,
              cidrIpv4: cidr,
            },
          ],
        },
      }),
      miss: ['Client.InvalidPermission.Duplicate', 'the specified rule already exists'],
    };
  }),
  CreateTags: tpl('ec2', 'CreateTags', false, (c) => {
    const app = c.rng.pick(c.acct.apps);
    return {
      req: {
        resourcesSet: { items: [{ resourceId: `i-0${c.rng.hex(16)}` }] },
        tagSet: { items: tagSet(c, app) },
      },
      resp: ec2Response(c, { _return: true }),
    };
  }),

  // --- STS -----------------------------------------------------------------
  GetCallerIdentity: tpl('sts', 'GetCallerIdentity', true, () => ({ req: null, resp: null })),
  AssumeRole: tpl('sts', 'AssumeRole', true, (c) => {
    const role = c.rng.pick(c.acct.appRoles);
    const session = c.rng.chance(0.5)
      ? `${role.name.split('-')[0] ?? 'app'}-${c.rng.hex(8)}`
      : `${c.rng.int(10 ** 13)}`;
    const roleArn = `arn:aws:iam::${c.acct.id}:role/${role.name}`;
    return {
      req: {
        roleArn,
        roleSessionName: session,
        ...(c.rng.chance(0.3) ? { durationSeconds: 3600 } : {}),
      },
      resp: {
        credentials: {
          accessKeyId: `ASIA${c.rng.chars(BASE32, 16)}`,
          sessionToken: sessionToken(c.rng),
          expiration: stsExpiration(new Date(c.time.getTime() + 3600_000)),
        },
        assumedRoleUser: {
          assumedRoleId: `${role.id}:${session}`,
          arn: `arn:aws:sts::${c.acct.id}:assumed-role/${role.name}/${session}`,
        },
      },
      resources: [{ accountId: c.acct.id, type: 'AWS::IAM::Role', ARN: roleArn }],
    };
  }),

  // --- IAM (global) ----------------------------------------------------------
  ListUsers: tpl('iam', 'ListUsers', true, () => ({ req: null, resp: null }), true),
  ListRoles: tpl(
    'iam',
    'ListRoles',
    true,
    (c) => ({ req: c.rng.chance(0.5) ? { maxItems: 1000 } : null, resp: null }),
    true,
  ),
  GetRole: tpl(
    'iam',
    'GetRole',
    true,
    (c) => {
      const role = c.rng.pick(c.acct.appRoles).name;
      return {
        req: { roleName: role },
        resp: null,
        miss: ['NoSuchEntityException', `The role with name ${role}-old cannot be found.`],
      };
    },
    true,
  ),
  ListAttachedRolePolicies: tpl(
    'iam',
    'ListAttachedRolePolicies',
    true,
    (c) => ({ req: { roleName: c.rng.pick(c.acct.appRoles).name }, resp: null }),
    true,
  ),
  GetPolicyVersion: tpl(
    'iam',
    'GetPolicyVersion',
    true,
    (c) => ({
      req: {
        policyArn: `arn:aws:iam::${c.acct.id}:policy/${c.rng.pick(c.acct.apps)}-runtime`,
        versionId: `v${c.rng.between(1, 6)}`,
      },
      resp: null,
    }),
    true,
  ),
  ListAccessKeys: tpl(
    'iam',
    'ListAccessKeys',
    true,
    (c) => ({ req: { userName: c.rng.pick(c.acct.users).name }, resp: null }),
    true,
  ),
  GetAccountSummary: tpl('iam', 'GetAccountSummary', true, () => ({ req: null, resp: null }), true),
  GetAccountAuthorizationDetails: tpl(
    'iam',
    'GetAccountAuthorizationDetails',
    true,
    () => ({ req: null, resp: null }),
    true,
  ),
  CreateRole: tpl(
    'iam',
    'CreateRole',
    false,
    (c) => {
      const app = c.rng.pick(c.acct.apps);
      const name = `${app}-${c.acct.env}-fn-role-${c.rng.alnum(12)}`;
      const trust =
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
      return {
        req: { roleName: name, assumeRolePolicyDocument: trust, tags: tagSet(c, app) },
        resp: {
          role: {
            path: '/',
            roleName: name,
            roleId: `AROA${c.rng.chars(BASE32, 17)}`,
            arn: `arn:aws:iam::${c.acct.id}:role/${name}`,
            createDate: stsExpiration(c.time),
            assumeRolePolicyDocument: encodeURIComponent(trust),
            tags: tagSet(c, app),
          },
        },
        miss: ['EntityAlreadyExistsException', `Role with name ${name} already exists.`],
      };
    },
    true,
  ),
  AttachRolePolicy: tpl(
    'iam',
    'AttachRolePolicy',
    false,
    (c) => ({
      req: {
        roleName: c.rng.pick(c.acct.appRoles).name,
        policyArn: c.rng.pick([
          'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
          `arn:aws:iam::${c.acct.id}:policy/${c.rng.pick(c.acct.apps)}-runtime`,
        ]),
      },
      resp: null,
    }),
    true,
  ),

  // --- KMS -----------------------------------------------------------------
  Decrypt: tpl('kms', 'Decrypt', true, (c) => {
    const arn = keyArn(c);
    return {
      req: {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: c.rng.chance(0.5)
          ? {
              SecretARN: `arn:aws:secretsmanager:${c.region}:${c.acct.id}:secret:${c.rng.pick(c.acct.apps)}/db-${c.rng.alnum(6)}`,
              SecretVersionId: c.rng.uuid(),
            }
          : {
              'aws:lambda:FunctionArn': `arn:aws:lambda:${c.region}:${c.acct.id}:function:${c.rng.pick(c.acct.apps)}-handler`,
            },
      },
      resp: null,
      resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }],
    };
  }),
  GenerateDataKey: tpl('kms', 'GenerateDataKey', true, (c) => {
    const arn = keyArn(c);
    const bucket = c.rng.pick(c.acct.buckets);
    return {
      req: {
        keyId: arn,
        keySpec: 'AES_256',
        encryptionContext: {
          'aws:s3:arn': `arn:aws:s3:::${bucket}/${c.rng.pick(c.acct.apps)}/${c.rng.hex(12)}.parquet`,
        },
      },
      resp: null,
      resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }],
    };
  }),
  DescribeKey: tpl('kms', 'DescribeKey', true, (c) => ({
    req: { keyId: `alias/${c.rng.pick(c.acct.apps)}` },
    resp: null,
  })),
  ListAliases: tpl('kms', 'ListAliases', true, () => ({ req: null, resp: null })),

  // --- S3 ------------------------------------------------------------------
  ListBuckets: tpl('s3', 'ListBuckets', true, (c) => ({
    req: { Host: 's3.amazonaws.com' },
    resp: null,
    additionalEventData: s3Extra(c, c.rng.between(800, 6000)),
  })),
  GetBucketAcl: bucketTemplate('GetBucketAcl', 'acl'),
  GetBucketPolicy: bucketTemplate('GetBucketPolicy', 'policy', [
    'NoSuchBucketPolicy',
    'The bucket policy does not exist',
  ]),
  GetBucketPublicAccessBlock: bucketTemplate('GetBucketPublicAccessBlock', 'publicAccessBlock'),
  GetBucketEncryption: bucketTemplate('GetBucketEncryption', 'encryption'),
  GetBucketVersioning: bucketTemplate('GetBucketVersioning', 'versioning'),

  // --- RDS -----------------------------------------------------------------
  DescribeDBInstances: tpl('rds', 'DescribeDBInstances', true, (c) => ({
    req: c.rng.chance(0.4) ? { dBInstanceIdentifier: c.rng.pick(c.acct.dbInstances) } : null,
    resp: null,
  })),
  DescribeDBClusters: tpl('rds', 'DescribeDBClusters', true, () => ({
    req: { includeShared: false },
    resp: null,
  })),
  DescribeDBSnapshots: tpl('rds', 'DescribeDBSnapshots', true, (c) => ({
    req: {
      dBInstanceIdentifier: c.rng.pick(c.acct.dbInstances),
      snapshotType: 'automated',
      includeShared: false,
      includePublic: false,
    },
    resp: null,
  })),
  DescribeDBSubnetGroups: tpl('rds', 'DescribeDBSubnetGroups', true, () => ({
    req: null,
    resp: null,
  })),
  // EC2-Classic era call that scanners and old tooling still make.
  DescribeDBSecurityGroups: tpl('rds', 'DescribeDBSecurityGroups', true, () => ({
    req: null,
    resp: null,
  })),
  ListTagsForResourceRds: tpl('rds', 'ListTagsForResource', true, (c) => ({
    req: { resourceName: dbArn(c, c.rng.pick(c.acct.dbInstances)) },
    resp: null,
  })),
  AuthorizeDBSecurityGroupIngress: tpl('rds', 'AuthorizeDBSecurityGroupIngress', false, (c) => {
    const name = `${c.rng.pick(c.acct.apps)}-db-sg`;
    const cidr = c.rng.pick(['10.0.0.0/16', '203.0.113.0/24', '0.0.0.0/0']);
    return {
      req: { dBSecurityGroupName: name, cIDRIP: cidr },
      resp: {
        ownerId: c.acct.id,
        dBSecurityGroupName: name,
        dBSecurityGroupDescription: `Legacy access for ${name}`,
        eC2SecurityGroups: [],
        iPRanges: [{ status: 'authorizing', cIDRIP: cidr }],
        dBSecurityGroupArn: `arn:aws:rds:${c.region}:${c.acct.id}:secgrp:${name}`,
      },
      miss: ['DBSecurityGroupNotFound', `DBSecurityGroup ${name} not found.`],
      retired: [
        'InvalidParameterValue',
        'DB security groups are not supported for this account; use VPC security groups instead.',
      ],
    };
  }),
  CreateDBSnapshot: tpl('rds', 'CreateDBSnapshot', false, (c) => {
    const db = c.rng.pick(c.acct.dbInstances);
    const snap = `${db}-manual-${isoSeconds(c.time).slice(0, 10)}`;
    return {
      req: { dBSnapshotIdentifier: snap, dBInstanceIdentifier: db },
      resp: {
        dBSnapshotIdentifier: snap,
        dBInstanceIdentifier: db,
        engine: 'postgres',
        allocatedStorage: 100,
        status: 'creating',
        port: 5432,
        availabilityZone: `${c.region}a`,
        vpcId: c.rng.pick(c.acct.vpcs),
        masterUsername: 'app_admin',
        engineVersion: '16.4',
        snapshotType: 'manual',
        percentProgress: 0,
        storageType: 'gp3',
        encrypted: true,
        kmsKeyId: keyArn(c),
        dBSnapshotArn: `arn:aws:rds:${c.region}:${c.acct.id}:snapshot:${snap}`,
        iAMDatabaseAuthenticationEnabled: false,
        dbiResourceId: `db-${c.rng.chars(BASE32, 26)}`,
      },
    };
  }),
  CreateDBInstance: tpl('rds', 'CreateDBInstance', false, (c) => {
    const db = `${c.rng.pick(c.acct.apps)}-${c.acct.env}-${c.rng.hex(4)}`;
    return {
      req: {
        dBInstanceIdentifier: db,
        dBInstanceClass: c.rng.pick(['db.t4g.medium', 'db.r6g.large']),
        engine: 'postgres',
        masterUsername: 'app_admin',
        masterUserPassword: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        allocatedStorage: 100,
        vpcSecurityGroupIds: [c.rng.pick(c.acct.securityGroups)],
        dBSubnetGroupName: `${c.acct.env}-db-subnets`,
        storageEncrypted: true,
        multiAZ: c.rng.chance(0.5),
      },
      resp: {
        dBInstanceIdentifier: db,
        dBInstanceClass: 'db.t4g.medium',
        engine: 'postgres',
        dBInstanceStatus: 'creating',
        masterUsername: 'app_admin',
        allocatedStorage: 100,
        preferredBackupWindow: '03:10-03:40',
        backupRetentionPeriod: 7,
        dBSecurityGroups: [],
        vpcSecurityGroups: [
          { vpcSecurityGroupId: c.rng.pick(c.acct.securityGroups), status: 'active' },
        ],
        dBParameterGroups: [
          { dBParameterGroupName: 'default.postgres16', parameterApplyStatus: 'in-sync' },
        ],
        dBSubnetGroup: {
          dBSubnetGroupName: `${c.acct.env}-db-subnets`,
          dBSubnetGroupDescription: 'private subnets',
          vpcId: c.rng.pick(c.acct.vpcs),
          subnetGroupStatus: 'Complete',
        },
        pendingModifiedValues: { masterUserPassword: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        multiAZ: false,
        engineVersion: '16.4',
        publiclyAccessible: false,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: keyArn(c),
        dbiResourceId: `db-${c.rng.chars(BASE32, 26)}`,
        dBInstanceArn: dbArn(c, db),
        deletionProtection: true,
      },
    };
  }),

  // --- ElastiCache ---------------------------------------------------------
  DescribeCacheClusters: tpl('elasticache', 'DescribeCacheClusters', true, (c) => ({
    req: { showCacheNodeInfo: c.rng.chance(0.5), showCacheClustersNotInReplicationGroups: false },
    resp: null,
  })),
  DescribeReplicationGroups: tpl('elasticache', 'DescribeReplicationGroups', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeCacheSubnetGroups: tpl('elasticache', 'DescribeCacheSubnetGroups', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeServerlessCaches: tpl('elasticache', 'DescribeServerlessCaches', true, () => ({
    req: null,
    resp: null,
  })),
  // The legacy listing that sits right next to the target call.
  DescribeCacheSecurityGroups: tpl('elasticache', 'DescribeCacheSecurityGroups', true, () => ({
    req: null,
    resp: null,
  })),
  CreateCacheCluster: tpl('elasticache', 'CreateCacheCluster', false, (c) => {
    const id = `${c.rng.pick(c.acct.apps)}-${c.rng.hex(4)}`;
    return {
      req: {
        cacheClusterId: id,
        engine: 'redis',
        cacheNodeType: c.rng.pick(['cache.t4g.small', 'cache.r7g.large']),
        numCacheNodes: 1,
        cacheSubnetGroupName: `${c.acct.env}-cache-subnets`,
        securityGroupIds: [c.rng.pick(c.acct.securityGroups)],
        tags: tagSet(c, id.split('-')[0] ?? 'app'),
      },
      resp: {
        cacheClusterId: id,
        clientDownloadLandingPage:
          'https://console.aws.amazon.com/elasticache/home#client-download:',
        cacheNodeType: 'cache.t4g.small',
        engine: 'redis',
        engineVersion: '7.1.0',
        cacheClusterStatus: 'creating',
        numCacheNodes: 1,
        preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
        pendingModifiedValues: {},
        cacheSecurityGroups: [],
        cacheParameterGroup: {
          cacheParameterGroupName: 'default.redis7',
          parameterApplyStatus: 'in-sync',
          cacheNodeIdsToReboot: [],
        },
        cacheSubnetGroupName: `${c.acct.env}-cache-subnets`,
        autoMinorVersionUpgrade: true,
        securityGroups: [{ securityGroupId: c.rng.pick(c.acct.securityGroups), status: 'active' }],
        aRN: `arn:aws:elasticache:${c.region}:${c.acct.id}:cluster:${id}`,
        transitEncryptionEnabled: false,
        atRestEncryptionEnabled: false,
        networkType: 'ipv4',
        ipDiscovery: 'ipv4',
      },
    };
  }),
  ListTagsForResourceCache: tpl('elasticache', 'ListTagsForResource', true, (c) => ({
    req: {
      resourceName: `arn:aws:elasticache:${c.region}:${c.acct.id}:cluster:${c.rng.pick(c.acct.cacheClusters)}`,
    },
    resp: null,
  })),

  // --- Lambda --------------------------------------------------------------
  ListFunctions: tpl('lambda', 'ListFunctions20150331', true, () => ({ req: null, resp: null })),
  GetFunction: tpl('lambda', 'GetFunction20150331v2', true, (c) => {
    const fn = `${c.rng.pick(c.acct.apps)}-handler`;
    return {
      req: { functionName: fn },
      resp: null,
      miss: [
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${c.region}:${c.acct.id}:function:${fn}-v1`,
      ],
    };
  }),
  GetFunctionConfiguration: tpl('lambda', 'GetFunctionConfiguration20150331v2', true, (c) => ({
    req: { functionName: `${c.rng.pick(c.acct.apps)}-handler` },
    resp: null,
  })),
  UpdateFunctionCode: tpl('lambda', 'UpdateFunctionCode20150331v2', false, (c) => {
    const fn = `${c.rng.pick(c.acct.apps)}-handler`;
    return {
      req: {
        functionName: fn,
        s3Bucket: `cdk-hnb659fds-assets-${c.acct.id}-${c.region}`,
        s3Key: `${c.rng.hex(64)}.zip`,
        publish: false,
      },
      resp: {
        functionName: fn,
        functionArn: `arn:aws:lambda:${c.region}:${c.acct.id}:function:${fn}`,
        runtime: 'nodejs20.x',
        role: `arn:aws:iam::${c.acct.id}:role/${fn}-role`,
        handler: 'index.handler',
        codeSize: c.rng.between(40_000, 9_000_000),
        timeout: 30,
        memorySize: 512,
        lastModified: `${c.time.toISOString().slice(0, 23)}+0000`,
        codeSha256: `${c.rng.alnum(43)}=`,
        version: '$LATEST',
        state: 'Active',
        lastUpdateStatus: 'InProgress',
        architectures: ['arm64'],
        ephemeralStorage: { size: 512 },
      },
    };
  }),

  // --- CloudFormation ------------------------------------------------------
  DescribeStacks: tpl('cloudformation', 'DescribeStacks', true, (c) => {
    const stack = `${c.rng.pick(c.acct.apps)}-${c.acct.env}`;
    return {
      req: c.rng.chance(0.7) ? { stackName: stack } : null,
      resp: null,
      miss: ['ValidationError', `Stack with id ${stack}-old does not exist`],
    };
  }),
  DescribeStackEvents: tpl('cloudformation', 'DescribeStackEvents', true, (c) => ({
    req: {
      stackName: `arn:aws:cloudformation:${c.region}:${c.acct.id}:stack/${c.rng.pick(c.acct.apps)}-${c.acct.env}/${c.rng.uuid()}`,
    },
    resp: null,
  })),
  ListStacks: tpl('cloudformation', 'ListStacks', true, () => ({
    req: { stackStatusFilter: ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'] },
    resp: null,
  })),
  GetTemplate: tpl('cloudformation', 'GetTemplate', true, (c) => ({
    req: { stackName: `${c.rng.pick(c.acct.apps)}-${c.acct.env}`, templateStage: 'Original' },
    resp: null,
  })),
  CreateChangeSet: tpl('cloudformation', 'CreateChangeSet', false, (c) => {
    const stack = `${c.rng.pick(c.acct.apps)}-${c.acct.env}`;
    const stackId = `arn:aws:cloudformation:${c.region}:${c.acct.id}:stack/${stack}/${c.rng.uuid()}`;
    return {
      req: {
        stackName: stack,
        templateURL: `https://s3.${c.region}.amazonaws.com/cdk-hnb659fds-assets-${c.acct.id}-${c.region}/${c.rng.hex(64)}.json`,
        parameters: [
          { parameterKey: 'BootstrapVersion', parameterValue: '/cdk-bootstrap/hnb659fds/version' },
        ],
        capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        roleARN: `arn:aws:iam::${c.acct.id}:role/cdk-hnb659fds-cfn-exec-role-${c.acct.id}-${c.region}`,
        changeSetName: 'cdk-deploy-change-set',
        changeSetType: 'UPDATE',
      },
      resp: {
        id: `arn:aws:cloudformation:${c.region}:${c.acct.id}:changeSet/cdk-deploy-change-set/${c.rng.uuid()}`,
        stackId,
      },
    };
  }),
  ExecuteChangeSet: tpl('cloudformation', 'ExecuteChangeSet', false, (c) => ({
    req: {
      changeSetName: 'cdk-deploy-change-set',
      stackName: `${c.rng.pick(c.acct.apps)}-${c.acct.env}`,
    },
    resp: null,
  })),

  // --- Logs, SSM, Secrets, ECR, CloudWatch, others -------------------------
  CreateLogStream: tpl('logs', 'CreateLogStream', false, (c) => ({
    req: {
      logGroupName: `/aws/lambda/${c.rng.pick(c.acct.apps)}-handler`,
      logStreamName: `${isoSeconds(c.time).slice(0, 10).replace(/-/g, '/')}/[$LATEST]${c.rng.hex(32)}`,
    },
    resp: null,
  })),
  DescribeLogGroups: tpl('logs', 'DescribeLogGroups', true, (c) => ({
    req: c.rng.chance(0.5) ? { logGroupNamePrefix: '/aws/lambda/' } : null,
    resp: null,
  })),
  GetParameter: tpl('ssm', 'GetParameter', true, (c) => {
    const name = `/${c.acct.env}/${c.rng.pick(c.acct.apps)}/${c.rng.pick(['db-host', 'feature-flags', 'api-url', 'cache-endpoint'])}`;
    return {
      req: { name, withDecryption: c.rng.chance(0.6) },
      resp: null,
      miss: ['ParameterNotFound', undefined],
    };
  }),
  GetParameters: tpl('ssm', 'GetParameters', true, (c) => ({
    req: {
      names: [
        `/cdk-bootstrap/hnb659fds/version`,
        `/${c.acct.env}/${c.rng.pick(c.acct.apps)}/config`,
      ],
      withDecryption: false,
    },
    resp: null,
  })),
  UpdateInstanceInformation: tpl('ssm', 'UpdateInstanceInformation', false, (c) => ({
    req: {
      instanceId: `i-0${c.rng.hex(16)}`,
      agentVersion: '3.3.1142.0',
      agentStatus: 'Active',
      platformType: 'Linux',
      platformName: 'Amazon Linux',
      platformVersion: '2023',
      iPAddress: privateIp(c.rng),
      computerName: `ip-${privateIp(c.rng).replace(/\./g, '-')}.${c.region}.compute.internal`,
      agentName: 'amazon-ssm-agent',
      availabilityZone: `${c.region}${c.rng.pick(['a', 'b', 'c'])}`,
      availabilityZoneId: `use1-az${c.rng.between(1, 6)}`,
      sSMConnectionChannel: 'ssmmessages',
    },
    resp: null,
  })),
  GetSecretValue: tpl('secretsmanager', 'GetSecretValue', true, (c) => ({
    req: {
      secretId: `arn:aws:secretsmanager:${c.region}:${c.acct.id}:secret:${c.rng.pick(c.acct.apps)}/db-${c.rng.alnum(6)}`,
    },
    resp: null,
  })),
  ListSecrets: tpl('secretsmanager', 'ListSecrets', true, () => ({ req: null, resp: null })),
  GetAuthorizationToken: tpl('ecr', 'GetAuthorizationToken', true, () => ({
    req: null,
    resp: null,
  })),
  GetMetricData: tpl('monitoring', 'GetMetricData', true, (c) => ({
    req: {
      metricDataQueries: [
        {
          id: 'm1',
          metricStat: {
            metric: {
              namespace: 'AWS/Lambda',
              metricName: 'Errors',
              dimensions: [{ name: 'FunctionName', value: `${c.rng.pick(c.acct.apps)}-handler` }],
            },
            period: 300,
            stat: 'Sum',
          },
        },
      ],
      startTime: isoSeconds(new Date(c.time.getTime() - 3600_000)),
      endTime: isoSeconds(c.time),
    },
    resp: null,
  })),
  DescribeAlarms: tpl('monitoring', 'DescribeAlarms', true, () => ({
    req: { maxRecords: 100 },
    resp: null,
  })),
  DescribeTable: tpl('dynamodb', 'DescribeTable', true, (c) => ({
    req: { tableName: `${c.rng.pick(c.acct.apps)}-${c.acct.env}` },
    resp: null,
  })),
  ListTables: tpl('dynamodb', 'ListTables', true, () => ({ req: null, resp: null })),
  DescribeTrails: tpl('cloudtrail', 'DescribeTrails', true, () => ({
    req: { includeShadowTrails: true },
    resp: null,
  })),
  ListDetectors: tpl('guardduty', 'ListDetectors', true, () => ({ req: null, resp: null })),
  DescribeLoadBalancers: tpl('elasticloadbalancing', 'DescribeLoadBalancers', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeAutoScalingGroups: tpl('autoscaling', 'DescribeAutoScalingGroups', true, () => ({
    req: null,
    resp: null,
  })),
  ListClusters: tpl('ecs', 'ListClusters', true, () => ({ req: null, resp: null })),
  DescribeConfigRules: tpl('config', 'DescribeConfigRules', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeOrganization: tpl(
    'organizations',
    'DescribeOrganization',
    true,
    () => ({ req: null, resp: null }),
    true,
  ),
} satisfies Record<string, EventTemplate>;

type TemplateKey = keyof typeof TEMPLATES;

function table(entries: ReadonlyArray<readonly [TemplateKey, number]>): Weighted<EventTemplate> {
  return new Weighted(entries.map(([key, weight]) => [TEMPLATES[key], weight] as const));
}

// What each kind of caller tends to do. The mixture of these, weighted by how often each
// caller appears, gives the account-wide mix: mostly reads, KMS and STS from workloads.
const WORKLOAD_EVENTS = table([
  ['Decrypt', 16],
  ['GenerateDataKey', 8],
  ['GetParameter', 9],
  ['GetParameters', 3],
  ['GetSecretValue', 6],
  ['GetCallerIdentity', 6],
  ['AssumeRole', 5],
  ['CreateLogStream', 8],
  ['DescribeTable', 3],
  ['GetAuthorizationToken', 3],
  ['DescribeInstances', 3],
  ['DescribeCacheClusters', 2],
  ['DescribeDBInstances', 2],
  ['UpdateInstanceInformation', 4],
  ['GetMetricData', 2],
  ['ListBuckets', 1],
]);

const SERVICE_EVENTS = table([
  ['AssumeRole', 12],
  ['Decrypt', 6],
  ['GenerateDataKey', 6],
]);

const SCANNER_EVENTS = table([
  ['DescribeInstances', 6],
  ['DescribeSecurityGroups', 6],
  ['DescribeVpcs', 3],
  ['DescribeSubnets', 3],
  ['DescribeRegions', 4],
  ['DescribeNetworkInterfaces', 3],
  ['DescribeVolumes', 3],
  ['DescribeSnapshots', 3],
  ['DescribeAvailabilityZones', 1],
  ['ListUsers', 2],
  ['ListRoles', 3],
  ['GetRole', 2],
  ['ListAttachedRolePolicies', 3],
  ['GetPolicyVersion', 2],
  ['ListAccessKeys', 2],
  ['GetAccountSummary', 1],
  ['GetBucketAcl', 4],
  ['GetBucketPolicy', 4],
  ['GetBucketPublicAccessBlock', 3],
  ['GetBucketEncryption', 3],
  ['GetBucketVersioning', 2],
  ['ListBuckets', 2],
  ['DescribeKey', 2],
  ['ListAliases', 2],
  ['DescribeDBInstances', 3],
  ['DescribeDBClusters', 2],
  ['DescribeDBSnapshots', 2],
  ['DescribeDBSubnetGroups', 1],
  ['DescribeDBSecurityGroups', 1],
  ['ListTagsForResourceRds', 2],
  ['DescribeCacheClusters', 2],
  ['DescribeReplicationGroups', 2],
  ['DescribeCacheSubnetGroups', 1],
  ['DescribeServerlessCaches', 1],
  ['DescribeCacheSecurityGroups', 1],
  ['ListTagsForResourceCache', 1],
  ['ListFunctions', 2],
  ['GetFunction', 1],
  ['DescribeLogGroups', 2],
  ['ListSecrets', 1],
  ['DescribeAlarms', 1],
  ['DescribeTrails', 1],
  ['ListDetectors', 1],
  ['DescribeLoadBalancers', 2],
  ['DescribeAutoScalingGroups', 1],
  ['ListTables', 1],
  ['ListClusters', 1],
  ['DescribeConfigRules', 1],
  ['DescribeOrganization', 1],
]);

const HUMAN_EVENTS = table([
  ['DescribeInstances', 8],
  ['DescribeSecurityGroups', 5],
  ['DescribeVpcs', 2],
  ['DescribeSubnets', 2],
  ['DescribeRegions', 2],
  ['GetCallerIdentity', 4],
  ['ListBuckets', 3],
  ['GetBucketPolicy', 1],
  ['ListRoles', 2],
  ['GetRole', 2],
  ['DescribeDBInstances', 4],
  ['DescribeDBClusters', 2],
  ['DescribeCacheClusters', 3],
  ['DescribeReplicationGroups', 2],
  ['ListFunctions', 3],
  ['GetFunction', 2],
  ['DescribeStacks', 4],
  ['DescribeStackEvents', 3],
  ['ListStacks', 1],
  ['DescribeLogGroups', 2],
  ['GetMetricData', 3],
  ['DescribeAlarms', 2],
  ['GetSecretValue', 1],
  ['CreateSecurityGroup', 1],
  ['AuthorizeSecurityGroupIngress', 1.5],
  ['CreateTags', 1],
  ['CreateDBSnapshot', 0.6],
  ['CreateDBInstance', 0.3],
  ['CreateCacheCluster', 0.3],
  ['AuthorizeDBSecurityGroupIngress', 0.2],
]);

const DEPLOY_EVENTS = table([
  ['GetCallerIdentity', 5],
  ['AssumeRole', 5],
  ['DescribeStacks', 8],
  ['DescribeStackEvents', 6],
  ['GetTemplate', 2],
  ['CreateChangeSet', 2],
  ['ExecuteChangeSet', 1.5],
  ['GetParameters', 3],
  ['GetAuthorizationToken', 2],
  ['UpdateFunctionCode', 1.5],
  ['GetFunction', 2],
  ['ListBuckets', 1],
  ['GetRole', 2],
  ['DescribeSecurityGroups', 2],
  ['DescribeDBInstances', 1],
  ['DescribeCacheClusters', 1],
  ['CreateSecurityGroup', 0.5],
  ['AuthorizeSecurityGroupIngress', 0.5],
  ['CreateTags', 0.5],
]);

const CFN_EVENTS = table([
  ['CreateSecurityGroup', 3],
  ['AuthorizeSecurityGroupIngress', 3],
  ['CreateTags', 3],
  ['DescribeSecurityGroups', 4],
  ['CreateRole', 2],
  ['AttachRolePolicy', 2],
  ['GetRole', 3],
  ['UpdateFunctionCode', 2],
  ['GetFunction', 3],
  ['CreateDBInstance', 0.5],
  ['DescribeDBInstances', 2],
  ['CreateCacheCluster', 0.5],
  ['DescribeCacheClusters', 2],
  ['GetParameters', 2],
]);

const LEGACY_USER_EVENTS = table([
  ['GetMetricData', 6],
  ['DescribeInstances', 4],
  ['ListBuckets', 3],
  ['GetBucketVersioning', 1],
  ['DescribeDBInstances', 3],
  ['CreateDBSnapshot', 1],
  ['DescribeDBSnapshots', 3],
  ['DescribeCacheClusters', 1],
  ['DescribeAlarms', 2],
  ['GetCallerIdentity', 2],
  ['DescribeVolumes', 2],
]);

const ROOT_EVENTS = table([
  ['GetAccountSummary', 3],
  ['ListUsers', 2],
  ['ListBuckets', 2],
  ['DescribeRegions', 2],
  ['GetCallerIdentity', 1],
]);

const INTRUDER_EVENTS = table([
  ['GetCallerIdentity', 8],
  ['ListUsers', 4],
  ['ListRoles', 4],
  ['GetAccountAuthorizationDetails', 2],
  ['ListAccessKeys', 2],
  ['ListBuckets', 4],
  ['GetBucketPolicy', 2],
  ['DescribeInstances', 4],
  ['DescribeRegions', 3],
  ['DescribeSecurityGroups', 3],
  ['DescribeDBInstances', 2],
  ['DescribeDBSecurityGroups', 2],
  ['DescribeCacheClusters', 2],
  ['DescribeCacheSecurityGroups', 2],
  ['ListSecrets', 3],
  ['GetSecretValue', 2],
  ['ListFunctions', 2],
  ['DescribeTrails', 1],
  ['ListDetectors', 1],
]);

// ---------------------------------------------------------------------------
// Actors: who calls, from where, with what client
// ---------------------------------------------------------------------------

type ActorKind =
  | 'workload'
  | 'aws-service'
  | 'service-linked'
  | 'scanner'
  | 'sso-human'
  | 'ci'
  | 'cfn'
  | 'legacy-user'
  | 'federated'
  | 'root'
  | 'intruder';

interface Caller {
  readonly identity: UserIdentity;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  /** Set when the call went through a VPC interface endpoint. */
  readonly vpcEndpointId?: string;
  readonly fromConsole?: boolean;
  /** Calls made by AWS on the account's behalf carry no TLS details. */
  readonly tls: boolean;
}

interface Actor {
  readonly kind: ActorKind;
  readonly events: Weighted<EventTemplate>;
  readonly errorRate: number;
  /** How many calls in a row one visit makes, [min, max]; real logs come in bursts. */
  readonly burst: readonly [number, number];
  /** Settles who exactly is calling for one burst; the result gives the caller per call. */
  readonly begin: (rng: Prng, time: Date, region: string) => CallerFor;
}

type CallerFor = (t: EventTemplate) => Caller;

const CI_CLIENTS = new Weighted<UserAgentKind>([
  ['terraform', 4],
  ['cdk', 4],
  ['aws-cli', 3],
  ['pulumi', 1],
]);

const SSO_CLIENTS = new Weighted<UserAgentKind>([
  ['aws-cli', 9],
  ['console', 5],
  ['browser', 4],
  ['aws-internal', 5],
]);

interface SessionShape {
  readonly name: string;
  readonly ip: string;
  readonly client: UserAgentKind;
  readonly role?: Principal;
}

interface Session extends SessionShape {
  readonly cred: Credential;
  /** Seeds the client's version numbers so they stay put for the whole session. */
  readonly clientSeed: number;
  readonly startedAt: number;
  readonly endsAt: number;
}

/**
 * Live sessions per caller. Real logs repeat the same temporary key, address and SDK
 * build across many calls; drawing them per record would make every record unique
 * noise (and the archive compress far worse than CloudTrail's).
 */
class Sessions {
  private readonly live = new Map<string, Session>();

  get(key: string, rng: Prng, time: Date, make: () => SessionShape, hours: number): Session {
    const t = time.getTime();
    const current = this.live.get(key);
    if (current !== undefined && t >= current.startedAt && t < current.endsAt) return current;
    const shape = make();
    const cred = freshCredential(rng, time, 20);
    const startedAt = Date.parse(cred.creationDate);
    const session: Session = {
      ...shape,
      cred,
      clientSeed: rng.uint32(),
      startedAt,
      endsAt: startedAt + hours * 3600_000,
    };
    this.live.set(key, session);
    return session;
  }
}

function agentOf(session: Session, t: EventTemplate): string {
  return userAgentFor(session.client, new Prng(session.clientSeed), t.service, t.name);
}

const LAMBDA_RUNTIMES: readonly UserAgentKind[] = ['boto3-lambda', 'js-v3', 'go-v2', 'java'];

function buildAccountProfile(account: string, seed: number): AccountProfile {
  const rng = Prng.derive(seed, 'account', account);
  const env = ENVS[hash32(account) % ENVS.length] ?? 'prod';
  const apps = rng.shuffle(APPS).slice(0, 6);
  const vpcs = [`vpc-0${rng.hex(16)}`, `vpc-0${rng.hex(16)}`];
  const users: IamUserPrincipal[] = [
    'svc-backup',
    'datadog-integration',
    'legacy-etl',
    'okta-broker',
  ].map((name) => ({
    ...makePrincipal(rng, 'AIDA', name),
    accessKeyId: `AKIA${rng.chars(BASE32, 16)}`,
  }));
  const appRoles = apps.map((app) =>
    makePrincipal(rng, 'AROA', `${app}-${env}-${rng.pick(['lambda', 'task', 'instance'])}-role`),
  );
  const ssoRoles = [
    makePrincipal(
      rng,
      'AROA',
      `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`,
      'aws-reserved/sso.amazonaws.com/',
    ),
    makePrincipal(
      rng,
      'AROA',
      `AWSReservedSSO_PowerUserAccess_${rng.hex(16)}`,
      'aws-reserved/sso.amazonaws.com/',
    ),
    makePrincipal(
      rng,
      'AROA',
      `AWSReservedSSO_ReadOnlyAccess_${rng.hex(16)}`,
      'aws-reserved/sso.amazonaws.com/',
    ),
  ];
  const people = rng.shuffle(PEOPLE).slice(0, 5);
  const officeIps = [docIp(rng), docIp(rng), docIp(rng)];
  const runnerIps = Array.from({ length: 6 }, () => awsPublicIp(rng));
  const profile: Omit<AccountProfile, 'actors' | 'humanActors' | 'intruder'> = {
    id: account,
    env,
    apps,
    buckets: [
      ...apps.slice(0, 4).map((app) => `${env}-${app}-${rng.hex(6)}`),
      `aws-cloudtrail-logs-${account}-${rng.hex(8)}`,
      `cdk-hnb659fds-assets-${account}-us-east-1`,
    ],
    keyIds: [rng.uuid(), rng.uuid(), rng.uuid()],
    vpcs,
    subnets: Array.from({ length: 4 }, () => `subnet-0${rng.hex(16)}`),
    securityGroups: Array.from({ length: 5 }, () => `sg-0${rng.hex(16)}`),
    dbInstances: apps.slice(0, 3).map((app) => `${app}-${env}-db`),
    cacheClusters: apps.slice(0, 2).map((app) => `${app}-${env}-cache-001`),
    users,
    appRoles,
    ssoRoles,
    people,
    officeIps,
    runnerIps,
  };
  const vpce = `vpce-0${rng.hex(16)}`;
  const ciRole = makePrincipal(rng, 'AROA', 'github-actions-deploy');
  // CDK bootstraps one execution role per region; its id must not depend on draw order.
  const cfnRole = (region: string): Principal =>
    makePrincipal(
      Prng.derive(seed, 'cfn-role', account, region),
      'AROA',
      `cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
    );
  const linkedRoles = [
    {
      role: makePrincipal(
        rng,
        'AROA',
        'AWSServiceRoleForConfig',
        'aws-service-role/config.amazonaws.com/',
      ),
      service: 'config.amazonaws.com',
      session: 'AWSConfig-Describe',
    },
    {
      role: makePrincipal(
        rng,
        'AROA',
        'AWSServiceRoleForSecurityHub',
        'aws-service-role/securityhub.amazonaws.com/',
      ),
      service: 'securityhub.amazonaws.com',
      session: 'securityhub',
    },
    {
      role: makePrincipal(
        rng,
        'AROA',
        'AWSServiceRoleForAccessAnalyzer',
        'aws-service-role/access-analyzer.amazonaws.com/',
      ),
      service: 'access-analyzer.amazonaws.com',
      session: 'access-analyzer',
    },
  ];
  const scannerRole = makePrincipal(rng, 'AROA', 'cspm-readonly-audit');
  const user = (name: string): IamUserPrincipal =>
    users.find((u) => u.name === name) ?? (users[0] as IamUserPrincipal);
  const acct = profile.id;

  const sessions = new Sessions();
  const useSession = (
    r: Prng,
    time: Date,
    key: string,
    make: () => SessionShape,
    lifetimeHours = 6,
  ): Session => sessions.get(key, r, time, make, lifetimeHours);

  const actors: Array<readonly [Actor, number]> = [
    [
      {
        kind: 'workload',
        events: WORKLOAD_EVENTS,
        errorRate: 0.02,
        burst: [1, 5],
        begin: (r, time) => {
          const role = r.pick(appRoles);
          // A workload keeps its credentials, address and SDK for hours at a time.
          const s = useSession(r, time, `workload:${role.name}`, () => {
            const inVpc = r.chance(0.35);
            return {
              name: role.name.includes('-instance-')
                ? `i-0${r.hex(16)}`
                : `${role.name.split('-')[0] ?? 'app'}-${r.hex(8)}`,
              ip: inVpc ? privateIp(r) : awsPublicIp(r),
              client: r.pick(LAMBDA_RUNTIMES),
            };
          });
          const identity = assumedRoleIdentity(acct, role, s.name, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            ...(s.ip.startsWith('10.') ? { vpcEndpointId: vpce } : {}),
            tls: true,
          });
        },
      },
      30,
    ],
    [
      {
        kind: 'aws-service',
        events: SERVICE_EVENTS,
        errorRate: 0,
        burst: [1, 2],
        begin: (r) => {
          const assumer = r.pick([
            'lambda.amazonaws.com',
            'ecs-tasks.amazonaws.com',
            'ec2.amazonaws.com',
            'scheduler.amazonaws.com',
          ]);
          const keyUser = r.pick([
            'cloudtrail.amazonaws.com',
            's3.amazonaws.com',
            'logs.amazonaws.com',
            'secretsmanager.amazonaws.com',
          ]);
          return (t) => {
            const service = t.service === 'sts' ? assumer : keyUser;
            return {
              identity: awsServiceIdentity(service),
              sourceIPAddress: service,
              userAgent: service,
              tls: false,
            };
          };
        },
      },
      17,
    ],
    [
      {
        kind: 'service-linked',
        events: SCANNER_EVENTS,
        errorRate: 0.01,
        burst: [2, 10],
        begin: (r, time) => {
          const linked = r.pick(linkedRoles);
          const s = useSession(r, time, `linked:${linked.session}`, () => ({
            name: linked.session,
            ip: linked.service,
            client: 'aws-internal',
          }));
          const identity = assumedRoleIdentity(acct, linked.role, s.name, s.cred, {
            invokedBy: linked.service,
          });
          return () => ({
            identity,
            sourceIPAddress: linked.service,
            userAgent: linked.service,
            tls: false,
          });
        },
      },
      8,
    ],
    [
      {
        kind: 'scanner',
        events: SCANNER_EVENTS,
        errorRate: 0.04,
        burst: [3, 14],
        begin: (r, time) => {
          const s = useSession(
            r,
            time,
            'scanner',
            () => ({
              name: `scan-${r.hex(12)}`,
              ip: awsPublicIp(r),
              client: r.chance(0.6) ? 'go-v2' : 'boto3',
            }),
            1,
          );
          const identity = assumedRoleIdentity(acct, scannerRole, s.name, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            tls: true,
          });
        },
      },
      9,
    ],
    [
      {
        kind: 'sso-human',
        events: HUMAN_EVENTS,
        errorRate: 0.05,
        burst: [1, 8],
        begin: (r, time) => {
          const person = r.pick(people);
          const s = useSession(
            r,
            time,
            `sso:${person}`,
            () => {
              const client = SSO_CLIENTS.pick(r);
              return {
                name: `${person}@example.com`,
                ip: client === 'aws-internal' ? 'AWS Internal' : r.pick(officeIps),
                client,
                role: r.pick(ssoRoles),
              };
            },
            4,
          );
          const identity = assumedRoleIdentity(
            acct,
            s.role ?? (ssoRoles[0] as Principal),
            s.name,
            s.cred,
          );
          // Everything but the CLI is the console calling on the person's behalf.
          const console = s.client !== 'aws-cli';
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            ...(console ? { fromConsole: true } : {}),
            tls: s.client !== 'aws-internal',
          });
        },
      },
      14,
    ],
    [
      {
        kind: 'ci',
        events: DEPLOY_EVENTS,
        errorRate: 0.03,
        burst: [2, 8],
        begin: (r, time) => {
          // One pipeline run: a runner address and a deploy tool, for up to an hour.
          const s = useSession(
            r,
            time,
            'ci',
            () => ({ name: 'GitHubActions', ip: r.pick(runnerIps), client: CI_CLIENTS.pick(r) }),
            1,
          );
          const identity = assumedRoleIdentity(acct, ciRole, s.name, s.cred, {
            webIdProvider: `arn:aws:iam::${acct}:oidc-provider/token.actions.githubusercontent.com`,
          });
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            tls: true,
          });
        },
      },
      7,
    ],
    [
      {
        kind: 'cfn',
        events: CFN_EVENTS,
        errorRate: 0.02,
        burst: [2, 6],
        begin: (r, time, region) => {
          const s = useSession(r, time, `cfn:${region}`, () => ({
            name: 'AWSCloudFormation',
            ip: 'cloudformation.amazonaws.com',
            client: 'cloudformation',
          }));
          const identity = assumedRoleIdentity(acct, cfnRole(region), s.name, s.cred, {
            invokedBy: 'cloudformation.amazonaws.com',
          });
          return () => ({
            identity,
            sourceIPAddress: 'cloudformation.amazonaws.com',
            userAgent: 'cloudformation.amazonaws.com',
            tls: false,
          });
        },
      },
      5,
    ],
    [
      {
        kind: 'legacy-user',
        events: LEGACY_USER_EVENTS,
        errorRate: 0.04,
        burst: [1, 6],
        begin: (r, time) => {
          const u = user(r.pick(['svc-backup', 'datadog-integration', 'legacy-etl']));
          // Long-term keys have no session; the host and client still change only slowly.
          const s = useSession(r, time, `user:${u.name}`, () => ({
            name: u.name,
            ip: u.name !== 'datadog-integration' && r.chance(0.5) ? privateIp(r) : awsPublicIp(r),
            client: u.name === 'datadog-integration' ? 'go-v2' : r.chance(0.7) ? 'boto3' : 'java',
          }));
          const identity = iamUserIdentity(acct, u);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            ...(s.ip.startsWith('10.') ? { vpcEndpointId: vpce } : {}),
            tls: true,
          });
        },
      },
      6,
    ],
    [
      {
        kind: 'federated',
        events: HUMAN_EVENTS,
        errorRate: 0.05,
        burst: [1, 5],
        begin: (r, time) => {
          const s = useSession(
            r,
            time,
            'federated',
            () => ({
              name: r.pick(people).split('.')[0] ?? 'user',
              ip: r.pick(officeIps),
              client: r.chance(0.5) ? 'aws-cli' : 'boto3',
            }),
            1,
          );
          const identity = federatedIdentity(acct, user('okta-broker'), s.name, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            tls: true,
          });
        },
      },
      1.5,
    ],
    [
      {
        kind: 'root',
        events: ROOT_EVENTS,
        errorRate: 0,
        burst: [1, 3],
        begin: (r, time) => {
          const s = useSession(
            r,
            time,
            'root',
            () => ({ name: 'root', ip: r.pick(officeIps), client: 'browser' }),
            1,
          );
          const identity = rootIdentity(acct, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            fromConsole: true,
            tls: true,
          });
        },
      },
      0.3,
    ],
  ];
  const intruder: Actor = {
    kind: 'intruder',
    events: INTRUDER_EVENTS,
    errorRate: 0.45,
    burst: [2, 10],
    begin: (r, time) => {
      // A leaked long-term key used from somewhere the owner never calls from.
      const s = useSession(r, time, 'intruder', () => ({
        name: 'svc-backup',
        ip: docIp(r),
        client: r.pick(['pacu', 'kali', 'kali', 'stratus'] as const),
      }));
      const identity = iamUserIdentity(acct, user('svc-backup'));
      return (t) => ({
        identity,
        sourceIPAddress: s.ip,
        userAgent: agentOf(s, t),
        tls: true,
      });
    },
  };
  actors.push([intruder, 0.5]);
  const humanActors = actors
    .map(([a]) => a)
    .filter(
      (a) =>
        a.kind === 'sso-human' ||
        a.kind === 'ci' ||
        a.kind === 'legacy-user' ||
        a.kind === 'federated',
    );
  return { ...profile, actors: new Weighted(actors), humanActors, intruder };
}

// ---------------------------------------------------------------------------
// Record assembly
// ---------------------------------------------------------------------------

const EVENT_VERSIONS = new Weighted<string>([
  ['1.08', 35],
  ['1.09', 25],
  ['1.10', 22],
  ['1.11', 18],
]);

const TLS_SUITES = new Weighted<readonly [string, string]>([
  [['TLSv1.3', 'TLS_AES_128_GCM_SHA256'], 6],
  [['TLSv1.3', 'TLS_AES_256_GCM_SHA384'], 1],
  [['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'], 3],
]);

function endpointHost(service: string, region: string): string {
  if (service === 'iam' || service === 'organizations') return `${service}.amazonaws.com`;
  if (service === 's3') return `s3.${region}.amazonaws.com`;
  return `${service}.${region}.amazonaws.com`;
}

interface AssembleInput {
  readonly rng: Prng;
  readonly account: string;
  readonly region: string;
  readonly time: Date;
  readonly source: string;
  readonly service: string;
  readonly name: string;
  readonly readOnly: boolean;
  readonly caller: Caller;
  readonly error?: readonly [string, string | undefined];
  readonly built: Built;
  readonly eventID?: string;
  readonly eventVersion?: string;
}

function assemble(p: AssembleInput): CloudTrailRecord {
  const { rng, caller, built } = p;
  const version = p.eventVersion ?? EVENT_VERSIONS.pick(rng);
  const requestID = p.service === 's3' ? rng.chars('0123456789ABCDEF', 16) : rng.uuid();
  const eventID = p.eventID ?? rng.uuid();
  const record: Record<string, unknown> = {
    eventVersion: version,
    userIdentity: caller.identity,
    eventTime: isoSeconds(p.time),
    eventSource: p.source,
    eventName: p.name,
    awsRegion: p.region,
    sourceIPAddress: caller.sourceIPAddress,
    userAgent: caller.userAgent,
  };
  if (p.error !== undefined) {
    record.errorCode = p.error[0];
    if (p.error[1] !== undefined) record.errorMessage = p.error[1];
  }
  record.requestParameters = built.req ?? null;
  record.responseElements = p.error !== undefined ? null : (built.resp ?? null);
  if (built.additionalEventData !== undefined)
    record.additionalEventData = built.additionalEventData;
  record.requestID = requestID;
  record.eventID = eventID;
  record.readOnly = p.readOnly;
  if (built.resources !== undefined) record.resources = built.resources;
  record.eventType = 'AwsApiCall';
  record.managementEvent = true;
  record.recipientAccountId = p.account;
  if (caller.identity.type === 'AWSService') record.sharedEventID = rng.uuid();
  if (caller.vpcEndpointId !== undefined) {
    record.vpcEndpointId = caller.vpcEndpointId;
    if (version >= '1.09') record.vpcEndpointAccountId = p.account;
  }
  record.eventCategory = 'Management';
  if (caller.tls) {
    const [tlsVersion, cipherSuite] = TLS_SUITES.pick(rng);
    record.tlsDetails = {
      tlsVersion,
      cipherSuite,
      clientProvidedHostHeader: endpointHost(p.service, p.region),
    };
  }
  if (caller.fromConsole === true) record.sessionCredentialFromConsole = 'true';
  return record as unknown as CloudTrailRecord;
}

function accessDenied(t: EventTemplate, c: Ctx): readonly [string, string] {
  const prefix = t.service === 'monitoring' ? 'cloudwatch' : t.service;
  const action = `${prefix}:${actionName(t.name)}`;
  const because = `because no identity-based policy allows the ${action} action`;
  if (t.service === 'ec2') {
    return [
      'Client.UnauthorizedOperation',
      `You are not authorized to perform this operation. User: ${c.callerArn} is not authorized to perform: ${action} ${because}`,
    ];
  }
  if (t.service === 's3') return ['AccessDenied', 'Access Denied'];
  const resource = t.global ? `arn:aws:iam::${c.acct.id}:*` : '*';
  const code = JSON_PROTOCOL.has(t.service) ? 'AccessDeniedException' : 'AccessDenied';
  return [
    code,
    `User: ${c.callerArn} is not authorized to perform: ${action} on resource: ${resource} ${because}`,
  ];
}

function throttled(t: EventTemplate): readonly [string, string] {
  if (t.service === 'ec2') return ['Client.RequestLimitExceeded', 'Request limit exceeded.'];
  return JSON_PROTOCOL.has(t.service)
    ? ['ThrottlingException', 'Rate exceeded']
    : ['Throttling', 'Rate exceeded'];
}

function callerArnOf(identity: UserIdentity): string {
  return identity.arn ?? identity.invokedBy ?? 'unknown';
}

// ---------------------------------------------------------------------------
// Target records
// ---------------------------------------------------------------------------

export const TARGET_EVENTS = {
  CreateDBSecurityGroup: { source: 'rds.amazonaws.com', service: 'rds' },
  CreateCacheSecurityGroup: { source: 'elasticache.amazonaws.com', service: 'elasticache' },
} as const;

export type TargetEventName = keyof typeof TARGET_EVENTS;

export const TARGET_EVENT_NAMES = Object.keys(TARGET_EVENTS) as TargetEventName[];

/** True when the record is one of the two calls the detector looks for (either outcome). */
export function isTargetRecord(record: CloudTrailRecord): boolean {
  // hasOwn keeps names such as "toString" from reaching the prototype.
  return (
    Object.hasOwn(TARGET_EVENTS, record.eventName) &&
    TARGET_EVENTS[record.eventName as TargetEventName].source === record.eventSource
  );
}

export type TargetFailureCode =
  'AccessDenied' | 'InvalidParameterValue' | 'InvalidParameterCombination';

export interface TargetRecordOptions {
  readonly account: string;
  readonly region: string;
  readonly time: Date;
  /** Drives ids and any detail not given below; defaults to a hash of account, region and time. */
  readonly seed?: number;
  readonly rng?: Prng;
  readonly groupName?: string;
  readonly description?: string;
  /** RDS and ElastiCache both take tags as `[{ key, value }]` in CloudTrail. */
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  /** A full identity, or the kind of caller to make one for. Default: an SSO user. */
  readonly identity?: UserIdentity | IdentityKindOption;
  /** A literal user agent; wins over `userAgentKind`. */
  readonly userAgent?: string;
  readonly userAgentKind?: UserAgentKind;
  readonly sourceIPAddress?: string;
  /** Make the call fail: true means AccessDenied; an object sets code and message verbatim. */
  readonly failure?:
    boolean | TargetFailureCode | { readonly errorCode: string; readonly errorMessage?: string };
  readonly eventID?: string;
  readonly eventVersion?: string;
}

/**
 * A caller identity of the named kind in `account`. `name` is the user, role or session
 * name, depending on the kind; temporary credentials start shortly before `time`.
 */
export function makeIdentity(
  kind: IdentityKindOption,
  account: string,
  rng: Prng,
  time: Date,
  name?: string,
): UserIdentity {
  switch (kind) {
    case 'iam-user':
      return iamUserIdentity(account, {
        ...makePrincipal(rng, 'AIDA', name ?? 'ops-admin'),
        accessKeyId: `AKIA${rng.chars(BASE32, 16)}`,
      });
    case 'assumed-role': {
      const role = makePrincipal(rng, 'AROA', name ?? 'platform-admin');
      return assumedRoleIdentity(
        account,
        role,
        `session-${rng.hex(8)}`,
        freshCredential(rng, time),
      );
    }
    case 'sso-user': {
      const role = makePrincipal(
        rng,
        'AROA',
        `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`,
        'aws-reserved/sso.amazonaws.com/',
      );
      const session = name ?? `${rng.pick(PEOPLE)}@example.com`;
      return assumedRoleIdentity(account, role, session, freshCredential(rng, time));
    }
    case 'ci-role': {
      const role = makePrincipal(rng, 'AROA', name ?? 'github-actions-deploy');
      return assumedRoleIdentity(account, role, 'GitHubActions', freshCredential(rng, time), {
        webIdProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
      });
    }
    case 'root':
      return rootIdentity(account, freshCredential(rng, time, 30));
    case 'federated-user': {
      const broker = {
        ...makePrincipal(rng, 'AIDA', 'okta-broker'),
        accessKeyId: `AKIA${rng.chars(BASE32, 16)}`,
      };
      return federatedIdentity(account, broker, name ?? 'contractor', freshCredential(rng, time));
    }
  }
}

function targetFailure(
  name: TargetEventName,
  failure: NonNullable<TargetRecordOptions['failure']>,
  callerArn: string,
  resourceArn: string,
): readonly [string, string | undefined] | undefined {
  if (failure === false) return undefined;
  if (typeof failure === 'object') return [failure.errorCode, failure.errorMessage];
  const code: TargetFailureCode = failure === true ? 'AccessDenied' : failure;
  const service = TARGET_EVENTS[name].service;
  switch (code) {
    case 'AccessDenied':
      return [
        'AccessDenied',
        `User: ${callerArn} is not authorized to perform: ${service}:${name} on resource: ${resourceArn} because no identity-based policy allows the ${service}:${name} action`,
      ];
    case 'InvalidParameterValue':
      // Both APIs belong to EC2-Classic, which is gone; the services now refuse them.
      return [
        'InvalidParameterValue',
        name === 'CreateDBSecurityGroup'
          ? 'DB security groups are not supported for this account; use VPC security groups instead.'
          : 'Cache security groups are not available to this account in this API version.',
      ];
    case 'InvalidParameterCombination':
      return [
        'InvalidParameterCombination',
        name === 'CreateDBSecurityGroup'
          ? 'EC2-Classic resources cannot be created in a VPC-only account.'
          : 'Cache security groups cannot be used with clusters in a VPC.',
      ];
  }
}

/** What any planted call needs to know about its caller, time and place. */
export type CallRecordOptions = Pick<
  TargetRecordOptions,
  | 'account'
  | 'region'
  | 'time'
  | 'seed'
  | 'rng'
  | 'identity'
  | 'userAgent'
  | 'userAgentKind'
  | 'sourceIPAddress'
  | 'eventID'
  | 'eventVersion'
>;

function targetCaller(opts: CallRecordOptions, rng: Prng, service: string, name: string): Caller {
  const identity =
    typeof opts.identity === 'object'
      ? opts.identity
      : makeIdentity(opts.identity ?? 'sso-user', opts.account, rng, opts.time);
  const agent = opts.userAgent ?? userAgentFor(opts.userAgentKind ?? 'aws-cli', rng, service, name);
  const viaService = /^[a-z0-9-]+\.amazonaws\.com$/.test(agent) && !agent.startsWith('console.');
  const ip =
    opts.sourceIPAddress ??
    (agent === 'AWS Internal' ? 'AWS Internal' : viaService ? agent : docIp(rng));
  return {
    identity,
    sourceIPAddress: ip,
    userAgent: agent,
    tls: ip !== 'AWS Internal' && !viaService,
    ...(agent.startsWith('console.') || agent.startsWith('Mozilla/') ? { fromConsole: true } : {}),
  };
}

function targetRng(opts: CallRecordOptions, name: string): Prng {
  return (
    opts.rng ??
    new Prng(
      opts.seed ?? hash32(`${name}|${opts.account}|${opts.region}|${opts.time.toISOString()}`),
    )
  );
}

/**
 * The part both target builders share: the error, if the call failed, and the record
 * around the request and response each builder makes. The builders draw their own random
 * values first, so the records (and the sample archive) do not depend on this split.
 */
function targetRecord(
  opts: TargetRecordOptions,
  name: TargetEventName,
  rng: Prng,
  caller: Caller,
  resourceArn: string,
  built: Built,
): CloudTrailRecord {
  const error =
    opts.failure === undefined
      ? undefined
      : targetFailure(name, opts.failure, callerArnOf(caller.identity), resourceArn);
  return assemble({
    rng,
    account: opts.account,
    region: opts.region,
    time: opts.time,
    source: TARGET_EVENTS[name].source,
    service: TARGET_EVENTS[name].service,
    name,
    readOnly: false,
    caller,
    ...(error !== undefined ? { error } : {}),
    built,
    ...(opts.eventID !== undefined ? { eventID: opts.eventID } : {}),
    ...(opts.eventVersion !== undefined ? { eventVersion: opts.eventVersion } : {}),
  });
}

/**
 * A CloudTrail record of rds:CreateDBSecurityGroup, with the casing CloudTrail uses
 * (`dBSecurityGroupName`, `eC2SecurityGroups`, `iPRanges`, `dBSecurityGroupArn`).
 */
export function createDbSecurityGroupRecord(opts: TargetRecordOptions): CloudTrailRecord {
  const name: TargetEventName = 'CreateDBSecurityGroup';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'rds', name);
  const groupName = opts.groupName ?? `${rng.pick(APPS)}-db-sg`;
  const description = opts.description ?? `Database access for ${groupName.replace(/-db-sg$/, '')}`;
  const arn = `arn:aws:rds:${opts.region}:${opts.account}:secgrp:${groupName}`;
  return targetRecord(opts, name, rng, caller, arn, {
    req: {
      dBSecurityGroupName: groupName,
      dBSecurityGroupDescription: description,
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
    },
    resp: {
      ownerId: opts.account,
      dBSecurityGroupName: groupName,
      dBSecurityGroupDescription: description,
      eC2SecurityGroups: [],
      iPRanges: [],
      dBSecurityGroupArn: arn,
    },
  });
}

/**
 * A CloudTrail record of elasticache:CreateCacheSecurityGroup (`cacheSecurityGroupName`,
 * `description`; the response's CacheSecurityGroup with `ownerId` and `aRN`).
 */
export function createCacheSecurityGroupRecord(opts: TargetRecordOptions): CloudTrailRecord {
  const name: TargetEventName = 'CreateCacheSecurityGroup';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'elasticache', name);
  // The service stores cache security group names in lower case.
  const groupName = (opts.groupName ?? `${rng.pick(APPS)}-cache-sg`).toLowerCase();
  const description = opts.description ?? `Cache access for ${groupName.replace(/-cache-sg$/, '')}`;
  const arn = `arn:aws:elasticache:${opts.region}:${opts.account}:securitygroup:${groupName}`;
  return targetRecord(opts, name, rng, caller, arn, {
    req: {
      cacheSecurityGroupName: groupName,
      description,
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
    },
    resp: {
      ownerId: opts.account,
      cacheSecurityGroupName: groupName,
      description,
      eC2SecurityGroups: [],
      aRN: arn,
    },
  });
}

// ---------------------------------------------------------------------------
// Exposure calls (the second detection pack), for planting
// ---------------------------------------------------------------------------

/** One inbound rule as AuthorizeSecurityGroupIngress takes it. */
export interface IngressPermission {
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly ipv4?: readonly string[];
  readonly ipv6?: readonly string[];
}

function plantedCall(
  opts: CallRecordOptions,
  service: string,
  name: string,
  rng: Prng,
  caller: Caller,
  built: Built,
): CloudTrailRecord {
  return assemble({
    rng,
    account: opts.account,
    region: opts.region,
    time: opts.time,
    source: `${service}.amazonaws.com`,
    service,
    name,
    readOnly: false,
    caller,
    built,
    ...(opts.eventID !== undefined ? { eventID: opts.eventID } : {}),
    ...(opts.eventVersion !== undefined ? { eventVersion: opts.eventVersion } : {}),
  });
}

/**
 * A successful ec2:AuthorizeSecurityGroupIngress as CloudTrail logs it: `ipPermissions.items`
 * with `ipRanges`/`ipv6Ranges` item lists, and the rules EC2 created in the response.
 */
export function authorizeSecurityGroupIngressRecord(
  opts: CallRecordOptions & {
    readonly groupId: string;
    readonly permissions: readonly IngressPermission[];
  },
): CloudTrailRecord {
  const name = 'AuthorizeSecurityGroupIngress';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'ec2', name);
  const items = opts.permissions.map((p) => ({
    ipProtocol: p.protocol,
    ...(p.fromPort !== undefined ? { fromPort: p.fromPort } : {}),
    ...(p.toPort !== undefined ? { toPort: p.toPort } : {}),
    groups: {},
    ipRanges: p.ipv4 !== undefined ? { items: p.ipv4.map((cidrIp) => ({ cidrIp })) } : {},
    ipv6Ranges: p.ipv6 !== undefined ? { items: p.ipv6.map((cidrIpv6) => ({ cidrIpv6 })) } : {},
    prefixListIds: {},
  }));
  const rules = opts.permissions.flatMap((p) =>
    [
      ...(p.ipv4 ?? []).map((cidr) => ({ cidrIpv4: cidr })),
      ...(p.ipv6 ?? []).map((cidr) => ({ cidrIpv6: cidr })),
    ].map((range) => ({
      groupOwnerId: opts.account,
      groupId: opts.groupId,
      securityGroupRuleId: `sgr-0${rng.hex(16)}`,
      isEgress: false,
      ipProtocol: p.protocol,
      fromPort: p.fromPort ?? -1,
      toPort: p.toPort ?? -1,
      ...range,
    })),
  );
  return plantedCall(opts, 'ec2', name, rng, caller, {
    req: { groupId: opts.groupId, ipPermissions: { items } },
    resp: { requestId: rng.uuid(), _return: true, securityGroupRuleSet: { items: rules } },
  });
}

/**
 * A successful rds:ModifyDBInstance with the given request changes. The response shows the
 * instance as RDS reports it right after the call: `publiclyAccessible` is its state before
 * the change unless `publiclyAccessibleAfter` says otherwise.
 */
export function modifyDbInstanceRecord(
  opts: CallRecordOptions & {
    readonly dbInstanceIdentifier: string;
    readonly changes: Readonly<Record<string, unknown>>;
    readonly publiclyAccessibleAfter?: boolean;
  },
): CloudTrailRecord {
  const name = 'ModifyDBInstance';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'rds', name);
  const db = opts.dbInstanceIdentifier;
  return plantedCall(opts, 'rds', name, rng, caller, {
    req: { dBInstanceIdentifier: db, ...opts.changes },
    resp: {
      dBInstanceIdentifier: db,
      dBInstanceClass: 'db.r6g.large',
      engine: 'postgres',
      dBInstanceStatus: 'available',
      masterUsername: 'app_admin',
      allocatedStorage: 100,
      dBSecurityGroups: [],
      vpcSecurityGroups: [{ vpcSecurityGroupId: `sg-0${rng.hex(16)}`, status: 'active' }],
      pendingModifiedValues: {},
      multiAZ: true,
      engineVersion: '16.4',
      publiclyAccessible: opts.publiclyAccessibleAfter ?? false,
      storageType: 'gp3',
      storageEncrypted: true,
      dBInstanceArn: `arn:aws:rds:${opts.region}:${opts.account}:db:${db}`,
      deletionProtection: true,
    },
  });
}

// ---------------------------------------------------------------------------
// Streams of records
// ---------------------------------------------------------------------------

const FAILURE_CODES = new Weighted<TargetFailureCode>([
  ['AccessDenied', 3],
  ['InvalidParameterValue', 2],
  ['InvalidParameterCombination', 1],
]);

interface Burst {
  readonly account: string;
  readonly region: string;
  readonly actor: Actor;
  readonly callerFor: CallerFor;
  readonly maxGap: number;
  left: number;
  time: number;
}

/** Builds records for a fixed seed; keeps per-account profiles so principals recur. */
class RecordFactory {
  private readonly profiles = new Map<string, AccountProfile>();
  private burst: Burst | undefined;

  constructor(private readonly seed: number) {}

  profile(account: string): AccountProfile {
    let p = this.profiles.get(account);
    if (p === undefined) {
      p = buildAccountProfile(account, this.seed);
      this.profiles.set(account, p);
    }
    return p;
  }

  /** The account and region of the burst under way, if any. */
  activeBurst(): { readonly account: string; readonly region: string } | undefined {
    return this.burst !== undefined && this.burst.left > 0 ? this.burst : undefined;
  }

  endBurst(): void {
    this.burst = undefined;
  }

  /**
   * The next background record. `slotTime` is when this record's slot starts plus
   * jitter and `slotWidth` the slot length in ms; calls inside a burst follow each other
   * within seconds but never pass the next slot, so records stay in time order.
   */
  background(
    rng: Prng,
    account: string,
    region: string,
    slotTime: number,
    slotWidth: number,
  ): CloudTrailRecord {
    const acct = this.profile(account);
    let b = this.burst;
    if (b === undefined || b.left <= 0 || b.account !== account || b.region !== region) {
      const actor = acct.actors.pick(rng);
      b = {
        account,
        region,
        actor,
        callerFor: actor.begin(rng, new Date(slotTime), region),
        left: rng.between(actor.burst[0], actor.burst[1]),
        time: slotTime,
        maxGap: Math.min(3000, slotWidth),
      };
      this.burst = b;
    } else {
      b.time += Math.floor(rng.next() * b.maxGap);
    }
    b.left -= 1;
    const { actor } = b;
    const time = new Date(b.time);
    let template = actor.events.pick(rng);
    // IAM and Organizations only ever log in us-east-1; pick again elsewhere.
    for (let tries = 0; template.global && region !== 'us-east-1'; tries++) {
      template = tries < 8 ? actor.events.pick(rng) : TEMPLATES.GetCallerIdentity;
    }
    const caller = b.callerFor(template);
    const ctx: Ctx = { rng, acct, region, time, callerArn: callerArnOf(caller.identity) };
    const built = template.build(ctx);
    let error: readonly [string, string | undefined] | undefined;
    if (rng.chance(actor.errorRate)) {
      const roll = rng.next();
      if (built.miss !== undefined && roll < 0.35) error = built.miss;
      else if (roll > 0.88 && actor.kind !== 'intruder') error = throttled(template);
      else error = accessDenied(template, ctx);
    }
    // Decided after the draws above so a retired call leaves the random stream untouched.
    if (built.retired !== undefined) error = built.retired;
    return assemble({
      rng,
      account,
      region,
      time,
      source: template.source,
      service: template.service,
      name: template.name,
      readOnly: template.readOnly,
      caller,
      ...(error !== undefined ? { error } : {}),
      built,
    });
  }

  target(
    rng: Prng,
    account: string,
    region: string,
    time: Date,
    failed: boolean,
  ): CloudTrailRecord {
    const acct = this.profile(account);
    const name = rng.pick(TARGET_EVENT_NAMES);
    // Mostly the people and pipelines that make changes; now and then the intruder.
    const actor = rng.chance(0.15) ? acct.intruder : rng.pick(acct.humanActors);
    const template: EventTemplate = {
      service: TARGET_EVENTS[name].service,
      source: TARGET_EVENTS[name].source,
      name,
      readOnly: false,
      global: false,
      build: () => ({}),
    };
    const caller = actor.begin(rng, time, region)(template);
    const app = rng.pick(acct.apps);
    const opts: TargetRecordOptions = {
      account,
      region,
      time,
      rng,
      identity: caller.identity,
      userAgent: caller.userAgent,
      sourceIPAddress: caller.sourceIPAddress,
      groupName: `${app}-${acct.env}-${name === 'CreateDBSecurityGroup' ? 'db' : 'cache'}-sg`,
      ...(rng.chance(0.3) ? { tags: [{ key: 'app', value: app }] } : {}),
      ...(failed ? { failure: FAILURE_CODES.pick(rng) } : {}),
    };
    return name === 'CreateDBSecurityGroup'
      ? createDbSecurityGroupRecord(opts)
      : createCacheSecurityGroupRecord(opts);
  }
}

/**
 * Spreads `picked` marks evenly (with a random phase) over `total` slots, so the count
 * is exact and `isMarked` can be asked in increasing order without storing the slots.
 */
class EvenSchedule {
  private k = 0;
  private nextSlot: number;

  constructor(
    private readonly total: number,
    private readonly picked: number,
    private readonly phase: number,
  ) {
    this.nextSlot = this.slot(0);
  }

  private slot(k: number): number {
    return k < this.picked ? Math.floor(((k + this.phase) * this.total) / this.picked) : Infinity;
  }

  isMarked(index: number): boolean {
    if (index !== this.nextSlot) return false;
    this.k += 1;
    this.nextSlot = this.slot(this.k);
    return true;
  }
}

export interface GenerateOptions {
  readonly seed: number;
  readonly count: number;
  readonly start: Date;
  readonly end: Date;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  /** Fraction of records that are target calls; the count is round(count * targetRate). */
  readonly targetRate?: number;
  /** Fraction of target calls that fail; the count is round(targets * failureShare). Default 0.3. */
  readonly failureShare?: number;
}

function checkCommon(accounts: readonly string[], regions: readonly string[], rate: number): void {
  if (accounts.length === 0) throw new RangeError('accounts must not be empty');
  if (regions.length === 0) throw new RangeError('regions must not be empty');
  if (!(rate >= 0 && rate <= 1)) throw new RangeError('targetRate must be between 0 and 1');
}

/** Records in time order, `count` of them, spread over [start, end). */
export function* generateRecords(
  opts: GenerateOptions,
): Generator<CloudTrailRecord, void, undefined> {
  const rate = opts.targetRate ?? 0;
  checkCommon(opts.accounts, opts.regions, rate);
  const rng = Prng.derive(opts.seed, 'records');
  const factory = new RecordFactory(opts.seed);
  const targets = Math.round(opts.count * rate);
  const failures = Math.round(targets * (opts.failureShare ?? 0.3));
  const targetSlots = new EvenSchedule(opts.count, targets, rng.next());
  const failureSlots = new EvenSchedule(targets, failures, rng.next());
  // The first region is the account's home and carries more of the traffic.
  const regions = new Weighted(opts.regions.map((r, i) => [r, i === 0 ? 2 : 1] as const));
  const t0 = opts.start.getTime();
  const span = Math.max(0, opts.end.getTime() - t0);
  const width = opts.count > 0 ? span / opts.count : 0;
  let targetIndex = 0;
  for (let i = 0; i < opts.count; i++) {
    // One slot per record with jitter inside it keeps times sorted without a sort.
    const slotTime = Math.floor(t0 + width * (i + rng.next()));
    if (targetSlots.isMarked(i)) {
      factory.endBurst();
      const time = new Date(slotTime);
      const account = rng.pick(opts.accounts);
      const region = regions.pick(rng);
      yield factory.target(rng, account, region, time, failureSlots.isMarked(targetIndex++));
      continue;
    }
    const burst = factory.activeBurst();
    const account = burst?.account ?? rng.pick(opts.accounts);
    const region = burst?.region ?? regions.pick(rng);
    yield factory.background(rng, account, region, slotTime, width);
  }
}

// ---------------------------------------------------------------------------
// Archives laid out like CloudTrail's S3 delivery
// ---------------------------------------------------------------------------

/** A record to place in the archive at its own account, region and time. */
export interface PlantedRecord {
  readonly record: CloudTrailRecord;
  /** Deliver it again in the next file of the same account and region. */
  readonly redeliver?: boolean;
}

export interface WriteArchiveOptions {
  readonly root: string;
  readonly seed: number;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly start: Date;
  /** End of the covered period; by default each account/region delivers every 5 minutes. */
  readonly end?: Date;
  readonly files: number;
  readonly recordsPerFile: number;
  readonly targetRate?: number;
  readonly failureShare?: number;
  /**
   * How many files also carry records already delivered in the previous file of their
   * account and region. The re-delivered records include that file's target calls.
   */
  readonly duplicateFiles?: number;
  /** Extra records placed by account, region and eventTime (counted in the stats). */
  readonly planted?: readonly PlantedRecord[];
  /** zlib level; fixed so output bytes do not depend on defaults. Default 6. */
  readonly gzipLevel?: number;
  readonly onFile?: (path: string) => void;
}

export interface TargetEventInfo {
  readonly eventID: string;
  readonly eventName: string;
  readonly account: string;
  readonly region: string;
  readonly eventTime: string;
  readonly errorCode?: string;
  /** Every file the event was written to (more than one when re-delivered). */
  readonly paths: string[];
}

export interface ArchiveStats {
  readonly files: number;
  /** Records written, counting re-deliveries. */
  readonly records: number;
  readonly uniqueRecords: number;
  readonly duplicateRecords: number;
  readonly compressedBytes: number;
  readonly rawBytes: number;
  /** Distinct target events by name and outcome. */
  readonly targets: Record<TargetEventName, { success: number; failure: number }>;
  readonly targetEventIds: string[];
  readonly targetEvents: TargetEventInfo[];
  readonly duplicatedEventIds: string[];
  readonly paths: string[];
}

const PAD2 = (n: number): string => String(n).padStart(2, '0');

/** The S3 key CloudTrail uses for a log file delivered at `deliveredAt`. */
export function cloudTrailKey(
  account: string,
  region: string,
  deliveredAt: Date,
  unique: string,
): string {
  const y = String(deliveredAt.getUTCFullYear());
  const m = PAD2(deliveredAt.getUTCMonth() + 1);
  const d = PAD2(deliveredAt.getUTCDate());
  const stamp = `${y}${m}${d}T${PAD2(deliveredAt.getUTCHours())}${PAD2(deliveredAt.getUTCMinutes())}Z`;
  return `AWSLogs/${account}/CloudTrail/${region}/${y}/${m}/${d}/${account}_CloudTrail_${region}_${stamp}_${unique}.json.gz`;
}

/** Matches a CloudTrail log file key; groups: account, region, yyyy, mm, dd, stamp, unique. */
export const CLOUDTRAIL_KEY_PATTERN =
  /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z]{2}(?:-[a-z]+)+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\3\4\5T\d{4}Z)_([A-Za-z0-9]{16})\.json\.gz$/;

function* fileChunks(
  records: readonly CloudTrailRecord[],
  counter: { raw: number },
): Generator<string> {
  // Serialise in slices so a large file never becomes one giant string.
  let buffer = '{"Records":[';
  for (let i = 0; i < records.length; i++) {
    buffer += (i === 0 ? '' : ',') + JSON.stringify(records[i]);
    if (buffer.length >= 64 * 1024) {
      counter.raw += Buffer.byteLength(buffer);
      yield buffer;
      buffer = '';
    }
  }
  buffer += ']}';
  counter.raw += Buffer.byteLength(buffer);
  yield buffer;
}

function byTime(a: CloudTrailRecord, b: CloudTrailRecord): number {
  return a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0;
}

/**
 * Writes `files` gzip files of `{"Records":[...]}` under `root` with CloudTrail's S3 key
 * layout. Account/region pairs take turns; each pair's files cover consecutive windows.
 * Only one file's records are in memory at a time.
 */
export async function writeArchive(opts: WriteArchiveOptions): Promise<ArchiveStats> {
  const rate = opts.targetRate ?? 0;
  checkCommon(opts.accounts, opts.regions, rate);
  if (!Number.isInteger(opts.files) || opts.files < 0)
    throw new RangeError('files must be a whole number');
  if (!Number.isInteger(opts.recordsPerFile) || opts.recordsPerFile < 1) {
    throw new RangeError('recordsPerFile must be at least 1');
  }
  const streams = opts.accounts.flatMap((account) =>
    opts.regions.map((region) => ({ account, region })),
  );
  const perStream = Math.ceil(opts.files / streams.length);
  const t0 = opts.start.getTime();
  const period =
    opts.end !== undefined ? (opts.end.getTime() - t0) / Math.max(1, perStream) : 5 * 60_000;
  if (!(period > 0)) throw new RangeError('end must be after start');
  const fileOf = (stream: number, slot: number): number => slot * streams.length + stream;

  // Planted records go to the file whose window holds their time (clamped to the ends).
  const extras = new Map<number, CloudTrailRecord[]>();
  const addExtra = (file: number, record: CloudTrailRecord): void => {
    const list = extras.get(file) ?? [];
    list.push(record);
    extras.set(file, list);
  };
  for (const plant of opts.planted ?? []) {
    const account = plant.record.recipientAccountId ?? '';
    const stream = streams.findIndex(
      (s) => s.account === account && s.region === plant.record.awsRegion,
    );
    if (stream < 0) {
      throw new RangeError(
        `planted record ${plant.record.eventID} is outside the archive's accounts/regions`,
      );
    }
    const lastSlot = Math.floor((opts.files - 1 - stream) / streams.length);
    if (lastSlot < 0)
      throw new RangeError(`no file is written for ${account} ${plant.record.awsRegion}`);
    const wanted = Math.floor((Date.parse(plant.record.eventTime) - t0) / period);
    const slot = Math.min(Math.max(wanted, 0), lastSlot);
    addExtra(fileOf(stream, slot), plant.record);
    if (plant.redeliver === true) {
      if (slot + 1 > lastSlot) {
        throw new RangeError(
          `planted record ${plant.record.eventID} has no later file to be re-delivered in`,
        );
      }
      addExtra(fileOf(stream, slot + 1), plant.record);
    }
  }

  // Files that re-deliver part of the previous file of the same account and region. The
  // schedule spreads them out; a re-delivery is held back until a source file holds a
  // target call (or the remaining files run out), so duplicates reach the detector.
  const sources = Math.max(0, opts.files - streams.length);
  const dupCount = Math.min(opts.duplicateFiles ?? 0, sources);
  const dupSchedule = new EvenSchedule(sources, dupCount, Prng.derive(opts.seed, 'dup').next());
  const dupPerFile = Math.max(1, Math.min(25, Math.round(opts.recordsPerFile * 0.02)));
  let dupOwed = 0;

  const factory = new RecordFactory(opts.seed);
  const total = opts.files * opts.recordsPerFile;
  const scheduleRng = Prng.derive(opts.seed, 'targets');
  const targetCount = Math.round(total * rate);
  const targetSlots = new EvenSchedule(total, targetCount, scheduleRng.next());
  const failureSlots = new EvenSchedule(
    targetCount,
    Math.round(targetCount * (opts.failureShare ?? 0.3)),
    scheduleRng.next(),
  );
  let targetIndex = 0;

  const stats = {
    files: 0,
    records: 0,
    uniqueRecords: 0,
    duplicateRecords: 0,
    compressedBytes: 0,
    rawBytes: 0,
    targets: {
      CreateDBSecurityGroup: { success: 0, failure: 0 },
      CreateCacheSecurityGroup: { success: 0, failure: 0 },
    } as Record<TargetEventName, { success: number; failure: number }>,
    targetEventIds: [] as string[],
    targetEvents: [] as TargetEventInfo[],
    duplicatedEventIds: [] as string[],
    paths: [] as string[],
  };
  const targetInfo = new Map<string, TargetEventInfo>();
  // Records a later file will re-deliver, keyed by that file; at most one entry per stream.
  const carried = new Map<number, CloudTrailRecord[]>();
  const seenPlanted = new Set<string>();

  for (let file = 0; file < opts.files; file++) {
    const stream = file % streams.length;
    const slot = Math.floor(file / streams.length);
    const { account, region } = streams[stream] ?? { account: '', region: '' };
    const rng = Prng.derive(opts.seed, 'file', file);
    const windowStart = t0 + slot * period;
    const fresh: CloudTrailRecord[] = [];
    const width = period / opts.recordsPerFile;
    factory.endBurst();
    for (let i = 0; i < opts.recordsPerFile; i++) {
      const slotTime = Math.floor(windowStart + width * (i + rng.next()));
      if (targetSlots.isMarked(file * opts.recordsPerFile + i)) {
        factory.endBurst();
        const failed = failureSlots.isMarked(targetIndex++);
        fresh.push(factory.target(rng, account, region, new Date(slotTime), failed));
      } else {
        fresh.push(factory.background(rng, account, region, slotTime, width));
      }
    }
    if (file < sources) {
      if (dupSchedule.isMarked(file)) dupOwed += 1;
      const targetsHere = fresh.filter(isTargetRecord);
      const mustPlaceNow = dupOwed >= sources - file;
      if (dupOwed > 0 && (targetsHere.length > 0 || rate === 0 || mustPlaceNow)) {
        dupOwed -= 1;
        const copies = new Set(targetsHere);
        for (let k = 0; k < dupPerFile; k++) copies.add(rng.pick(fresh));
        carried.set(file + streams.length, [...copies]);
      }
    }
    const redelivered = carried.get(file) ?? [];
    carried.delete(file);
    const planted = extras.get(file) ?? [];
    const records = [...fresh, ...planted, ...redelivered].sort(byTime);

    // CloudTrail delivers a few minutes after the window closes.
    const deliveredAt = new Date(windowStart + period + rng.between(60, 600) * 1000);
    const key = cloudTrailKey(account, region, deliveredAt, rng.alnum(16));
    const path = join(opts.root, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    const counter = { raw: 0 };
    await pipeline(
      Readable.from(fileChunks(records, counter)),
      createGzip({ level: opts.gzipLevel ?? 6 }),
      createWriteStream(path),
    );
    const size = (await stat(path)).size;

    stats.files += 1;
    stats.records += records.length;
    stats.rawBytes += counter.raw;
    stats.compressedBytes += size;
    stats.paths.push(path);
    const plantedAgain = planted.filter((r) => seenPlanted.has(r.eventID));
    stats.duplicateRecords += redelivered.length + plantedAgain.length;
    stats.uniqueRecords += records.length - redelivered.length - plantedAgain.length;
    for (const r of redelivered) stats.duplicatedEventIds.push(r.eventID);
    for (const r of plantedAgain) stats.duplicatedEventIds.push(r.eventID);
    for (const r of planted) seenPlanted.add(r.eventID);
    for (const r of records) {
      if (!isTargetRecord(r)) continue;
      const known = targetInfo.get(r.eventID);
      if (known !== undefined) {
        known.paths.push(path);
        continue;
      }
      const info: TargetEventInfo = {
        eventID: r.eventID,
        eventName: r.eventName,
        account: r.recipientAccountId ?? account,
        region: r.awsRegion,
        eventTime: r.eventTime,
        ...(r.errorCode !== undefined ? { errorCode: r.errorCode } : {}),
        paths: [path],
      };
      targetInfo.set(r.eventID, info);
      stats.targetEvents.push(info);
      stats.targetEventIds.push(r.eventID);
      stats.targets[r.eventName as TargetEventName][
        r.errorCode === undefined ? 'success' : 'failure'
      ] += 1;
    }
    opts.onFile?.(path);
  }
  return stats;
}
