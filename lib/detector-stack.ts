import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Detection } from '../lambda/core/catalog';
import { CATALOG } from '../lambda/core/catalog';
import type { SgwatchConfig } from './config';
import { AlertTable } from './constructs/alert-table';
import { AlertTopic } from './constructs/alert-topic';
import { DetectionRules } from './constructs/detection-rules';
import { DetectorFunction } from './constructs/detector-function';
import { Monitoring } from './constructs/monitoring';
import { DeadLetterQueue } from './constructs/queues';

export interface DetectorStackProps extends StackProps {
  readonly config: SgwatchConfig;
  /**
   * The detections to deploy rules for.
   * @default CATALOG - every detection sgwatch ships
   */
  readonly detections?: readonly Detection[];
}

/** sgwatch in one Region: rules → detector → alert table and topic, plus its alarms. */
export class DetectorStack extends Stack {
  readonly alertTable: AlertTable;
  readonly alertTopic: AlertTopic;
  readonly detector: DetectorFunction;
  readonly rules: DetectionRules;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: DetectorStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.alertTable = new AlertTable(this, 'Alerts');
    this.alertTopic = new AlertTopic(this, 'AlertTopic', {
      emails: config.alertEmails,
      emailMinSeverity: config.emailMinSeverity,
      emailNewAlertsOnly: config.emailNewAlertsOnly,
      slack: config.slack,
    });

    const detectorFailures = new DeadLetterQueue(this, 'DetectorFailureQueue', {
      purpose: 'events the detector Lambda failed on after its retries, with the error',
    });
    const undeliveredEvents = new DeadLetterQueue(this, 'RuleTargetQueue', {
      purpose: 'events EventBridge could not deliver to the detector Lambda',
    });

    this.detector = new DetectorFunction(this, 'Detector', {
      table: this.alertTable.table,
      topic: this.alertTopic.topic,
      failureQueue: detectorFailures.queue,
      alertRetentionDays: config.alertRetentionDays,
      logRetention: config.logRetention,
    });

    this.rules = new DetectionRules(this, 'Rules', {
      detections: props.detections ?? CATALOG,
      detector: this.detector.function,
      deadLetterQueue: undeliveredEvents.queue,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      detector: this.detector.function,
      deadLetterQueues: [detectorFailures, undeliveredEvents],
      rules: this.rules.rules,
      emails: config.alertEmails,
      slackChannel: this.alertTopic.slackChannel,
    });

    new CfnOutput(this, 'AlertTableName', {
      description: 'DynamoDB table holding alert records (for `sgwatch alerts`)',
      value: this.alertTable.table.tableName,
    });
    new CfnOutput(this, 'AlertTopicArn', {
      description: 'SNS topic every alert is published to; subscribe consumers here',
      value: this.alertTopic.topic.topicArn,
    });
    new CfnOutput(this, 'OperationsTopicArn', {
      description: 'SNS topic for sgwatch pipeline alarms',
      value: this.monitoring.topic.topicArn,
    });
    new CfnOutput(this, 'DetectorFailureQueueUrl', {
      description: `Dead-letter queue: ${detectorFailures.purpose}`,
      value: detectorFailures.queue.queueUrl,
    });
    new CfnOutput(this, 'RuleTargetQueueUrl', {
      description: `Dead-letter queue: ${undeliveredEvents.purpose}`,
      value: undeliveredEvents.queue.queueUrl,
    });
  }
}
