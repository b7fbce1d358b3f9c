/** Thrown at start-up when the function's environment is incomplete; names the key. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

import * as v from 'valibot';
import type { LogThreshold } from './adapters/logger';
import type { FindingProduct } from './core/asff';
import { parseProductArn, ProductArnError } from './core/asff';
import type { DetectionSelection } from './core/catalog';
import { DETECTION_SELECTIONS } from './core/catalog';
import { isLogThreshold } from './adapters/logger';
import { issueKeys, parseOrThrow } from './core/validation';

/**
 * How the detector's AWS SDK clients bound each call. A hung DynamoDB or SNS request must
 * fail fast enough that the SDK can retry it and the invocation still ends well inside the
 * Lambda timeout, which in turn must stay under the delivery claim (see
 * docs/delivery-guarantees.md for the arithmetic).
 */
export interface SdkSettings {
  /** Whole request, connect to last response header, in ms (`SDK_REQUEST_TIMEOUT_MS`). */
  readonly requestTimeoutMs: number;
  /** TCP connect, in ms (`SDK_CONNECTION_TIMEOUT_MS`). */
  readonly connectionTimeoutMs: number;
  /** Attempts per call including the first, for each client (`SDK_MAX_ATTEMPTS`). */
  readonly maxAttempts: number;
}

export interface DetectorEnvironment {
  readonly tableName: string;
  readonly topicArn: string;
  readonly retentionDays: number;
  readonly claimSeconds: number;
  /** `silent` also turns off the metrics line: the function then writes nothing at all. */
  readonly logLevel: LogThreshold;
  readonly sdk: SdkSettings;
  /** The detection packs this deployment runs, the same ones its rules were made from. */
  readonly detections: DetectionSelection;
  /** Whether exposure alerts may ask EC2 what sits behind a group. */
  readonly lookups: boolean;
  /** The detector's own account: lookups answer only for calls made there. */
  readonly accountId?: string;
  /** Present when alerts are also imported into Security Hub, under this product. */
  readonly securityHub?: FindingProduct;
}

/**
 * The delivery settings every entry point shares unless told otherwise. The claim outlasts
 * the detector's 30 s timeout (a live invocation keeps its claim) and lapses before the
 * minute Lambda waits for its first retry (which can then take over from a dead one); see
 * docs/delivery-guarantees.md.
 */
export const DELIVERY_DEFAULTS = {
  retentionDays: 365,
  claimSeconds: 45,
} as const;

/** Defaults for the deployed function; tests shorten them through the environment. */
export const SDK_DEFAULTS: SdkSettings = {
  // DynamoDB and SNS answer in milliseconds; three seconds is a stuck connection, not load.
  requestTimeoutMs: 3000,
  connectionTimeoutMs: 1000,
  maxAttempts: 3,
};

function variable(key: string): string {
  return `environment variable ${key}`;
}

/** A value as an error quotes it, cut short. */
function quoted(raw: unknown): string {
  const text = String(raw);
  return `"${text.length > 80 ? `${text.slice(0, 79)}…` : text}"`;
}

/** A variable that must be set, and to more than blanks. */
function required(key: string) {
  return v.pipe(
    v.string(),
    v.check((value) => value.trim() !== '', `${variable(key)} is required`),
  );
}

/** A whole number above zero; `fallback` when unset or empty. */
function positiveInteger(key: string, fallback: number) {
  const isPositiveInteger = (raw: string) => Number.isInteger(Number(raw)) && Number(raw) > 0;
  return v.pipe(
    v.optional(v.string(), ''),
    v.check(
      (raw) => raw === '' || isPositiveInteger(raw),
      (issue) => `${variable(key)} must be a positive integer, got ${quoted(issue.input)}`,
    ),
    v.transform((raw) => (raw === '' ? fallback : Number(raw))),
  );
}

