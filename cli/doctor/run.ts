import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { OPTIONAL_STACK_OUTPUTS } from '../../lib/deployment-names';
import type { DeployedStack } from '../aws';
import {
  AwsCommandError,
  describeStack,
  explainAwsError,
  STACK_OUTPUTS,
  StackNotFoundError,
} from '../aws';
import { checkCloudTrail } from './cloudtrail';
import type { DoctorTarget, Finding } from './findings';
import { checkQueue } from './queues';
import { checkRules } from './rules';
import type { SpokeClients } from './spokes';
import { checkSpoke, checkSpokeQueue } from './spokes';
import { checkSecurityHub } from './securityhub';
import { missingStackFinding, stackStatusFinding } from './stack';
import { checkSubscriptions } from './subscriptions';

/** The clients doctor uses in the hub's Region. */
export interface HubClients {
  readonly cloudFormation: CloudFormationClient;
  readonly cloudTrail: CloudTrailClient;
  readonly eventBridge: EventBridgeClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly securityHub: SecurityHubClient;
}

/** Every client a doctor run needs: the hub Region's, and each spoke Region's on demand. */
export interface DoctorClients {
  readonly hub: HubClients;
  readonly spoke: (region: string) => SpokeClients;
}

/** SDK clients for `region` and the spoke Regions asked for; `destroy` closes them all. */
export function createDoctorClients(region: string): DoctorClients & { destroy(): void } {
  const hub: HubClients = {
    cloudFormation: new CloudFormationClient({ region }),
    cloudTrail: new CloudTrailClient({ region }),
    eventBridge: new EventBridgeClient({ region }),
    sns: new SNSClient({ region }),
    sqs: new SQSClient({ region }),
    securityHub: new SecurityHubClient({ region }),
  };
  const spokes = new Map<string, SpokeClients>();
  return {
    hub,
    spoke: (spokeRegion) => {
      let clients = spokes.get(spokeRegion);
      if (clients === undefined) {
        clients = {
          eventBridge: new EventBridgeClient({ region: spokeRegion }),
          cloudFormation: new CloudFormationClient({ region: spokeRegion }),
          sqs: new SQSClient({ region: spokeRegion }),
        };
        spokes.set(spokeRegion, clients);
      }
      return clients;
    },
    destroy: () => {
      for (const group of [hub, ...spokes.values()]) {
        for (const client of Object.values(group) as { destroy(): void }[]) client.destroy();
      }
    },
  };
}

export interface DoctorRun {
  readonly stack?: DeployedStack;
  readonly findings: Finding[];
}

async function stackFinding(
  clients: DoctorClients,
  target: DoctorTarget,
): Promise<{ stack?: DeployedStack; finding: Finding }> {
  try {
    const stack = await describeStack(clients.hub.cloudFormation, target.stackName, target.region);
    return { stack, finding: stackStatusFinding(stack) };
  } catch (error) {
    if (!(error instanceof StackNotFoundError)) throw error;
    return { finding: missingStackFinding(target) };
  }
}

/** The checks that need the stack's outputs: its topics and dead-letter queues. */
function stackResourceChecks(
  clients: DoctorClients,
  stack: DeployedStack,
  target: DoctorTarget,
): Promise<Finding>[] {
  const { sns, sqs } = clients.hub;
  const { outputs } = stack;
  return [
    checkSubscriptions(
      sns,
      {
        check: 'alert-subscriptions',
        topicArn: outputs[STACK_OUTPUTS.alertTopic],
        topic: 'alert topic',
        consequence: 'alerts are recorded in the table but reach no one',
        severity: 'fail',
      },
      target,
    ),
    checkSubscriptions(
      sns,
      {
        check: 'operations-subscriptions',
        topicArn: outputs[STACK_OUTPUTS.operationsTopic],
        topic: 'operations topic',
        consequence: "the pipeline's alarms (failures, dead-lettered events) reach no one",
        severity: 'warn',
      },
      target,
    ),
    checkQueue(
      sqs,
      {
        check: 'detector-failure-queue',
        queueUrl: outputs[STACK_OUTPUTS.detectorFailureQueue],
        queue: 'detector failure queue',
        why: 'the detector failed on them after its retries',
      },
      target,
    ),
    checkQueue(
      sqs,
      {
        check: 'rule-target-queue',
        queueUrl: outputs[STACK_OUTPUTS.ruleTargetQueue],
        queue: 'rule target queue',
        why: 'EventBridge could not deliver them to the detector',
      },
      target,
    ),
  ];
}

/**
 * Runs every check against `target` with the given clients, in the order the report
 * lists them: stack, trail, rules, topics and queues, then each spoke Region. An error
 * that stops every check (no credentials, an expired token) becomes an AwsCommandError.
 */
export async function runChecks(
  clients: DoctorClients,
  target: DoctorTarget,
  spokeRegions: readonly string[],
): Promise<DoctorRun> {
  const { region } = target;
  try {
    const { stack, finding } = await stackFinding(clients, target);
    const checks: Promise<Finding>[] = [
      checkCloudTrail(clients.hub.cloudTrail, region),
      checkRules(clients.hub.eventBridge, stack, target),
      ...(stack !== undefined ? stackResourceChecks(clients, stack, target) : []),
      ...spokeRegions.map((spokeRegion) =>
        checkSpoke(clients.spoke(spokeRegion).eventBridge, spokeRegion, spokeRegions),
      ),
    ];
    const functionName = stack?.outputs[STACK_OUTPUTS.detectorFunction];
    const hub = { region, ...(functionName !== undefined ? { functionName } : {}) };
    const spokeQueueFindings = Promise.all(
      spokeRegions.map((spokeRegion) =>
        checkSpokeQueue(clients.spoke(spokeRegion), spokeRegion, hub),
      ),
    ).then((found) => found.filter((item) => item !== undefined));
    // Only for a stack that imports findings; nothing to say otherwise.
    const securityHubFinding = checkSecurityHub(
      clients.hub.securityHub,
      stack?.outputs[OPTIONAL_STACK_OUTPUTS.securityHubProductArn],
      region,
      target.stackName,
    ).then((found) => (found === undefined ? [] : [found]));
    const findings = [
      finding,
      ...(await Promise.all(checks)),
      ...(await securityHubFinding),
      ...(await spokeQueueFindings),
    ];
    return { ...(stack !== undefined ? { stack } : {}), findings };
  } catch (error) {
    if (error instanceof AwsCommandError) throw error;
    throw new AwsCommandError(`cannot check ${region}: ${explainAwsError(error)}`, {
      cause: error,
    });
  }
}
