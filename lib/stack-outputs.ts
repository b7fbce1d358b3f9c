/**
 * The hub stack's CloudFormation output keys. The stack declares its outputs under these
 * names and `sgwatch doctor` / `sgwatch redrive` find every resource through them, so the
 * two cannot drift apart. No imports: the CLI bundle takes this file alone.
 */
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