/** The detector's environment as Lambda sets it; every other variable is left alone. */
const ENVIRONMENT = v.object(
  {
    ALERT_TABLE_NAME: required('ALERT_TABLE_NAME'),
    ALERT_TOPIC_ARN: required('ALERT_TOPIC_ARN'),
    ALERT_RETENTION_DAYS: positiveInteger('ALERT_RETENTION_DAYS', DELIVERY_DEFAULTS.retentionDays),
    DELIVERY_CLAIM_SECONDS: positiveInteger(
      'DELIVERY_CLAIM_SECONDS',
      DELIVERY_DEFAULTS.claimSeconds,
    ),
    LOG_LEVEL: v.pipe(
      v.optional(v.string(), 'info'),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const level = dataset.value.toLowerCase();
        if (isLogThreshold(level)) return level;
        addIssue({
          message: `${variable('LOG_LEVEL')} must be info, warn, error or silent, got ${quoted(dataset.value)}`,
        });
        return NEVER;
      }),
    ),
    SGWATCH_DETECTIONS: v.pipe(
      v.optional(v.string(), 'all'),
      v.picklist(
        DETECTION_SELECTIONS,
        (issue) =>
          `${variable('SGWATCH_DETECTIONS')} must be ${DETECTION_SELECTIONS.join(', ')}, got ${quoted(issue.input)}`,
      ),
    ),
    SGWATCH_LOOKUPS: v.pipe(
      v.optional(v.string(), 'false'),
      v.picklist(
        ['true', 'false'],
        (issue) =>
          `${variable('SGWATCH_LOOKUPS')} must be true or false, got ${quoted(issue.input)}`,
      ),
      v.transform((raw) => raw === 'true'),
    ),
    SGWATCH_ACCOUNT_ID: v.pipe(
      v.optional(v.string(), ''),
      v.transform((raw) => (raw === '' ? undefined : raw)),
    ),
    SECURITY_HUB_PRODUCT_ARN: v.pipe(
      v.optional(v.string(), ''),
      // The ARN's own parser is the one check of it; its reason is passed on as it words it.
      v.rawTransform(({ dataset, addIssue, NEVER }): FindingProduct | undefined => {
        const raw = dataset.value.trim();
        if (raw === '') return undefined;
        try {
          const { productArn, account, partition } = parseProductArn(raw);
          return { productArn, account, partition };
        } catch (error) {
          if (!(error instanceof ProductArnError)) throw error;
          addIssue({ message: `${variable('SECURITY_HUB_PRODUCT_ARN')}: ${error.message}` });
          return NEVER;
        }
      }),
    ),
    SDK_REQUEST_TIMEOUT_MS: positiveInteger(
      'SDK_REQUEST_TIMEOUT_MS',
      SDK_DEFAULTS.requestTimeoutMs,
    ),
    SDK_CONNECTION_TIMEOUT_MS: positiveInteger(
      'SDK_CONNECTION_TIMEOUT_MS',
      SDK_DEFAULTS.connectionTimeoutMs,
    ),
    SDK_MAX_ATTEMPTS: positiveInteger('SDK_MAX_ATTEMPTS', SDK_DEFAULTS.maxAttempts),
  },
  // Only a required variable that is not set at all reaches the object's own message.
  (issue) => {
    const [key] = issueKeys(issue);
    return key === undefined
      ? 'the environment is not a set of variables'
      : `${variable(key)} is required`;
  },
);

/**
 * Reads the detector's settings once, at cold start:
 *
 * - `ALERT_TABLE_NAME`, `ALERT_TOPIC_ARN`: required.
 * - `ALERT_RETENTION_DAYS` (365): days before DynamoDB TTL removes an alert.
 * - `DELIVERY_CLAIM_SECONDS` (45): how long one invocation holds a pending alert before
 *   another may take it over. Longer than the function timeout (30 s), so a live invocation
 *   keeps its claim; shorter than the minute Lambda waits before its first retry, so that
 *   retry can take over from an invocation that died holding the claim.
 * - `LOG_LEVEL` (info): info, warn, error or silent.
 * - `SDK_REQUEST_TIMEOUT_MS` (3000), `SDK_CONNECTION_TIMEOUT_MS` (1000), `SDK_MAX_ATTEMPTS`
 *   (3): per-call bounds of the DynamoDB and SNS clients.
 * - `SGWATCH_DETECTIONS` (all): seed, exposure, exfiltration or all, as deployed.
 * - `SGWATCH_LOOKUPS` (false), `SGWATCH_ACCOUNT_ID`: the optional EC2 attachment lookup.
 * - `SECURITY_HUB_PRODUCT_ARN` (unset): the account's default Security Hub product; when set,
 *   every notified or suppressed alert is also imported there as a finding.
 */
export function readEnvironment(env: NodeJS.ProcessEnv): DetectorEnvironment {
  const settings = parseOrThrow(ENVIRONMENT, env, (issue) => new ConfigurationError(issue.message));
  return {
    tableName: settings.ALERT_TABLE_NAME,
    topicArn: settings.ALERT_TOPIC_ARN,
    retentionDays: settings.ALERT_RETENTION_DAYS,
    claimSeconds: settings.DELIVERY_CLAIM_SECONDS,
    logLevel: settings.LOG_LEVEL,
    detections: settings.SGWATCH_DETECTIONS,
    lookups: settings.SGWATCH_LOOKUPS,
    ...(settings.SECURITY_HUB_PRODUCT_ARN !== undefined
      ? { securityHub: settings.SECURITY_HUB_PRODUCT_ARN }
      : {}),
    ...(settings.SGWATCH_ACCOUNT_ID !== undefined
      ? { accountId: settings.SGWATCH_ACCOUNT_ID }
      : {}),
    sdk: {
      requestTimeoutMs: settings.SDK_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: settings.SDK_CONNECTION_TIMEOUT_MS,
      maxAttempts: settings.SDK_MAX_ATTEMPTS,
    },
  };
}
