import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Capture, Match, Template } from 'aws-cdk-lib/assertions';
import type { SgwatchApp } from '../../bin/app';
import { ALERT_TABLE } from '../../lambda/core/alert-table';
import { CATALOG, eventPatternFor } from '../../lambda/core/catalog';
import { DETECTOR_METRICS, METRICS_NAMESPACE } from '../../lambda/core/metric-names';
import { ConfigError, parseConfig } from '../../lib/config';
import { DETECTION_TAG } from '../../lib/constructs/detection-rules';
import { removeTemporaryDirs, synthesize, temporaryDir } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, unknown>;
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

function only<T>(values: Record<string, T>): [string, T] {
  const entries = Object.entries(values);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, T];
}

/** Each allowed action mapped to the resources it is allowed on, in a stable order. */
function grantsOf(statements: readonly Statement[]): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const action of actions) {
      grants[action] = [
        ...(grants[action] ?? []),
        ...resources.map((r) => JSON.stringify(r)),
      ].sort();
    }
  }
  return grants;
}

const getAtt = (logicalId: string, attribute = 'Arn') =>
  JSON.stringify({ 'Fn::GetAtt': [logicalId, attribute] });
const ref = (logicalId: string) => JSON.stringify({ Ref: logicalId });

describe('parseConfig', () => {
  it('uses the documented defaults when the context sets nothing', () => {
    expect(parseConfig({})).toEqual({
      alertEmails: [],
      opsEmails: [],
      detections: 'all',
      lookups: false,
      securityHub: false,
      regions: [],
      organizationId: undefined,
      spokeAccounts: [],
      hubAccount: undefined,
      emailMinSeverity: 'low',
      emailNewAlertsOnly: true,
      slack: undefined,
      alertRetentionDays: 365,
      logRetention: 90,
    });
  });

  it.each(['seed', 'exposure', 'exfiltration', 'all'])(
    'accepts the %s detection selection',
    (detections) => {
      expect(parseConfig({ detections }).detections).toBe(detections);
    },
  );

  it('reads values the CLI passes as strings: comma-separated emails, booleans and numbers', () => {
    const config = parseConfig({
      alertEmails: ' soc@example.com, ,Oncall@example.org,soc@EXAMPLE.com ',
      emailMinSeverity: 'high',
      emailNewAlertsOnly: 'false',
      slackWorkspaceId: 'T0123ABCD',
      slackChannelId: 'C0456EFGH',
      alertRetentionDays: '30',
      logRetentionDays: '14',
      detections: 'seed',
      lookups: 'true',
      securityHub: 'true',
      regions: 'us-east-1, us-gov-west-1,us-east-1',
      organizationId: 'o-exampleorgid',
      spokeAccounts: '012345678901',
      hubAccount: '111122223333',
    });
    expect(config).toEqual({
      alertEmails: ['soc@example.com', 'Oncall@example.org'],
      opsEmails: ['soc@example.com', 'Oncall@example.org'],
      detections: 'seed',
      lookups: true,
      securityHub: true,
      regions: ['us-east-1', 'us-gov-west-1'],
      organizationId: 'o-exampleorgid',
      spokeAccounts: ['012345678901'],
      hubAccount: '111122223333',
      emailMinSeverity: 'high',
      emailNewAlertsOnly: false,
      slack: { workspaceId: 'T0123ABCD', channelId: 'C0456EFGH' },
      alertRetentionDays: 30,
      logRetention: 14,
    });
  });

  it('accepts a list of emails and native booleans and numbers from cdk.json', () => {
    const config = parseConfig({
      alertEmails: ['a@example.com', 'b@example.com'],
      emailNewAlertsOnly: true,
      alertRetentionDays: 400,
      logRetentionDays: 3653,
    });
    expect(config.alertEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(config.emailNewAlertsOnly).toBe(true);
    expect(config.alertRetentionDays).toBe(400);
    expect(config.logRetention).toBe(3653);
  });

  it.each<[string, Json, string, RegExp]>([
    [
      'an address without a domain',
      { alertEmails: 'soc@example.com,oncall' },
      'alertEmails',
      /"oncall"/,
    ],
    [
      'an address with a space',
      { alertEmails: ['so c@example.com'] },
      'alertEmails',
      /"so c@example.com"/,
    ],
    ['a non-string address', { alertEmails: [42] }, 'alertEmails', /42/],
    ['an unknown severity', { emailMinSeverity: 'urgent' }, 'emailMinSeverity', /"urgent"/],
    ['a boolean it cannot read', { emailNewAlertsOnly: 'yes' }, 'emailNewAlertsOnly', /"yes"/],
    [
      'a workspace without a channel',
      { slackWorkspaceId: 'T0123ABCD' },
      'slackChannelId',
      /required/,
    ],
    [
      'a channel without a workspace',
      { slackChannelId: 'C0123ABCD' },
      'slackWorkspaceId',
      /required/,
    ],
    [
      'a malformed channel id',
      { slackWorkspaceId: 'T0123ABCD', slackChannelId: '#alerts' },
      'slackChannelId',
      /"#alerts"/,
    ],
    ['a zero retention', { alertRetentionDays: 0 }, 'alertRetentionDays', /0/],
    ['a fractional retention', { alertRetentionDays: '7.5' }, 'alertRetentionDays', /"7.5"/],
    [
      'a retention shorter than an event can take to reach the detector',
      { alertRetentionDays: 14 },
      'alertRetentionDays',
      /14 days is below the floor of 16 days: a redriven event .*use 16 or more/,
    ],
    ['a log retention CloudWatch lacks', { logRetentionDays: 42 }, 'logRetentionDays', /42/],
    ['a bad operations address', { opsEmails: 'ops@' }, 'opsEmails', /"ops@"/],
    ['an unknown detection pack', { detections: 'everything' }, 'detections', /"everything"/],
    ['a lookups value it cannot read', { lookups: 'on' }, 'lookups', /"on"/],
    ['a Region name with a typo', { regions: 'eu-west-1,euwest2' }, 'regions', /"euwest2"/],
    [
      'an account id as a JSON number',
      { spokeAccounts: [123456789012] },
      'spokeAccounts',
      /123456789012/,
    ],
    ['an 11-digit account id', { spokeAccounts: '12345678901' }, 'spokeAccounts', /"12345678901"/],
    ['two hub accounts', { hubAccount: '111122223333,444455556666' }, 'hubAccount', /one account/],
    ['a malformed organization id', { organizationId: 'o-SHOUT' }, 'organizationId', /"o-SHOUT"/],
  ])('rejects %s, naming the context key and value', (_, context, key, value) => {
    let thrown: unknown;
    try {
      parseConfig(context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).key).toBe(key);
    expect((thrown as ConfigError).message).toContain(`"${key}"`);
    expect((thrown as ConfigError).message).toMatch(value);
  });
});

describe('DetectorStack with the default context', () => {
  let sgwatch: SgwatchApp;
  let template: Template;
  let functionId: string;
  let topicId: string;

  beforeAll(() => {
    sgwatch = synthesize();
    template = Template.fromStack(sgwatch.stack);
    [functionId] = only(template.findResources('AWS::Lambda::Function'));
    const topic = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { ALERT_TOPIC_ARN: { Ref: topic } } },
    });
    topicId = topic.asString();
  });

  it('deploys one rule per catalog detection on each bus, with exactly the pattern the catalog generates', () => {
    template.resourceCountIs('AWS::Events::Rule', CATALOG.length * 2);
    for (const detection of CATALOG) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectEquals(eventPatternFor(detection)),
        Description: Match.stringLikeRegexp(detection.id.replaceAll('.', '\\.')),
        Tags: Match.arrayWith([{ Key: DETECTION_TAG, Value: detection.id }]),
        State: 'ENABLED',
      });
    }
  });

  it('targets the detector from every rule with a retry policy and a dead-letter queue', () => {
    const queue = new Capture();
    const rules = template.findResources('AWS::Events::Rule');
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        }),
      ]);
    }
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } } })],
    });
    expect(template.toJSON().Resources[queue.asString()].Type).toBe('AWS::SQS::Queue');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue.asString() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
          }),
        ]),
      },
    });
  });

  it('runs the detector bundled for Node.js 22 on arm64 with its handler, size and environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      Environment: {
        Variables: {
          ALERT_TABLE_NAME: { Ref: 'AlertTable' },
          ALERT_TOPIC_ARN: { Ref: topicId },
          ALERT_RETENTION_DAYS: '365',
          DELIVERY_CLAIM_SECONDS: Match.anyValue(),
          SGWATCH_CONFIG_FILE: Match.anyValue(),
          SGWATCH_DETECTIONS: 'all',
        },
      },
    });
  });

  it('keeps a delivery claim longer than one invocation and shorter than the wait before a retry', () => {
    const [, fn] = only(template.findResources('AWS::Lambda::Function'));
    const claim = Number(fn.Properties.Environment.Variables.DELIVERY_CLAIM_SECONDS);
    expect(claim).toBeGreaterThan(fn.Properties.Timeout as number);
    // Lambda's first async retry comes a minute after a failure; a claim left by an
    // invocation that died must have lapsed by then, or that retry is wasted.
    expect(claim).toBeLessThan(60);
  });

  it('runs the detections it deployed rules for, without lookups unless asked', () => {
    const [, fn] = only(template.findResources('AWS::Lambda::Function'));
    expect(fn.Properties.Environment.Variables.SGWATCH_DETECTIONS).toBe('all');
    expect(fn.Properties.Environment.Variables.SGWATCH_LOOKUPS).toBeUndefined();
    const seed = Template.fromStack(synthesize({ detections: 'seed' }).stack);
    seed.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SGWATCH_DETECTIONS: 'seed' }) },
    });
    const deployed = Object.values(seed.findResources('AWS::Events::Rule')).map(
      (rule) =>
        (rule.Properties.Tags as { Key: string; Value: string }[]).find(
          ({ Key }) => Key === DETECTION_TAG,
        )?.Value,
    );
    expect([...new Set(deployed)].sort()).toEqual(
      CATALOG.filter((d) => d.pack === 'seed')
        .map((d) => d.id)
        .sort(),
    );
    expect(deployed).toHaveLength(2 * 3);
  });

  it('retries failed async invocations twice, then parks them in an SQS queue', () => {
    const destination = new Capture();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [destination, 'Arn'] } } },
    });
    expect(template.toJSON().Resources[destination.asString()].Type).toBe('AWS::SQS::Queue');
  });

  it('keeps dead letters 14 days, encrypted, reachable only over TLS and alarmed', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties).toEqual({
        MessageRetentionPeriod: 14 * 86400,
        SqsManagedSseEnabled: true,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('stores alerts on demand with PITR, TTL, a rotating customer key, four indexes and Retain', () => {
    const key = new Capture();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        KeySchema: [{ AttributeName: ALERT_TABLE.partitionKey, KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: ALERT_TABLE.timeToLiveAttribute, Enabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
        },
        GlobalSecondaryIndexes: Object.values(ALERT_TABLE.indexes).map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    });
    const table = template.toJSON().Resources.AlertTable as Json & { Properties: Json };
    expect(table.Properties.TableName).toBeUndefined();
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        [
          ALERT_TABLE.partitionKey,
          ...Object.values(ALERT_TABLE.indexes).flatMap((i) => [i.partitionKey, i.sortKey]),
        ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ),
    );
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    expect(template.toJSON().Resources[key.asString()].Properties.EnableKeyRotation).toBe(true);
  });

  it('pins the alert table logical id on purpose, so no refactor can replace the table', () => {
    expect(template.toJSON().Resources.AlertTable.Type).toBe('AWS::DynamoDB::Table');
  });

  it('encrypts the alert topic under a rotating key and denies publishing without TLS', () => {
    const key = new Capture();
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    const resources = template.toJSON().Resources;
    expect(resources[topicId].Properties.TopicName).toBeUndefined();
    expect(resources[topicId].Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [key.asString(), 'Arn'],
    });
    expect(resources[key.asString()].Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('grants the detector only the calls it makes, on its own resources, with no wildcard', () => {
    const [, fn] = only(template.findResources('AWS::Lambda::Function'));
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();

    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    const [tableKeyId] = (
      template.toJSON().Resources.AlertTable.Properties.SSESpecification.KMSMasterKeyId as {
        'Fn::GetAtt': [string];
      }
    )['Fn::GetAtt'];
    const [topicKeyId] = (
      template.toJSON().Resources[topicId].Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string] }
    )['Fn::GetAtt'];
    const [logGroupId] = only(template.findResources('AWS::Logs::LogGroup'));
    const [failureQueueId] = (
      only(template.findResources('AWS::Lambda::EventInvokeConfig'))[1].Properties.DestinationConfig
        .OnFailure.Destination as { 'Fn::GetAtt': [string] }
    )['Fn::GetAtt'];

    expect(grantsOf(statements)).toEqual({
      'logs:CreateLogStream': [getAtt(logGroupId)],
      'logs:PutLogEvents': [getAtt(logGroupId)],
      'dynamodb:GetItem': [getAtt('AlertTable')],
      'dynamodb:PutItem': [getAtt('AlertTable')],
      'dynamodb:UpdateItem': [getAtt('AlertTable')],
      'dynamodb:Query': [
        JSON.stringify({
          'Fn::Join': ['', [{ 'Fn::GetAtt': ['AlertTable', 'Arn'] }, '/index/byPrincipal']],
        }),
      ],
      'kms:Decrypt': [getAtt(tableKeyId), getAtt(topicKeyId)].sort(),
      'kms:DescribeKey': [getAtt(tableKeyId)],
      'kms:Encrypt': [getAtt(tableKeyId)],
      'kms:GenerateDataKey': [getAtt(tableKeyId), getAtt(topicKeyId)].sort(),
      'sns:Publish': [ref(topicId)],
      'sqs:GetQueueAttributes': [getAtt(failureQueueId)],
      'sqs:GetQueueUrl': [getAtt(failureQueueId)],
      'sqs:SendMessage': [getAtt(failureQueueId)],
    });
  });

  it('writes detector logs to its own log group with the default 90-day retention, retained', () => {
    const [logGroupId] = only(template.findResources('AWS::Logs::LogGroup'));
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: { RetentionInDays: 90 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
  });

  it('outputs the alert table name, the alert topic ARN and both dead-letter queue URLs', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.AlertTableName?.Value).toEqual({ Ref: 'AlertTable' });
    expect(outputs.AlertTopicArn?.Value).toEqual({ Ref: topicId });
    for (const name of ['DetectorFailureQueueUrl', 'RuleTargetQueueUrl']) {
      const value = outputs[name]?.Value as { Ref: string };
      expect(template.toJSON().Resources[value.Ref].Type).toBe('AWS::SQS::Queue');
    }
  });

  it('alarms on detector errors and each rule’s failed invocations, notifying the operations topic', () => {
    const operations = (template.toJSON().Outputs.OperationsTopicArn.Value as { Ref: string }).Ref;
    expect(operations).not.toBe(topicId);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const ruleId of Object.keys(template.findResources('AWS::Events::Rule'))) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Events',
        MetricName: 'FailedInvocations',
        Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'NumberOfNotificationsFailed',
      Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [topicId, 'TopicName'] } }],
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Errors and throttles, two dead-letter queues, each rule on both buses, SNS delivery.
    expect(alarms).toHaveLength(2 + 2 + CATALOG.length * 2 + 1);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: operations }]);
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('subscribes nobody and creates no Slack channel, and warns that no person is subscribed', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    Annotations.fromStack(sgwatch.stack).hasWarning(
      '/Sgwatch/AlertTopic',
      Match.stringLikeRegexp('No alertEmails'),
    );
  });
});

