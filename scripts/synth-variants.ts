/**
 * Synthesizes the app once per deployment variant (every optional part switched on at
 * least once) into OUTDIR/<variant>/ and prints the path of every template, one a line,
 * for CI to lint with cfn-lint. Lambda bundling is skipped: it changes only asset hashes.
 *
 * Run: node --import tsx scripts/synth-variants.ts OUTDIR
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Environment } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { createSgwatchApp } from '../bin/app';

interface Variant {
  readonly name: string;
  readonly context: Record<string, unknown>;
  /** @default - environment-agnostic, as a synth without credentials gives */
  readonly env?: Environment;
}

const HUB: Environment = { account: '111122223333', region: 'us-east-1' };

/** Each deployment shape the README offers. A new context key adds a line here. */
export const VARIANTS: readonly Variant[] = [
  { name: 'default', context: {} },
  { name: 'seed-only', context: { detections: 'seed' } },
  { name: 'exposure-only', context: { detections: 'exposure' } },
  { name: 'exfiltration-only', context: { detections: 'exfiltration' } },
  { name: 'lookups', context: { lookups: true }, env: HUB },
  {
    name: 'notifications',
    context: {
      alertEmails: 'secops@example.com',
      opsEmails: 'oncall@example.com',
      emailMinSeverity: 'high',
      emailNewAlertsOnly: false,
      slackWorkspaceId: 'T0123ABCD',
      slackChannelId: 'C0123ABCD',
      alertRetentionDays: 30,
      logRetentionDays: 365,
    },
  },
  { name: 'regions', context: { regions: 'us-east-1,eu-west-1,ap-southeast-2' }, env: HUB },
  { name: 'organization', context: { organizationId: 'o-a1b2c3d4e5' }, env: HUB },
  { name: 'spoke-accounts', context: { spokeAccounts: '222233334444,333344445555' }, env: HUB },
  { name: 'hunt', context: { cloudTrailBucket: 'org-trail-logs' } },
  {
    name: 'hunt-projected',
    context: {
      cloudTrailBucket: 'org-trail-logs',
      cloudTrailPrefix: 'trails/org',
      cloudTrailAccounts: '111122223333,222233334444',
      cloudTrailKmsKey:
        'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      huntMaxScanGb: 50,
    },
    env: HUB,
  },
  {
    name: 'everything',
    context: {
      lookups: true,
      regions: 'us-east-1,eu-west-1',
      organizationId: 'o-a1b2c3d4e5',
      spokeAccounts: '222233334444',
      hubAccount: '111122223333',
      alertEmails: 'secops@example.com',
      slackWorkspaceId: 'T0123ABCD',
      slackChannelId: 'C0123ABCD',
      cloudTrailBucket: 'org-trail-logs',
    },
    env: HUB,
  },
];

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** Synthesizes every variant under `outdir`; returns the template files written. */
export function synthesizeVariants(outdir: string): string[] {
  const templates: string[] = [];
  for (const variant of VARIANTS) {
    const dir = join(outdir, variant.name);
    mkdirSync(dir, { recursive: true });
    const { app } = createSgwatchApp({
      outdir: dir,
      context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [], ...variant.context },
      hubEnv: variant.env ?? {},
    });
    const assembly = app.synth();
    for (const stack of assembly.stacksRecursively) templates.push(stack.templateFullPath);
  }
  return templates;
}

if (require.main === module) {
  const outdir = process.argv[2];
  if (outdir === undefined) {
    process.stderr.write('usage: synth-variants.ts OUTDIR\n');
    process.exitCode = 2;
  } else {
    const templates = synthesizeVariants(resolve(outdir));
    process.stdout.write(templates.map((file) => `${file}\n`).join(''));
  }
}
