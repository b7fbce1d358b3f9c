import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import type { Environment } from 'aws-cdk-lib';
import type { SgwatchApp } from '../../bin/app';
import type { SpokeStack } from '../../lib/spoke-stack';
import { createSgwatchApp } from '../../bin/app';

/** The feature flags from cdk.json, which the CLI passes to the app and tests must too. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

const tmpDirs: string[] = [];

/** A temporary folder removed by `removeTemporaryDirs`. */
export function temporaryDir(prefix = 'sgwatch-infra-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

/** For each suite's afterAll: removes every folder made by this module. */
export function removeTemporaryDirs(): void {
  for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface SynthOptions {
  /** Run esbuild for the Lambda asset. @default false */
  readonly bundle?: boolean;
  /** Run aws-cdk-lib's built-in CloudFormation validation (seconds per synth). @default false */
  readonly validate?: boolean;
  /** The hub's account and Region. @default - none: an environment-agnostic hub */
  readonly hubEnv?: Environment;
}

/**
 * The real app from bin/app.ts with cdk.json's flags and the given context. Bundling and
 * the built-in validation are off unless asked for: they add seconds per synth and are
 * covered by one full synth; cdk-nag runs on every synth regardless.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: SynthOptions = {},
): SgwatchApp {
  return withoutBundlingNotice(() =>
    createSgwatchApp({
      outdir: temporaryDir(),
      context: {
        ...CDK_JSON_CONTEXT,
        ...(options.bundle === true ? {} : { [BUNDLING_STACKS]: [] }),
        ...context,
      },
      builtinCloudFormationValidation: options.validate === true,
      hubEnv: options.hubEnv ?? {},
    }),
  );
}

/**
 * Runs `build` without the "Bundling asset …" line aws-cdk-lib writes to stderr for each
 * bundled asset, which would otherwise land between test results. Anything else written
 * to stderr passes through.
 */
function withoutBundlingNotice<T>(build: () => T): T {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: unknown, ...rest: unknown[]): boolean =>
    typeof chunk === 'string' && chunk.startsWith('Bundling asset ')
      ? true
      : (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  try {
    return build();
  } finally {
    process.stderr.write = write;
  }
}

/** The StackSet spoke of an app synthesized with `organizationId` or `spokeAccounts`. */
export function stackSetSpokeOf(sgwatch: SgwatchApp): SpokeStack {
  if (sgwatch.stackSetSpoke === undefined) {
    throw new Error('this app has no StackSet spoke: set organizationId or spokeAccounts');
  }
  return sgwatch.stackSetSpoke;
}
