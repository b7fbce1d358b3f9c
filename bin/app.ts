import type { AppProps } from 'aws-cdk-lib';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SgwatchConfig } from '../lib/config';
import { CONFIG_CONTEXT_KEYS, parseConfig } from '../lib/config';
import { DetectorStack } from '../lib/detector-stack';
import type { Policy } from '../lambda/core/policy';
import { loadPolicyFile, resolvePolicyFile } from '../lib/policy-file';

export const STACK_NAME = 'Sgwatch';

export interface SgwatchApp {
  readonly app: App;
  readonly config: SgwatchConfig;
  /** The validated contents of the configuration file, as shipped to the detector. */
  readonly policy: Policy;
  readonly stack: DetectorStack;
}

/** The sgwatch context keys as set on the app (cdk.json, `-c key=value`, or props). */
function readContext(app: App): Record<string, unknown> {
  return Object.fromEntries(CONFIG_CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)]));
}

/**
 * Composition root: context is read once into a validated config, which flows down as
 * props. Every synth runs the AWS Solutions checks, so a finding fails `cdk synth`
 * instead of surfacing after deployment.
 */
export function createSgwatchApp(props: AppProps = {}): SgwatchApp {
  const app = new App(props);
  const config = parseConfig(readContext(app));
  // An invalid file stops synth here, with the file and the entry at fault in the message.
  const { policy } = loadPolicyFile(resolvePolicyFile(config.configFile));
  const stack = new DetectorStack(app, STACK_NAME, {
    config,
    policy,
    description: 'sgwatch: alerts on RDS and ElastiCache security group creation',
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, config, policy, stack };
}

// Run by the CDK CLI (`node --import tsx bin/app.ts`); the App synthesizes on exit because
// the CLI sets CDK_OUTDIR. Tests import createSgwatchApp instead.
if (require.main === module) {
  createSgwatchApp();
}
