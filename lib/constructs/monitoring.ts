import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import type { DetectorMetric } from '../../lambda/core/metric-names';
import {
  DETECTOR_METRICS,
  METRICS_DIMENSIONS,
  METRICS_NAMESPACE,
} from '../../lambda/core/metric-names';
import type { DeadLetterQueue } from './queues';

const PERIOD = Duration.minutes(5);

function ruleMetric(rule: events.IRule, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Events',
    metricName,
    dimensionsMap: { RuleName: rule.ruleName },
    period: PERIOD,
    statistic: cloudwatch.Stats.SUM,
  });
}

/** A rule that invokes the detector, with what it serves. */
export interface MonitoredRule {
  readonly detectionId: string;
  readonly rule: events.IRule;
  /** `default` for calls in this Region, `hub` for events forwarded by spokes. */
  readonly bus: 'default' | 'hub';
}

export interface MonitoringProps {
  readonly detector: lambda.IFunction;
  readonly deadLetterQueues: readonly DeadLetterQueue[];
  readonly rules: readonly MonitoredRule[];
  /** The alert topic, whose failed deliveries (email, Slack, queues) are alarmed. */
  readonly alertTopic: sns.ITopic;
  /** Addresses that hear about pipeline failures, unfiltered. */
  readonly emails: readonly string[];
  /**
   * Slack channel that also receives the alarms.
   * @default - alarms go to email subscribers only
   */
  readonly slackChannel?: chatbot.SlackChannelConfiguration;
  /**
   * The detector imports findings into Security Hub: alarm when imports fail.
   * @default false
   */
  readonly securityHub?: boolean;
}

/**
 * Alarms on every place an alert can stall: the detector failing or throttled, events
 * parked in a dead-letter queue, EventBridge failing to invoke the detector, SNS failing
 * to deliver an alert; and a dashboard of the same, with the detector's own metrics.
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
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    const key = new kms.Key(this, 'Key', {
      description: 'Encrypts sgwatch operational alarm notifications in SNS',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications with its own service identity, so it needs
    // the key to encrypt them: for this account's alarms only, or any account's alarm
    // could use CloudWatch as a deputy to encrypt (and so publish) under this key.
    const stack = Stack.of(this);
    key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      }),
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
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
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

    this.alarm('DetectorThrottles', {
      metric: props.detector.metricThrottles({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
      description:
        'Lambda throttled the sgwatch detector (account concurrency exhausted). EventBridge ' +
        'and Lambda retry for hours, so alerts arrive late rather than never; if it persists, ' +
        'reserve concurrency for the detector.',
    });

    for (const { detectionId, rule, bus } of props.rules) {
      const prefix = bus === 'hub' ? 'Hub' : '';
      this.alarm(`${prefix}FailedInvocations-${detectionId}`, {
        metric: ruleMetric(rule, 'FailedInvocations'),
        description: `EventBridge could not invoke the sgwatch detector for ${detectionId} (${bus} bus); the events go to the rule target dead-letter queue.`,
      });
    }

    this.alarm('AlertDeliveryFailures', {
      metric: props.alertTopic.metricNumberOfNotificationsFailed({
        period: PERIOD,
        statistic: cloudwatch.Stats.SUM,
      }),
      description:
        'SNS could not deliver an sgwatch alert to a subscriber (email, Slack or a queue) ' +
        'after its retries. The alert is in the alert table: list it with `sgwatch alerts ' +
        'list --table ...` and check the subscription.',
    });

    if (props.securityHub === true) {
      this.alarm('SecurityHubImportFailures', {
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'SecurityHubFailures' satisfies DetectorMetric,
          dimensionsMap: METRICS_DIMENSIONS,
          period: PERIOD,
          statistic: cloudwatch.Stats.SUM,
        }),
        description:
          'The sgwatch detector could not import findings into Security Hub (not enabled in ' +
          'the Region, throttled, unavailable, or a finding refused). The alerts were still ' +
          'sent and recorded; their findings are imported again every 15 minutes until Security ' +
          'Hub takes them. Read the detector log ("finding not recorded") and run `sgwatch doctor`.',
      });
    }

    this.dashboard = this.buildDashboard(props);
  }

  private buildDashboard(props: MonitoringProps): cloudwatch.Dashboard {
    const sum = (metric: cloudwatch.Metric) =>
      metric.with({ period: PERIOD, statistic: cloudwatch.Stats.SUM });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '# sgwatch\nEvents in, alerts out, and every place an alert can stall. Any non-zero ' +
          'dead-letter queue or failure means alerts are late: see docs/operations.md.',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Detector outcomes',
        left: DETECTOR_METRICS.map((name) =>
          sum(
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: name,
              dimensionsMap: METRICS_DIMENSIONS,
            }),
          ),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Detector Lambda',
        left: [
          props.detector.metricInvocations({ period: PERIOD }),
          props.detector.metricErrors({ period: PERIOD }),
          props.detector.metricThrottles({ period: PERIOD }),
        ],
        right: [props.detector.metricDuration({ period: PERIOD, statistic: 'p99' })],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rules: matched events and failed invocations',
        left: props.rules.map(({ detectionId, rule, bus }) =>
          ruleMetric(rule, 'TriggeredRules').with({ label: `${detectionId} (${bus})` }),
        ),
        right: props.rules.map(({ detectionId, rule, bus }) =>
          ruleMetric(rule, 'FailedInvocations').with({ label: `failed ${detectionId} (${bus})` }),
        ),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues and alert delivery',
        left: props.deadLetterQueues.map((dlq) =>
          dlq.queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: dlq.node.id,
          }),
        ),
        right: [
          props.alertTopic.metricNumberOfMessagesPublished({ period: PERIOD }),
          props.alertTopic.metricNumberOfNotificationsFailed({ period: PERIOD }),
        ],
        width: 12,
      }),
    );
    return dashboard;
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
