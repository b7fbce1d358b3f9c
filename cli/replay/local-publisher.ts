import type { AlertPublisher } from '../../lambda/core/ports';
import type { RenderedMessage } from '../../lambda/core/render';

/**
 * Stands in for SNS during a replay that should not notify anyone: the message is still
 * rendered (so rendering problems show up in a backtest) and gets a local id that says
 * where it went.
 */
export class LocalPublisher implements AlertPublisher {
  private count = 0;
  readonly messages: RenderedMessage[] = [];

  constructor(private readonly keep = false) {}

  publish(message: RenderedMessage): Promise<{ messageId: string }> {
    this.count += 1;
    if (this.keep) this.messages.push(message);
    return Promise.resolve({ messageId: `replay-local-${this.count}` });
  }
}
