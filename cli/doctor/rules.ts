import type { Rule } from '@aws-sdk/client-eventbridge';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DeployedStack } from '../aws';
import { errorNameOf, isAccountWideError, STACK_OUTPUTS } from '../aws';
import type { DoctorTarget, Finding } from './findings';
import { clean, ok, problem, unreadable } from './findings';

/** The prefix every sgwatch rule description starts with, hub and spokes alike. */
export const RULE_DESCRIPTION_PREFIX = 'sgwatch ';
/** Rule states in which EventBridge matches events (the second also matches read-only calls). */
export const ENABLED_STATES = new Set(['ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);

export async function sgwatchRules(
  client: EventBridgeClient,
  eventBusName?: string,
): Promise<Rule[]> {
  const rules: Rule[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListRulesCommand({
        ...(eventBusName !== undefined ? { EventBusName: eventBusName } : {}),
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        Limit: 100,
      }),
    );
    rules.push(
      ...(page.Rules ?? []).filter((rule) =>
        (rule.Description ?? '').startsWith(RULE_DESCRIPTION_PREFIX),
      ),
    );
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return rules;
}

export function enableRuleCommand(rule: Rule, region: string, bus?: string): string {
  return (
    `aws events enable-rule --name ${clean(rule.Name)}` +
    (bus !== undefined ? ` --event-bus-name ${clean(bus)}` : '') +
    ` --region ${region}`
  );
}

/** The stack's rules exist on the default bus (and the hub bus) and are all enabled. */
export async function checkRules(
  client: EventBridgeClient,
  stack: DeployedStack | undefined,
  target: DoctorTarget,
): Promise<Finding> {
  const { region, stackName } = target;
  const check = 'rules';
  const hubBus = stack?.outputs[STACK_OUTPUTS.hubEventBus];
  const buses: { name: string; bus?: string }[] = [{ name: 'the default event bus' }];
  if (hubBus !== undefined) buses.push({ name: `the hub bus ${clean(hubBus)}`, bus: hubBus });
  const found: { rule: Rule; bus?: string; busLabel: string }[] = [];
  for (const { name, bus } of buses) {
    let rules: Rule[];
    try {
      rules = await sgwatchRules(client, bus);
    } catch (error) {
      if (isAccountWideError(error)) throw error;
      if (errorNameOf(error) === 'ResourceNotFoundException' && bus !== undefined) {
        return problem(
          check,
          'fail',
          `${name} does not exist in ${region}: events forwarded by spokes go nowhere`,
          [`redeploy the stack: npx cdk deploy ${clean(stackName)}`],
        );
      }
      return unreadable(check, `the EventBridge rules on ${name}`, error, 'events:ListRules');
    }
    found.push(
      ...rules.map((rule) => ({ rule, busLabel: name, ...(bus !== undefined ? { bus } : {}) })),
    );
  }
  const onDefault = found.filter((entry) => entry.bus === undefined);
  if (onDefault.length === 0) {
    return problem(
      check,
      'fail',
      `no sgwatch rules on the default event bus in ${region} (none described "${RULE_DESCRIPTION_PREFIX}..."): no CloudTrail event reaches the detector`,
      [
        `redeploy the stack, which recreates them: npx cdk deploy ${clean(stackName)}`,
        `to see what changed outside CloudFormation: aws cloudformation detect-stack-drift --stack-name ${clean(stackName)} --region ${region}`,
      ],
    );
  }
  const disabled = found.filter((entry) => !ENABLED_STATES.has(entry.rule.State ?? ''));
  if (disabled.length > 0) {
    return problem(
      check,
      'fail',
      `${disabled.length} of ${found.length} sgwatch rules are disabled, so their detections never fire: ${disabled.map((entry) => `${clean(entry.rule.Name)} (${entry.busLabel})`).join(', ')}`,
      disabled.map((entry) => enableRuleCommand(entry.rule, region, entry.bus)),
    );
  }
  const onHub = found.length - onDefault.length;
  return ok(
    check,
    `${onDefault.length} sgwatch rules on the default event bus` +
      (hubBus !== undefined ? ` and ${onHub} on the hub bus ${clean(hubBus)}` : '') +
      ', all enabled',
  );
}
