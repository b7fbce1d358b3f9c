import type { Detection } from './core/catalog';
import type { Policy } from './core/policy';
import type {
  AlertPublisher,
  AlertStore,
  AttachmentLookup,
  Clock,
  FindingRetries,
  FindingSink,
  Logger,
  OrganizationLookup,
} from './core/ports';
import { systemClock } from './core/ports';
import type { ProcessDeps } from './core/process';
import { DELIVERY_DEFAULTS } from './env';

export interface DeliveryWiring {
  /**
   * Where alerts are recorded: the alert table (`DynamoDbAlertStore`), or one of replay's
   * local stores (the embedded store on disk, the throwaway memory store), which answer as
   * the table does.
   */
  readonly store: AlertStore;
  readonly publisher: AlertPublisher;
  readonly logger: Logger;
  readonly policy: Policy;
  /** @default - the whole catalog */
  readonly catalog?: readonly Detection[];
  /** @default - the system clock */
  readonly clock?: Clock;
  /** @default DELIVERY_DEFAULTS.retentionDays */
  readonly retentionDays?: number;
  /** @default DELIVERY_DEFAULTS.claimSeconds */
  readonly claimSeconds?: number;
  /** @default - no lookup */
  readonly attachmentLookup?: AttachmentLookup;
  /** @default - no lookup; only the account directory names known accounts */
  readonly organization?: OrganizationLookup;
  /** Security Hub, beside SNS. @default - no findings */
  readonly findings?: FindingSink;
  /** Where findings that could not be imported wait for a retry. @default - nowhere */
  readonly findingRetries?: FindingRetries;
}

/**
 * Wires the delivery path from its parts: the one composition the detector and replay
 * both use, so the two cannot drift apart in store, claim or retention.
 */
export function composeDelivery(wiring: DeliveryWiring): ProcessDeps {
  return {
    store: wiring.store,
    publisher: wiring.publisher,
    clock: wiring.clock ?? systemClock,
    logger: wiring.logger,
    policy: wiring.policy,
    retentionDays: wiring.retentionDays ?? DELIVERY_DEFAULTS.retentionDays,
    claimSeconds: wiring.claimSeconds ?? DELIVERY_DEFAULTS.claimSeconds,
    ...(wiring.catalog !== undefined ? { catalog: wiring.catalog } : {}),
    ...(wiring.attachmentLookup !== undefined ? { attachmentLookup: wiring.attachmentLookup } : {}),
    ...(wiring.organization !== undefined ? { organization: wiring.organization } : {}),
    ...(wiring.findings !== undefined ? { findings: wiring.findings } : {}),
    ...(wiring.findingRetries !== undefined ? { findingRetries: wiring.findingRetries } : {}),
  };
}