describe('DetectorStack with emails, Slack and retention context', () => {
  const emails = ['soc@example.com', 'oncall@example.org'];
  let template: Template;
  let alertTopicId: string;
  let operationsTopicId: string;

  beforeAll(() => {
    const sgwatch = synthesize({
      alertEmails: emails.join(','),
      emailMinSeverity: 'high',
      slackWorkspaceId: 'T0123ABCD',
      slackChannelId: 'C0456EFGH',
      alertRetentionDays: '30',
      logRetentionDays: 14,
    });
    template = Template.fromStack(sgwatch.stack);
    const outputs = template.toJSON().Outputs as Record<string, { Value: { Ref: string } }>;
    alertTopicId = outputs.AlertTopicArn?.Value.Ref ?? '';
    operationsTopicId = outputs.OperationsTopicArn?.Value.Ref ?? '';
  });

  it('emails each address new alerts and summaries at or above the minimum severity', () => {
    for (const email of emails) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: { Ref: alertTopicId },
        Protocol: 'email',
        Endpoint: email,
        FilterPolicy: Match.objectEquals({
          severity: ['high', 'critical'],
          // Messages published before the notification attribute existed are new alerts.
          $or: [{ notification: ['new', 'summary'] }, { notification: [{ exists: false }] }],
        }),
      });
    }
  });

  it('emails the alert addresses every pipeline alarm, unfiltered, when opsEmails is not set', () => {
    for (const email of emails) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        TopicArn: { Ref: operationsTopicId },
        Protocol: 'email',
        Endpoint: email,
        FilterPolicy: Match.absent(),
      });
    }
    template.resourceCountIs('AWS::SNS::Subscription', emails.length * 2);
  });

  it('posts both topics to Slack through a Chatbot channel that can run nothing', () => {
    const role = new Capture();
    const guardrail = new Capture();
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0456EFGH',
      LoggingLevel: 'ERROR',
      UserRoleRequired: false,
      IamRoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
      GuardrailPolicies: [{ Ref: guardrail }],
      SnsTopicArns: Match.arrayEquals([{ Ref: alertTopicId }, { Ref: operationsTopicId }]),
    });
    const resources = template.toJSON().Resources;
    const channelRole = resources[role.asString()];
    expect(channelRole.Properties.ManagedPolicyArns).toBeUndefined();
    expect(channelRole.Properties.Policies).toBeUndefined();
    expect(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: Match.arrayWith([{ Ref: role.asString() }]) },
      }),
    ).toEqual({});
    expect(resources[guardrail.asString()].Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Deny', Action: '*', Resource: '*' },
    ]);
  });

  it('applies the alert and log retention from context', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ALERT_RETENTION_DAYS: '30' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });
});

