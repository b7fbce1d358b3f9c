import type { StackProps } from 'aws-cdk-lib';
import { Aws, CfnOutput, Duration, Stack, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { Detection } from '../lambda/core/catalog';
import { forwardingPatterns } from '../lambda/core/catalog';
import { READ_ONLY_RULE_STATE, toEventPattern } from './constructs/detection-rules';
import { SPOKE_OUTPUTS } from './deployment-names';
import { hubBusArn } from './constructs/hub-bus';
import { DeadLetterQueue } from './constructs/queues';

/**
 * How long a spoke keeps retrying the hub before parking an event in its dead-letter
 * queue: EventBridge's own maximum (and default) for a target, a day and 185 attempts, so
 * a hub outage of up to a day loses nothing and needs no redrive.
 */
export const SPOKE_RETRY = { attempts: 185, maxEventAge: Duration.hours(24) } as const;

export interface SpokeStackProps extends StackProps {
  readonly detections: readonly Detection[];
  /** Where the hub lives; the spoke builds the hub bus ARN from them. */
  readonly hub: {
    readonly region: string;
    /** @default - this stack's own account (a spoke in another Region of the hub account) */
    readonly account?: string;
  };
}

/** Tag on a spoke's forwarding rules; `sgwatch doctor` and the tests find them by it. */
export const FORWARDING_TAG = 'sgwatch:forwards';

/**
 * sgwatch in a Region or account without a detector: a forwarding rule over every call the
 * catalog watches (one rule unless the names outgrow a pattern), sending each such
 * CloudTrail event to the hub bus once, however many detections it matches; the hub's rules
 * match it precisely. Nothing else runs here, so a busy account pays only for the few
 * events that match.
 */
export class SpokeStack extends Stack {
  readonly rules: readonly events.Rule[];
  readonly hubBusArn: string;
  readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: SpokeStackProps) {
    super(scope, id, props);
    this.hubBusArn = hubBusArn(
      Aws.PARTITION,
      props.hub.region,
      props.hub.account ?? Aws.ACCOUNT_ID,
    );
    const hubBus = events.EventBus.fromEventBusArn(this, 'HubBus', this.hubBusArn);

    this.deadLetterQueue = new DeadLetterQueue(this, 'ForwardingFailureQueue', {
      purpose: 'events this spoke could not forward to the sgwatch hub bus after a day of retries',
    });
    // Only this account's rules may have EventBridge assume the role (aws:SourceArn is the
    // rule sending the event): no other account's rule can use EventBridge as a deputy.
    const role = new iam.Role(this, 'ForwardingRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': this.account },
        ArnLike: {
          'aws:SourceArn': this.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: '*',
          }),
        },
      }),
      description: 'sgwatch spoke: put matching events on the sgwatch hub bus, nothing else',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.hubBusArn] }),
    );

    const target = new targets.EventBus(hubBus, {
      role,
      deadLetterQueue: this.deadLetterQueue.queue,
    });
    this.rules = forwardingPatterns(props.detections).map(({ pattern, readOnly }, i) => {
      const rule = new events.Rule(this, i === 0 ? 'Forward' : `Forward${i + 1}`, {
        description: 'sgwatch: forward the calls sgwatch watches to the sgwatch hub',
        eventPattern: toEventPattern(pattern),
        targets: [target],
      });
      Tags.of(rule).add(FORWARDING_TAG, 'hub');
      if (readOnly) (rule.node.defaultChild as events.CfnRule).state = READ_ONLY_RULE_STATE;
      // The CDK's event bus target has no retry props, though EventBridge takes a retry
      // policy for it like any other target; stating it pins the day of retries the DLQ
      // relies on.
      (rule.node.defaultChild as events.CfnRule).addPropertyOverride('Targets.0.RetryPolicy', {
        MaximumRetryAttempts: SPOKE_RETRY.attempts,
        MaximumEventAgeInSeconds: SPOKE_RETRY.maxEventAge.toSeconds(),
      });
      return rule;
    });

    new CfnOutput(this, SPOKE_OUTPUTS.hubEventBusArn, {
      description: 'The sgwatch hub bus this spoke forwards matching CloudTrail events to',
      value: this.hubBusArn,
    });
    new CfnOutput(this, SPOKE_OUTPUTS.forwardingFailureQueue, {
      description: `Dead-letter queue: ${this.deadLetterQueue.purpose}`,
      value: this.deadLetterQueue.queue.queueUrl,
    });
  }
}
