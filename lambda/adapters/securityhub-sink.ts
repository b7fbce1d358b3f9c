// Types only: the Security Hub client is loaded on first use (see `lazySecurityHub`), so a
// deployment without Security Hub neither bundles nor loads it.
import type {
  BatchImportFindingsCommandInput,
  BatchImportFindingsCommandOutput,
  BatchUpdateFindingsCommandInput,
  BatchUpdateFindingsCommandOutput,
  SecurityHubClientConfig,
} from '@aws-sdk/client-securityhub';
import type * as SecurityHubSdk from '@aws-sdk/client-securityhub';
import type { Alert } from '../core/alert';
import type { FindingProduct } from '../core/asff';
import { isNewActivity, reopenNote, toFinding } from '../core/asff';
import type { Detection } from '../core/catalog';
import type { Clock, FindingSink } from '../core/ports';
import { systemClock } from '../core/ports';
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

/** The Security Hub calls the detector makes. */
export interface SecurityHubImportApi {
  batchImportFindings(
    input: BatchImportFindingsCommandInput,
  ): Promise<BatchImportFindingsCommandOutput>;
  batchUpdateFindings(
    input: BatchUpdateFindingsCommandInput,
  ): Promise<BatchUpdateFindingsCommandOutput>;
}

/**
 * A Security Hub client created, and its SDK module imported, on the first import. The
 * module is external to the detector bundle (lib/bundling.ts): it is about 200 KB, which
 * every cold start would otherwise load whether or not Security Hub is on.
 */
export function lazySecurityHub(config: SecurityHubClientConfig = {}): SecurityHubImportApi {
  type Sdk = typeof SecurityHubSdk;
  let sdk: Promise<{ module: Sdk; client: InstanceType<Sdk['SecurityHubClient']> }> | undefined;
  const load = () =>
    (sdk ??= import('@aws-sdk/client-securityhub').then((module) => ({
      module,
      client: new module.SecurityHubClient(config),
    })));
  return {
    batchImportFindings: async (input) => {
      const { module, client } = await load();
      return client.send(new module.BatchImportFindingsCommand(input));
    },
    batchUpdateFindings: async (input) => {
      const { module, client } = await load();
      return client.send(new module.BatchUpdateFindingsCommand(input));
    },
  };
}

/**
 * Imports each alert as one ASFF finding under the account's default product.
 *
 * An import never changes an existing finding's workflow, so a later alert of a burst group
 * whose finding an analyst resolved or suppressed would stay out of every default view. Each
 * later alert of a group therefore also moves the group's finding back to `NEW`, with a note
 * naming the new activity (BatchUpdateFindings). Each import's `UpdatedAt` is later than the
 * last one this sink made, so Security Hub never drops it as stale.
 */
export class SecurityHubFindingSink implements FindingSink {
  private lastUpdatedMs = 0;

  constructor(
    private readonly api: SecurityHubImportApi,
    private readonly product: FindingProduct,
    private readonly clock: Clock = systemClock,
  ) {}

  private importTime(): Date {
    this.lastUpdatedMs = Math.max(this.clock.now().getTime(), this.lastUpdatedMs + 1);
    return new Date(this.lastUpdatedMs);
  }

  async record(alert: Alert, detection: Detection): Promise<void> {
    const finding = toFinding(alert, detection, this.product, this.importTime());
    let failed: { Id?: string; ErrorCode?: string; ErrorMessage?: string }[] | undefined;
    try {
      ({ FailedFindings: failed } = await this.api.batchImportFindings({
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
      }));
    } catch (error) {
      throw new FindingImportError(describeSdkError(error), { cause: error });
    }
    const refused = failed?.[0];
    if (refused !== undefined) {
      throw new FindingImportError(
        `finding ${finding.Id} refused: ${refused.ErrorCode ?? 'unknown error'}: ${refused.ErrorMessage ?? ''}`,
      );
    }
    if (isNewActivity(alert)) await this.reopen(finding.Id, alert);
  }

  private async reopen(id: string, alert: Alert): Promise<void> {
    let unprocessed: { ErrorCode?: string; ErrorMessage?: string }[] | undefined;
    try {
      ({ UnprocessedFindings: unprocessed } = await this.api.batchUpdateFindings({
        FindingIdentifiers: [{ Id: id, ProductArn: this.product.productArn }],
        Workflow: { Status: 'NEW' },
        Note: { Text: reopenNote(alert), UpdatedBy: 'sgwatch' },
      }));
    } catch (error) {
      throw new FindingImportError(`reopening ${id}: ${describeSdkError(error)}`, {
        cause: error,
      });
    }
    const refused = unprocessed?.[0];
    if (refused !== undefined) {
      throw new FindingImportError(
        `reopening ${id} refused: ${refused.ErrorCode ?? 'unknown error'}: ${refused.ErrorMessage ?? ''}`,
      );
    }
  }
}
