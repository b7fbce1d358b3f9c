import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { HUB_BUS_NAME } from '../deployment-names';

/** The hub bus ARN that a spoke in `partition` forwards to. */
export function hubBusArn(partition: string, region: string, account: string): string {
  return `arn:${partition}:events:${region}:${account}:event-bus/${HUB_BUS_NAME}`;
}

export interface HubEventBusProps {
  /**
   * Accounts of this AWS organization may forward events.
   * @default - only the listed spoke accounts (and this account)
   */
  readonly organizationId?: string;
  /** Accounts, outside or inside the organization, that may forward events. */
  readonly spokeAccounts: readonly string[];
}

/**
 * The custom bus spokes forward matching CloudTrail events to. Its resource policy lets in
 * `events:PutEvents` and nothing else, from three kinds of caller:
 *
 * - this account, whose spokes in other Regions forward here: EventBridge checks the bus
 *   policy even for the same account when the rule target is in another Region;
 * - any principal of the organization (`aws:PrincipalOrgID`), for StackSet spokes;
 * - each listed spoke account, for accounts outside the organization.
 *
 * A spoke cannot fake AWS events: PutEvents refuses any `source` starting with `aws.`,
 * and only those sources match the hub's rules, so what reaches the detector was either
 * forwarded by a rule from a real CloudTrail event or is ignored.
 */
export class HubEventBus extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: HubEventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: HUB_BUS_NAME,
      description:
        'sgwatch hub: CloudTrail events forwarded by spokes in other Regions and accounts',
    });
    const account = Stack.of(this).account;
    const statements = [this.allow('AllowHubAccountRegions', [new iam.AccountPrincipal(account)])];
    if (props.organizationId !== undefined) {
      statements.push(
        this.allow('AllowOrganizationSpokes', [new iam.AnyPrincipal()], {
          StringEquals: { 'aws:PrincipalOrgID': props.organizationId },
        }),
      );
    }
    if (props.spokeAccounts.length > 0) {
      statements.push(
        this.allow(
          'AllowListedSpokeAccounts',
          props.spokeAccounts.map((spoke) => new iam.AccountPrincipal(spoke)),
        ),
      );
    }
    // The bus's own Policy property: one document in one resource, rather than a separate
    // policy resource per statement.
    (this.bus.node.defaultChild as events.CfnEventBus).policy = new iam.PolicyDocument({
      statements,
    });
  }

  private allow(
    sid: string,
    principals: iam.IPrincipal[],
    conditions?: Record<string, unknown>,
  ): iam.PolicyStatement {
    const stack = Stack.of(this);
    return new iam.PolicyStatement({
      sid,
      principals,
      actions: ['events:PutEvents'],
      // Built from the fixed name: the bus's own ARN attribute would make the bus depend
      // on itself.
      resources: [hubBusArn(stack.partition, stack.region, stack.account)],
      ...(conditions !== undefined ? { conditions } : {}),
    });
  }
}
