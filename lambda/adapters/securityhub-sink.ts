// Types only: the Security Hub client is loaded on first use (see `lazySecurityHub`), so a
// deployment without Security Hub neither bundles nor loads it.
import type {
  BatchImportFindingsCommandInput,
  BatchImportFindingsCommandOutput,
  SecurityHubClientConfig,
} from '@aws-sdk/client-securityhub';
import type * as SecurityHubSdk from '@aws-sdk/client-securityhub';
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

/** The one Security Hub call the detector makes. */
export interface SecurityHubImportApi {
  batchImportFindings(
    input: BatchImportFindingsCommandInput,
  ): Promise<BatchImportFindingsCommandOutput>;
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
  };
}

/** Imports each alert as one ASFF finding under the account's default product. */
export class SecurityHubFindingSink implements FindingSink {
  constructor(
    private readonly api: SecurityHubImportApi,
    private readonly product: FindingProduct,
  ) {}

  async record(alert: Alert, detection: Detection): Promise<void> {
    const finding = toFinding(alert, detection, this.product);
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
  }
}
