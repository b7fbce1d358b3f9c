/**
 * Reads the CloudTrail `userAgent` (and `userIdentity.invokedBy`) and says which client made
 * the call: the console, the AWS CLI, an SDK, an infrastructure-as-code tool, an AWS service,
 * or tooling that attackers and red teams use.
 *
 * The user agent is chosen by the caller, so it proves nothing on its own: a marker can be
 * forged or removed (Pacu, for one, swaps its user agent out when it runs on Kali). The result
 * is context for an analyst and an input to risk scoring, never an allow-list. When no known
 * shape matches, the answer is 'other' with the raw string as the label; we do not guess.
 */
import type { CloudTrailRecord } from '../cloudtrail';
import { AWS_SERVICE_HOST } from './source-ip';

export type UserAgentKind =
  | 'console'
  | 'aws-cli'
  | 'sdk'
  | 'cloudformation'
  | 'terraform'
  | 'pulumi'
  | 'cdk'
  | 'aws-service'
  | 'offensive'
  | 'other';

export interface UserAgentInfo {
  readonly kind: UserAgentKind;
  /** Short text for people, e.g. "AWS CLI 2.17.60" or "SDK (Python, Boto3 1.26.0)". */
  readonly label: string;
  /** The client's programming language, when the user agent states it. */
  readonly language?: string;
  /** The client, SDK, service hostname or offensive tool that was recognised. */
  readonly tool?: string;
  readonly version?: string;
}

export interface ClassifyUserAgentOptions {
  /**
   * True when the record says the credentials came from a console session (CloudTrail's
   * top-level `sessionCredentialFromConsole: "true"`). Console calls are often logged with
   * the user agent "AWS Internal" or the browser's own string; this flag is what tells them
   * apart from other internal callers.
   */
  readonly consoleSession?: boolean;
}

/** Longest label kept for a user agent we do not recognise. */
export const MAX_RAW_LABEL_LENGTH = 80;

// A product token ("name/version", "name#version") starts at the beginning of the string or
// after a separator. Anchoring here keeps "cdk" in "mycdkapp" or "pacu" in "opacus" from matching.
const TOKEN_START = String.raw`(?:^|[\s[(,;])`;
const VERSION_CHARS = /^[0-9A-Za-z.+_-]{1,40}$/;
// console.amazonaws.com (root), signin.amazonaws.com (IAM users) and console.<service>.amazonaws.com
// (e.g. console.ec2.amazonaws.com) are what CloudTrail writes for console calls.
const CONSOLE_HOST = /^(?:console|signin|console\.[a-z0-9-]+)\.amazonaws\.com$/;
const CLOUDFORMATION_HOST = 'cloudformation.amazonaws.com';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The version of the product token `name/version` in `ua`: a string when the token is there
 * with a plausible version, null when it is there without one, undefined when it is absent.
 */
function tokenVersion(ua: string, name: string): string | null | undefined {
  const match = new RegExp(`${TOKEN_START}${escapeRegExp(name)}/([^\\s;,()\\]]*)`, 'i').exec(ua);
  if (match === null) return undefined;
  const version = match[1] ?? '';
  return VERSION_CHARS.test(version) ? version : null;
}

function hasToken(ua: string, name: string): boolean {
  return tokenVersion(ua, name) !== undefined;
}

function optionalVersion(version: string | null | undefined): string | undefined {
  return typeof version === 'string' ? version : undefined;
}

/** Replaces control characters and runs of whitespace, then truncates for display. */
function displayText(raw: string): string {
  const flat = raw
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > MAX_RAW_LABEL_LENGTH ? `${flat.slice(0, MAX_RAW_LABEL_LENGTH - 1)}…` : flat;
}

/** CloudTrail wraps some user agents (S3 calls among them) in square brackets. */
function unwrap(ua: string): string {
  const trimmed = ua.trim();
  return trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1).trim() : trimmed;
}

function withVersion(name: string, version: string | undefined): string {
  return version === undefined ? name : `${name} ${version}`;
}

