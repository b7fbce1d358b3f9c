/**
 * Starts the local AWS fakes together and points the SDK at them through its standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, so CLI code runs unchanged. `close()` stops them
 * and puts the environment back as it was.
 *
 * Also builds a deployed sgwatch inside the fakes: the resources and outputs the stack
 * creates, in a healthy state that each test then breaks in one way.
 */
import { CATALOG } from '../../../lambda/core/catalog';
import type { FakeCloudFormation } from './cloudformation';
import { startFakeCloudFormation } from './cloudformation';
import type { FakeCloudTrail } from './cloudtrail';
import { startFakeCloudTrail } from './cloudtrail';
import type { FakeEventBridge } from './eventbridge';
import { startFakeEventBridge } from './eventbridge';
import type { FakeLambda } from './lambda';
import { startFakeLambda } from './lambda';
import type { FakeSnsSubscriptions } from './sns-subscriptions';
import { startFakeSnsSubscriptions } from './sns-subscriptions';
import type { FakeSqs } from './sqs';
import { startFakeSqs } from './sqs';
import { HUB_BUS_NAME as HUB_BUS, STACK_NAME } from '../../../lib/deployment-names';

export interface FakeAws {
  readonly sqs: FakeSqs;
  readonly lambda: FakeLambda;
  readonly cloudFormation: FakeCloudFormation;
  readonly cloudTrail: FakeCloudTrail;
  readonly eventBridge: FakeEventBridge;
  /** Absent when started with `sns: false` (the test serves SNS itself, e.g. Publish). */
  readonly sns?: FakeSnsSubscriptions;
  close(): Promise<void>;
}

export interface FakeAwsOptions {
  /** Serve SNS ListSubscriptionsByTopic (default true). */
  readonly sns?: boolean;
  /** Page sizes, to exercise pagination with a handful of items. */
  readonly eventBridgePageSize?: number;
  readonly snsPageSize?: number;
}

export async function startFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  const [sqs, lambda, cloudFormation, cloudTrail, eventBridge, sns] = await Promise.all([
    startFakeSqs(),
    startFakeLambda(),
    startFakeCloudFormation(),
    startFakeCloudTrail(),
    startFakeEventBridge(
      options.eventBridgePageSize !== undefined ? { pageSize: options.eventBridgePageSize } : {},
    ),
    options.sns === false
      ? Promise.resolve(undefined)
      : startFakeSnsSubscriptions(
          options.snsPageSize !== undefined ? { pageSize: options.snsPageSize } : {},
        ),
  ]);
  const settings: Record<string, string> = {
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_LAMBDA: lambda.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
    AWS_ENDPOINT_URL_CLOUDTRAIL: cloudTrail.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
    ...(sns !== undefined ? { AWS_ENDPOINT_URL_SNS: sns.url } : {}),
    // Credentials the SDK can sign with; the fakes read only the scope.
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  const previous = Object.fromEntries(Object.keys(settings).map((key) => [key, process.env[key]]));
  Object.assign(process.env, settings);
  return {
    sqs,
    lambda,
    cloudFormation,
    cloudTrail,
    eventBridge,
    ...(sns !== undefined ? { sns } : {}),
    close: async () => {
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await Promise.all([
        sqs.close(),
        lambda.close(),
        cloudFormation.close(),
        cloudTrail.close(),
        eventBridge.close(),
        sns?.close(),
      ]);
    },
  };
}

export { HUB_BUS, STACK_NAME };
export const DETECTOR_FUNCTION = 'Sgwatch-DetectorFunction1A2B3C4D-5E6F7G8H9I0J';

export interface SgwatchDeployment {
  readonly region: string;
  readonly detectorFailureQueueUrl: string;
  readonly ruleTargetQueueUrl: string;
  readonly alertTopicArn: string;
  readonly operationsTopicArn: string;
  /** Rule names on the default bus, one per catalog detection. */
  readonly ruleNames: readonly string[];
  /** The same rules on the hub bus, for events spokes forward. */
  readonly hubRuleNames: readonly string[];
  readonly trailArn: string;
}

