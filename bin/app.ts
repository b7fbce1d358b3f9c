import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppProps, Environment } from 'aws-cdk-lib';
import { App, DefaultStackSynthesizer, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Detection } from '../lambda/core/catalog';
import { catalogFor } from '../lambda/core/catalog';
import type { SgwatchConfig } from '../lib/config';
import { CONFIG_CONTEXT_KEYS, ConfigError, parseConfig } from '../lib/config';
import { SPOKE_STACK_PREFIX, STACK_NAME } from '../lib/deployment-names';
import { DetectorStack } from '../lib/detector-stack';
import type { Policy } from '../lambda/core/policy';
import { loadPolicyFile, resolvePolicyFile } from '../lib/policy-file';
import { loadSynthSigmaRules } from '../lib/sigma-rules';
import { SpokeStack } from '../lib/spoke-stack';
import { describeSynthError, unknownContextKeyWarnings } from '../lib/synth-messages';

/** The stage holding the StackSet spoke, kept out of `cdk deploy`'s top-level stacks. */
export const STACKSET_STAGE = 'StackSet';
/** Where synth copies the StackSet spoke template, inside the cloud assembly folder. */
export const STACKSET_TEMPLATE_FILE = 'sgwatch-spoke.stackset.template.json';

export interface SgwatchApp {
  readonly app: App;
  readonly config: SgwatchConfig;
  /** The validated contents of the configuration file, as shipped to the detector. */
  readonly policy: Policy;
  readonly stack: DetectorStack;
  /** Spokes for the hub account's other Regions, from the `regions` context. */
  readonly spokes: readonly SpokeStack[];
  /** The spoke for member accounts, deployed with a StackSet, when spokes are allowed. */
  readonly stackSetSpoke?: SpokeStack;
}

export interface SgwatchAppOptions extends AppProps {
  /**
   * The hub's account and Region.
   * @default - CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, as the CDK CLI sets them
   */
  readonly hubEnv?: Environment;
  /**
   * Receives each warning about the context, such as a misspelt key.
   * @default - written to stderr, where the CDK CLI shows it
   */
  readonly warn?: (message: string) => void;
}

function writeWarning(message: string): void {
  process.stderr.write(`Warning: ${message}\n`);
}

/** The sgwatch context keys as set on the app (cdk.json, `-c key=value`, or props). */
function readContext(app: App): Record<string, unknown> {
  return Object.fromEntries(CONFIG_CONTEXT_KEYS.map((key) => [key, app.node.tryGetContext(key)]));
}

function spokesForRegions(
  app: App,
  config: SgwatchConfig,
  detections: readonly Detection[],
  hub: Environment,
): SpokeStack[] {
  if (config.regions.length === 0) return [];
  const hubRegion = hub.region;
  if (hubRegion === undefined) {
    throw new ConfigError(
      'regions',
      'spokes forward to the hub in the Region you deploy to, which is unknown: set ' +
        'AWS_REGION (or use --profile) so the CDK CLI knows it',
    );
  }
  return config.regions
    .filter((region) => region !== hubRegion)
    .map(
      (region) =>
        new SpokeStack(app, `${SPOKE_STACK_PREFIX}${region}`, {
          detections,
          hub: {
            region: hubRegion,
            ...(hub.account !== undefined ? { account: hub.account } : {}),
          },
          description: `sgwatch spoke: forwards matching CloudTrail events from ${region} to the hub in ${hubRegion}`,
          env: { account: hub.account, region },
        }),
    );
}

/**
 * The spoke every member account deploys through a service-managed StackSet. It is
 * environment-agnostic (one template for every account and Region) and needs no CDK
 * bootstrap in the member accounts: it has no assets and no bootstrap version check.
 */