function languageFromLangToken(ua: string): string | undefined {
  const match = /(?:^|\s)lang\/([a-z.]+)/i.exec(ua);
  const lang = match?.[1]?.toLowerCase();
  switch (lang) {
    case 'python':
      return 'Python';
    case 'js':
      return 'JavaScript';
    case 'go':
      return 'Go';
    case 'java':
      return 'Java';
    case 'ruby':
      return 'Ruby';
    case 'php':
      return 'PHP';
    case 'rust':
      return 'Rust';
    default:
      return lang !== undefined && lang.startsWith('.net') ? '.NET' : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Offensive tooling. Each marker below is one we can point to in the tool's source or in a
// published detection; anything weaker would turn a pentester's laptop into a guess.
// ---------------------------------------------------------------------------------------------

interface OffensiveMarker {
  readonly tool: string;
  /** 'tool' labels read "<tool> via <client>"; 'platform' labels read "<client> on <tool>". */
  readonly style: 'tool' | 'platform';
  readonly matches: (ua: string) => boolean;
}

// The operating-system fields botocore, the AWS CLI and other SDKs put in the user agent:
// "Linux/5.15.0-kali3-amd64" (older format), "os/linux#6.19.14+kali-amd64",
// "md/distrib#kali.2026" and "exe/x86_64.parrot.4" (AWS CLI v2).
const PLATFORM_FIELD = /(?:^|[\s[(])(?:linux\/|os\/linux#|md\/distrib#|distrib\/|exe\/)(\S+)/gi;

function platformMentions(ua: string, distro: string): boolean {
  const word = new RegExp(`(?:^|[^a-z])${distro}(?:[^a-z]|$)`, 'i');
  for (const match of ua.matchAll(PLATFORM_FIELD)) {
    if (word.test(match[1] ?? '')) return true;
  }
  return false;
}

/** Exported so the README and the tests can list what counts as offensive tooling. */
export const OFFENSIVE_MARKERS: readonly OffensiveMarker[] = [
  {
    // DataDog Stratus Red Team appends "stratus-red-team_<uuid>" to every AWS call it makes,
    // including the Terraform warm-up (its useragent package, StratusUserAgentPrefix).
    tool: 'Stratus Red Team',
    style: 'tool',
    matches: (ua) => new RegExp(`${TOKEN_START}stratus-red-team(?:[_/]|\\s|$)`, 'i').test(ua),
  },
  {
    // DataDog Grimoire detonates attacks and tags the AWS CLI by setting
    // AWS_EXECUTION_ENV=grimoire_<uuid>, which the CLI reports as "exec-env/grimoire_<uuid>".
    tool: 'Grimoire',
    style: 'tool',
    matches: (ua) => /(?:^|[\s/])grimoire_[0-9a-f]{8}-[0-9a-f]{4}-/i.test(ua),
  },
  {
    // Pacu (Rhino Security Labs) does not brand its calls by default; its set_ua_suffix
    // command appends "Pacu-Session-<uuid>" (or an operator-chosen suffix). We match a token
    // that begins with "Pacu". On Kali/Parrot/Pentoo Pacu replaces the whole user agent with a
    // random ordinary one to dodge GuardDuty, so its absence here proves nothing.
    tool: 'Pacu',
    style: 'tool',
    matches: (ua) => new RegExp(`${TOKEN_START}pacu(?:[-/_]|\\s|$)`, 'i').test(ua),
  },
  {
    // TruffleHog names itself when it checks whether a leaked key still works. Elastic's
    // "AWS Suspicious User Agent Fingerprint" rule (f80ea920-f6f5-4c8a-9761-84ac97ec0cb2)
    // treats it as credential verification by a third party.
    tool: 'TruffleHog',
    style: 'tool',
    matches: (ua) => /trufflehog/i.test(ua),
  },
  {
    // Kali Linux: GuardDuty's PenTest:IAMUser/KaliLinux finding and Elastic's rule above both
    // key on the distribution named in the SDK/CLI platform fields ("kali-amd64", "+kali",
    // "distrib#kali").
    tool: 'Kali Linux',
    style: 'platform',
    matches: (ua) => platformMentions(ua, 'kali'),
  },
  {
    // Parrot Security OS: GuardDuty's PenTest:IAMUser/ParrotLinux. Its kernels read
    // "5.10.0-6parrot1-amd64"; the AWS CLI v2 adds "exe/x86_64.parrot.4".
    tool: 'Parrot OS',
    style: 'platform',
    matches: (ua) => platformMentions(ua, 'parrot'),
  },
  {
    // Pentoo Linux: GuardDuty's PenTest:IAMUser/PentooLinux, and the third distribution Pacu
    // checks for before it hides its user agent.
    tool: 'Pentoo Linux',
    style: 'platform',
    matches: (ua) => platformMentions(ua, 'pentoo'),
  },
  // Not listed on purpose: CloudGoat deploys with plain Terraform and adds no marker of its own;
  // ScoutSuite and Prowler are read-only auditors, not attack tools, and we found no stable
  // user-agent marker for either that would justify flagging them.
];

// ---------------------------------------------------------------------------------------------
// Ordinary clients.
// ---------------------------------------------------------------------------------------------

interface SdkSpec {
  /** Product token names, most specific first. */
  readonly tokens: readonly string[];
  readonly language: string;
}

// Ordered so that a wrapper is recognised before the SDK it rides on is considered.
const SDKS: readonly SdkSpec[] = [
  { tokens: ['Boto3', 'botocore'], language: 'Python' },
  { tokens: ['aws-sdk-go-v2', 'aws-sdk-go'], language: 'Go' },
  { tokens: ['aws-sdk-java'], language: 'Java' },
  { tokens: ['aws-sdk-js', 'aws-sdk-nodejs'], language: 'JavaScript' },
  {
    tokens: ['aws-sdk-dotnet-coreclr', 'aws-sdk-dotnet-45', 'aws-sdk-dotnet', 'aws-sdk-net'],
    language: '.NET',
  },
  { tokens: ['aws-sdk-ruby3', 'aws-sdk-ruby2', 'aws-sdk-ruby'], language: 'Ruby' },
  { tokens: ['aws-sdk-php'], language: 'PHP' },
  { tokens: ['aws-sdk-rust'], language: 'Rust' },
];

function serviceHostInfo(host: string): UserAgentInfo | undefined {
  const lower = host.toLowerCase();
  if (CONSOLE_HOST.test(lower)) {
    return { kind: 'console', label: 'AWS Management Console', tool: lower };
  }
  if (lower === CLOUDFORMATION_HOST) {
    return { kind: 'cloudformation', label: 'AWS CloudFormation', tool: lower };
  }
  if (AWS_SERVICE_HOST.test(lower)) {
    return { kind: 'aws-service', label: `AWS service ${lower}`, tool: lower };
  }
  return undefined;
}

function consoleInfo(ua: string, consoleSession: boolean): UserAgentInfo | undefined {
  // The S3 console calls S3 through an internal Java client: "[S3Console/0.4, aws-internal/3 …]".
  if (hasToken(ua, 'S3Console')) {
    return { kind: 'console', label: 'AWS Management Console (S3)', tool: 'S3Console' };
  }
  const internalConsole = /(?:^|[\s,])([A-Za-z0-9]+Console)\/[^\s,]*/.exec(ua);
  if (internalConsole !== null && hasToken(ua, 'aws-internal')) {
    return { kind: 'console', label: 'AWS Management Console', tool: internalConsole[1] };
  }
  if (consoleSession && (ua === 'AWS Internal' || /^Mozilla\/\d/.test(ua))) {
    return { kind: 'console', label: 'AWS Management Console' };
  }
  return undefined;
}

function pulumiInfo(ua: string): UserAgentInfo | undefined {
  if (!new RegExp(`${TOKEN_START}pulumi[\\w-]*/`, 'i').test(ua)) return undefined;
  // "APN/1.0 Pulumi/1.0 Pulumi-Aws/6.0.2" or "… PulumiAwsNative/0.90.0": Pulumi/1.0 is the
  // partner-network version, so the provider token carries the useful version.
  for (const provider of ['Pulumi-Aws', 'PulumiAwsNative']) {
    const version = tokenVersion(ua, provider);
    if (version !== undefined) {
      const v = optionalVersion(version);
      return {
        kind: 'pulumi',
        label: `Pulumi (${withVersion(provider, v)})`,
        tool: provider,
        ...(v !== undefined ? { version: v } : {}),
      };
    }
  }
  return { kind: 'pulumi', label: 'Pulumi', tool: 'Pulumi' };
}

function terraformInfo(ua: string): UserAgentInfo | undefined {
  const core = tokenVersion(ua, 'Terraform');
  const provider = tokenVersion(ua, 'terraform-provider-aws');
  if (core === undefined && provider === undefined) return undefined;
  const version = optionalVersion(core);
  const providerVersion = optionalVersion(provider);
  const label =
    version !== undefined
      ? `Terraform ${version}`
      : providerVersion !== undefined
        ? `Terraform (terraform-provider-aws ${providerVersion})`
        : 'Terraform';
  return {
    kind: 'terraform',
    label,
    tool: 'Terraform',
    ...(version !== undefined ? { version } : {}),
  };
}

// "aws-cdk" as a whole token name: "aws-cdk/2.150.0" appended by the CDK CLI, or an SDK
// app id such as "app/aws-cdk". "aws-cdk-lib", "cdk8s" and "mycdkapp" do not match.
const CDK_TOKEN = /(?:^|[\s[(,;/#])aws-cdk(?:[/#]([^\s;,()\]]*))?(?=[\s\]),;]|$)/i;

function cdkInfo(ua: string): UserAgentInfo | undefined {
  const match = CDK_TOKEN.exec(ua);
  if (match === null) return undefined;
  const raw = match[1];
  const version = raw !== undefined && VERSION_CHARS.test(raw) ? raw : undefined;
  return {
    kind: 'cdk',
    label: withVersion('AWS CDK', version),
    tool: 'aws-cdk',
    ...(version !== undefined ? { version } : {}),
  };
}

function awsCliInfo(ua: string): UserAgentInfo | undefined {
  const found = tokenVersion(ua, 'aws-cli');
  if (found === undefined) return undefined;
  const version = optionalVersion(found);
  const language = languageFromLangToken(ua) ?? (hasToken(ua, 'Python') ? 'Python' : undefined);
  const cloudShell = /(?:^|\s)exec-env\/CloudShell(?:\s|$)/i.test(ua);
  const name = withVersion('AWS CLI', version);
  return {
    kind: 'aws-cli',
    label: cloudShell ? `${name} (CloudShell)` : name,
    tool: 'aws-cli',
    ...(language !== undefined ? { language } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

function sdkInfo(ua: string): UserAgentInfo | undefined {
  for (const sdk of SDKS) {
    for (const token of sdk.tokens) {
      const found = tokenVersion(ua, token);
      if (found === undefined) continue;
      const version = optionalVersion(found);
      return {
        kind: 'sdk',
        label: `SDK (${sdk.language}, ${withVersion(token, version)})`,
        language: sdk.language,
        tool: token,
        ...(version !== undefined ? { version } : {}),
      };
    }
  }
  // The JavaScript SDK v3 always reports "lang/js"; some wrappers drop the aws-sdk-js token.
  if (/(?:^|\s)lang\/js(?:\s|$)/i.test(ua)) {
    return { kind: 'sdk', label: 'SDK (JavaScript)', language: 'JavaScript' };
  }
  return undefined;
}

/** What the user agent says when offensive markers are left out. */
function classifyClient(
  ua: string,
  invokedBy: string | undefined,
  consoleSession: boolean,
): UserAgentInfo {
  // When a service acted for the caller, the service is what sent this request.
  if (invokedBy !== undefined) {
    const byService = serviceHostInfo(invokedBy.trim());
    if (byService !== undefined) return byService;
  }
  if (ua === '') return { kind: 'other', label: 'no user agent' };
  const fromHost = serviceHostInfo(ua);
  if (fromHost !== undefined) return fromHost;
  return (
    consoleInfo(ua, consoleSession) ??
    // Infrastructure-as-code tools embed an SDK token, so they are checked before SDKs; Pulumi
    // before Terraform because some pulumi-aws builds also send the Terraform token.
    pulumiInfo(ua) ??
    terraformInfo(ua) ??
    cdkInfo(ua) ??
    awsCliInfo(ua) ??
    sdkInfo(ua) ?? { kind: 'other', label: displayText(ua) }
  );
}

/**
 * Classifies the client behind a CloudTrail record from its `userAgent` and, when an AWS service
 * acted for the caller, `userIdentity.invokedBy`. Offensive markers win over the client they ride
 * on: the AWS CLI on Kali is 'offensive', and so is Terraform run by Stratus Red Team.
 */
export function classifyUserAgent(
  userAgent: string | undefined,
  invokedBy?: string,
  options: ClassifyUserAgentOptions = {},
): UserAgentInfo {
  const ua = typeof userAgent === 'string' ? unwrap(userAgent) : '';
  const by = typeof invokedBy === 'string' && invokedBy.trim() !== '' ? invokedBy : undefined;
  const client = classifyClient(ua, by, options.consoleSession === true);
  const marker = ua === '' ? undefined : OFFENSIVE_MARKERS.find((m) => m.matches(ua));
  if (marker === undefined) return client;
  const label =
    client.kind === 'other'
      ? marker.tool
      : marker.style === 'platform'
        ? `${client.label} on ${marker.tool}`
        : `${marker.tool} via ${client.label}`;
  return {
    kind: 'offensive',
    label,
    tool: marker.tool,
    ...(client.language !== undefined ? { language: client.language } : {}),
  };
}

/** Reads the three fields the classification needs from a record, each with a default. */
export function classifyRecordUserAgent(record: CloudTrailRecord): UserAgentInfo {
  const invokedBy = record.userIdentity?.invokedBy;
  return classifyUserAgent(
    typeof record.userAgent === 'string' ? record.userAgent : undefined,
    typeof invokedBy === 'string' ? invokedBy : undefined,
    { consoleSession: record.sessionCredentialFromConsole === 'true' },
  );
}
