import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError } from './env';
import type { Policy } from './core/policy';
import { DEFAULT_POLICY, serializePolicy } from './core/policy';
import { PolicyError, parsePolicy } from './core/policy-file';

/** Thrown when a policy file cannot be read, is not JSON, or fails validation; names the file. */
export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  constructor(
    readonly file: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`sgwatch configuration ${file}: ${detail}`, options);
  }
}

export interface PolicyFile {
  readonly policy: Policy;
  /** The validated policy re-serialized with defaults filled in: what the Lambda is shipped. */
  readonly json: string;
}

/**
 * Reads, parses and validates the policy file at `file`. Shared by synth, the Lambda and
 * `sgwatch replay`, so all three accept exactly the same files.
 */
export function readPolicyFile(file: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyFileError(file, `cannot be read (${String(error)})`, { cause: error });
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new PolicyFileError(file, `is not valid JSON (${String(error)})`, { cause: error });
  }
  try {
    const policy = parsePolicy(input);
    return { policy, json: serializePolicy(policy) };
  } catch (error) {
    if (error instanceof PolicyError) {
      throw new PolicyFileError(file, error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * The detector's policy, read once at cold start. Without SGWATCH_CONFIG_FILE the function
 * runs with the default policy (no exceptions); with it, a file that is missing or invalid
 * fails start-up with its path and the bad entry rather than alerting on a policy nobody
 * wrote. A relative path is taken from LAMBDA_TASK_ROOT, where the bundle is unpacked.
 */
export function readPolicy(env: NodeJS.ProcessEnv): Policy {
  const configured = env.SGWATCH_CONFIG_FILE;
  if (configured === undefined || configured.trim() === '') return DEFAULT_POLICY;
  const root = env.LAMBDA_TASK_ROOT;
  const base = root === undefined || root.trim() === '' ? process.cwd() : root;
  const file = path.resolve(base, configured);
  try {
    return readPolicyFile(file).policy;
  } catch (error) {
    if (error instanceof PolicyFileError) {
      throw new ConfigurationError(`SGWATCH_CONFIG_FILE: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
