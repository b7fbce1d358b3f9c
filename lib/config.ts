import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { DetectionSelection, Severity } from '../lambda/core/catalog';
import { DETECTION_SELECTIONS } from '../lambda/core/catalog';
import { SEVERITIES } from '../lambda/core/model';
import { MIN_ALERT_RETENTION_DAYS, retentionFloorReason } from './retention-floor';

/** The Slack channel that AWS Chatbot posts alerts to. */
export interface SlackConfig {
  readonly workspaceId: string;
  readonly channelId: string;
}

/** The organization's CloudTrail bucket, for hunting its history with Athena. */
export interface HuntConfig {
  /** The S3 bucket the trail delivers to. */
  readonly bucket: string;
  /**
   * The trail's S3 key prefix, before `AWSLogs/`.
   * @default - none: the trail writes to `AWSLogs/` at the bucket root
   */
  readonly prefix?: string;
  /**
   * The KMS key the trail encrypts its log files with (SSE-KMS), as a key ARN: hunt
   * operators may decrypt with it through S3, which reading those files needs.
   * @default - the log files are not encrypted with a customer managed key
   */
  readonly kmsKeyArn?: string;
  /** The most one hunt query may scan before Athena cancels it, in gigabytes (10^9 bytes). */
  readonly maxScanGb: number;
  /**
   * The accounts the table projects. Empty means the account is injected: every query must
   * name its accounts (`sgwatch hunt --account`).
   */
  readonly accounts: readonly string[];
}

/** Everything the CDK app takes from context, validated and typed. */
export interface SgwatchConfig {
  /** Addresses that receive alert emails; empty means no email subscriptions. */
  readonly alertEmails: readonly string[];
  /** Addresses that receive pipeline alarms; defaults to `alertEmails`. */
  readonly opsEmails: readonly string[];
  /** The detection packs deployed as rules and run by the detector. */
  readonly detections: DetectionSelection;
  /** Whether the detector may ask EC2 what sits behind an exposed security group. */
  readonly lookups: boolean;
  /**
   * Whether every notified or suppressed alert is also imported into AWS Security Hub as an
   * ASFF finding, under the hub account's default product.
   */
  readonly securityHub: boolean;
  /**
   * Regions of the hub account to watch. Every listed Region other than the hub's gets a
   * spoke stack forwarding matching events to the hub bus.
   */
  readonly regions: readonly string[];
  /** The AWS Organizations id whose accounts may forward events to the hub bus. */
  readonly organizationId?: string;
  /** Further accounts allowed to forward events to the hub bus. */
  readonly spokeAccounts: readonly string[];
  /**
   * The hub's account, for the StackSet spoke template that member accounts deploy.
   * @default - the account the CDK CLI deploys to (CDK_DEFAULT_ACCOUNT)
   */
  readonly hubAccount?: string;
  /** Emails carry alerts of this severity and above. */
  readonly emailMinSeverity: Severity;
  /** When true, emails carry only first notifications and summaries, never burst updates. */
  readonly emailNewAlertsOnly: boolean;
  /** Present when alerts should also reach Slack through AWS Chatbot. */
  readonly slack?: SlackConfig;
  /** Days an alert record stays in the table before DynamoDB TTL removes it. */
  readonly alertRetentionDays: number;
  /** Retention of the detector's CloudWatch log group. */
  readonly logRetention: RetentionDays;
  /**
   * The sgwatch configuration file (accounts, exceptions, IaC roles, burst settings),
   * relative to the repository root or absolute.
   * @default - sgwatch.config.json at the repository root
   */
  readonly configFile?: string;
  /**
   * Present when the trail bucket is named (`cloudTrailBucket`): the Glue table, Athena
   * workgroup and results bucket `sgwatch hunt` uses.
   * @default - no hunt resources
   */
  readonly hunt?: HuntConfig;
  /**
   * Files or folders of Sigma rules for CloudTrail, relative to the repository root or
   * absolute, compiled at synth into rules and shipped to the detector.
   * @default - no Sigma rules
   */
  readonly sigmaRules?: readonly string[];
}

