import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { DeadLetterQueue } from './queues';

const PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  readonly detector: lambda.IFunction;
  readonly deadLetterQueues: readonly DeadLetterQueue[];
  /** Rules by detection id. */
  readonly rules: ReadonlyMap<string, events.IRule>;
  /** Addresses that hear about pipeline failures, unfiltered. */
  readonly emails: readonly string[];
  /**
   * Slack channel that also receives the alarms.
   * @default - alarms go to email subscribers only
   */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
}

/**
 * Alarms on every place an alert can stall: the detector failing, events parked in a
 * dead-letter queue, EventBridge failing to invoke the detector.
 *
 * They go to a separate operations topic, not the alert topic. Alarm notifications carry
 * no message attributes, so the alert emails' severity filter would drop them, and the
 * alert topic's machine subscribers expect alert documents, not alarm documents. The same
 * people are subscribed, unfiltered: a broken pipeline is as urgent as an alert, because
 * it means alerts are not arriving.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    const key = new kms.Key(this, 'Key', {
      description: 'Encrypts sgwatch operational alarm notifications in SNS',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications with its own service identity, so it needs
    // the key to encrypt them.
    key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey',
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'sgwatch operations',
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL replaces SNS's default access policy, which is what let CloudWatch in.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    for (const email of props.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    props.slackChannel?.addNotificationTopic(this.topic);

    this.alarm('DetectorErrors', {
      metric: props.detector.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
      description:
        'The sgwatch detector threw. Lambda retries twice, then parks the event in the ' +
        'detector failure queue; read the function log for the error.',
    });

    for (const dlq of props.deadLetterQueues) {
      this.alarm(`${dlq.node.id}Messages`, {
        metric: dlq.queue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        description: `Events are waiting in an sgwatch dead-letter queue: ${dlq.purpose}`,
      });
    }

    for (const [detectionId, rule] of props.rules) {
      this.alarm(`FailedInvocations-${detectionId}`, {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          dimensionsMap: { RuleName: rule.ruleName },
          period: PERIOD,
          statistic: cloudwatch.Stats.SUM,
        }),
        description: `EventBridge could not invoke the sgwatch detector for ${detectionId}; the events go to the rule target dead-letter queue.`,
      });
    }
  }

  private alarm(id: string, options: { metric: cloudwatch.IMetric; description: string }): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: options.metric,
      alarmDescription: options.description,
      // Any occurrence matters: each one is an alert that did not arrive on time.
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    // Tell the same people when it clears, so nobody chases a problem that has passed.
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }
}
