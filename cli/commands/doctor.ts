import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { GetEventSelectorsCommandOutput, Trail } from '@aws-sdk/client-cloudtrail';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import type { Rule } from '@aws-sdk/client-eventbridge';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CATALOG } from '../../lambda/core/catalog';
import { cleanText } from '../../lambda/core/text';
import type { DeployedStack } from '../aws';
import {
  AwsCommandError,
  checkRegionName,
  DEFAULT_STACK_NAME,
  describeStack,
  errorNameOf,
  explainAwsError,
  isAccountWideError,
  queueNameOf,
  resolveRegion,
  STACK_OUTPUTS,
  StackNotFoundError,
} from '../aws';
import {
  HUNT_STACK_OUTPUTS,
  OPTIONAL_STACK_OUTPUTS,
  SPOKE_OUTPUTS,
  SPOKE_STACK_PREFIX,
  STACK_NAME,
} from '../../lib/deployment-names';
import { checkSecurityHub } from '../doctor/securityhub';
import type { CliIo } from '../io';
import { parseOptions, UsageError } from '../args';

export const DOCTOR_HELP = `Usage: sgwatch doctor [options]

Checks a deployed sgwatch in one account and Region for what silently stops
detection, and prints each finding with the fix:

  stack                  the stack exists and is not failed or rolled back
  cloudtrail             a trail with logging on records write management events
                         here (EventBridge only receives "AWS API Call via
                         CloudTrail" events from such a trail)
  rules                  the stack's EventBridge rules (description "sgwatch ...")
                         exist and are enabled
  alert-subscriptions    someone has confirmed a subscription to the alert topic
  operations-subscriptions
                         the same for the pipeline-alarm topic
  detector-failure-queue, rule-target-queue
                         no events are waiting in the dead-letter queues
  spoke:<region>         with --regions: each Region has enabled sgwatch rules
  spoke-queue:<region>   with --regions: this account's spoke there holds no events
                         it failed to forward to the hub
  security-hub           when the stack imports findings: Security Hub is enabled
                         here and receiving sgwatch findings

Options:
  --stack NAME          the sgwatch stack (default: ${DEFAULT_STACK_NAME})
  --region R            its Region (default: AWS_REGION, AWS_DEFAULT_REGION, or
                        your profile's region)
  --regions A,B,...     also check that each of these Regions has a spoke (or the
                        hub): enabled sgwatch rules on its default event bus
  --format text|json    text (default), or one JSON document on stdout
  -h, --help            this help

Read-only. Permissions: cloudformation:DescribeStacks, cloudtrail:DescribeTrails,
cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors, events:ListRules,
sns:ListSubscriptionsByTopic, sqs:GetQueueAttributes; with Security Hub findings
on, securityhub:DescribeHub and securityhub:GetFindings.

Examples:
  sgwatch doctor --region eu-west-1
  sgwatch doctor --region eu-west-1 --regions eu-west-1,eu-central-1,us-east-1
  sgwatch doctor --format json

Exit status: 0 when nothing failed (warnings allowed); 1 when a check failed or
AWS could not be read; 2 on a usage error.
`;

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One check's result: a one-line finding and, unless ok, the concrete steps to fix it. */
export interface Finding {
  readonly check: string;
  readonly status: CheckStatus;
  readonly finding: string;
  readonly fix: readonly string[];
}

export interface DoctorReport {
  readonly stack: string;
  readonly region: string;
  readonly account: string | null;
  readonly status: CheckStatus;
  readonly findings: readonly Finding[];
}

const OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  regions: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The prefix every sgwatch rule description starts with, hub and spokes alike. */
const RULE_DESCRIPTION_PREFIX = 'sgwatch ';
/** Rule states in which EventBridge matches events (the second also matches read-only calls). */
const ENABLED_STATES = new Set(['ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
/** The services whose calls the catalog watches, from the catalog itself. */
const WATCHED_SOURCES = [
  ...new Set(CATALOG.flatMap((detection) => detection.calls.map((call) => call.eventSource))),
].sort();

function clean(value: string | undefined, max = 300): string {
  const cleaned = cleanText(value, max);
  return cleaned === '' ? '-' : cleaned;
}

function ok(check: string, finding: string): Finding {
  return { check, status: 'ok', finding, fix: [] };
}

function problem(
  check: string,
  status: 'warn' | 'fail',
  finding: string,
  fix: readonly string[],
): Finding {
  return { check, status, finding, fix };
}

/** A check that could not run: a warning, since nothing is known to be broken. */
function unreadable(check: string, what: string, error: unknown, grant: string): Finding {
  return problem(check, 'warn', `could not read ${what}: ${explainAwsError(error)}`, [
    `grant ${grant} to the credentials running sgwatch doctor, then run it again`,
  ]);
}

// ---- stack ------------------------------------------------------------------------------

function stackStatusFinding(stack: DeployedStack): Finding {
  const name = clean(stack.name);
  const { status, region } = stack;
  const events = `aws cloudformation describe-stack-events --stack-name ${name} --region ${region}`;
  if (['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'].includes(status)) {
    const missing = Object.values(STACK_OUTPUTS).filter(
      (key) => !HUNT_STACK_OUTPUTS.includes(key) && stack.outputs[key] === undefined,
    );
    if (missing.length > 0) {
      return problem(
        'stack',
        'warn',
        `${name} is deployed (${status}) but lacks the output(s) ${missing.join(', ')}, so some checks and sgwatch redrive cannot find their resources`,
        [`redeploy with this sgwatch version: npx cdk deploy ${name}`],
      );
    }
    return ok('stack', `${name} is deployed (${status})`);
  }
  if (status === 'UPDATE_ROLLBACK_COMPLETE') {
    return problem(
      'stack',
      'warn',
      `the last update of ${name} failed and was rolled back; the version before it is running`,
      [`find the failed resource: ${events}`, `fix it, then redeploy: npx cdk deploy ${name}`],
    );
  }
  if (status.endsWith('_IN_PROGRESS')) {
    return problem('stack', 'warn', `${name} is being changed right now (${status})`, [
      'run sgwatch doctor again when the deployment has finished',
    ]);
  }
  if (status === 'ROLLBACK_COMPLETE') {
    return problem(
      'stack',
      'fail',
      `${name} failed to create and was rolled back (ROLLBACK_COMPLETE): nothing is deployed`,
      [
        `find the failed resource: ${events}`,
        `delete the stack (it cannot be updated): aws cloudformation delete-stack --stack-name ${name} --region ${region}`,
        `then deploy again: npx cdk deploy ${name}`,
      ],
    );
  }
  return problem('stack', 'fail', `${name} is in a failed state (${status})`, [
    `find the failed resource: ${events}`,
    `fix it, then redeploy: npx cdk deploy ${name}`,
  ]);
}

// ---- CloudTrail -------------------------------------------------------------------------

interface TrailAssessment {
  readonly trail: Trail;
  readonly label: string;
  readonly logging?: boolean;
  /** Watched event sources whose write management events the trail does not record. */
  readonly uncovered?: readonly string[];
  readonly advanced?: boolean;
  readonly error?: unknown;
}

/**
 * Which watched services' write management events a trail's selectors record. Basic
 * selectors: management events on, ReadWriteType All or WriteOnly, minus excluded sources.
 * Advanced selectors: eventCategory Management, not read-only, eventSource not excluded.
 * Conditions this does not model are assumed to include the call: doctor should not
 * report a break it cannot show.
 */
export function uncoveredSources(
  selectors: Pick<GetEventSelectorsCommandOutput, 'EventSelectors' | 'AdvancedEventSelectors'>,
  sources: readonly string[] = WATCHED_SOURCES,
): string[] {
  const basic = selectors.EventSelectors ?? [];
  const advanced = selectors.AdvancedEventSelectors ?? [];
  // A trail without selectors logs all management events, CloudTrail's default.
  if (basic.length === 0 && advanced.length === 0) return [];
  const covered = new Set<string>();
  for (const selector of basic) {
    const type = selector.ReadWriteType ?? 'All';
    if (selector.IncludeManagementEvents === false || type === 'ReadOnly') continue;
    const excluded = selector.ExcludeManagementEventSources ?? [];
    for (const source of sources) if (!excluded.includes(source)) covered.add(source);
  }
  for (const selector of advanced) {
    const fields = selector.FieldSelectors ?? [];
    const field = (name: string) => fields.find((f) => f.Field === name);
    if (!(field('eventCategory')?.Equals ?? []).includes('Management')) continue;
    const readOnly = field('readOnly');
    if (
      readOnly?.Equals?.includes('true') === true ||
      readOnly?.NotEquals?.includes('false') === true
    ) {
      continue;
    }
    const eventSource = field('eventSource');
    for (const source of sources) {
      if (eventSource?.NotEquals?.includes(source) === true) continue;
      if (eventSource?.Equals !== undefined && !eventSource.Equals.includes(source)) continue;
      covered.add(source);
    }
  }
  return sources.filter((source) => !covered.has(source));
}

async function assessTrail(client: CloudTrailClient, trail: Trail): Promise<TrailAssessment> {
  const id = trail.TrailARN ?? trail.Name ?? '';
  const scope = trail.IsMultiRegionTrail === true ? 'multi-Region' : 'single-Region';
  const label = `${clean(trail.Name)} (${scope}${trail.IsOrganizationTrail === true ? ', organization' : ''}, home ${clean(trail.HomeRegion)})`;
  try {
    // A trail from another home Region is a shadow here; CloudTrail wants its ARN then.
    const [status, selectors] = await Promise.all([
      client.send(new GetTrailStatusCommand({ Name: id })),
      client.send(new GetEventSelectorsCommand({ TrailName: id })),
    ]);
    return {
      trail,
      label,
      logging: status.IsLogging === true,
      uncovered: uncoveredSources(selectors),
      advanced: (selectors.AdvancedEventSelectors ?? []).length > 0,
    };
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    return { trail, label, error };
  }
}

function trailFixes(assessment: TrailAssessment): string[] {
  const { trail } = assessment;
  const name = clean(trail.TrailARN ?? trail.Name);
  const home = clean(trail.HomeRegion);
  const fixes: string[] = [];
  if (assessment.logging === false) {
    fixes.push(`turn logging on: aws cloudtrail start-logging --name ${name} --region ${home}`);
  }
  if ((assessment.uncovered ?? []).length > 0) {
    fixes.push(
      assessment.advanced === true
        ? `record write management events: add an advanced event selector with eventCategory = Management (and no readOnly = true) to ${name} in the CloudTrail console (Trails > ${clean(trail.Name)} > Management events > Edit)`
        : `record write management events: aws cloudtrail put-event-selectors --trail-name ${name} --region ${home} --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]' (this replaces the trail's selectors: add any data-event selectors it has to the list)`,
    );
  }
  return fixes;
}

function trailProblem(assessment: TrailAssessment): string {
  const parts: string[] = [];
  if (assessment.logging === false) parts.push('is not logging');
  const uncovered = assessment.uncovered ?? [];
  if (uncovered.length > 0) {
    parts.push(`does not record write management events from ${uncovered.join(', ')}`);
  }
  return `trail ${assessment.label} ${parts.join(' and ')}`;
}

async function checkCloudTrail(client: CloudTrailClient, region: string): Promise<Finding> {
  const check = 'cloudtrail';
  let trails: Trail[];
  try {
    // Shadow trails are the multi-Region and organization trails that also cover this Region.
    ({ trailList: trails = [] } = await client.send(
      new DescribeTrailsCommand({ includeShadowTrails: true }),
    ));
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    return unreadable(check, 'the CloudTrail trails', error, 'cloudtrail:DescribeTrails');
  }
  const applicable = trails.filter(
    (trail) => trail.HomeRegion === region || trail.IsMultiRegionTrail === true,
  );
  if (applicable.length === 0) {
    return problem(
      check,
      'fail',
      `no CloudTrail trail covers ${region}: EventBridge receives "AWS API Call via CloudTrail" events only from a trail with logging on, so no call sgwatch watches reaches its rules`,
      [
        `create a multi-Region trail (its first copy of management events is free) in the CloudTrail console, which also sets up the S3 bucket policy: https://console.aws.amazon.com/cloudtrail/home?region=${region}#/create`,
        `or with the AWS CLI, given a bucket with the CloudTrail bucket policy: aws cloudtrail create-trail --name sgwatch-management-events --s3-bucket-name BUCKET --is-multi-region-trail --region ${region} && aws cloudtrail start-logging --name sgwatch-management-events --region ${region}`,
      ],
    );
  }
  const assessments = await Promise.all(applicable.map((trail) => assessTrail(client, trail)));
  const good = assessments.find(
    (a) => a.logging === true && a.uncovered !== undefined && a.uncovered.length === 0,
  );
  if (good !== undefined) {
    return ok(check, `trail ${good.label} is logging the write management events sgwatch watches`);
  }
  const known = assessments.filter((a) => a.error === undefined);
  const unknown = assessments.filter((a) => a.error !== undefined);
  if (known.length === 0) {
    const first = unknown[0];
    return problem(
      check,
      'warn',
      `could not read the status of trail(s) ${unknown.map((a) => a.label).join(', ')}: ${explainAwsError(first?.error)}`,
      [
        'grant cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors (for an organization trail, run doctor in the management account), or check in the CloudTrail console that one of them is logging management events',
      ],
    );
  }
  return problem(
    check,
    'fail',
    `no trail records the calls sgwatch watches in ${region}, so EventBridge never receives them: ${known.map(trailProblem).join('; ')}`,
    known.flatMap(trailFixes),
  );
}

// ---- EventBridge rules ------------------------------------------------------------------

async function sgwatchRules(client: EventBridgeClient, eventBusName?: string): Promise<Rule[]> {
  const rules: Rule[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListRulesCommand({
        ...(eventBusName !== undefined ? { EventBusName: eventBusName } : {}),
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        Limit: 100,
      }),
    );
    rules.push(
      ...(page.Rules ?? []).filter((rule) =>
        (rule.Description ?? '').startsWith(RULE_DESCRIPTION_PREFIX),
      ),
    );
    nextToken = page.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return rules;
}

function enableRuleCommand(rule: Rule, region: string, bus?: string): string {
  return (
    `aws events enable-rule --name ${clean(rule.Name)}` +
    (bus !== undefined ? ` --event-bus-name ${clean(bus)}` : '') +
    ` --region ${region}`
  );
}

async function checkRules(
  client: EventBridgeClient,
  stack: DeployedStack | undefined,
  region: string,
  stackName: string,
): Promise<Finding> {
  const check = 'rules';
  const hubBus = stack?.outputs[STACK_OUTPUTS.hubEventBus];
  const buses: { name: string; bus?: string }[] = [{ name: 'the default event bus' }];
  if (hubBus !== undefined) buses.push({ name: `the hub bus ${clean(hubBus)}`, bus: hubBus });
  const found: { rule: Rule; bus?: string; busLabel: string }[] = [];
  for (const { name, bus } of buses) {
    let rules: Rule[];
    try {
      rules = await sgwatchRules(client, bus);
    } catch (error) {
      if (isAccountWideError(error)) throw error;
      if (errorNameOf(error) === 'ResourceNotFoundException' && bus !== undefined) {
        return problem(
          check,
          'fail',
          `${name} does not exist in ${region}: events forwarded by spokes go nowhere`,
          [`redeploy the stack: npx cdk deploy ${clean(stackName)}`],
        );
      }
      return unreadable(check, `the EventBridge rules on ${name}`, error, 'events:ListRules');
    }
    found.push(
      ...rules.map((rule) => ({ rule, busLabel: name, ...(bus !== undefined ? { bus } : {}) })),
    );
  }
  const onDefault = found.filter((entry) => entry.bus === undefined);
  if (onDefault.length === 0) {
    return problem(
      check,
      'fail',
      `no sgwatch rules on the default event bus in ${region} (none described "${RULE_DESCRIPTION_PREFIX}..."): no CloudTrail event reaches the detector`,
      [
        `redeploy the stack, which recreates them: npx cdk deploy ${clean(stackName)}`,
        `to see what changed outside CloudFormation: aws cloudformation detect-stack-drift --stack-name ${clean(stackName)} --region ${region}`,
      ],
    );
  }
  const disabled = found.filter((entry) => !ENABLED_STATES.has(entry.rule.State ?? ''));
  if (disabled.length > 0) {
    return problem(
      check,
      'fail',
      `${disabled.length} of ${found.length} sgwatch rules are disabled, so their detections never fire: ${disabled.map((entry) => `${clean(entry.rule.Name)} (${entry.busLabel})`).join(', ')}`,
      disabled.map((entry) => enableRuleCommand(entry.rule, region, entry.bus)),
    );
  }
  const onHub = found.length - onDefault.length;
  return ok(
    check,
    `${onDefault.length} sgwatch rules on the default event bus` +
      (hubBus !== undefined ? ` and ${onHub} on the hub bus ${clean(hubBus)}` : '') +
      ', all enabled',
  );
}

// ---- SNS subscriptions ------------------------------------------------------------------

async function checkSubscriptions(
  client: SNSClient,
  check: string,
  topicArn: string | undefined,
  topic: string,
  consequence: string,
  severity: 'warn' | 'fail',
  region: string,
  stackName: string,
): Promise<Finding> {
  if (topicArn === undefined) {
    return problem(check, 'warn', `the stack has no output naming the ${topic}`, [
      `redeploy with this sgwatch version: npx cdk deploy ${clean(stackName)}`,
    ]);
  }
  const arn = clean(topicArn);
  const confirmed: string[] = [];
  const pending: string[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSubscriptionsByTopicCommand({
          TopicArn: topicArn,
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        }),
      );
      for (const subscription of page.Subscriptions ?? []) {
        const endpoint = `${clean(subscription.Protocol, 20)} ${clean(subscription.Endpoint, 200)}`;
        // Until confirmed, SNS shows the literal PendingConfirmation instead of an ARN.
        if ((subscription.SubscriptionArn ?? '').startsWith('arn:')) confirmed.push(endpoint);
        else if (subscription.SubscriptionArn === 'PendingConfirmation') pending.push(endpoint);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    if (errorNameOf(error) === 'NotFound' || errorNameOf(error) === 'NotFoundException') {
      return problem(check, 'fail', `the ${topic} ${arn} does not exist`, [
        `redeploy the stack: npx cdk deploy ${clean(stackName)}`,
      ]);
    }
    return unreadable(
      check,
      `the subscriptions of the ${topic}`,
      error,
      'sns:ListSubscriptionsByTopic',
    );
  }
  const subscribe = `aws sns subscribe --topic-arn ${arn} --protocol email --notification-endpoint you@example.com --region ${region}`;
  if (confirmed.length === 0 && pending.length === 0) {
    return problem(check, severity, `nobody is subscribed to the ${topic}: ${consequence}`, [
      `subscribe, then confirm from the email AWS sends: ${subscribe}`,
      `or redeploy with the addresses: npx cdk deploy ${clean(stackName)} -c alertEmails=you@example.com`,
    ]);
  }
  const resend = 'to have it sent again, run the same subscribe command: aws sns subscribe';
  if (confirmed.length === 0) {
    return problem(
      check,
      severity,
      `the ${topic} has no confirmed subscription, only ${pending.length} awaiting confirmation (${pending.join(', ')}): ${consequence}`,
      [
        `confirm it: open the "AWS Notification - Subscription Confirmation" email sent to ${pending.join(', ')} and choose Confirm subscription (check spam); ${resend} --topic-arn ${arn} --protocol PROTOCOL --notification-endpoint ENDPOINT --region ${region}`,
      ],
    );
  }
  if (pending.length > 0) {
    return problem(
      check,
      'warn',
      `the ${topic} has ${confirmed.length} confirmed subscription(s), and ${pending.length} still awaiting confirmation (${pending.join(', ')})`,
      [
        `confirm from the "AWS Notification - Subscription Confirmation" email sent to ${pending.join(', ')} (check spam); ${resend} --topic-arn ${arn} --protocol PROTOCOL --notification-endpoint ENDPOINT --region ${region}`,
      ],
    );
  }
  return ok(
    check,
    `the ${topic} has ${confirmed.length} confirmed subscription(s): ${confirmed.join(', ')}`,
  );
}

// ---- dead-letter queues -----------------------------------------------------------------

/** Messages waiting in a queue, and those received but not yet deleted. */
async function queueDepth(
  client: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

async function checkQueue(
  client: SQSClient,
  check: string,
  queueUrl: string | undefined,
  queue: string,
  why: string,
  region: string,
  stackName: string,
): Promise<Finding> {
  if (queueUrl === undefined) {
    return problem(check, 'warn', `the stack has no output naming the ${queue}`, [
      `redeploy with this sgwatch version: npx cdk deploy ${clean(stackName)}`,
    ]);
  }
  const name = clean(queueNameOf(queueUrl));
  let visible: number;
  let inFlight: number;
  try {
    ({ visible, inFlight } = await queueDepth(client, queueUrl));
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    if (errorNameOf(error) === 'QueueDoesNotExist') {
      return problem(
        check,
        'fail',
        `the ${queue} ${name} does not exist: failed events are dropped`,
        [`redeploy the stack: npx cdk deploy ${clean(stackName)}`],
      );
    }
    return unreadable(check, `the ${queue} ${name}`, error, 'sqs:GetQueueAttributes');
  }
  const stackFlags = `--stack ${clean(stackName)} --region ${region}`;
  if (visible > 0) {
    return problem(
      check,
      'warn',
      `${visible} event(s) waiting in the ${queue} ${name}: ${why}; they raise no alert until redriven`,
      [
        `see each event and why it failed: sgwatch redrive --dry-run ${stackFlags}`,
        `after fixing the cause, send them through the detector again (within 14 days of their arrival, when SQS drops them): sgwatch redrive ${stackFlags}`,
      ],
    );
  }
  return ok(
    check,
    `the ${queue} ${name} is empty` +
      (inFlight > 0 ? ` (${inFlight} in flight: a redrive may be running)` : ''),
  );
}

// ---- spokes -----------------------------------------------------------------------------

async function checkSpoke(
  client: EventBridgeClient,
  region: string,
  allRegions: readonly string[],
): Promise<Finding> {
  const check = `spoke:${region}`;
  let rules: Rule[];
  try {
    rules = await sgwatchRules(client);
  } catch (error) {
    // Per Region on purpose: a Region not enabled for the account rejects the credentials,
    // which says nothing about the others.
    return problem(
      check,
      'warn',
      `could not list the rules in ${region}: ${explainAwsError(error)}`,
      [
        `check that ${region} is enabled for the account (Account settings > AWS Regions) and that the credentials may call events:ListRules there`,
      ],
    );
  }
  // Named stacks rather than --all: the StackSet spoke in the app is not for this account.
  const deploy = `npx cdk deploy ${STACK_NAME} '${SPOKE_STACK_PREFIX}*' -c regions=${allRegions.join(',')} with AWS_REGION set to the hub Region (for other accounts, deploy the StackSet spoke; see the README)`;
  if (rules.length === 0) {
    return problem(
      check,
      'warn',
      `no sgwatch rules on the default event bus in ${region}: calls made there are not watched`,
      [`deploy a spoke there: ${deploy}`],
    );
  }
  const enabled = rules.filter((rule) => ENABLED_STATES.has(rule.State ?? ''));
  if (enabled.length === 0) {
    return problem(
      check,
      'warn',
      `all ${rules.length} sgwatch rules in ${region} are disabled: calls made there are not watched`,
      rules.map((rule) => enableRuleCommand(rule, region)),
    );
  }
  return ok(
    check,
    `${enabled.length} sgwatch rule(s) enabled on the default event bus in ${region}`,
  );
}

/**
 * A spoke has no alarms (it has no topic to send them to), so its dead-letter queue is
 * checked here: events in it failed to reach the hub for a day and raise no alert. Only
 * spokes deployed by this app in this account are found; StackSet spokes live in other
 * accounts, where this check cannot look.
 */
async function checkSpokeQueue(
  cloudFormation: CloudFormationClient,
  sqs: SQSClient,
  region: string,
  hub: { region: string; functionName?: string },
): Promise<Finding | undefined> {
  let spoke: DeployedStack;
  try {
    spoke = await describeStack(cloudFormation, `${SPOKE_STACK_PREFIX}${region}`, region);
  } catch (error) {
    if (error instanceof StackNotFoundError) return undefined;
    return unreadable(
      `spoke-queue:${region}`,
      `the spoke stack in ${region}`,
      error,
      'cloudformation:DescribeStacks',
    );
  }
  const queueUrl = spoke.outputs[SPOKE_OUTPUTS.forwardingFailureQueue];
  if (queueUrl === undefined) return undefined;
  const check = `spoke-queue:${region}`;
  let waiting: number;
  try {
    ({ visible: waiting } = await queueDepth(sqs, queueUrl));
  } catch (error) {
    if (isAccountWideError(error)) throw error;
    return unreadable(
      check,
      `the spoke queue ${clean(queueNameOf(queueUrl))}`,
      error,
      'sqs:GetQueueAttributes',
    );
  }
  if (waiting === 0) {
    return ok(check, `the spoke's forwarding dead-letter queue in ${region} is empty`);
  }
  const fn = hub.functionName !== undefined ? clean(hub.functionName) : '<DetectorFunctionName>';
  return problem(
    check,
    'warn',
    `${waiting} event(s) in ${region} could not be forwarded to the hub for a day and wait in ${clean(queueNameOf(queueUrl))}; they raise no alert until redriven`,
    [
      `once the hub accepts events again, send them through the detector: sgwatch redrive --queue ${clean(queueUrl)} --function ${fn} --region ${hub.region}`,
    ],
  );
}

// ---- the run ----------------------------------------------------------------------------

function parseRegions(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const regions = raw
    .split(',')
    .map((region) => region.trim())
    .filter((region) => region !== '');
  if (regions.length === 0) throw new UsageError('--regions must list at least one Region');
  return [...new Set(regions.map((region) => checkRegionName(region, '--regions')))];
}

async function runChecks(
  region: string,
  stackName: string,
  spokeRegions: readonly string[],
): Promise<{ stack?: DeployedStack; findings: Finding[] }> {
  const cloudFormation = new CloudFormationClient({ region });
  const cloudTrail = new CloudTrailClient({ region });
  const eventBridge = new EventBridgeClient({ region });
  const sns = new SNSClient({ region });
  const sqs = new SQSClient({ region });
  const securityHub = new SecurityHubClient({ region });
  const spokeClients = spokeRegions.map((r) => new EventBridgeClient({ region: r }));
  const spokeStacks = spokeRegions.map((r) => new CloudFormationClient({ region: r }));
  const spokeQueues = spokeRegions.map((r) => new SQSClient({ region: r }));
  try {
    let stack: DeployedStack | undefined;
    let stackFinding: Finding;
    try {
      stack = await describeStack(cloudFormation, stackName, region);
      stackFinding = stackStatusFinding(stack);
    } catch (error) {
      if (!(error instanceof StackNotFoundError)) throw error;
      stackFinding = problem(
        'stack',
        'fail',
        `stack ${clean(stackName)} does not exist in ${region}, so nothing here detects anything (the topic and queue checks need it and were skipped)`,
        [
          `deploy it from the sgwatch repository: npx cdk deploy ${clean(stackName)} -c alertEmails=you@example.com`,
          'or, if it is deployed in another Region or under another name, run doctor with --region R --stack NAME',
        ],
      );
    }
    const outputs = stack?.outputs;
    const checks: Promise<Finding | Finding[]>[] = [
      checkCloudTrail(cloudTrail, region),
      checkRules(eventBridge, stack, region, stackName),
    ];
    if (stack !== undefined) {
      checks.push(
        checkSubscriptions(
          sns,
          'alert-subscriptions',
          outputs?.[STACK_OUTPUTS.alertTopic],
          'alert topic',
          'alerts are recorded in the table but reach no one',
          'fail',
          region,
          stackName,
        ),
        checkSubscriptions(
          sns,
          'operations-subscriptions',
          outputs?.[STACK_OUTPUTS.operationsTopic],
          'operations topic',
          "the pipeline's alarms (failures, dead-lettered events) reach no one",
          'warn',
          region,
          stackName,
        ),
        checkQueue(
          sqs,
          'detector-failure-queue',
          outputs?.[STACK_OUTPUTS.detectorFailureQueue],
          'detector failure queue',
          'the detector failed on them after its retries',
          region,
          stackName,
        ),
        checkQueue(
          sqs,
          'rule-target-queue',
          outputs?.[STACK_OUTPUTS.ruleTargetQueue],
          'rule target queue',
          'EventBridge could not deliver them to the detector',
          region,
          stackName,
        ),
        checkSecurityHub(
          securityHub,
          outputs?.[OPTIONAL_STACK_OUTPUTS.securityHubProductArn],
          region,
          stackName,
        ).then((found) => (found === undefined ? [] : found)),
      );
    }
    checks.push(
      ...spokeRegions.map((spokeRegion, i) =>
        checkSpoke(spokeClients[i] as EventBridgeClient, spokeRegion, spokeRegions),
      ),
    );
    const hub = {
      region,
      ...(outputs?.[STACK_OUTPUTS.detectorFunction] !== undefined
        ? { functionName: outputs[STACK_OUTPUTS.detectorFunction] }
        : {}),
    };
    const spokeQueueFindings = Promise.all(
      spokeRegions.map((spokeRegion, i) =>
        checkSpokeQueue(
          spokeStacks[i] as CloudFormationClient,
          spokeQueues[i] as SQSClient,
          spokeRegion,
          hub,
        ),
      ),
    ).then((found) => found.filter((finding) => finding !== undefined));
    const findings = [
      stackFinding,
      ...(await Promise.all(checks)).flat(),
      ...(await spokeQueueFindings),
    ];
    return { ...(stack !== undefined ? { stack } : {}), findings };
  } catch (error) {
    if (error instanceof AwsCommandError) throw error;
    throw new AwsCommandError(`cannot check ${region}: ${explainAwsError(error)}`, {
      cause: error,
    });
  } finally {
    for (const client of [
      cloudFormation,
      cloudTrail,
      eventBridge,
      sns,
      sqs,
      securityHub,
      ...spokeClients,
      ...spokeStacks,
      ...spokeQueues,
    ]) {
      client.destroy();
    }
  }
}

function overall(findings: readonly Finding[]): CheckStatus {
  if (findings.some((f) => f.status === 'fail')) return 'fail';
  return findings.some((f) => f.status === 'warn') ? 'warn' : 'ok';
}

interface Style {
  readonly label: (status: CheckStatus) => string;
}

/** Symbols and colours only for a terminal that wants them (NO_COLOR, TERM=dumb opt out). */
function styleFor(io: CliIo): Style {
  const tty = io.stdout.isTTY === true;
  const colour = tty && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
  const words: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };
  const symbols: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };
  const colours: Record<CheckStatus, string> = { ok: '32', warn: '33', fail: '31' };
  return {
    label: (status) => {
      const word = tty ? `${symbols[status]} ${words[status].padEnd(4)}` : words[status].padEnd(4);
      return colour ? `\u001b[${colours[status]}m${word}\u001b[0m` : word;
    },
  };
}

function textReport(report: DoctorReport, io: CliIo): string {
  const style = styleFor(io);
  const width = Math.max(...report.findings.map((f) => f.check.length));
  const labelWidth = io.stdout.isTTY === true ? 6 : 4;
  const indent = ' '.repeat(labelWidth + 2 + width + 2);
  const lines = [
    `sgwatch doctor: stack ${clean(report.stack)}` +
      (report.account !== null ? `, account ${report.account}` : '') +
      `, Region ${report.region}`,
    '',
  ];
  for (const finding of report.findings) {
    lines.push(
      `${style.label(finding.status)}  ${finding.check.padEnd(width)}  ${finding.finding}`,
    );
    finding.fix.forEach((step, i) => lines.push(`${indent}${i === 0 ? 'fix: ' : '     '}${step}`));
  }
  const count = (status: CheckStatus) => report.findings.filter((f) => f.status === status).length;
  const failures = count('fail');
  const warnings = count('warn');
  lines.push(
    '',
    failures > 0
      ? `${failures} failed, ${warnings} warning(s): detection is broken until the failures are fixed.`
      : warnings > 0
        ? `No failures, ${warnings} warning(s).`
        : `All ${report.findings.length} checks passed.`,
  );
  return `${lines.join('\n')}\n`;
}

/** `sgwatch doctor`: returns the exit code; usage mistakes throw UsageError. */
export async function doctorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(DOCTOR_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`doctor takes no arguments; got "${positionals.join(' ')}"`);
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') {
    throw new UsageError(`--format must be text or json; got "${cleanText(format, 50)}"`);
  }
  const stackName = values.stack ?? DEFAULT_STACK_NAME;
  if (stackName.trim() === '') throw new UsageError('--stack must not be empty');
  const spokeRegions = parseRegions(values.regions);
  const region = await resolveRegion(values.region, io.env);

  const { stack, findings } = await runChecks(region, stackName, spokeRegions);
  const report: DoctorReport = {
    stack: stack?.name ?? stackName,
    region,
    account: stack?.account ?? null,
    status: overall(findings),
    findings,
  };
  io.stdout.write(
    format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : textReport(report, io),
  );
  return report.status === 'fail' ? 1 : 0;
}
