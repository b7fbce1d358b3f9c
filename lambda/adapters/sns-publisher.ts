import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { AlertPublisher } from '../core/ports';
import type { RenderedMessage } from '../core/render';

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: RenderedMessage): Promise<{ messageId: string }> {
    const result = await this.client.send(
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
    );
    if (result.MessageId === undefined) {
      throw new Error('SNS accepted the message but returned no MessageId');
    }
    return { messageId: result.MessageId };
  }
}