/** The context keys sgwatch reads; anything else in context belongs to the CDK. */
export const CONFIG_CONTEXT_KEYS = [
  'alertEmails',
  'opsEmails',
  'detections',
  'lookups',
  'securityHub',
  'regions',
  'organizationId',
  'spokeAccounts',
  'hubAccount',
  'emailMinSeverity',
  'emailNewAlertsOnly',
  'slackWorkspaceId',
  'slackChannelId',
  'alertRetentionDays',
  'logRetentionDays',
  'configFile',
  'cloudTrailBucket',
  'cloudTrailPrefix',
  'cloudTrailAccounts',
  'cloudTrailKmsKey',
  'huntMaxScanGb',
  'sigmaRules',
] as const;

export type ConfigContextKey = (typeof CONFIG_CONTEXT_KEYS)[number];

/** A context value that cannot be deployed; `key` names the context key at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly key: ConfigContextKey,
    detail: string,
  ) {
    super(`Invalid CDK context "${key}": ${detail}`);
  }
}

export const DEFAULT_ALERT_RETENTION_DAYS = 365;
/** 1,000 GB: at Athena's $5 per TB, one runaway query costs at most about $5. */
export const DEFAULT_HUNT_MAX_SCAN_GB = 1000;
export const DEFAULT_LOG_RETENTION = RetentionDays.THREE_MONTHS;

// Deliberately simple: one @, no whitespace or list separators, a dot in the domain. SNS
// does the real check when it sends the confirmation mail; this catches typos at synth.
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>".]+$/;
const SLACK_WORKSPACE_ID = /^T[A-Z0-9]+$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
// Commercial, GovCloud and China Region names: us-east-1, us-gov-west-1, cn-north-1, ...
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]+$/;
// S3's rules for bucket names created since 2018: 3-63 lower-case letters, digits, dots, dashes.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// A key prefix without `..`, control characters or characters a Glue location cannot carry.
const KEY_PREFIX = /^[A-Za-z0-9!_.*'()\/-]+$/;
// A KMS key ARN (single- or multi-Region key id), in any partition.
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/(?:mrk-)?[0-9a-f-]{32,36}$/;
const RETENTION_DAYS: ReadonlySet<number> = new Set(
  Object.values(RetentionDays).filter((value) => typeof value === 'number'),
);

function isRetentionDays(days: number): days is RetentionDays {
  return RETENTION_DAYS.has(days);
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Unset, null and blank strings all mean "not configured", as `-c key=` on the CLI gives. */
function isUnset(value: unknown): boolean {
  return (
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
  );
}

/** A comma-separated string (`-c key=a,b`) or a JSON list (cdk.json), as trimmed strings. */
function parseList(key: ConfigContextKey, value: unknown, what: string): string[] {
  if (isUnset(value)) return [];
  let entries: unknown[];
  if (typeof value === 'string') {
    entries = value.split(',');
  } else if (Array.isArray(value)) {
    entries = value;
  } else {
    throw new ConfigError(
      key,
      `expected a comma-separated string or a list of ${what}s, got ${show(value)}`,
    );
  }
  const items: string[] = [];
  for (const entry of entries) {
    // Strings only: an account id written as a JSON number would lose its leading zeros.
    if (typeof entry !== 'string') {
      throw new ConfigError(key, `${show(entry)} is not text; write each ${what} as a string`);
    }
    const item = entry.trim();
    if (item !== '') items.push(item);
  }
  return items;
}

/** Each entry must match `pattern`; duplicates (after `normalize`) are dropped. */
function parseDistinct(
  key: ConfigContextKey,
  value: unknown,
  what: string,
  pattern: RegExp,
  normalize: (item: string) => string = (item) => item,
): string[] {
  const seen = new Map<string, string>();
  for (const item of parseList(key, value, what)) {
    if (!pattern.test(item)) {
      throw new ConfigError(key, `${show(item)} is not a valid ${what}`);
    }
    const id = normalize(item);
    if (!seen.has(id)) seen.set(id, item);
  }
  return [...seen.values()];
}

function parseEmails(key: 'alertEmails' | 'opsEmails', value: unknown): string[] {
  // SNS treats addresses case-insensitively; a second spelling would only duplicate mail.
  return parseDistinct(key, value, 'email address', EMAIL, (email) => email.toLowerCase());
}

function parseSelection(value: unknown): DetectionSelection {
  if (isUnset(value)) return 'all';
  const selection = DETECTION_SELECTIONS.find((candidate) => candidate === value);
  if (selection === undefined) {
    throw new ConfigError(
      'detections',
      `expected one of ${DETECTION_SELECTIONS.join(', ')}, got ${show(value)}`,
    );
  }
  return selection;
}

function parseOrganizationId(value: unknown): string | undefined {
  if (isUnset(value)) return undefined;
  if (typeof value !== 'string' || !ORGANIZATION_ID.test(value.trim())) {
    throw new ConfigError(
      'organizationId',
      `${show(value)} is not an AWS Organizations id (o- followed by 10 to 32 letters or digits)`,
    );
  }
  return value.trim();
}

function parseAccount(key: ConfigContextKey, value: unknown): string | undefined {
  if (isUnset(value)) return undefined;
  const [account, ...more] = parseDistinct(key, value, 'AWS account id', ACCOUNT_ID);
  if (more.length > 0) throw new ConfigError(key, `expected one account id, got ${show(value)}`);
  return account;
}

function parseSeverity(value: unknown): Severity {
  if (isUnset(value)) return 'low';
  const severity = SEVERITIES.find((candidate) => candidate === value);
  if (severity === undefined) {
    throw new ConfigError(
      'emailMinSeverity',
      `expected one of ${SEVERITIES.join(', ')}, got ${show(value)}`,
    );
  }
  return severity;
}

function parseBoolean(key: ConfigContextKey, value: unknown, fallback: boolean): boolean {
  if (isUnset(value)) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(key, `expected true or false, got ${show(value)}`);
}

/** Accepts numbers and, because `-c key=30` arrives as a string, whole-number strings. */
function parseWholeNumber(key: ConfigContextKey, value: unknown): number {
  const number =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isInteger(number) || number <= 0) {
    throw new ConfigError(key, `expected a positive whole number of days, got ${show(value)}`);
  }
  return number;
}

function parseAlertRetention(value: unknown): number {
  if (isUnset(value)) return DEFAULT_ALERT_RETENTION_DAYS;
  const days = parseWholeNumber('alertRetentionDays', value);
  // An alert that TTL removed before its event's last copy arrived would notify again.
  if (days < MIN_ALERT_RETENTION_DAYS) {
    throw new ConfigError(
      'alertRetentionDays',
      `${days} days is below the floor of ${MIN_ALERT_RETENTION_DAYS} days: ${retentionFloorReason()}, and TTL must not remove its alert first; use ${MIN_ALERT_RETENTION_DAYS} or more`,
    );
  }
  return days;
}

function parseLogRetention(value: unknown): RetentionDays {
  if (isUnset(value)) return DEFAULT_LOG_RETENTION;
  const days = parseWholeNumber('logRetentionDays', value);
  if (!isRetentionDays(days)) {
    throw new ConfigError(
      'logRetentionDays',
      `CloudWatch Logs does not offer ${days} days; choose one of ${[...RETENTION_DAYS].join(', ')}`,
    );
  }
  return days;
}

function parseConfigFile(value: unknown): string | undefined {
  if (isUnset(value)) return undefined;
  if (typeof value !== 'string') {
    throw new ConfigError('configFile', `expected a file path, got ${show(value)}`);
  }
  return value.trim();
}

function parseSlackId(key: ConfigContextKey, value: unknown, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value.trim())) {
    throw new ConfigError(key, `${show(value)} does not look like a Slack id (${pattern.source})`);
  }
  return value.trim();
}

