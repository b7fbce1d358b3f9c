import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Severity } from '../lambda/core/catalog';

/** Severities from least to most urgent; email filters keep a suffix of this list. */
export const SEVERITY_ORDER = [
  'low',
  'medium',
  'high',
  'critical',
] as const satisfies readonly Severity[];

/** The Slack channel that AWS Chatbot posts alerts to. */
export interface SlackConfig {
  readonly workspaceId: string;
  readonly channelId: string;
}

/** Everything the CDK app takes from context, validated and typed. */
export interface SgwatchConfig {
  /** Addresses that receive alert emails; empty means no email subscriptions. */
  readonly alertEmails: readonly string[];
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
}

/** The context keys sgwatch reads; anything else in context belongs to the CDK. */
export const CONFIG_CONTEXT_KEYS = [
  'alertEmails',
  'emailMinSeverity',
  'emailNewAlertsOnly',
  'slackWorkspaceId',
  'slackChannelId',
  'alertRetentionDays',
  'logRetentionDays',
  'configFile',
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
export const DEFAULT_LOG_RETENTION = RetentionDays.THREE_MONTHS;

// Deliberately simple: one @, no whitespace or list separators, a dot in the domain. SNS
// does the real check when it sends the confirmation mail; this catches typos at synth.
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>".]+$/;
const SLACK_WORKSPACE_ID = /^T[A-Z0-9]+$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]+$/;
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

function parseEmails(value: unknown): string[] {
  if (isUnset(value)) return [];
  let entries: unknown[];
  if (typeof value === 'string') {
    entries = value.split(',');
  } else if (Array.isArray(value)) {
    entries = value;
  } else {
    throw new ConfigError(
      'alertEmails',
      `expected a comma-separated string or a list of addresses, got ${show(value)}`,
    );
  }
  const emails = new Map<string, string>();
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      throw new ConfigError('alertEmails', `${show(entry)} is not an email address`);
    }
    const email = entry.trim();
    if (email === '') continue;
    if (!EMAIL.test(email)) {
      throw new ConfigError('alertEmails', `${show(email)} is not a valid email address`);
    }
    // SNS treats addresses case-insensitively; a second spelling would only duplicate mail.
    const id = email.toLowerCase();
    if (!emails.has(id)) emails.set(id, email);
  }
  return [...emails.values()];
}

function parseSeverity(value: unknown): Severity {
  if (isUnset(value)) return 'low';
  const severity = SEVERITY_ORDER.find((candidate) => candidate === value);
  if (severity === undefined) {
    throw new ConfigError(
      'emailMinSeverity',
      `expected one of ${SEVERITY_ORDER.join(', ')}, got ${show(value)}`,
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

/**
 * Turns raw CDK context into a deployable configuration, or throws a `ConfigError` naming
 * the first bad key and value. Pure, so every rule is testable without synthesizing.
 */
export function parseConfig(context: Readonly<Record<string, unknown>>): SgwatchConfig {
  return {
    alertEmails: parseEmails(context.alertEmails),
    emailMinSeverity: parseSeverity(context.emailMinSeverity),
    emailNewAlertsOnly: parseBoolean('emailNewAlertsOnly', context.emailNewAlertsOnly, true),
    slack: parseSlack(context.slackWorkspaceId, context.slackChannelId),
    alertRetentionDays: isUnset(context.alertRetentionDays)
      ? DEFAULT_ALERT_RETENTION_DAYS
      : parseWholeNumber('alertRetentionDays', context.alertRetentionDays),
    logRetention: parseLogRetention(context.logRetentionDays),
    configFile: parseConfigFile(context.configFile),
  };
}

/** The severities an email subscription with minimum `min` should receive. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITY_ORDER.slice(SEVERITY_ORDER.indexOf(min));
}
