import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as v from 'valibot';
import type { DetectionSelection, Severity } from '../lambda/core/catalog';
import { DETECTION_SELECTIONS } from '../lambda/core/catalog';
import { SEVERITIES } from '../lambda/core/model';
import type { Issue } from '../lambda/core/validation';
import { issueKeys, parseOrThrow } from '../lambda/core/validation';
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
const MAX_SHOWN = 100;
const RETENTION_DAYS = Object.values(RetentionDays).filter(
  (value): value is RetentionDays => typeof value === 'number',
);

/** A value as an error quotes it, cut short: context can hold anything, at any length. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** Unset, null and blank strings all mean "not configured", as `-c key=` on the CLI gives. */
function isUnset(value: unknown): boolean {
  return (
    value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
  );
}

/**
 * A context value as `schema` reads it, or undefined when it is not configured. Values come
 * from the command line (`-c key=value`, always text) or from cdk.json (any JSON).
 */
function setting<const TSchema extends v.GenericSchema>(schema: TSchema) {
  return v.optional(
    v.pipe(
      v.unknown(),
      v.transform((value) => (isUnset(value) ? undefined : value)),
      v.optional(schema),
    ),
  );
}

/** A comma-separated string (`-c key=a,b`) or a JSON list (cdk.json), as trimmed strings. */
function textList(what: string) {
  return v.pipe(
    v.union(
      [v.string(), v.array(v.unknown())],
      (issue) =>
        `expected a comma-separated string or a list of ${what}s, got ${show(issue.input)}`,
    ),
    v.transform((value) => (typeof value === 'string' ? value.split(',') : value)),
    // Strings only: an account id written as a JSON number would lose its leading zeros.
    v.array(
      v.string((issue) => `${show(issue.input)} is not text; write each ${what} as a string`),
    ),
    v.transform((items) => items.map((item) => item.trim()).filter((item) => item !== '')),
  );
}

/** Each entry must match `pattern`; duplicates (after `normalize`) are dropped. */
function distinctList(
  what: string,
  pattern: RegExp,
  normalize: (item: string) => string = (item) => item,
) {
  return v.pipe(
    textList(what),
    v.array(
      v.pipe(
        v.string(),
        v.regex(pattern, (issue) => `${show(issue.input)} is not a valid ${what}`),
      ),
    ),
    v.transform((items) => {
      const seen = new Map<string, string>();
      for (const item of items) if (!seen.has(normalize(item))) seen.set(normalize(item), item);
      return [...seen.values()];
    }),
  );
}

// SNS treats addresses case-insensitively; a second spelling would only duplicate mail.
const EMAILS = distinctList('email address', EMAIL, (email) => email.toLowerCase());
const ACCOUNTS = distinctList('AWS account id', ACCOUNT_ID);

/** `true`/`false` from cdk.json, or their text from the command line. */
const BOOLEAN = v.pipe(
  v.union(
    [v.boolean(), v.picklist(['true', 'false'])],
    (issue) => `expected true or false, got ${show(issue.input)}`,
  ),
  v.transform((value) => value === true || value === 'true'),
);

/** Text matching `pattern` once trimmed; `reason` words the refusal of anything else. */
function trimmedText(pattern: RegExp, reason: (value: unknown) => string) {
  return v.pipe(
    v.unknown(),
    v.check(
      (value) => typeof value === 'string' && pattern.test(value.trim()),
      (issue) => reason(issue.input),
    ),
    v.transform((value) => String(value).trim()),
  );
}

function slackId(pattern: RegExp) {
  return trimmedText(
    pattern,
    (value) => `${show(value)} does not look like a Slack id (${pattern.source})`,
  );
}

/** Numbers and, because `-c key=30` arrives as text, whole-number text. */
function wholeNumber(least: number, reason: string) {
  const asNumber = (value: unknown): number =>
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return v.pipe(
    v.unknown(),
    v.check(
      (value) => Number.isInteger(asNumber(value)) && asNumber(value) >= least,
      (issue) => `${reason}, got ${show(issue.input)}`,
    ),
    v.transform(asNumber),
  );
}

const DAYS = wholeNumber(1, 'expected a positive whole number of days');

