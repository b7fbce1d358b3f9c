/** Thrown at start-up when the function's environment is incomplete; names the key. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

import type { LogThreshold } from './adapters/logger';
import { isLogThreshold } from './adapters/logger';

export interface DetectorEnvironment {
  readonly tableName: string;
  readonly topicArn: string;
  readonly retentionDays: number;
  readonly claimSeconds: number;
  readonly logLevel: LogThreshold;
}

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

function logLevel(env: NodeJS.ProcessEnv): LogThreshold {
  const raw = (env.LOG_LEVEL ?? 'info').toLowerCase();
  if (!isLogThreshold(raw)) {
    throw new ConfigurationError(
      `environment variable LOG_LEVEL must be info, warn, error or silent, got "${env.LOG_LEVEL ?? ''}"`,
    );
  }
  return raw;
}

export function readEnvironment(env: NodeJS.ProcessEnv): DetectorEnvironment {
  return {
    tableName: required(env, 'ALERT_TABLE_NAME'),
    topicArn: required(env, 'ALERT_TOPIC_ARN'),
    retentionDays: positiveInteger(env, 'ALERT_RETENTION_DAYS', 365),
    claimSeconds: positiveInteger(env, 'DELIVERY_CLAIM_SECONDS', 60),
    logLevel: logLevel(env),
  };
}