function parseSlack(workspace: unknown, channel: unknown): SlackConfig | undefined {
  if (isUnset(workspace) && isUnset(channel)) return undefined;
  if (isUnset(channel)) {
    throw new ConfigError('slackChannelId', 'is required when slackWorkspaceId is set');
  }
  if (isUnset(workspace)) {
    throw new ConfigError('slackWorkspaceId', 'is required when slackChannelId is set');
  }
  return {
    workspaceId: parseSlackId('slackWorkspaceId', workspace, SLACK_WORKSPACE_ID),
    channelId: parseSlackId('slackChannelId', channel, SLACK_CHANNEL_ID),
  };
}

function parseHunt(context: Readonly<Record<string, unknown>>): HuntConfig | undefined {
  const bucket = context.cloudTrailBucket;
  if (isUnset(bucket)) {
    const stray = (
      ['cloudTrailPrefix', 'cloudTrailAccounts', 'cloudTrailKmsKey', 'huntMaxScanGb'] as const
    ).find((key) => !isUnset(context[key]));
    if (stray !== undefined) {
      throw new ConfigError(stray, 'needs cloudTrailBucket, the bucket the trail delivers to');
    }
    return undefined;
  }
  if (typeof bucket !== 'string' || !BUCKET_NAME.test(bucket.trim())) {
    throw new ConfigError('cloudTrailBucket', `${show(bucket)} is not an S3 bucket name`);
  }
  let prefix: string | undefined;
  const rawPrefix = context.cloudTrailPrefix;
  if (!isUnset(rawPrefix)) {
    const trimmed = typeof rawPrefix === 'string' ? rawPrefix.trim().replace(/^\/+|\/+$/g, '') : '';
    if (trimmed === '' || !KEY_PREFIX.test(trimmed) || trimmed.split('/').includes('..')) {
      throw new ConfigError(
        'cloudTrailPrefix',
        `${show(rawPrefix)} is not an S3 key prefix (letters, digits and !_.*'()/- only)`,
      );
    }
    if (/(^|\/)AWSLogs(\/|$)/.test(trimmed)) {
      throw new ConfigError(
        'cloudTrailPrefix',
        `${show(rawPrefix)} includes AWSLogs: give the trail's prefix only, the part before AWSLogs/`,
      );
    }
    prefix = trimmed;
  }
  let kmsKeyArn: string | undefined;
  const rawKey = context.cloudTrailKmsKey;
  if (!isUnset(rawKey)) {
    const trimmed = typeof rawKey === 'string' ? rawKey.trim() : '';
    // IAM matches Decrypt against the key's ARN; an alias or a bare key id would grant nothing.
    if (!KMS_KEY_ARN.test(trimmed)) {
      throw new ConfigError(
        'cloudTrailKmsKey',
        `${show(rawKey)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; the trail's settings show it)`,
      );
    }
    kmsKeyArn = trimmed;
  }
  let maxScanGb = DEFAULT_HUNT_MAX_SCAN_GB;
  const rawMax = context.huntMaxScanGb;
  if (!isUnset(rawMax)) {
    maxScanGb =
      typeof rawMax === 'number'
        ? rawMax
        : typeof rawMax === 'string'
          ? Number(rawMax.trim())
          : NaN;
    // Athena's smallest cutoff is 10 MB; below 1 GB a hunt of one day would already stop.
    if (!Number.isInteger(maxScanGb) || maxScanGb < 1) {
      throw new ConfigError(
        'huntMaxScanGb',
        `expected a whole number of gigabytes, at least 1, got ${show(rawMax)}`,
      );
    }
  }
  return {
    bucket: bucket.trim(),
    ...(prefix !== undefined ? { prefix } : {}),
    ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    maxScanGb,
    accounts: parseDistinct(
      'cloudTrailAccounts',
      context.cloudTrailAccounts,
      'AWS account id',
      ACCOUNT_ID,
    ),
  };
}

