/**
 * An event's whole journey through an organization deployment, over the synthesized
 * templates: a call in a member account and another Region meets the StackSet spoke's
 * rule, is forwarded to the hub bus, meets the hub's rule there, and the unchanged handler
 * records and publishes it (dynalite and the local SNS endpoint) under the account and
 * Region where the call was made.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { alertFromItem } from '../../lambda/adapters/dynamodb-store';
import type { Alert } from '../../lambda/core/alert';
import type { CloudTrailEnvelope } from '../../lambda/core/cloudtrail';
import type { HandlerResult } from '../../lambda/handler';
import { DETECTION_TAG } from '../../lib/constructs/detection-rules';
import { route } from '../support/eventbridge';
import { loadEnvelope } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';
import { removeTemporaryDirs, stackSetSpokeOf, synthesize } from '../support/synth';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HUB = { account: '111122223333', region: 'us-east-1' };
const MEMBER = { account: '222233334444', region: 'eu-west-1' };
const RULE = 'aws.rds.create-db-security-group';

function detectionOf(rule: Json): string | undefined {
  return (rule.Properties.Tags as { Key: string; Value: string }[]).find(
    ({ Key }) => Key === DETECTION_TAG,
  )?.Value;
}

/** The RDS fixture as if called in the member account's eu-west-1. */
function memberEvent(changes: Json = {}): CloudTrailEnvelope {
  const event = loadEnvelope(
    'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
  );
  const detail = event.detail as unknown as Json;
  detail.eventID = 'b7f1e2d0-hub-spoke-0001';
  detail.awsRegion = MEMBER.region;
  detail.recipientAccountId = MEMBER.account;
  detail.userIdentity = {
    ...detail.userIdentity,
    accountId: MEMBER.account,
    arn: `arn:aws:iam::${MEMBER.account}:user/db-admin`,
  };
  Object.assign(detail, changes);
  return { ...event, account: MEMBER.account, region: MEMBER.region };
}

/**
 * What the hub bus receives. EventBridge forwards an event between buses as it is, keeping
 * the `account` and `region` of the bus where it happened; only the wire is between, so the
 * copy is made through JSON.
 */
function forward(event: CloudTrailEnvelope): unknown {
  return JSON.parse(JSON.stringify(event));
}

let aws: LocalAws;
let handler: (event: unknown) => Promise<HandlerResult>;
const sgwatch = synthesize(
  { regions: 'us-east-1,eu-west-1', organizationId: 'o-a1b2c3d4e5' },
  { hubEnv: HUB },
);
const hubTemplate = Template.fromStack(sgwatch.stack).toJSON();
const spokeTemplate = Template.fromStack(stackSetSpokeOf(sgwatch)).toJSON();
const hubBusId = Object.entries<Json>(hubTemplate.Resources).find(
  ([, r]) => r.Type === 'AWS::Events::EventBus',
)?.[0] as string;

beforeAll(async () => {
  aws = await startLocalAws();
  ({ handler } = await import('../../lambda/main'));
});

afterAll(async () => {
  await aws.close();
  removeTemporaryDirs();
});

async function storedAlert(alertId: string): Promise<Alert | undefined> {
  const { Item } = await aws.dynamodb.client.send(
    new GetItemCommand({ TableName: aws.dynamodb.tableName, Key: { alertId: { S: alertId } } }),
  );
  return Item === undefined ? undefined : alertFromItem(Item);
}

describe('a member account’s call, from spoke to hub to alert', () => {
  it('passes the spoke, is forwarded, passes the hub bus rule, and alerts under its own account and Region', async () => {
    const event = memberEvent();

    const forwarded = route(spokeTemplate, 'default', event);
    expect(forwarded).toHaveLength(1);
    expect(JSON.stringify(forwarded[0]?.targetArn)).toContain(
      `:events:${HUB.region}:${HUB.account}:event-bus/sgwatch-hub`,
    );

    const atHub = route(hubTemplate, { ref: hubBusId }, forward(event));
    expect(atHub.map(({ rule }) => detectionOf(rule))).toEqual([RULE]);
    const delivered = atHub[0]?.input;

    aws.sns.reset();
    const result = await handler(delivered);
    expect(result.alerts).toEqual([expect.objectContaining({ ruleId: RULE, outcome: 'notified' })]);
    const alert = await storedAlert(result.alerts[0]?.alertId ?? 'missing');
    expect(alert).toMatchObject({
      account: MEMBER.account,
      region: MEMBER.region,
      delivery: 'notified',
    });
    expect(aws.sns.published).toHaveLength(1);
    expect(aws.sns.published[0]?.attributes.account?.stringValue).toBe(MEMBER.account);
    expect(aws.sns.published[0]?.attributes.region?.stringValue).toBe(MEMBER.region);
  });

  it('still notifies once when the same call also arrives by a second path', async () => {
    const event = memberEvent({ eventID: 'b7f1e2d0-hub-spoke-0002' });
    aws.sns.reset();
    // Say the hub account also runs the StackSet spoke in its own Region: the call reaches
    // the hub bus twice, as two EventBridge events (new ids) around one CloudTrail record.
    const viaSpoke = await handler(forward({ ...event, id: 'path-a' }));
    const viaSecondPath = await handler(forward({ ...event, id: 'path-b' }));
    expect(viaSpoke.alerts.map((a) => a.outcome)).toEqual(['notified']);
    expect(viaSecondPath.alerts.map((a) => a.outcome)).toEqual(['duplicate']);
    expect(viaSecondPath.alerts[0]?.alertId).toBe(viaSpoke.alerts[0]?.alertId);
    expect(aws.sns.published).toHaveLength(1);
  });

  it('keeps a call no detection watches inside the spoke', () => {
    const event = memberEvent({ eventName: 'DescribeDBSecurityGroups' });
    expect(route(spokeTemplate, 'default', event)).toEqual([]);
  });
});
