import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** How long a dead-letter queue keeps a message: the SQS maximum. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

export interface DeadLetterQueueProps {
  /** What lands in the queue, for the console and for whoever is paged by its alarm. */
  readonly purpose: string;
}

/**
 * A queue that keeps events sgwatch could not process, so nothing is lost silently. Messages
 * stay for the SQS maximum of 14 days, time enough to notice the alarm and redrive them.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly purpose: string;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.purpose = props.purpose;

    this.queue = new sqs.Queue(this, 'Queue', {
      retentionPeriod: Duration.days(DEAD_LETTER_RETENTION_DAYS),
      // SQS-managed keys rather than KMS: EventBridge and Lambda can write to the queue
      // without key-policy grants, and the content is also in CloudTrail.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The events are copies: the CloudTrail records they came from remain in the trail
      // and can be fed through `sgwatch replay`, so the queue need not outlive the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (the end of the retry chain): a message ' +
        'that lands here has exhausted its retries and waits for an operator, who is ' +
        'alerted by the ApproximateNumberOfMessagesVisible alarm. A further DLQ behind it ' +
        'would only move the same message one hop away from that alarm.',
    });
  }
}
