/** Thrown at start-up when the function's environment is incomplete; names the key. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

import type { LogThreshold } from './adapters/logger';
import type { FindingProduct } from './core/asff';
import { parseProductArn, ProductArnError } from './core/asff';
import type { DetectionSelection } from './core/catalog';
import { DETECTION_SELECTIONS } from './core/catalog';
import { isLogThreshold } from './adapters/logger';

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

function required(env: NodeJS.ProcessEnv, key: string): string {
  const value = env[key];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`environment variable ${key} is required`);
  }
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(
      `environment variable ${key} must be a positive integer, got "${raw}"`,
    );
  }
  return value;
}

function detections(env: NodeJS.ProcessEnv): DetectionSelection {
  const raw = env.SGWATCH_DETECTIONS ?? 'all';
  const selection = DETECTION_SELECTIONS.find((candidate) => candidate === raw);
  if (selection === undefined) {
    throw new ConfigurationError(
      `environment variable SGWATCH_DETECTIONS must be ${DETECTION_SELECTIONS.join(', ')}, got "${raw}"`,
    );
  }
  return selection;
}

function lookups(env: NodeJS.ProcessEnv): boolean {
  const raw = env.SGWATCH_LOOKUPS ?? 'false';
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigurationError(
      `environment variable SGWATCH_LOOKUPS must be true or false, got "${raw}"`,
    );
  }
  return raw === 'true';
}

function securityHub(env: NodeJS.ProcessEnv): FindingProduct | undefined {
  const raw = env.SECURITY_HUB_PRODUCT_ARN;
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const { productArn, account, partition } = parseProductArn(raw.trim());
    return { productArn, account, partition };
  } catch (error) {
    if (!(error instanceof ProductArnError)) throw error;
    throw new ConfigurationError(
      `environment variable SECURITY_HUB_PRODUCT_ARN: ${error.message}`,
      {
        cause: error,
      },
    );
  }
}

function logLevel(env: NodeJS.ProcessEnv): LogThreshold {
  const raw = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!isLogThreshold(raw)) {
    throw new ConfigurationError(
      `environment variable LOG_LEVEL must be info, warn, error or silent, got "${env.LOG_LEVEL ?? ''}"`,
    );
  }
  return raw;
}

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
  const product = securityHub(env);
  return {
    tableName: required(env, 'ALERT_TABLE_NAME'),
    topicArn: required(env, 'ALERT_TOPIC_ARN'),
    retentionDays: positiveInteger(env, 'ALERT_RETENTION_DAYS', DELIVERY_DEFAULTS.retentionDays),
    claimSeconds: positiveInteger(env, 'DELIVERY_CLAIM_SECONDS', DELIVERY_DEFAULTS.claimSeconds),
    logLevel: logLevel(env),
    detections: detections(env),
    lookups: lookups(env),
    ...(product !== undefined ? { securityHub: product } : {}),
    ...(env.SGWATCH_ACCOUNT_ID !== undefined && env.SGWATCH_ACCOUNT_ID !== ''
      ? { accountId: env.SGWATCH_ACCOUNT_ID }
      : {}),
    sdk: {
      requestTimeoutMs: positiveInteger(
        env,
        'SDK_REQUEST_TIMEOUT_MS',
        SDK_DEFAULTS.requestTimeoutMs,
      ),
      connectionTimeoutMs: positiveInteger(
        env,
        'SDK_CONNECTION_TIMEOUT_MS',
        SDK_DEFAULTS.connectionTimeoutMs,
      ),
      maxAttempts: positiveInteger(env, 'SDK_MAX_ATTEMPTS', SDK_DEFAULTS.maxAttempts),
    },
  };
}
