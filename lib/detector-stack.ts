import type { StackProps } from 'aws-cdk-lib';
import { Annotations, CfnOutput, Duration, Stack, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { Detection } from '../lambda/core/catalog';
import { CATALOG } from '../lambda/core/catalog';
import { FINDING_RETRY_MINUTES, FINDING_RETRY_RUN } from '../lambda/core/finding-sink';
import type { Policy } from '../lambda/core/policy';
import type { SigmaSource } from '../lambda/core/sigma';
import { DEFAULT_POLICY, expiredExceptions } from '../lambda/core/policy';
import type { SgwatchConfig } from './config';
import { AlertTable } from './constructs/alert-table';
import { AlertTopic } from './constructs/alert-topic';
import { DetectionRules, detectorTarget } from './constructs/detection-rules';
import { HubEventBus } from './constructs/hub-bus';
import { DetectorFunction } from './constructs/detector-function';
import type { MonitoredRule } from './constructs/monitoring';
import { Monitoring } from './constructs/monitoring';
import { DeadLetterQueue } from './constructs/queues';
import { TrailHunt } from './constructs/trail-hunt';
import {
  HUB_BUS_NAME,
  OPTIONAL_STACK_OUTPUTS,
  SECURITY_HUB_TABLE_TAG,
  STACK_OUTPUTS,
} from './deployment-names';

export interface DetectorStackProps extends StackProps {
  readonly config: SgwatchConfig;
  /**
   * The detections to deploy rules for.
   * @default CATALOG - every detection sgwatch ships
   */
  readonly detections?: readonly Detection[];
  /**
   * Accounts, exceptions, IaC roles and burst settings, shipped to the detector.
   * @default DEFAULT_POLICY - no accounts, exceptions or IaC roles; default burst settings
   */
  readonly policy?: Policy;
  /**
   * The Sigma rules among `detections`, as text: shipped to the detector, which compiles
   * them at start-up and runs them as it runs the catalog.
   * @default - no Sigma rules
   */
  readonly sigmaRules?: readonly SigmaSource[];
}

function monitored(rules: DetectionRules, bus: MonitoredRule['bus']): MonitoredRule[] {
  return [...rules.rules].map(([detectionId, rule]) => ({ detectionId, rule, bus }));
}

/** sgwatch in one Region: rules → detector → alert table and topic, plus its alarms. */
export class DetectorStack extends Stack {
  readonly alertTable: AlertTable;
  readonly alertTopic: AlertTopic;
  readonly detector: DetectorFunction;
  /** Rules on the default bus: calls made in this account and Region. */
  readonly rules: DetectionRules;
  /** The bus spokes forward to, and the same rules on it. */
  readonly hubBus: HubEventBus;
  readonly hubRules: DetectionRules;
  readonly monitoring: Monitoring;
  /** The Athena table, workgroup and policy for `sgwatch hunt`, when a trail bucket is named. */
  readonly hunt?: TrailHunt;

  constructor(scope: Construct, id: string, props: DetectorStackProps) {
    super(scope, id, props);
    const { config } = props;
    const policy = props.policy ?? DEFAULT_POLICY;
    this.warnAboutExpiredExceptions(policy);

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
      policy,
      lookups: config.lookups,
      detections: config.detections,
      ...(props.sigmaRules !== undefined ? { sigmaRules: props.sigmaRules } : {}),
      securityHub: config.securityHub,
    });

    const detections = props.detections ?? CATALOG;
    const target = detectorTarget(this.detector.function, undeliveredEvents.queue);
    this.rules = new DetectionRules(this, 'Rules', { detections, target });
    this.hubBus = new HubEventBus(this, 'HubBus', {
      organizationId: config.organizationId,
      spokeAccounts: config.spokeAccounts,
    });
    this.hubRules = new DetectionRules(this, 'HubRules', {
      detections,
      target,
      eventBus: this.hubBus.bus,
      purpose: 'events forwarded by spokes',
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      detector: this.detector.function,
      deadLetterQueues: [detectorFailures, undeliveredEvents],
      rules: [...monitored(this.rules, 'default'), ...monitored(this.hubRules, 'hub')],
      alertTopic: this.alertTopic.topic,
      emails: config.opsEmails,
      slackChannel: this.alertTopic.slackChannel,
      securityHub: config.securityHub,
    });

    if (this.detector.securityHubProductArn !== undefined) {
      // Findings Security Hub did not take when their alerts went out are imported again on a
      // schedule, so the findings converge on the alerts after an outage or throttling.
      new events.Rule(this, 'FindingRetrySchedule', {
        description:
          'Imports again the Security Hub findings of sgwatch alerts that did not import',
        schedule: events.Schedule.rate(Duration.minutes(FINDING_RETRY_MINUTES)),
        targets: [
          new targets.LambdaFunction(this.detector.function, {
            event: events.RuleTargetInput.fromObject(FINDING_RETRY_RUN),
            retryAttempts: 2,
            maxEventAge: Duration.minutes(FINDING_RETRY_MINUTES),
            deadLetterQueue: undeliveredEvents.queue,
          }),
        ],
      });
    }

    this.hunt = this.addHunt(config);
    const productArn = this.detector.securityHubProductArn;
    if (productArn !== undefined) {
      // `sgwatch alerts ack|resolve|reopen --table` reads this to update the finding too.
      Tags.of(this.alertTable.table).add(SECURITY_HUB_TABLE_TAG, productArn);
      new CfnOutput(this, OPTIONAL_STACK_OUTPUTS.securityHubProductArn, {
        description: 'Security Hub product sgwatch imports findings under (for `sgwatch doctor`)',
        value: productArn,
      });
    }

    new CfnOutput(this, STACK_OUTPUTS.alertTable, {
      description: 'DynamoDB table holding alert records (for `sgwatch alerts`)',
      value: this.alertTable.table.tableName,
    });
    new CfnOutput(this, STACK_OUTPUTS.alertTopic, {
      description: 'SNS topic every alert is published to; subscribe consumers here',
      value: this.alertTopic.topic.topicArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.operationsTopic, {
      description: 'SNS topic for sgwatch pipeline alarms',
      value: this.monitoring.topic.topicArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.detectorFunction, {
      description: 'The detector Lambda (`sgwatch redrive` invokes it with parked events)',
      value: this.detector.function.functionName,
    });
    new CfnOutput(this, STACK_OUTPUTS.hubEventBus, {
      description: `Event bus spokes forward to (always named ${HUB_BUS_NAME})`,
      value: this.hubBus.bus.eventBusName,
    });
    new CfnOutput(this, STACK_OUTPUTS.hubEventBusArn, {
      description: 'ARN of the event bus spokes forward to',
      value: this.hubBus.bus.eventBusArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.detectorFailureQueue, {
      description: `Dead-letter queue: ${detectorFailures.purpose}`,
      value: detectorFailures.queue.queueUrl,
    });
    new CfnOutput(this, STACK_OUTPUTS.ruleTargetQueue, {
      description: `Dead-letter queue: ${undeliveredEvents.purpose}`,
      value: undeliveredEvents.queue.queueUrl,
    });
  }

  private addHunt(config: SgwatchConfig): TrailHunt | undefined {
    if (config.hunt === undefined) return undefined;
    const hunt = new TrailHunt(this, 'Hunt', {
      trailBucketName: config.hunt.bucket,
      ...(config.hunt.prefix !== undefined ? { trailPrefix: config.hunt.prefix } : {}),
      ...(config.hunt.kmsKeyArn !== undefined ? { trailKmsKeyArn: config.hunt.kmsKeyArn } : {}),
      ...(config.organizationId !== undefined ? { organizationId: config.organizationId } : {}),
      accounts: config.hunt.accounts,
      extraRegions: config.regions,
      maxScanBytes: config.hunt.maxScanGb * 1_000_000_000,
    });
    new CfnOutput(this, STACK_OUTPUTS.huntDatabase, {
      description: 'Glue database of the trail table (`sgwatch hunt --database`)',
      value: hunt.databaseName,
    });
    new CfnOutput(this, STACK_OUTPUTS.huntTable, {
      description: 'Glue table over the trail bucket (`sgwatch hunt --table`)',
      value: hunt.tableName,
    });
    new CfnOutput(this, STACK_OUTPUTS.huntWorkGroup, {
      description: 'Athena workgroup hunts run in (`sgwatch hunt --workgroup`)',
      value: hunt.workGroupName,
    });
    new CfnOutput(this, STACK_OUTPUTS.huntOperatorPolicy, {
      description: 'Managed policy to attach to whoever runs `sgwatch hunt`',
      value: hunt.operatorPolicy.managedPolicyArn,
    });
    return hunt;
  }

  /**
   * An expired exception suppresses nothing, so the events it covered alert again. Say so at
   * synth, where the owner can renew or delete the entry before the noise arrives.
   */
  private warnAboutExpiredExceptions(policy: Policy): void {
    const expired = expiredExceptions(policy, new Date());
    if (expired.length === 0) return;
    const entries = expired
      .map(
        (exception) => `${exception.id} (owner ${exception.owner}, expired ${exception.expires})`,
      )
      .join('; ');
    Annotations.of(this).addWarningV2(
      'sgwatch:expired-exceptions',
      `${expired.length} exception(s) in the sgwatch configuration have expired and no longer ` +
        `suppress anything; renew or remove them: ${entries}`,
    );
  }
}
