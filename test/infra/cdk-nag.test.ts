import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SgwatchApp } from '../../bin/app';
import { removeTemporaryDirs, synthesize } from '../support/synth';

/** Context that turns on every optional resource, so every one of them is checked. */
const EVERYTHING = {
  alertEmails: 'soc@example.com',
  slackWorkspaceId: 'T0123ABCD',
  slackChannelId: 'C0456EFGH',
};

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
    const { app } = synthesize(context);
    const assembly = app.synth();
    expect(nagViolations(assembly.directory)).toEqual([]);
  });
});

describe('cdk-nag acknowledgements', () => {
  let sgwatch: SgwatchApp;

  beforeAll(() => {
    sgwatch = synthesize(EVERYTHING);
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
      'AwsSolutions-L1 @ Sgwatch/Detector/Function/Resource',
      'AwsSolutions-SQS3 @ Sgwatch/DetectorFailureQueue/Queue/Resource',
      'AwsSolutions-SQS3 @ Sgwatch/RuleTargetQueue/Queue/Resource',
    ]);
  });
});

describe('cdk-nag wiring', () => {
  it('fails synth when a resource breaks an AwsSolutions rule', () => {
    const { app, stack } = synthesize({});
    new sqs.Queue(stack, 'PlaintextQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
