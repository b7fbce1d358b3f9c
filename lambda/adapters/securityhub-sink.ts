import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { BatchImportFindingsCommand } from '@aws-sdk/client-securityhub';
import type { Alert } from '../core/alert';
import type { FindingProduct } from '../core/asff';
import { toFinding } from '../core/asff';
import type { Detection } from '../core/catalog';
import type { FindingSink } from '../core/ports';
import { describeSdkError } from './sdk-error';

/**
 * Security Hub did not take a finding: not enabled in the Region (InvalidAccessException),
 * throttled, unreachable, or it refused the finding itself (FailedFindings).
 */
export class FindingImportError extends Error {
  override readonly name = 'FindingImportError';
  constructor(message: string, options?: { cause: unknown }) {
    super(`Security Hub BatchImportFindings failed: ${message}`, options);
  }
}

/** Imports each alert as one ASFF finding under the account's default product. */
export class SecurityHubFindingSink implements FindingSink {
  constructor(
    private readonly client: SecurityHubClient,
    private readonly product: FindingProduct,
  ) {}

  async record(alert: Alert, detection: Detection): Promise<void> {
    const finding = toFinding(alert, detection, this.product);
    let failed: { Id?: string; ErrorCode?: string; ErrorMessage?: string }[] | undefined;
    try {
      ({ FailedFindings: failed } = await this.client.send(
        new BatchImportFindingsCommand({
          Findings: [
            {
              ...finding,
              Types: [...finding.Types],
              Resources: finding.Resources.map((resource) => ({ ...resource })),
              FindingProviderFields: {
                ...finding.FindingProviderFields,
                Types: [...finding.FindingProviderFields.Types],
              },
            },
          ],
        }),
      ));
    } catch (error) {
      throw new FindingImportError(describeSdkError(error), { cause: error });
    }
    const refused = failed?.[0];
    if (refused !== undefined) {
      throw new FindingImportError(
        `finding ${finding.Id} refused: ${refused.ErrorCode ?? 'unknown error'}: ${refused.ErrorMessage ?? ''}`,
      );
    }
  }
}

/** Calls `onFailure` for every failed import, then lets the error go on to be logged. */
export function countingFindingSink(sink: FindingSink, onFailure: () => void): FindingSink {
  return {
    record: async (alert, detection) => {
      try {
        await sink.record(alert, detection);
      } catch (error) {
        onFailure();
        throw error;
      }
    },
  };
}
