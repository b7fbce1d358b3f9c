import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { AlertPublisher } from '../core/ports';
import type { RenderedMessage } from '../core/render';
import { describeSdkError } from './sdk-error';

/**
 * SNS refused or never answered a publish after the SDK's retries. The message names the
 * cause (throttled, timed out, unreachable...), which is what the failure queue keeps.
 */
export class SnsPublishError extends Error {
  override readonly name = 'SnsPublishError';
  constructor(options: { cause: unknown }) {
    super(`SNS Publish failed: ${describeSdkError(options.cause)}`, options);
  }
}

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: RenderedMessage): Promise<{ messageId: string }> {
    let messageId: string | undefined;
    try {
      ({ MessageId: messageId } = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: message.subject,
          Message: message.message,
          MessageStructure: 'json',
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
      ));
    } catch (error) {
      throw new SnsPublishError({ cause: error });
    }
    if (messageId === undefined) {
      throw new SnsPublishError({
        cause: new Error('SNS accepted the message but returned no MessageId'),
      });
    }
    return { messageId };
  }
}
