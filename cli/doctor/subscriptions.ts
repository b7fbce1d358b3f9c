import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import type { SNSClient } from '@aws-sdk/client-sns';
import { errorNameOf, isAccountWideError } from '../aws';
import type { DoctorTarget, Finding } from './findings';
import { clean, ok, problem, unreadable } from './findings';

/** A topic whose subscriptions doctor checks, and what an empty one means. */
export interface TopicCheck {
  readonly check: string;
  /** From the stack's outputs; undefined when the stack predates the output. */
  readonly topicArn: string | undefined;
  /** How findings name it, e.g. `alert topic`. */
  readonly topic: string;
  /** What nobody subscribed means, for the finding. */
  readonly consequence: string;
  /** How bad nobody subscribed is. */
  readonly severity: 'warn' | 'fail';
}

/** Someone has confirmed a subscription to the topic `spec` describes. */
export async function checkSubscriptions(
  client: SNSClient,
  spec: TopicCheck,
  target: DoctorTarget,
): Promise<Finding> {
  const { check, topicArn, topic, consequence, severity } = spec;
  const { region, stackName } = target;
  if (topicArn === undefined) {
    return problem(check, 'warn', `the stack has no output naming the ${topic}`, [
      `redeploy with this sgwatch version: npx cdk deploy ${clean(stackName)}`,
    ]);
  }
  const arn = clean(topicArn);
  const confirmed: string[] = [];
  const pending: string[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSubscriptionsByTopicCommand({
          TopicArn: topicArn,
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        }),
      );
      for (const subscription of page.Subscriptions ?? []) {
        const endpoint = `${clean(subscription.Protocol, 20)} ${clean(subscription.Endpoint, 200)}`;
        // Until confirmed, SNS shows the literal PendingConfirmation instead of an ARN.
        if ((subscription.SubscriptionArn ?? '').startsWith('arn:')) confirmed.push(endpoint);
        else if (subscription.SubscriptionArn === 'PendingConfirmation') pending.push(endpoint);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    if (errorNameOf(error) === 'NotFound' || errorNameOf(error) === 'NotFoundException') {
      return problem(check, 'fail', `the ${topic} ${arn} does not exist`, [
        `redeploy the stack: npx cdk deploy ${clean(stackName)}`,
      ]);
    }
    return unreadable(
      check,
      `the subscriptions of the ${topic}`,
      error,
      'sns:ListSubscriptionsByTopic',
    );
  }
  const subscribe = `aws sns subscribe --topic-arn ${arn} --protocol email --notification-endpoint you@example.com --region ${region}`;
  if (confirmed.length === 0 && pending.length === 0) {
    return problem(check, severity, `nobody is subscribed to the ${topic}: ${consequence}`, [
      `subscribe, then confirm from the email AWS sends: ${subscribe}`,
      `or redeploy with the addresses: npx cdk deploy ${clean(stackName)} -c alertEmails=you@example.com`,
    ]);
  }
  const resend = 'to have it sent again, run the same subscribe command: aws sns subscribe';
  if (confirmed.length === 0) {
    return problem(
      check,
      severity,
      `the ${topic} has no confirmed subscription, only ${pending.length} awaiting confirmation (${pending.join(', ')}): ${consequence}`,
      [
        `confirm it: open the "AWS Notification - Subscription Confirmation" email sent to ${pending.join(', ')} and choose Confirm subscription (check spam); ${resend} --topic-arn ${arn} --protocol PROTOCOL --notification-endpoint ENDPOINT --region ${region}`,
      ],
    );
  }
  if (pending.length > 0) {
    return problem(
      check,
      'warn',
      `the ${topic} has ${confirmed.length} confirmed subscription(s), and ${pending.length} still awaiting confirmation (${pending.join(', ')})`,
      [
        `confirm from the "AWS Notification - Subscription Confirmation" email sent to ${pending.join(', ')} (check spam); ${resend} --topic-arn ${arn} --protocol PROTOCOL --notification-endpoint ENDPOINT --region ${region}`,
      ],
    );
  }
  return ok(
    check,
    `the ${topic} has ${confirmed.length} confirmed subscription(s): ${confirmed.join(', ')}`,
  );
}