function parseSigmaRules(value: unknown): string[] | undefined {
  const paths = parseList('sigmaRules', value, 'path');
  return paths.length > 0 ? paths : undefined;
}

/**
 * Turns raw CDK context into a deployable configuration, or throws a `ConfigError` naming
 * the first bad key and value. Pure, so every rule is testable without synthesizing.
 */
export function parseConfig(context: Readonly<Record<string, unknown>>): SgwatchConfig {
  const alertEmails = parseEmails('alertEmails', context.alertEmails);
  return {
    alertEmails,
    opsEmails: isUnset(context.opsEmails)
      ? alertEmails
      : parseEmails('opsEmails', context.opsEmails),
    detections: parseSelection(context.detections),
    lookups: parseBoolean('lookups', context.lookups, false),
    securityHub: parseBoolean('securityHub', context.securityHub, false),
    regions: parseDistinct('regions', context.regions, 'AWS Region name', REGION),
    organizationId: parseOrganizationId(context.organizationId),
    spokeAccounts: parseDistinct(
      'spokeAccounts',
      context.spokeAccounts,
      'AWS account id',
      ACCOUNT_ID,
    ),
    hubAccount: parseAccount('hubAccount', context.hubAccount),
    emailMinSeverity: parseSeverity(context.emailMinSeverity),
    emailNewAlertsOnly: parseBoolean('emailNewAlertsOnly', context.emailNewAlertsOnly, true),
    slack: parseSlack(context.slackWorkspaceId, context.slackChannelId),
    alertRetentionDays: parseAlertRetention(context.alertRetentionDays),
    logRetention: parseLogRetention(context.logRetentionDays),
    configFile: parseConfigFile(context.configFile),
    hunt: parseHunt(context),
    sigmaRules: parseSigmaRules(context.sigmaRules),
  };
}

/** The severities an email subscription with minimum `min` should receive. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(min));
}
