import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SgwatchApp } from '../../bin/app';
import { removeTemporaryDirs, stackSetSpokeOf, synthesize } from '../support/synth';

/** Context that turns on every optional resource, so every one of them is checked. */
const EVERYTHING = {
  alertEmails: 'soc@example.com',
  slackWorkspaceId: 'T0123ABCD',
  slackChannelId: 'C0456EFGH',
  lookups: true,
  securityHub: true,
  regions: 'us-east-1,eu-west-1',
  organizationId: 'o-a1b2c3d4e5',
};
/** Spokes and the StackSet template need a hub with a known account and Region. */
const HUB = { hubEnv: { account: '111122223333', region: 'us-east-1' } };

afterAll(removeTemporaryDirs);

interface Violation {
  readonly ruleName: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

function nagViolations(assemblyDir: string): Violation[] {
  const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: Violation[] }[];
  };
  return report.pluginReports
    .filter((plugin) => plugin.pluginName === 'AwsSolutions')
    .flatMap((plugin) => plugin.violations);
}

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

function acknowledgements({ app }: SgwatchApp): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe.each([
  ['the default context', {}],
  ['emails and Slack configured', EVERYTHING],
])('cdk-nag AwsSolutions checks with %s', (_, context) => {
  it('synthesizes with no unacknowledged error or warning', () => {
    const { app } = synthesize(context, HUB);
    const assembly = app.synth();
    // One report for the whole app, the StackSet stage included (see the wiring test).
    expect(nagViolations(assembly.directory)).toEqual([]);
  });
});

describe('cdk-nag acknowledgements', () => {
  let sgwatch: SgwatchApp;

  beforeAll(() => {
    sgwatch = synthesize(EVERYTHING, HUB);
  });

  it('acknowledges only the reviewed findings, each where it arises', () => {
    expect(
      acknowledgements(sgwatch)
        .map(({ path, id }) => `${id} @ ${path}`)
        .sort(),
    ).toEqual([
      'AwsSolutions-L1 @ Sgwatch/Detector/Function',
      'AwsSolutions-SQS3 @ Sgwatch/DetectorFailureQueue/Queue',
      'AwsSolutions-SQS3 @ Sgwatch/RuleTargetQueue/Queue',
      'AwsSolutions-SQS3 @ SgwatchSpoke-eu-west-1/ForwardingFailureQueue/Queue',
      'AwsSolutions-SQS3 @ StackSet/SgwatchSpoke/ForwardingFailureQueue/Queue',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*] @ Sgwatch/Detector/Role',
    ]);
  });

  it('gives every acknowledgement a reason that explains itself', () => {
    // At least twenty words and no placeholder: a reviewer must learn why, not just that.
    const weak = acknowledgements(sgwatch).filter(
      ({ reason }) =>
        reason.trim().split(/\s+/).length < 20 || /\b(todo|tbd|fixme|n\/a)\b/i.test(reason),
    );
    expect(weak).toEqual([]);
  });

  it('matches a real finding with every acknowledgement, so none is stale', () => {
    // Run the pack as if nothing were acknowledged: its findings must be exactly the
    // acknowledged ones. isAcknowledged is cdk-nag's private hook for that decision.
    const unfiltered = new AwsSolutionsChecks();
    Object.defineProperty(unfiltered, 'isAcknowledged', { value: () => false });
    const findings = unfiltered
      .validateScope(sgwatch.app)
      .violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${violation.ruleName} @ ${resource.constructPath ?? ''}`,
        ),
      )
      .sort();
    expect(findings).toEqual([
      'AwsSolutions-IAM5[Resource::*] @ Sgwatch/Detector/Role/DefaultPolicy/Resource',
      'AwsSolutions-L1 @ Sgwatch/Detector/Function/Resource',
      'AwsSolutions-SQS3 @ Sgwatch/DetectorFailureQueue/Queue/Resource',
      'AwsSolutions-SQS3 @ Sgwatch/RuleTargetQueue/Queue/Resource',
      'AwsSolutions-SQS3 @ SgwatchSpoke-eu-west-1/ForwardingFailureQueue/Queue/Resource',
      'AwsSolutions-SQS3 @ StackSet/SgwatchSpoke/ForwardingFailureQueue/Queue/Resource',
    ]);
  });
});

describe('cdk-nag wiring', () => {
  it('fails synth when a resource breaks an AwsSolutions rule', () => {
    const { app, stack } = synthesize({});
    new sqs.Queue(stack, 'PlaintextQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it('checks the StackSet spoke too, though it sits in its own stage', () => {
    const sgwatch = synthesize({ organizationId: 'o-a1b2c3d4e5' }, HUB);
    new sqs.Queue(stackSetSpokeOf(sgwatch), 'PlaintextQueue', {
      encryption: sqs.QueueEncryption.UNENCRYPTED,
    });
    expect(() => sgwatch.app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
