import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ALERT_TABLE } from '../../lambda/core/alert-table';

/**
 * The logical id of the table, fixed on purpose: it holds every alert ever raised, and a
 * refactor that moved the construct must not make CloudFormation create a new, empty table.
 */
export const ALERT_TABLE_LOGICAL_ID = 'AlertTable';

/**
 * The DynamoDB table alerts are recorded in. Its keys and indexes come from `ALERT_TABLE`,
 * the same schema the Lambda writes and the local embedded store recreates.
 */
export class AlertTable extends Construct {
  readonly table: dynamodb.Table;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    // Alerts carry whole CloudTrail records (principals, IPs, request parameters), so they
    // are encrypted under a key this account controls and can audit.
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts sgwatch alert records in DynamoDB',
      enableKeyRotation: true,
      // Deleting the key would make the retained table unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: ALERT_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      // Alerts are rare and bursty: on-demand costs nothing while idle and absorbs a burst.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ALERT_TABLE.timeToLiveAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(ALERT_TABLE_LOGICAL_ID);

    for (const index of Object.values(ALERT_TABLE.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        // Every alert query shows whole alerts; projecting all avoids a second read per row.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