describe('DetectorStack operations', () => {
  const sgwatch = synthesize({ alertEmails: 'soc@example.com', opsEmails: 'platform@example.com' });
  const template = Template.fromStack(sgwatch.stack);
  const outputs = template.toJSON().Outputs as Record<string, { Value: { Ref: string } }>;

  it('sends alarms to opsEmails and alerts to alertEmails, each address on its own topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: outputs.OperationsTopicArn?.Value.Ref },
      Endpoint: 'platform@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: outputs.AlertTopicArn?.Value.Ref },
      Endpoint: 'soc@example.com',
    });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
  });

  it('builds a dashboard of the detector metrics, the Lambda, the rules, the queues and SNS', () => {
    const [, dashboard] = only(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const name of DETECTOR_METRICS) expect(body).toContain(`\\"${name}\\"`);
    expect(body).toContain(METRICS_NAMESPACE);
    for (const metric of [
      'Throttles',
      'TriggeredRules',
      'FailedInvocations',
      'ApproximateNumberOfMessagesVisible',
      'NumberOfNotificationsFailed',
    ]) {
      expect(body).toContain(metric);
    }
  });

  it('names the detector function in an output, for redrive', () => {
    const [functionId] = only(template.findResources('AWS::Lambda::Function'));
    expect(outputs.DetectorFunctionName?.Value).toEqual({ Ref: functionId });
  });
});

