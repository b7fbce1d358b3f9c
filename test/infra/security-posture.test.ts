/**
 * Security posture of everything sgwatch deploys, read from the synthesized templates of
 * the fullest configuration (lookups and Security Hub on, spokes, a StackSet spoke): every IAM statement,
 * key, queue, topic, log group and environment variable.
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { removeTemporaryDirs, stackSetSpokeOf, synthesize } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sgwatch = synthesize(
  {
    lookups: true,
    securityHub: true,
    regions: 'us-east-1,eu-west-1',
    organizationId: 'o-a1b2c3d4e5',
    alertEmails: 'soc@example.com',
  },
  { hubEnv: { account: '111122223333', region: 'us-east-1' } },
);
const STACKS: Stack[] = [sgwatch.stack, ...sgwatch.spokes, stackSetSpokeOf(sgwatch)];
const templates = STACKS.map(
  (stack) => [stack.node.path, Template.fromStack(stack).toJSON()] as const,
);

function resourcesOfType(type: string): [string, Json][] {
  return templates.flatMap(([path, template]) =>
    Object.entries<Json>(template.Resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]) => [`${path}/${id}`, resource] as [string, Json]),
  );
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Statements of identity policies: what roles may do. */
const identityStatements = resourcesOfType('AWS::IAM::Policy').flatMap(([id, policy]) =>
  (policy.Properties.PolicyDocument.Statement as Json[]).map((statement) => ({ id, statement })),
);

/**
 * The only identity-policy actions allowed on `*`, each because AWS offers nothing
 * narrower for it.
 */
const WILDCARD_RESOURCE_REASONS: Record<string, string> = {
  'ec2:DescribeNetworkInterfaces':
    'EC2 Describe* calls support no resource-level permissions; read-only, and only with lookups=true',
  'organizations:ListAccounts':
    'ListAccounts supports no resource-level permissions; read-only, and only with lookups=true',
};

describe('IAM', () => {
  it('synthesizes a policy for every stack it inspects', () => {
    expect(identityStatements.length).toBeGreaterThan(0);
    expect(new Set(identityStatements.map(({ id }) => id.split('/')[0])).size).toBe(STACKS.length);
  });

  it('grants no wildcard action and no NotAction anywhere', () => {
    const offending = identityStatements.filter(
      ({ statement }) =>
        statement.NotAction !== undefined ||
        asList<string>(statement.Action).some((action) => action.includes('*')),
    );
    expect(offending).toEqual([]);
  });

  it('uses a "*" resource only for actions that cannot be scoped, each with its reason', () => {
    const wildcard = identityStatements.filter(({ statement }) =>
      asList(statement.Resource).some((resource) => resource === '*'),
    );
    const actions = wildcard.flatMap(({ statement }) => asList<string>(statement.Action));
    expect([...new Set(actions)].sort()).toEqual(Object.keys(WILDCARD_RESOURCE_REASONS).sort());
    for (const reason of Object.values(WILDCARD_RESOURCE_REASONS))
      expect(reason.length).toBeGreaterThan(30);
  });

  it('gives the EC2 and Organizations lookup permissions only when lookups are on', () => {
    const plain = JSON.stringify(Template.fromStack(synthesize().stack).toJSON());
    expect(plain).not.toContain('ec2:');
    expect(plain).not.toContain('organizations:');
  });

  it('attaches no AWS managed policy and no inline policy to any role', () => {
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
    }
  });

  it('lets each role be assumed by one AWS service and nobody else', () => {
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      const trust = role.Properties.AssumeRolePolicyDocument.Statement as Json[];
      expect(trust).toHaveLength(1);
      expect(Object.keys(trust[0]?.Principal)).toEqual(['Service']);
    }
  });
});

describe('encryption and transport', () => {
  it('rotates every customer managed key', () => {
    const keys = resourcesOfType('AWS::KMS::Key');
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const [, key] of keys) expect(key.Properties.EnableKeyRotation).toBe(true);
  });

  it('encrypts every queue and refuses it over plain HTTP', () => {
    const queues = resourcesOfType('AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(0);
    for (const [id, queue] of queues) {
      expect(
        queue.Properties.SqsManagedSseEnabled === true ||
          queue.Properties.KmsMasterKeyId !== undefined,
      ).toBe(true);
      const logicalId = id.split('/').pop() as string;
      const policies = resourcesOfType('AWS::SQS::QueuePolicy').filter(([, p]) =>
        JSON.stringify(p.Properties.Queues).includes(`"${logicalId}"`),
      );
      expect(
        policies.some(([, p]) =>
          (p.Properties.PolicyDocument.Statement as Json[]).some(
            (s) =>
              s.Effect === 'Deny' &&
              JSON.stringify(s.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
          ),
        ),
      ).toBe(true);
    }
  });

  it('encrypts every topic under a customer key and denies publishing without TLS', () => {
    const topics = resourcesOfType('AWS::SNS::Topic');
    expect(topics).toHaveLength(2);
    for (const [id, topic] of topics) {
      expect(topic.Properties.KmsMasterKeyId).toBeDefined();
      const logicalId = id.split('/').pop() as string;
      const [, policy] =
        resourcesOfType('AWS::SNS::TopicPolicy').find(([, p]) =>
          JSON.stringify(p.Properties.Topics).includes(`"${logicalId}"`),
        ) ?? [];
      expect(policy?.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('encrypts every log group under a rotating customer key usable only by CloudWatch Logs', () => {
    const groups = resourcesOfType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(0);
    for (const [, group] of groups) {
      const keyId = (group.Properties.KmsKeyId as { 'Fn::GetAtt': [string, string] })[
        'Fn::GetAtt'
      ][0];
      const [, key] =
        resourcesOfType('AWS::KMS::Key').find(([id]) => id.endsWith(`/${keyId}`)) ?? [];
      const statements = key?.Properties.KeyPolicy.Statement as Json[];
      const forLogs = statements.find((s) => JSON.stringify(s.Principal).includes('logs.'));
      expect(forLogs?.Condition.ArnLike).toHaveProperty(['kms:EncryptionContext:aws:logs:arn']);
      expect(asList<string>(forLogs?.Action).every((action) => !action.includes('*'))).toBe(true);
    }
  });
});

describe('configuration', () => {
  it('puts nothing secret in Lambda environment variables: names and references only', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions).toHaveLength(1);
    for (const [, fn] of functions) {
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(variables).sort()).toEqual(
        [
          'ALERT_RETENTION_DAYS',
          'ALERT_TABLE_NAME',
          'ALERT_TOPIC_ARN',
          'DELIVERY_CLAIM_SECONDS',
          'SECURITY_HUB_PRODUCT_ARN',
          'SGWATCH_ACCOUNT_ID',
          'SGWATCH_CONFIG_FILE',
          'SGWATCH_DETECTIONS',
          'SGWATCH_LOOKUPS',
        ].sort(),
      );
      for (const value of Object.values(variables)) {
        expect(JSON.stringify(value)).not.toMatch(/secret|password|token|AKIA[0-9A-Z]{16}/i);
      }
    }
  });
});
