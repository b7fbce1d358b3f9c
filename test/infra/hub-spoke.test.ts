import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { SgwatchApp } from '../../bin/app';
import { STACKSET_TEMPLATE_FILE, synthesizeApp } from '../../bin/app';
import type { Detection } from '../../lambda/core/catalog';
import { CATALOG, eventPatternFor, forwardingPatterns } from '../../lambda/core/catalog';
import { routedInputTemplate } from '../../lambda/core/routing';
import { ConfigError } from '../../lib/config';
import { DETECTION_TAG } from '../../lib/constructs/detection-rules';
import { HUB_BUS_NAME } from '../../lib/deployment-names';
import { FORWARDING_TAG, SPOKE_RETRY } from '../../lib/spoke-stack';
import { route } from '../support/eventbridge';
import { fixtureCases, loadEnvelope } from '../support/fixtures';
import { removeTemporaryDirs, stackSetSpokeOf, synthesize } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HUB = { account: '111122223333', region: 'us-east-1' };
const ORG = 'o-a1b2c3d4e5';
const OUTSIDE_ACCOUNT = '444455556666';
const HUB_BUS_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:events:us-east-1:${HUB.account}:event-bus/${HUB_BUS_NAME}`,
    ],
  ],
};

function organizationApp(extra: Json = {}): SgwatchApp {
  return synthesize(
    {
      regions: 'us-east-1,eu-west-1,ap-southeast-2',
      organizationId: ORG,
      spokeAccounts: OUTSIDE_ACCOUNT,
      ...extra,
    },
    { hubEnv: HUB },
  );
}

/** Every rule in a template by the detection its tag names. */
function rulesByDetection(template: Json): Map<string, Json[]> {
  const rules = new Map<string, Json[]>();
  for (const resource of Object.values<Json>(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule') continue;
    const tag = (resource.Properties.Tags as { Key: string; Value: string }[]).find(
      ({ Key }) => Key === DETECTION_TAG,
    );
    if (tag === undefined) throw new Error('a rule without its detection tag');
    rules.set(tag.Value, [...(rules.get(tag.Value) ?? []), resource]);
  }
  return rules;
}

const ids = (detections: readonly Detection[]) => detections.map((d) => d.id).sort();

describe('the hub', () => {
  const sgwatch = organizationApp();
  const template = Template.fromStack(sgwatch.stack).toJSON();
  const resources = Object.entries<Json>(template.Resources);
  const [busId, bus] = resources.find(([, r]) => r.Type === 'AWS::Events::EventBus') ?? [];

  it('has one custom bus with the fixed name spokes address', () => {
    expect(resources.filter(([, r]) => r.Type === 'AWS::Events::EventBus')).toHaveLength(1);
    expect(bus?.Properties.Name).toBe(HUB_BUS_NAME);
  });

  it('lets in PutEvents only: from its own account, the organization, and each listed account', () => {
    const statements = bus?.Properties.Policy.Statement as Json[];
    expect(statements.map((s) => s.Sid)).toEqual([
      'AllowHubAccountRegions',
      'AllowOrganizationSpokes',
      'AllowListedSpokeAccounts',
    ]);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Action).toBe('events:PutEvents');
      expect(statement.Resource).toEqual(HUB_BUS_ARN);
    }
    const [own, org, listed] = statements as [Json, Json, Json];
    expect(JSON.stringify(own.Principal)).toContain(`:iam::${HUB.account}:root`);
    expect(own.Condition).toBeUndefined();
    // Anyone, but only with the organization's id: the condition is what scopes it.
    expect(org.Principal).toEqual({ AWS: '*' });
    expect(org.Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': ORG } });
    expect(JSON.stringify(listed.Principal)).toContain(`:iam::${OUTSIDE_ACCOUNT}:root`);
  });

  it('leaves the organization out of the policy when no organizationId is set', () => {
    const plain = synthesize({}, { hubEnv: HUB });
    const policy = Template.fromStack(plain.stack).findResources('AWS::Events::EventBus');
    const statements = Object.values<Json>(policy)[0]?.Properties.Policy.Statement as Json[];
    expect(statements.map((s) => s.Sid)).toEqual(['AllowHubAccountRegions']);
    expect(plain.spokes).toEqual([]);
    expect(plain.stackSetSpoke).toBeUndefined();
  });

  it('runs every deployed detection on the default bus and again on the hub bus, into the detector', () => {
    const rules = rulesByDetection(template);
    expect([...rules.keys()].sort()).toEqual(ids(CATALOG));
    const detector = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function')?.[0];
    for (const [detectionId, pair] of rules) {
      const detection = CATALOG.find((d) => d.id === detectionId) as Detection;
      expect(pair).toHaveLength(2);
      const onHub = pair.filter((rule) => rule.Properties.EventBusName !== undefined);
      expect(onHub).toHaveLength(1);
      expect(onHub[0]?.Properties.EventBusName).toEqual({ Ref: busId });
      for (const rule of pair) {
        expect(rule.Properties.EventPattern).toEqual(eventPatternFor(detection));
        const [target] = rule.Properties.Targets as Json[];
        expect(target?.Arn).toEqual({ 'Fn::GetAtt': [detector, 'Arn'] });
        expect(target?.DeadLetterConfig).toBeDefined();
        expect(target?.RetryPolicy).toEqual({
          MaximumRetryAttempts: 4,
          MaximumEventAgeInSeconds: 7200,
        });
        // The detector is told which detection routed the event, and gets the event whole.
        expect(target?.InputTransformer).toEqual({
          InputTemplate: routedInputTemplate(detectionId),
        });
      }
    }
  });

  it('outputs the bus name and ARN, and the detector name for redrive', () => {
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['HubEventBusName', 'HubEventBusArn', 'DetectorFunctionName']),
    );
  });
});

describe('spokes for the hub account’s other Regions', () => {
  const sgwatch = organizationApp();
  const hubTemplate = Template.fromStack(sgwatch.stack).toJSON();
  const hubBusId = Object.entries<Json>(hubTemplate.Resources).find(
    ([, r]) => r.Type === 'AWS::Events::EventBus',
  )?.[0] as string;

  it('deploys one spoke per listed Region except the hub’s own', () => {
    expect(sgwatch.spokes.map((spoke) => [spoke.stackName, spoke.region])).toEqual([
      ['SgwatchSpoke-eu-west-1', 'eu-west-1'],
      ['SgwatchSpoke-ap-southeast-2', 'ap-southeast-2'],
    ]);
  });

  describe.each(sgwatch.spokes.map((spoke) => [spoke.stackName, spoke] as const))(
    '%s',
    (_, spoke) => {
      const template = Template.fromStack(spoke).toJSON();
      const types = Object.values<Json>(template.Resources).map((r) => r.Type as string);

      it('holds rules, their role and their dead-letter queue, and nothing that runs or stores', () => {
        expect([...new Set(types)].sort()).toEqual([
          'AWS::Events::Rule',
          'AWS::IAM::Policy',
          'AWS::IAM::Role',
          'AWS::SQS::Queue',
          'AWS::SQS::QueuePolicy',
        ]);
      });

      it('forwards every call the hub’s rules watch, once, to the hub bus with retries and a DLQ', () => {
        const rules = Object.values<Json>(template.Resources).filter(
          (r) => r.Type === 'AWS::Events::Rule',
        );
        expect(rules.map((rule) => rule.Properties.EventPattern)).toEqual(
          forwardingPatterns(CATALOG).map(({ pattern }) => pattern),
        );
        const queue = Object.entries<Json>(template.Resources).find(
          ([, r]) => r.Type === 'AWS::SQS::Queue',
        )?.[0];
        const role = Object.entries<Json>(template.Resources).find(
          ([, r]) => r.Type === 'AWS::IAM::Role',
        )?.[0];
        for (const rule of rules) {
          expect(rule.Properties.EventBusName).toBeUndefined();
          expect(rule.Properties.Tags).toEqual([{ Key: FORWARDING_TAG, Value: 'hub' }]);
          expect(rule.Properties.Targets).toEqual([
            {
              Id: 'Target0',
              Arn: HUB_BUS_ARN,
              RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
              RetryPolicy: {
                MaximumRetryAttempts: SPOKE_RETRY.attempts,
                MaximumEventAgeInSeconds: SPOKE_RETRY.maxEventAge.toSeconds(),
              },
            },
          ]);
        }
        // Every fixture any hub rule admits crosses exactly once, the original event whole.
        for (const { file } of fixtureCases()) {
          const event = loadEnvelope(file);
          const atHub = route(hubTemplate, { ref: hubBusId }, event);
          const forwarded = route(template, 'default', event);
          if (atHub.length > 0) expect([file, forwarded.length]).toEqual([file, 1]);
          for (const { input } of forwarded) expect(input).toEqual(event);
        }
      });

      it('lets its role do one thing: events:PutEvents on the hub bus', () => {
        const policies = Object.values<Json>(template.Resources).filter(
          (r) => r.Type === 'AWS::IAM::Policy',
        );
        expect(policies).toHaveLength(1);
        expect(policies[0]?.Properties.PolicyDocument.Statement).toEqual([
          { Action: 'events:PutEvents', Effect: 'Allow', Resource: HUB_BUS_ARN },
        ]);
        const role = Object.values<Json>(template.Resources).find(
          (r) => r.Type === 'AWS::IAM::Role',
        );
        // EventBridge may assume it for this account's rules only (confused deputy).
        expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': HUB.account },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      `:events:${spoke.region}:${HUB.account}:rule/*`,
                    ],
                  ],
                },
              },
            },
          },
        ]);
        expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
      });
    },
  );

  it('refuses regions when the hub Region is unknown, naming the context key', () => {
    expect(() => synthesize({ regions: 'eu-west-1' }, { hubEnv: {} })).toThrow(ConfigError);
    expect(() => synthesize({ regions: 'eu-west-1' }, { hubEnv: {} })).toThrow(
      /"regions".*AWS_REGION/,
    );
  });

  it('rejects a malformed Region name', () => {
    expect(() => synthesize({ regions: 'eu-west-1,Frankfurt' }, { hubEnv: HUB })).toThrow(
      /"Frankfurt"/,
    );
  });
});

describe('the StackSet spoke for member accounts', () => {
  it('is one environment-agnostic template, written to a fixed path at synth', () => {
    const sgwatch = organizationApp();
    synthesizeApp(sgwatch);
    const spoke = stackSetSpokeOf(sgwatch);
    const path = join(sgwatch.app.outdir, STACKSET_TEMPLATE_FILE);
    expect(existsSync(path)).toBe(true);
    const template = JSON.parse(readFileSync(path, 'utf8')) as Json;
    expect(template).toEqual(Template.fromStack(spoke).toJSON());
    // Deployable where the CDK never bootstrapped: no bootstrap parameter, rule or asset.
    expect(template.Parameters).toBeUndefined();
    expect(template.Rules).toBeUndefined();
    expect(JSON.stringify(template)).not.toMatch(/cdk-hnb659fds|BootstrapVersion/);
    // Built for any account and Region, but forwarding to the one hub.
    expect(spoke.resolve(spoke.account)).toEqual({ Ref: 'AWS::AccountId' });
    const [rule] = Object.values<Json>(template.Resources).filter(
      (r) => r.Type === 'AWS::Events::Rule',
    );
    expect(rule?.Properties.Targets[0].Arn).toEqual(HUB_BUS_ARN);
  });

  it('takes the hub account from hubAccount when the CLI has no credentials', () => {
    const sgwatch = synthesize(
      { spokeAccounts: OUTSIDE_ACCOUNT, hubAccount: '999988887777' },
      { hubEnv: { region: 'eu-central-1' } },
    );
    const [rule] = Object.values<Json>(
      Template.fromStack(stackSetSpokeOf(sgwatch)).toJSON().Resources,
    ).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(JSON.stringify(rule?.Properties.Targets[0].Arn)).toContain(
      ':events:eu-central-1:999988887777:event-bus/sgwatch-hub',
    );
  });

  it('fails synth naming hubAccount when the hub account is unknown', () => {
    expect(() => synthesize({ organizationId: ORG }, { hubEnv: { region: 'us-east-1' } })).toThrow(
      /"hubAccount"/,
    );
  });

  it('rejects an organization id that is not one', () => {
    expect(() => synthesize({ organizationId: 'org-123' }, { hubEnv: HUB })).toThrow(
      /"organizationId".*"org-123"/,
    );
  });
});