function stackSetSpoke(
  app: App,
  config: SgwatchConfig,
  detections: readonly Detection[],
  hub: Environment,
): SpokeStack | undefined {
  if (config.organizationId === undefined && config.spokeAccounts.length === 0) return undefined;
  const account = config.hubAccount ?? hub.account;
  if (account === undefined || hub.region === undefined) {
    throw new ConfigError(
      'hubAccount',
      'the StackSet spoke must name the hub bus, but the hub account or Region is unknown: ' +
        'pass -c hubAccount=123456789012 and set AWS_REGION, or deploy with credentials',
    );
  }
  const stage = new Stage(app, STACKSET_STAGE);
  return new SpokeStack(stage, 'SgwatchSpoke', {
    detections,
    hub: { region: hub.region, account },
    description: `sgwatch spoke: forwards matching CloudTrail events to the hub bus in ${account} ${hub.region}`,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
}

/**
 * Composition root: context is read once into a validated config, which flows down as
 * props. Every synth runs the AWS Solutions checks, so a finding fails `cdk synth`
 * instead of surfacing after deployment.
 */
export function createSgwatchApp(props: SgwatchAppOptions = {}): SgwatchApp {
  const { hubEnv, warn = writeWarning, ...appProps } = props;
  // No construction stack traces in metadata: the CLI would print a bare file:line:col
  // before every warning, which points into sgwatch, not at anything the user can change.
  const app = new App({ stackTraces: false, ...appProps });
  const contextKeys = Object.keys(app.node.getAllContext() as Record<string, unknown>);
  unknownContextKeyWarnings(contextKeys, CONFIG_CONTEXT_KEYS).forEach(warn);
  const config = parseConfig(readContext(app));
  // An invalid file stops synth here, with the file and the entry at fault in the message.
  const { policy } = loadPolicyFile(resolvePolicyFile(config.configFile));
  // Sigma rules are compiled here, so a rule that does not load stops synth with its file:line.
  const sigma = loadSynthSigmaRules(config.sigmaRules ?? []);
  const detections = [...catalogFor(config.detections), ...sigma.detections];
  const hub: Environment = hubEnv ?? {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  };
  const stack = new DetectorStack(app, STACK_NAME, {
    config,
    policy,
    detections,
    sigmaRules: sigma.sources,
    description: 'sgwatch: alerts on how RDS and ElastiCache are exposed (hub and detector)',
    env: hub,
  });
  const spokes = spokesForRegions(app, config, detections, hub);
  const stackSet = stackSetSpoke(app, config, detections, hub);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, config, policy, stack, spokes, ...(stackSet ? { stackSetSpoke: stackSet } : {}) };
}

/**
 * Synthesizes and copies the StackSet spoke's template to a fixed name in the cloud
 * assembly (`cdk.out/sgwatch-spoke.stackset.template.json`), where the README's
 * StackSet commands pick it up.
 */
export function synthesizeApp(sgwatch: SgwatchApp): void {
  const assembly = sgwatch.app.synth();
  if (sgwatch.stackSetSpoke === undefined) return;
  const nested = assembly.getNestedAssembly(`assembly-${STACKSET_STAGE}`);
  const artifact = nested.getStackArtifact(sgwatch.stackSetSpoke.artifactId);
  copyFileSync(artifact.templateFullPath, join(assembly.directory, STACKSET_TEMPLATE_FILE));
}

/**
 * Synth as the CDK CLI runs it: a mistake in the context or the configuration file is
 * printed as one line (and one per cause that adds something), and the exit code is 1.
 * Any other error is a bug and keeps its stack.
 */
export function runSynth(stderr: Pick<NodeJS.WriteStream, 'write'> = process.stderr): number {
  try {
    synthesizeApp(createSgwatchApp({ warn: (message) => stderr.write(`Warning: ${message}\n`) }));
    return 0;
  } catch (error) {
    const lines = describeSynthError(error);
    if (lines === undefined) throw error;
    stderr.write(lines.map((line) => `${line}\n`).join(''));
    return 1;
  }
}

// Run by the CDK CLI (`node --import tsx bin/app.ts`), which sets CDK_OUTDIR for the
// assembly and passes context in CDK_CONTEXT_JSON. Tests import createSgwatchApp instead.
if (require.main === module) {
  process.exitCode = runSynth();
}
