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
  huntDatabase: 'HuntDatabaseName',
  huntTable: 'HuntTableName',
  huntWorkGroup: 'HuntWorkGroupName',
  huntOperatorPolicy: 'HuntOperatorPolicyArn',
} as const;

/** The hunt outputs: a hub has them only with `cloudTrailBucket`. */
export const HUNT_STACK_OUTPUTS: readonly string[] = [
  STACK_OUTPUTS.huntDatabase,
  STACK_OUTPUTS.huntTable,
  STACK_OUTPUTS.huntWorkGroup,
  STACK_OUTPUTS.huntOperatorPolicy,
];

/** Output keys the hub stack has only with an optional feature on. */
export const OPTIONAL_STACK_OUTPUTS = {
  /** The deployment imports findings into Security Hub under this product. */
  securityHubProductArn: 'SecurityHubProductArn',
} as const;

/**
 * Tag on the alert table of a deployment that imports findings into Security Hub; its value is
 * the default product ARN. `sgwatch alerts ack|resolve|reopen --table` reads it to know that
 * the finding's workflow should follow the alert's status.
 */
export const SECURITY_HUB_TABLE_TAG = 'sgwatch:securityHubProductArn';

/** A spoke stack's output keys. */
export const SPOKE_OUTPUTS = {
  hubEventBusArn: 'HubEventBusArn',
  forwardingFailureQueue: 'ForwardingFailureQueueUrl',
} as const;