/** The trail's key prefix without the slashes around it. */
function keyPrefix(value: unknown): string {
  return typeof value === 'string' ? value.trim().replace(/^\/+|\/+$/g, '') : '';
}

function choice<const TOptions extends readonly string[]>(options: TOptions) {
  return v.picklist(
    options,
    (issue) => `expected one of ${options.join(', ')}, got ${show(issue.input)}`,
  );
}

/** The hunt keys that mean nothing without the bucket, in the order they are reported. */
const HUNT_KEYS = [
  'cloudTrailPrefix',
  'cloudTrailAccounts',
  'cloudTrailKmsKey',
  'huntMaxScanGb',
] as const;

/** Refuses `key` set without `cloudTrailBucket`. */
function needsBucket(key: (typeof HUNT_KEYS)[number]) {
  return v.forward<ContextSettings, v.CheckIssue<ContextSettings>, [typeof key]>(
    v.check(
      (context) =>
        context.cloudTrailBucket !== undefined ||
        context[key] === undefined ||
        (Array.isArray(context[key]) && context[key].length === 0),
      'needs cloudTrailBucket, the bucket the trail delivers to',
    ),
    [key],
  );
}

/**
 * Every context key sgwatch reads, each as its value is checked and normalised; unset keys
 * come out undefined. The object's checks relate keys to one another.
 */
const CONTEXT_ENTRIES = {
  alertEmails: setting(EMAILS),
  opsEmails: setting(EMAILS),
  detections: setting(choice(DETECTION_SELECTIONS)),
  lookups: setting(BOOLEAN),
  securityHub: setting(BOOLEAN),
  regions: setting(distinctList('AWS Region name', REGION)),
  organizationId: setting(
    trimmedText(
      ORGANIZATION_ID,
      (value) =>
        `${show(value)} is not an AWS Organizations id (o- followed by 10 to 32 letters or digits)`,
    ),
  ),
  spokeAccounts: setting(ACCOUNTS),
  hubAccount: setting(
    v.pipe(
      ACCOUNTS,
      v.check(
        (accounts) => accounts.length <= 1,
        (issue) => `expected one account id, got ${show(issue.input)}`,
      ),
      v.transform((accounts) => accounts[0]),
    ),
  ),
  emailMinSeverity: setting(choice(SEVERITIES)),
  emailNewAlertsOnly: setting(BOOLEAN),
  slackWorkspaceId: setting(slackId(SLACK_WORKSPACE_ID)),
  slackChannelId: setting(slackId(SLACK_CHANNEL_ID)),
  alertRetentionDays: setting(
    v.pipe(
      DAYS,
      // An alert that TTL removed before its event's last copy arrived would notify again.
      v.check(
        (days) => days >= MIN_ALERT_RETENTION_DAYS,
        (issue) =>
          `${String(issue.input)} days is below the floor of ${MIN_ALERT_RETENTION_DAYS} days: ${retentionFloorReason()}, and TTL must not remove its alert first; use ${MIN_ALERT_RETENTION_DAYS} or more`,
      ),
    ),
  ),
  logRetentionDays: setting(
    v.pipe(
      DAYS,
      v.picklist(
        RETENTION_DAYS,
        (issue) =>
          `CloudWatch Logs does not offer ${String(issue.input)} days; choose one of ${RETENTION_DAYS.join(', ')}`,
      ),
    ),
  ),
  configFile: setting(
    v.pipe(
      v.string((issue) => `expected a file path, got ${show(issue.input)}`),
      v.transform((path) => path.trim()),
    ),
  ),
  cloudTrailBucket: setting(
    trimmedText(BUCKET_NAME, (value) => `${show(value)} is not an S3 bucket name`),
  ),
  cloudTrailPrefix: setting(
    v.pipe(
      v.unknown(),
      v.check(
        (value) => {
          const prefix = keyPrefix(value);
          return prefix !== '' && KEY_PREFIX.test(prefix) && !prefix.split('/').includes('..');
        },
        (issue) =>
          `${show(issue.input)} is not an S3 key prefix (letters, digits and !_.*'()/- only)`,
      ),
      v.check(
        (value) => !/(^|\/)AWSLogs(\/|$)/.test(keyPrefix(value)),
        (issue) =>
          `${show(issue.input)} includes AWSLogs: give the trail's prefix only, the part before AWSLogs/`,
      ),
      v.transform(keyPrefix),
    ),
  ),
  cloudTrailAccounts: setting(ACCOUNTS),
  // IAM matches Decrypt against the key's ARN; an alias or a bare key id would grant nothing.
  cloudTrailKmsKey: setting(
    trimmedText(
      KMS_KEY_ARN,
      (value) =>
        `${show(value)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; the trail's settings show it)`,
    ),
  ),
  // Athena's smallest cutoff is 10 MB; below 1 GB a hunt of one day would already stop.
  huntMaxScanGb: setting(wholeNumber(1, 'expected a whole number of gigabytes, at least 1')),
  sigmaRules: setting(textList('path')),
} satisfies Record<ConfigContextKey, v.GenericSchema>;

