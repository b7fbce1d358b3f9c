import { Match, Template } from 'aws-cdk-lib/assertions';
import { FINDING_RETRY_MINUTES, FINDING_RETRY_RUN } from '../../lambda/core/finding-sink';
import { OPTIONAL_STACK_OUTPUTS, SECURITY_HUB_TABLE_TAG } from '../../lib/deployment-names';
import { removeTemporaryDirs, synthesize } from '../support/synth';

afterAll(removeTemporaryDirs);

const HUB = { hubEnv: { account: '111122223333', region: 'us-east-1' } };
/** The account's default product, in the partition the stack is deployed to. */
const PRODUCT_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':securityhub:us-east-1:111122223333:product/111122223333/default',
    ],
  ],
};

/** The account's hub in that Region, where BatchUpdateFindings is authorized. */
const HUB_ARN = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:us-east-1:111122223333:hub/default'],
  ],
};

/** Every action of every identity policy in the template, with its resources. */
function grants(template: Template): { action: string; resources: unknown[] }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]).flatMap(
      (statement) => {
        const actions = ([] as string[]).concat(statement.Action as string | string[]);
        const resources = ([] as unknown[]).concat(statement.Resource);
        return actions.map((action) => ({ action, resources }));
      },
    ),
  );
}

describe('Security Hub sink in the stack', () => {
  const on = Template.fromStack(synthesize({ securityHub: 'true' }, HUB).stack);
  const off = Template.fromStack(synthesize({}, HUB).stack);

  it('lets the detector import findings to the account’s default product and reopen them on its hub, nothing else', () => {
    const securityHub = grants(on).filter(({ action }) => action.startsWith('securityhub:'));
    expect(securityHub).toEqual([
      { action: 'securityhub:BatchImportFindings', resources: [PRODUCT_ARN] },
      { action: 'securityhub:BatchUpdateFindings', resources: [HUB_ARN] },
    ]);
  });

  it('imports failed findings again every 15 minutes, only when findings are on', () => {
    on.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${FINDING_RETRY_MINUTES} minutes)`,
      Targets: [
        Match.objectLike({
          Input: JSON.stringify(FINDING_RETRY_RUN),
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
    expect(
      off.findResources('AWS::Events::Rule', {
        Properties: { ScheduleExpression: Match.anyValue() },
      }),
    ).toEqual({});
  });

  it('tells the detector the product through its environment', () => {
    on.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SECURITY_HUB_PRODUCT_ARN: PRODUCT_ARN }) },
    });
  });

  it('alarms to the operations topic when imports fail', () => {
    on.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'sgwatch',
      MetricName: 'SecurityHubFailures',
      Dimensions: [{ Name: 'Service', Value: 'sgwatch-detector' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringTopic') }],
    });
  });

  it('tags the alert table and outputs the product, for sgwatch alerts and doctor', () => {
    on.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([{ Key: SECURITY_HUB_TABLE_TAG, Value: PRODUCT_ARN }]),
    });
    on.hasOutput(OPTIONAL_STACK_OUTPUTS.securityHubProductArn, { Value: PRODUCT_ARN });
  });

  it('adds none of it when securityHub is off', () => {
    const text = JSON.stringify(off.toJSON());
    expect(text.includes('securityhub')).toBe(false);
    expect(text.includes(SECURITY_HUB_TABLE_TAG)).toBe(false);
    expect(text.includes(OPTIONAL_STACK_OUTPUTS.securityHubProductArn)).toBe(false);
    off.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'SecurityHubFailures' },
      0,
    );
  });

  it('rejects a securityHub value it cannot read', () => {
    expect(() => synthesize({ securityHub: 'yes' }, HUB)).toThrow(
      /Invalid CDK context "securityHub": expected true or false, got "yes"/,
    );
  });
});
