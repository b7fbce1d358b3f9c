/**
 * `sgwatch doctor` check `security-hub`: when the deployment imports findings (its stack
 * outputs the product ARN), is Security Hub enabled in the Region, and is it receiving
 * sgwatch findings? Alerts reach SNS either way, so nothing here is a failure; a hub that is
 * off, or silent, is a warning with the fix.
 */
import type { AwsSecurityFinding, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { DescribeHubCommand, GetFindingsCommand } from '@aws-sdk/client-securityhub';
import { cleanText } from '../../lambda/core/text';
import { errorNameOf, isAccountWideError } from '../aws';
import type { Finding } from './findings';
import { unreadable as unreadableFinding } from './findings';

export const SECURITY_HUB_CHECK = 'security-hub';

function result(status: Finding['status'], finding: string, fix: readonly string[] = []): Finding {
  return { check: SECURITY_HUB_CHECK, status, finding, fix };
}

function unreadable(what: string, error: unknown, permission: string): Finding {
  if (isAccountWideError(error)) throw error;
  return unreadableFinding(SECURITY_HUB_CHECK, what, error, permission);
}

/**
 * Reads the hub, then the newest finding under the deployment's product. `productArn` is the
 * stack's SecurityHubProductArn output, undefined when the deployment does not import findings
 * (then there is no check to report).
 */
export async function checkSecurityHub(
  client: SecurityHubClient,
  productArn: string | undefined,
  region: string,
  stackName: string,
): Promise<Finding | undefined> {
  // Not part of this deployment: nothing to report, as for a spoke Region without a stack.
  if (productArn === undefined) return undefined;
  try {
    await client.send(new DescribeHubCommand({}));
  } catch (error) {
    if (errorNameOf(error) === 'InvalidAccessException') {
      return result(
        'warn',
        `the stack imports findings, but Security Hub is not enabled in ${region}: every import fails (alerts still reach SNS)`,
        [
          `enable it: aws securityhub enable-security-hub --region ${region} (or from your organization's Security Hub administrator account)`,
          `or stop importing: npx cdk deploy ${cleanText(stackName, 128)} -c securityHub=false`,
        ],
      );
    }
    return unreadable('whether Security Hub is enabled', error, 'securityhub:DescribeHub');
  }
  let newest: AwsSecurityFinding | undefined;
  try {
    const { Findings = [] } = await client.send(
      new GetFindingsCommand({
        Filters: { ProductArn: [{ Value: productArn, Comparison: 'EQUALS' }] },
        SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'desc' }],
        MaxResults: 1,
      }),
    );
    newest = Findings[0];
  } catch (error) {
    return unreadable('sgwatch findings in Security Hub', error, 'securityhub:GetFindings');
  }
  if (newest === undefined) {
    return result(
      'warn',
      `Security Hub is enabled in ${region} but holds no sgwatch finding: no alert since findings were turned on, or every import failed`,
      [
        'check the SecurityHubImportFailures alarm, and the detector log for "finding not recorded"',
        'an alert (for example a test CreateDBSecurityGroup call) should appear as a finding within a minute',
      ],
    );
  }
  return result(
    'ok',
    `Security Hub is enabled in ${region} and receiving sgwatch findings (newest updated ${cleanText(newest.UpdatedAt, 40)}: ${cleanText(newest.Title, 120)})`,
  );
}
