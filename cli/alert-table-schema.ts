import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ALERT_TABLE } from '../lambda/core/alert-table';

/** CreateTable input for the alert table, from the same schema the CDK construct deploys. */
export function createAlertTableInput(tableName: string): CreateTableCommandInput {
  const indexes = Object.values(ALERT_TABLE.indexes);
  const attributes = new Set<string>([ALERT_TABLE.partitionKey]);
  for (const index of indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: ALERT_TABLE.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [...attributes].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
