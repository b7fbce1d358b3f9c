/**
 * The names a deployment is found by: stack names, the hub bus name and CloudFormation
 * output keys. The CDK app creates them under these names and `sgwatch doctor` /
 * `sgwatch redrive` look them up by them, so the two cannot drift apart. No imports: the
 * CLI bundle takes this file alone.
 */

/** The hub (detector) stack. */
export const STACK_NAME = 'Sgwatch';

/** Spokes for the hub account's other Regions: `SgwatchSpoke-eu-west-1`, ... */
export const SPOKE_STACK_PREFIX = 'SgwatchSpoke-';

/**
 * The hub bus's name. Spokes address the bus by an ARN built from it, so it is fixed rather
 * than generated: a spoke in another account cannot look up a generated name.
 */
export const HUB_BUS_NAME = 'sgwatch-hub';

/** The hub stack's output keys. */
export const STACK_OUTPUTS = {
  alertTable: 'AlertTableName',
  alertTopic: 'AlertTopicArn',
  operationsTopic: 'OperationsTopicArn',
  detectorFunction: 'DetectorFunctionName',
  detectorFailureQueue: 'DetectorFailureQueueUrl',
  ruleTargetQueue: 'RuleTargetQueueUrl',
  hubEventBus: 'HubEventBusName',
  hubEventBusArn: 'HubEventBusArn',
} as const;

/** The hub stack's hunt outputs, present only when it is deployed with cloudTrailBucket. */
export const HUNT_OUTPUTS = {
  database: 'HuntDatabaseName',
  table: 'HuntTableName',
  workGroup: 'HuntWorkGroupName',
  operatorPolicy: 'HuntOperatorPolicyArn',
} as const;

/** A spoke stack's output keys. */
export const SPOKE_OUTPUTS = {
  hubEventBusArn: 'HubEventBusArn',
  forwardingFailureQueue: 'ForwardingFailureQueueUrl',
} as const;
