import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EventBridgeClient, Rule } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DeployedStack } from '../aws';
import {
  describeStack,
  explainAwsError,
  isAccountWideError,
  queueNameOf,
  StackNotFoundError,
} from '../aws';
import { SPOKE_OUTPUTS, SPOKE_STACK_PREFIX, STACK_NAME } from '../../lib/deployment-names';
import type { Finding } from './findings';
import { clean, ok, problem, unreadable } from './findings';
import { queueDepth } from './queues';
import { ENABLED_STATES, enableRuleCommand, sgwatchRules } from './rules';

/** The clients doctor uses in a spoke Region. */
export interface SpokeClients {
  readonly eventBridge: EventBridgeClient;
  readonly cloudFormation: CloudFormationClient;
  readonly sqs: SQSClient;
}

/** With --regions: the Region has enabled sgwatch rules on its default bus. */
export async function checkSpoke(
  client: EventBridgeClient,
  region: string,
  allRegions: readonly string[],
): Promise<Finding> {
  const check = `spoke:${region}`;
  let rules: Rule[];
  try {
    rules = await sgwatchRules(client);
  } catch (error) {
    // Per Region on purpose: a Region not enabled for the account rejects the credentials,
    // which says nothing about the others.
    return problem(
      check,
      'warn',
      `could not list the rules in ${region}: ${explainAwsError(error)}`,
      [
        `check that ${region} is enabled for the account (Account settings > AWS Regions) and that the credentials may call events:ListRules there`,
      ],
    );
  }
  // Named stacks rather than --all: the StackSet spoke in the app is not for this account.
  const deploy = `npx cdk deploy ${STACK_NAME} '${SPOKE_STACK_PREFIX}*' -c regions=${allRegions.join(',')} with AWS_REGION set to the hub Region (for other accounts, deploy the StackSet spoke; see docs/deploying.md)`;
  if (rules.length === 0) {
    return problem(
      check,
      'warn',
      `no sgwatch rules on the default event bus in ${region}: calls made there are not watched`,
      [`deploy a spoke there: ${deploy}`],
    );
  }
  const enabled = rules.filter((rule) => ENABLED_STATES.has(rule.State ?? ''));
  if (enabled.length === 0) {
    return problem(
      check,
      'warn',
      `all ${rules.length} sgwatch rules in ${region} are disabled: calls made there are not watched`,
      rules.map((rule) => enableRuleCommand(rule, region)),
    );
  }
  return ok(
    check,
    `${enabled.length} sgwatch rule(s) enabled on the default event bus in ${region}`,
  );
}

/**
 * A spoke has no alarms (it has no topic to send them to), so its dead-letter queue is
 * checked here: events in it failed to reach the hub for a day and raise no alert. Only
 * spokes deployed by this app in this account are found; StackSet spokes live in other
 * accounts, where this check cannot look.
 */
export async function checkSpokeQueue(
  clients: SpokeClients,
  region: string,
  hub: { region: string; functionName?: string },
): Promise<Finding | undefined> {
  const { cloudFormation, sqs } = clients;
  let spoke: DeployedStack;
  try {
    spoke = await describeStack(cloudFormation, `${SPOKE_STACK_PREFIX}${region}`, region);
  } catch (error) {
    if (error instanceof StackNotFoundError) return undefined;
    return unreadable(
      `spoke-queue:${region}`,
      `the spoke stack in ${region}`,
      error,
      'cloudformation:DescribeStacks',
    );
  }
  const queueUrl = spoke.outputs[SPOKE_OUTPUTS.forwardingFailureQueue];
  if (queueUrl === undefined) return undefined;
  const check = `spoke-queue:${region}`;
  let waiting: number;
  try {
    ({ visible: waiting } = await queueDepth(sqs, queueUrl));
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    return unreadable(
      check,
      `the spoke queue ${clean(queueNameOf(queueUrl))}`,
      error,
      'sqs:GetQueueAttributes',
    );
  }
  if (waiting === 0) {
    return ok(check, `the spoke's forwarding dead-letter queue in ${region} is empty`);
  }
  const fn = hub.functionName !== undefined ? clean(hub.functionName) : '<DetectorFunctionName>';
  return problem(
    check,
    'warn',
    `${waiting} event(s) in ${region} could not be forwarded to the hub for a day and wait in ${clean(queueNameOf(queueUrl))}; they raise no alert until redriven`,
    [
      `once the hub accepts events again, send them through the detector: sgwatch redrive --queue ${clean(queueUrl)} --function ${fn} --region ${hub.region}`,
    ],
  );
}
