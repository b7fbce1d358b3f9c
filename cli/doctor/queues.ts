import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { errorNameOf, isAccountWideError, queueNameOf } from '../aws';
import type { DoctorTarget, Finding } from './findings';
import { clean, ok, problem, unreadable } from './findings';

/** A dead-letter queue doctor checks, and what a message in it means. */
export interface QueueCheck {
  readonly check: string;
  /** From the stack's outputs; undefined when the stack predates the output. */
  readonly queueUrl: string | undefined;
  /** How findings name it, e.g. `detector failure queue`. */
  readonly queue: string;
  /** Why its messages are there, for the finding. */
  readonly why: string;
}

/** Messages waiting in a queue, and those received but not yet deleted. */
export async function queueDepth(
  client: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** No events wait in the dead-letter queue `spec` describes. */
export async function checkQueue(
  client: SQSClient,
  spec: QueueCheck,
  target: DoctorTarget,
): Promise<Finding> {
  const { check, queueUrl, queue, why } = spec;
  const { region, stackName } = target;
  if (queueUrl === undefined) {
    return problem(check, 'warn', `the stack has no output naming the ${queue}`, [
      `redeploy with this sgwatch version: npx cdk deploy ${clean(stackName)}`,
    ]);
  }
  const name = clean(queueNameOf(queueUrl));
  let visible: number;
  let inFlight: number;
  try {
    ({ visible, inFlight } = await queueDepth(client, queueUrl));
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    if (errorNameOf(error) === 'QueueDoesNotExist') {
      return problem(
        check,
        'fail',
        `the ${queue} ${name} does not exist: failed events are dropped`,
        [`redeploy the stack: npx cdk deploy ${clean(stackName)}`],
      );
    }
    return unreadable(check, `the ${queue} ${name}`, error, 'sqs:GetQueueAttributes');
  }
  const stackFlags = `--stack ${clean(stackName)} --region ${region}`;
  if (visible > 0) {
    return problem(
      check,
      'warn',
      `${visible} event(s) waiting in the ${queue} ${name}: ${why}; they raise no alert until redriven`,
      [
        `see each event and why it failed: sgwatch redrive --dry-run ${stackFlags}`,
        `after fixing the cause, send them through the detector again (within 14 days of their arrival, when SQS drops them): sgwatch redrive ${stackFlags}`,
      ],
    );
  }
  return ok(
    check,
    `the ${queue} ${name} is empty` +
      (inFlight > 0 ? ` (${inFlight} in flight: a redrive may be running)` : ''),
  );
}
