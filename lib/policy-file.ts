import * as path from 'node:path';
import type { PolicyFile } from '../lambda/policy-loader';
import { readPolicyFile } from '../lambda/policy-loader';

export type { PolicyFile } from '../lambda/policy-loader';
export { PolicyFileError } from '../lambda/policy-loader';

/** The repository root, found from this file so synth reads the same file from any directory. */
export const REPO_ROOT = path.join(__dirname, '..');

/** The checked-in configuration file, and the name it is shipped under in the Lambda bundle. */
export const POLICY_FILE_NAME = 'sgwatch.config.json';

/**
 * Where the configuration file is: `configured` (the `configFile` context value) resolved
 * against the repository root, or absolute as given.
 * @default - sgwatch.config.json at the repository root
 */
export function resolvePolicyFile(configured: string | undefined): string {
  return path.resolve(REPO_ROOT, configured ?? POLICY_FILE_NAME);
}

/**
 * Reads and validates the configuration file at `file` (relative paths from the working
 * directory, as a CLI argument would be). Throws a `PolicyFileError` whose message names the
 * file and, when validation fails, the entry at fault.
 */
export function loadPolicyFile(file: string): PolicyFile {
  return readPolicyFile(file);
}