/** `aws.rds.create-db-security-group` → `AwsRdsCreateDbSecurityGroup`, as the CDK names rules. */
function ruleIdFor(detectionId: string): string {
  return detectionId
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/**
 * What `npx cdk deploy` creates, in a state doctor finds healthy: a logging multi-Region
 * trail, one enabled rule per detection on the default bus and on the hub bus, both topics
 * with a confirmed email subscription, two empty dead-letter queues, and the stack with its
 * outputs. Without the SNS fake (`sns: false`) the topic ARNs are still set as outputs.
 */
export function deploySgwatch(
  aws: FakeAws,
  options: { region?: string; functionName?: string } = {},
): SgwatchDeployment {
  const region = options.region ?? 'us-east-1';
  const detectorFailureQueueUrl = aws.sqs.createQueue(
    'Sgwatch-DetectorFailureQueue4E6F0A1B-AbCdEf',
    { region },
  );
  const ruleTargetQueueUrl = aws.sqs.createQueue('Sgwatch-RuleTargetQueue9C8D7E6F-GhIjKl', {
    region,
  });
  const alertTopicArn =
    aws.sns?.createTopic('Sgwatch-AlertTopic1234ABCD', region) ??
    `arn:aws:sns:${region}:111122223333:Sgwatch-AlertTopic1234ABCD`;
  const operationsTopicArn =
    aws.sns?.createTopic('Sgwatch-OperationsTopic5678EFGH', region) ??
    `arn:aws:sns:${region}:111122223333:Sgwatch-OperationsTopic5678EFGH`;
  aws.sns?.subscribe(alertTopicArn, {
    protocol: 'email',
    endpoint: 'secops@example.com',
    confirmed: true,
  });
  aws.sns?.subscribe(operationsTopicArn, {
    protocol: 'email',
    endpoint: 'oncall@example.com',
    confirmed: true,
  });

  aws.eventBridge.addBus(HUB_BUS, region);
  const ruleNames: string[] = [];
  const hubRuleNames: string[] = [];
  for (const detection of CATALOG) {
    const name = `Sgwatch-Rules${ruleIdFor(detection.id)}A1B2C3D4-${detection.id.length}XYZ`;
    aws.eventBridge.addRule({
      name,
      region,
      description: `sgwatch ${detection.id}: ${detection.title}`,
    });
    ruleNames.push(name);
    const hubName = `Sgwatch-HubRules${ruleIdFor(detection.id)}E5F6-${detection.id.length}XYZ`;
    aws.eventBridge.addRule({
      name: hubName,
      region,
      bus: HUB_BUS,
      description: `sgwatch ${detection.id}: ${detection.title} (events forwarded by spokes)`,
    });
    hubRuleNames.push(hubName);
  }
  // Someone else's rule on the same bus, which doctor must leave out.
  aws.eventBridge.addRule({
    name: 'billing-alerts',
    region,
    description: 'Team billing: budget events',
  });

  const trailArn = aws.cloudTrail.addTrail({
    name: 'org-management-events',
    homeRegion: region,
    multiRegion: true,
  });

  aws.cloudFormation.putStack({
    name: STACK_NAME,
    region,
    status: 'UPDATE_COMPLETE',
    outputs: {
      AlertTableName: 'Sgwatch-AlertsTable1234-ABCD',
      AlertTopicArn: alertTopicArn,
      OperationsTopicArn: operationsTopicArn,
      DetectorFunctionName: options.functionName ?? DETECTOR_FUNCTION,
      DetectorFailureQueueUrl: detectorFailureQueueUrl,
      RuleTargetQueueUrl: ruleTargetQueueUrl,
      HubEventBusName: HUB_BUS,
      HubEventBusArn: `arn:aws:events:${region}:111122223333:event-bus/${HUB_BUS}`,
    },
  });
  return {
    region,
    detectorFailureQueueUrl,
    ruleTargetQueueUrl,
    alertTopicArn,
    operationsTopicArn,
    ruleNames,
    hubRuleNames,
    trailArn,
  };
}
