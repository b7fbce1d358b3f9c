/**
 * Triage both ways: when the deployed alert table says its deployment imports findings into
 * Security Hub (the SECURITY_HUB_TABLE_TAG tag), a status change made with `sgwatch alerts`
 * also sets the finding's workflow (BatchUpdateFindings): acknowledged is NOTIFIED, resolved
 * is RESOLVED, open is NEW.
 */
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
} from '@aws-sdk/client-dynamodb';
import { BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Alert } from '../lambda/core/alert';
import { findingIdFor, isImportable, parseProductArn, workflowFor } from '../lambda/core/asff';
import { cleanText } from '../lambda/core/text';
import { SECURITY_HUB_TABLE_TAG } from '../lib/deployment-names';
import { AwsCommandError, explainAwsError } from './aws';

/** The status changed in the table, but the Security Hub finding did not follow. */
export class FindingSyncError extends AwsCommandError {}

export interface FindingSyncRequest {
  readonly table: string;
  readonly region?: string;
  /** The alert as stored after the change. */
  readonly alert: Pick<Alert, 'alertId' | 'burst' | 'delivery' | 'status'>;
  readonly user: string;
  readonly note?: string;
}

/** The deployment's product ARN from the table's tag, or undefined when it has none. */
async function productArnOf(
  table: string,
  region: string | undefined,
): Promise<string | undefined> {
  const client = new DynamoDBClient(region !== undefined ? { region } : {});
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const arn = Table?.TableArn;
    if (arn === undefined) return undefined;
    const { Tags = [] } = await client.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    return Tags.find((tag) => tag.Key === SECURITY_HUB_TABLE_TAG)?.Value;
  } catch (error) {
    throw new FindingSyncError(
      `the alert's status changed, but whether its deployment uses Security Hub could not be read (dynamodb:DescribeTable, dynamodb:ListTagsOfResource): ${explainAwsError(error)}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/**
 * Sets the workflow of the alert's finding to match its status, when the deployment imports
 * findings. Returns the line to show (empty when there is nothing to do); throws
 * FindingSyncError, whose message says how to finish by hand, when Security Hub refuses.
 */
export async function syncFindingWorkflow(request: FindingSyncRequest): Promise<string> {
  const tagged = await productArnOf(request.table, request.region);
  // Capped and pending alerts were never imported: there is no finding to follow.
  if (tagged === undefined || !isImportable(request.alert)) return '';
  const { productArn, region } = parseProductArn(tagged);
  const id = findingIdFor(request.alert);
  const status = workflowFor(request.alert.status);
  const by = cleanText(request.user, 512) || 'sgwatch';
  const note = request.note !== undefined ? cleanText(request.note, 400) : '';
  const byHand =
    `aws securityhub batch-update-findings --region ${region} --finding-identifiers ` +
    `Id=${id},ProductArn=${productArn} --workflow Status=${status}`;
  const client = new SecurityHubClient({ region });
  try {
    const { UnprocessedFindings = [] } = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [{ Id: id, ProductArn: productArn }],
        Workflow: { Status: status },
        Note: {
          Text: cleanText(
            `sgwatch: ${request.alert.status} by ${by}${note !== '' ? `: ${note}` : ''}`,
            512,
          ),
          UpdatedBy: by,
        },
      }),
    );
    const refused = UnprocessedFindings[0];
    if (refused !== undefined) {
      throw new FindingSyncError(
        `the alert is ${request.alert.status}, but Security Hub did not update finding ${id} ` +
          `(${cleanText(refused.ErrorCode, 100)}: ${cleanText(refused.ErrorMessage, 300)}); set it by hand: ${byHand}`,
      );
    }
  } catch (error) {
    if (error instanceof FindingSyncError) throw error;
    throw new FindingSyncError(
      `the alert is ${request.alert.status}, but its Security Hub finding was not updated ` +
        `(${explainAwsError(error)}); grant securityhub:BatchUpdateFindings, or set it by hand: ${byHand}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  return `Security Hub finding ${id} is now ${status}.\n`;
}
