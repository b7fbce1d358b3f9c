import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ALERT_TABLE } from '../core/alert-table';
import type { FindingRetries } from '../core/ports';

/**
 * The key of the one item that lists alerts whose finding waits for a retry. It sits in the
 * alert table beside the burst counters (`cap#…`, `burst#…`), outside every index, so no
 * query of alerts ever returns it.
 */
export const FINDING_RETRY_KEY = 'findings#retry';

/**
 * Alerts waiting for their finding, as a string set on one item: adding and removing are
 * single atomic updates, and adding the same alert twice keeps it once.
 */
export class DynamoDbFindingRetries implements FindingRetries {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private get key() {
    return { [ALERT_TABLE.partitionKey]: { S: FINDING_RETRY_KEY } };
  }

  async add(alertId: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key,
        UpdateExpression: 'ADD pending :ids',
        ExpressionAttributeValues: { ':ids': { SS: [alertId] } },
      }),
    );
  }

  async pending(limit: number): Promise<string[]> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }),
    );
    return [...(Item?.pending?.SS ?? [])].sort().slice(0, limit);
  }

  async remove(alertIds: readonly string[]): Promise<void> {
    if (alertIds.length === 0) return;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key,
        UpdateExpression: 'DELETE pending :ids',
        ExpressionAttributeValues: { ':ids': { SS: [...new Set(alertIds)] } },
      }),
    );
  }
}