describe('DetectorStack when every notification should be emailed', () => {
  it('filters emails on severity alone when emailNewAlertsOnly is false', () => {
    const template = Template.fromStack(
      synthesize({ alertEmails: ['soc@example.com'], emailNewAlertsOnly: false }).stack,
    );
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Endpoint: 'soc@example.com',
      FilterPolicy: Match.objectEquals({ severity: ['low', 'medium', 'high', 'critical'] }),
    });
  });
});

describe('the deployable synth', () => {
  let assemblyDir: string;
  let bundle: string;

  beforeAll(() => {
    const { app, stack } = synthesize({}, { bundle: true, validate: true });
    assemblyDir = app.synth().directory;
    const template = Template.fromStack(stack);
    const [, fn] = only(template.findResources('AWS::Lambda::Function'));
    const objectKey = fn.Properties.Code.S3Key as string;
    const manifest = JSON.parse(
      readFileSync(join(assemblyDir, `${stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      files: Record<
        string,
        { source: { path: string }; destinations: Record<string, { objectKey: string }> }
      >;
    };
    const asset = Object.values(manifest.files).find((file) =>
      Object.values(file.destinations).some((destination) => destination.objectKey === objectKey),
    );
    expect(asset).toBeDefined();
    // Copied away from the repository so nothing can resolve from node_modules: the bundle
    // must carry every dependency, as it will in Lambda.
    const isolated = temporaryDir('sgwatch-bundle-');
    bundle = join(isolated, 'index.mjs');
    copyFileSync(join(assemblyDir, asset?.source.path ?? '', 'index.mjs'), bundle);
  });

  function importBundle(env: Record<string, string>): string {
    const script = `const m = await import(${JSON.stringify(`file://${bundle}`)}); console.log(typeof m.handler);`;
    return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  }

  it('passes the built-in CloudFormation validation with no findings', () => {
    const report = JSON.parse(
      readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });

  it('bundles the detector as a self-contained ESM file whose handler loads under Node.js', () => {
    expect(
      importBundle({
        ALERT_TABLE_NAME: 'alerts',
        ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:alerts',
      }),
    ).toBe('function');
  });

  it('fails to load naming ALERT_TABLE_NAME when the environment lacks it', () => {
    expect(() =>
      importBundle({ ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:alerts' }),
    ).toThrow(/ALERT_TABLE_NAME/);
  });
});