type ContextSettings = v.InferOutput<v.ObjectSchema<typeof CONTEXT_ENTRIES, undefined>>;

const CONTEXT = v.pipe(
  v.object(CONTEXT_ENTRIES),
  v.forward<ContextSettings, v.CheckIssue<ContextSettings>, ['slackChannelId']>(
    v.check(
      (context) => context.slackWorkspaceId === undefined || context.slackChannelId !== undefined,
      'is required when slackWorkspaceId is set',
    ),
    ['slackChannelId'],
  ),
  v.forward<ContextSettings, v.CheckIssue<ContextSettings>, ['slackWorkspaceId']>(
    v.check(
      (context) => context.slackChannelId === undefined || context.slackWorkspaceId !== undefined,
      'is required when slackChannelId is set',
    ),
    ['slackWorkspaceId'],
  ),
  ...HUNT_KEYS.map(needsBucket),
);

function configError(issue: Issue): ConfigError {
  const [key] = issueKeys(issue);
  const known = CONFIG_CONTEXT_KEYS.find((candidate) => candidate === key);
  // Every issue lies under one context key; a value that is not even a record is not one.
  if (known === undefined) throw new TypeError(`CDK context is not a record: ${issue.message}`);
  return new ConfigError(known, issue.message);
}

/**
 * Turns raw CDK context into a deployable configuration, or throws a `ConfigError` naming
 * the first bad key and value. Pure, so every rule is testable without synthesizing.
 */
export function parseConfig(context: Readonly<Record<string, unknown>>): SgwatchConfig {
  const settings = parseOrThrow(CONTEXT, context, configError);
  const alertEmails = settings.alertEmails ?? [];
  const bucket = settings.cloudTrailBucket;
  const slack =
    settings.slackWorkspaceId !== undefined && settings.slackChannelId !== undefined
      ? { workspaceId: settings.slackWorkspaceId, channelId: settings.slackChannelId }
      : undefined;
  return {
    alertEmails,
    opsEmails: settings.opsEmails ?? alertEmails,
    detections: settings.detections ?? 'all',
    lookups: settings.lookups ?? false,
    securityHub: settings.securityHub ?? false,
    regions: settings.regions ?? [],
    organizationId: settings.organizationId,
    spokeAccounts: settings.spokeAccounts ?? [],
    hubAccount: settings.hubAccount,
    emailMinSeverity: settings.emailMinSeverity ?? 'low',
    emailNewAlertsOnly: settings.emailNewAlertsOnly ?? true,
    slack,
    alertRetentionDays: settings.alertRetentionDays ?? DEFAULT_ALERT_RETENTION_DAYS,
    logRetention: settings.logRetentionDays ?? DEFAULT_LOG_RETENTION,
    configFile: settings.configFile,
    hunt:
      bucket === undefined
        ? undefined
        : {
            bucket,
            ...(settings.cloudTrailPrefix !== undefined
              ? { prefix: settings.cloudTrailPrefix }
              : {}),
            ...(settings.cloudTrailKmsKey !== undefined
              ? { kmsKeyArn: settings.cloudTrailKmsKey }
              : {}),
            maxScanGb: settings.huntMaxScanGb ?? DEFAULT_HUNT_MAX_SCAN_GB,
            accounts: settings.cloudTrailAccounts ?? [],
          },
    sigmaRules:
      settings.sigmaRules !== undefined && settings.sigmaRules.length > 0
        ? settings.sigmaRules
        : undefined,
  };
}

/** The severities an email subscription with minimum `min` should receive. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(min));
}
