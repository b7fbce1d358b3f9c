import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type {
  Message,
  MessageAttributeValue,
  ReceiveMessageCommandInput,
  ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { validateEnvelope } from '../../lambda/core/cloudtrail';
import { cleanText } from '../../lambda/core/text';
import type { DeployedStack } from '../aws';
import {
  AwsCommandError,
  DEFAULT_STACK_NAME,
  describeStack,
  errorNameOf,
  explainAwsError,
  messageOf,
  queueNameOf,
  regionOfQueueUrl,
  resolveRegion,
  STACK_OUTPUTS,
  StackNotFoundError,
} from '../aws';
import type { CliIo } from '../io';
import { parseOptions, UsageError, wholeNumber, wholeNumberOf } from '../args';

export const REDRIVE_HELP = `Usage: sgwatch redrive [options]

Sends the events waiting in sgwatch's dead-letter queues back through the
detector, after whatever stopped them (an SNS or DynamoDB outage, a missing
permission, a bad deployment) is fixed. Each event is invoked synchronously on
the detector Lambda; a message is deleted only once the detector has processed
its event.

Safe to repeat: the detector keys each alert on (detection, CloudTrail
eventID), so an event whose alert was already sent comes back "duplicate" and
is not notified again.

Both queues the stack creates are read (from its CloudFormation outputs):
  detector failure queue  Lambda on-failure records: the event plus the error
                          the detector failed with after its retries
  rule target queue       events EventBridge could not deliver to the detector,
                          with ERROR_CODE and ERROR_MESSAGE attributes
A message in neither format is reported and left where it is, as is an event
the detector fails on again.

Options:
  --stack NAME      the sgwatch stack (default: ${DEFAULT_STACK_NAME})
  --region R        its Region (default: AWS_REGION, AWS_DEFAULT_REGION, or
                    your profile's region)
  --queue URL       redrive this queue instead of the stack's two (repeatable;
                    e.g. a spoke's forwarding failure queue)
  --function NAME   the detector function to invoke (default: the stack's
                    DetectorFunctionName output)
  --dry-run         show what would be redriven; invoke and delete nothing, and
                    make every message visible in its queue again
  --max N           handle at most N messages in all (default: every message)
  -h, --help        this help

Permissions: cloudformation:DescribeStacks (unless --queue and --function are
both given), sqs:GetQueueAttributes, sqs:ReceiveMessage, sqs:DeleteMessage,
sqs:ChangeMessageVisibility on the queues, lambda:InvokeFunction on the
detector.

Examples:
  sgwatch redrive --dry-run --region eu-west-1
  sgwatch redrive --region eu-west-1
  sgwatch redrive --max 10

Exit status: 0 when every message was redriven (with --dry-run: when every
message would be); 1 when any message is left in a queue or AWS fails; 2 on a
usage error.
`;

/**
 * How long a received message stays hidden while this run works on it: a batch of 10, each
 * invoked in turn on a detector with a 30-second timeout, plus the SDK's retries. If the
 * command dies, whatever it did not finish becomes visible again after this long.
 */
const REDRIVE_VISIBILITY_SECONDS = 600;
/** A dry run only reads; it makes every message visible again as soon as it is done. */
const DRY_RUN_VISIBILITY_SECONDS = 120;
/** Long polling asks every SQS server, so an empty answer means the queue is empty. */
const WAIT_SECONDS = 1;
const SQS_BATCH = 10;
const MAX_LIMIT = 1_000_000;
/** Width of an event field in a report line; event text is attacker-controlled. */
const FIELD = 100;

const OPTIONS = {
  stack: { type: 'string' },
  region: { type: 'string' },
  queue: { type: 'string', multiple: true },
  function: { type: 'string' },
  'dry-run': { type: 'boolean' },
  max: { type: 'string', check: wholeNumber(1, MAX_LIMIT) },
  help: { type: 'boolean', short: 'h' },
} as const;

type Json = Record<string, unknown>;

/** What a dead-letter queue message holds. */
export type DeadLetter =
  | { readonly kind: 'detector-failure'; readonly event: Json; readonly cause: string }
  | { readonly kind: 'undelivered'; readonly event: Json; readonly cause: string }
  | { readonly kind: 'unrecognised'; readonly reason: string };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The shape the detector is invoked with; its own validation decides the rest. */
function isEventBridgeEvent(value: unknown): value is Json {
  return isObject(value) && typeof value['detail-type'] === 'string' && isObject(value.detail);
}

/** Why Lambda gave up on the event: `RetriesExhausted after 3 attempts: Error: ...`. */
function detectorFailureCause(record: Json): string {
  const context = isObject(record.requestContext) ? record.requestContext : {};
  const condition = text(context.condition) ?? 'failed';
  const attempts = context.approximateInvokeCount;
  const response = isObject(record.responsePayload) ? record.responsePayload : {};
  const error = [text(response.errorType), text(response.errorMessage)]
    .filter((part) => part !== undefined)
    .join(': ');
  return (
    condition +
    (typeof attempts === 'number' ? ` after ${attempts} attempt(s)` : '') +
    (error !== '' ? `: ${error}` : '')
  );
}

/** Why EventBridge gave up: its ERROR_CODE and ERROR_MESSAGE attributes. */
function undeliveredCause(attributes: Record<string, MessageAttributeValue> | undefined): string {
  const value = (name: string) => text(attributes?.[name]?.StringValue);
  const code = value('ERROR_CODE') ?? 'undelivered';
  const message = value('ERROR_MESSAGE');
  const condition = value('EXHAUSTED_RETRY_CONDITION');
  return (
    code +
    (message !== undefined ? `: ${message}` : '') +
    (condition !== undefined ? ` (${condition})` : '')
  );
}

/**
 * The EventBridge event inside a dead-letter message, from either queue: a Lambda
 * on-failure destination record carries it as `requestPayload`; EventBridge's own
 * dead-letter queue carries the event itself as the body.
 */
export function readDeadLetter(
  body: string | undefined,
  attributes?: Record<string, MessageAttributeValue>,
): DeadLetter {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { kind: 'unrecognised', reason: 'the body is not JSON' };
  }
  if (!isObject(parsed)) return { kind: 'unrecognised', reason: 'the body is not a JSON object' };
  if (isObject(parsed.requestContext) && 'requestPayload' in parsed) {
    return isEventBridgeEvent(parsed.requestPayload)
      ? {
          kind: 'detector-failure',
          event: parsed.requestPayload,
          cause: detectorFailureCause(parsed),
        }
      : {
          kind: 'unrecognised',
          reason: 'a Lambda failure record whose request payload is not an EventBridge event',
        };
  }
  if (isEventBridgeEvent(parsed)) {
    return { kind: 'undelivered', event: parsed, cause: undeliveredCause(attributes) };
  }
  return {
    kind: 'unrecognised',
    reason: 'neither a Lambda failure record nor an EventBridge event',
  };
}

function clean(value: unknown, max = FIELD): string {
  const cleaned = cleanText(typeof value === 'string' ? value : undefined, max);
  return cleaned === '' ? '-' : cleaned;
}

/** `eventID eventName account/region` for a report line. */
function eventLabel(event: Json): string {
  const detail = isObject(event.detail) ? event.detail : {};
  return `${clean(detail.eventID)}  ${clean(detail.eventName)}  ${clean(event.account, 20)}/${clean(event.region, 30)}`;
}

interface AlertSummary {
  readonly ruleId: string;
  readonly outcome: string;
}

/** The detector's HandlerResult, read defensively: it crossed a process boundary. */
function alertsOf(payload: string): AlertSummary[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.alerts)) return undefined;
  return parsed.alerts.filter(isObject).map((alert) => ({
    ruleId: clean(alert.ruleId),
    outcome: clean(alert.outcome, 30),
  }));
}

/** The function error Lambda returned: `errorType: errorMessage`. */
function functionErrorOf(payload: string, kind: string): string {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (isObject(parsed)) {
      const parts = [text(parsed.errorType), text(parsed.errorMessage)].filter(
        (part) => part !== undefined,
      );
      if (parts.length > 0) return clean(parts.join(': '), 400);
    }
  } catch {
    // Not JSON: fall through to the bare kind Lambda reported.
  }
  return `${kind} function error`;
}

interface QueueTarget {
  readonly url: string;
  readonly label: string;
  readonly region: string;
}

interface Counts {
  received: number;
  redriven: number;
  wouldRedrive: number;
  failed: number;
  unrecognised: number;
  notDeleted: number;
  readonly outcomes: Map<string, number>;
}

interface RunOptions {
  readonly dryRun: boolean;
  readonly functionName: string;
  readonly lambda: LambdaClient;
  readonly sqsFor: (region: string) => SQSClient;
  readonly io: CliIo;
}

/** A visible-again call that finds the message already visible, or handled by someone else. */
function isHarmlessVisibilityError(error: unknown): boolean {
  return ['MessageNotInflight', 'ReceiptHandleIsInvalid', 'InvalidParameterValue'].includes(
    errorNameOf(error),
  );
}

async function approximateDepth(sqs: SQSClient, queue: QueueTarget): Promise<number | undefined> {
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    const depth = Number(Attributes?.ApproximateNumberOfMessages);
    return Number.isFinite(depth) ? depth : undefined;
  } catch (error) {
    if (errorNameOf(error) === 'QueueDoesNotExist') {
      throw new AwsCommandError(`${queue.label} ${queue.url} does not exist in ${queue.region}`);
    }
    throw new AwsCommandError(`cannot read ${queue.label}: ${explainAwsError(error)}`, {
      cause: error,
    });
  }
}

/**
 * One message: parse, then (unless a dry run) invoke the detector and delete on success.
 * Returns true when the message was deleted.
 */
async function handleMessage(
  message: Message,
  queue: QueueTarget,
  sqs: SQSClient,
  options: RunOptions,
  counts: Counts,
): Promise<boolean> {
  const out = (line: string) => options.io.stdout.write(`  ${line}\n`);
  const letter = readDeadLetter(message.Body, message.MessageAttributes);
  if (letter.kind === 'unrecognised') {
    counts.unrecognised += 1;
    out(
      `${'unrecognised'.padEnd(13)} message ${clean(message.MessageId)}: ${letter.reason}; left in the queue`,
    );
    return false;
  }
  const label = eventLabel(letter.event);

  if (options.dryRun) {
    counts.wouldRedrive += 1;
    let warning = '';
    try {
      validateEnvelope(letter.event);
    } catch (error) {
      warning = `; this sgwatch version would reject it: ${clean(messageOf(error), 300)}`;
    }
    out(`${'would redrive'.padEnd(13)} ${label}  (${clean(letter.cause, 400)})${warning}`);
    return false;
  }

  let response;
  try {
    response = await options.lambda.send(
      new InvokeCommand({
        FunctionName: options.functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(letter.event)),
      }),
    );
  } catch (error) {
    // Not the event's fault: the function is missing, throttled past the SDK's retries, or
    // we may not call it. Every further message would fail the same way.
    throw new AwsCommandError(
      `cannot invoke the detector ${options.functionName}: ${explainAwsError(error)}; stopped, and every message not yet redriven is left in its queue`,
      { cause: error },
    );
  }
  const payload = new TextDecoder().decode(response.Payload ?? new Uint8Array());
  if (response.FunctionError !== undefined) {
    counts.failed += 1;
    out(
      `${'failed'.padEnd(13)} ${label}  ${functionErrorOf(payload, response.FunctionError)}; left in the queue`,
    );
    return false;
  }

  const alerts = alertsOf(payload);
  const outcomes = [...new Set((alerts ?? []).map((alert) => alert.outcome))];
  for (const alert of alerts ?? []) {
    counts.outcomes.set(alert.outcome, (counts.outcomes.get(alert.outcome) ?? 0) + 1);
  }
  const status = alerts === undefined ? 'processed' : outcomes.join('+') || 'no alert';
  const detail =
    alerts === undefined
      ? 'the detector succeeded but its response was not readable'
      : alerts.length === 0
        ? 'matched no detection'
        : alerts.map((alert) => alert.ruleId).join(', ');

  try {
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    counts.notDeleted += 1;
    out(
      `${status.padEnd(13)} ${label}  ${detail}; processed, but not deleted (${explainAwsError(error)}): a later redrive finds it duplicate`,
    );
    return false;
  }
  counts.redriven += 1;
  out(`${status.padEnd(13)} ${label}  ${detail}`);
  return true;
}

/**
 * Works through one queue until it is empty, the budget is spent, or only messages this run
 * has already seen come back. Whatever is not deleted is made visible again before return,
 * whatever happened, so the next run (or the next operator) finds it at once.
 */
async function drainQueue(
  queue: QueueTarget,
  budget: number,
  options: RunOptions,
  counts: Counts,
): Promise<number> {
  const sqs = options.sqsFor(queue.region);
  const depth = await approximateDepth(sqs, queue);
  options.io.stdout.write(
    `${queue.label} ${queue.url} (${queue.region}): ${depth === undefined ? 'depth unknown' : `about ${depth} message(s)`}\n`,
  );
  // Message id -> its latest receipt handle, for every message received and not deleted.
  const held = new Map<string, string>();
  const done = new Set<string>();
  let remaining = budget;
  try {
    while (remaining > 0) {
      const { Messages: batch = [] } = await receive(sqs, queue, {
        MaxNumberOfMessages: Math.min(SQS_BATCH, remaining),
        VisibilityTimeout: options.dryRun ? DRY_RUN_VISIBILITY_SECONDS : REDRIVE_VISIBILITY_SECONDS,
        WaitTimeSeconds: WAIT_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      });
      if (batch.length === 0) break;
      // Hold the whole batch before working on any of it, so that if the run stops midway
      // every message still hidden by this receive is made visible again.
      const fresh: Message[] = [];
      for (const message of batch) {
        const id = message.MessageId ?? '';
        if (message.ReceiptHandle === undefined) continue;
        // A message seen before is back because this run outlived its visibility timeout.
        if (!held.has(id) && !done.has(id)) fresh.push(message);
        held.set(id, message.ReceiptHandle);
      }
      for (const message of fresh) {
        const id = message.MessageId ?? '';
        remaining -= 1;
        counts.received += 1;
        if (await handleMessage(message, queue, sqs, options, counts)) {
          held.delete(id);
          done.add(id);
        }
      }
      if (fresh.length === 0) break;
    }
  } finally {
    await releaseAll(sqs, queue, held, options.io);
  }
  return budget - remaining;
}

async function receive(
  sqs: SQSClient,
  queue: QueueTarget,
  input: Omit<ReceiveMessageCommandInput, 'QueueUrl'>,
): Promise<ReceiveMessageCommandOutput> {
  try {
    return await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, ...input }));
  } catch (error) {
    throw new AwsCommandError(`cannot receive from ${queue.label}: ${explainAwsError(error)}`, {
      cause: error,
    });
  }
}

async function releaseAll(
  sqs: SQSClient,
  queue: QueueTarget,
  held: ReadonlyMap<string, string>,
  io: CliIo,
): Promise<void> {
  for (const receiptHandle of held.values()) {
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queue.url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    } catch (error) {
      if (isHarmlessVisibilityError(error)) continue;
      io.stderr.write(
        `sgwatch: could not make a message in ${queue.label} visible again (${explainAwsError(error)}); it reappears within ${REDRIVE_VISIBILITY_SECONDS / 60} minutes\n`,
      );
    }
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function summary(counts: Counts, dryRun: boolean, stoppedAtMax: boolean): string {
  const more = stoppedAtMax ? ' Stopped at --max; more may be waiting.' : '';
  if (counts.received === 0) return 'Nothing to redrive: the queues are empty.\n';
  if (dryRun) {
    const unrecognised =
      counts.unrecognised > 0 ? `, ${counts.unrecognised} unrecognised (would be left)` : '';
    return (
      `Dry run: ${plural(counts.received, 'message')}, ${counts.wouldRedrive} would be redriven${unrecognised}. ` +
      `Nothing was invoked or deleted; every message is visible in its queue again.${more}\n`
    );
  }
  const outcomes = [...counts.outcomes].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  const left = counts.received - counts.redriven;
  const reasons = [
    counts.failed > 0 ? `${counts.failed} failed in the detector` : '',
    counts.unrecognised > 0 ? `${counts.unrecognised} unrecognised` : '',
    counts.notDeleted > 0 ? `${counts.notDeleted} not deleted` : '',
  ].filter((reason) => reason !== '');
  return (
    `Redrove ${counts.redriven} of ${plural(counts.received, 'message')}` +
    (outcomes !== '' ? ` (alerts: ${outcomes})` : '') +
    '.' +
    (left > 0
      ? ` Left ${left} in the queues (${reasons.join(', ')}): fix the cause and run sgwatch redrive again.`
      : '') +
    more +
    '\n'
  );
}

function checkQueueUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !['https:', 'http:'].includes(parsed.protocol)) {
    throw new UsageError(
      `--queue must be a queue URL like https://sqs.us-east-1.amazonaws.com/111122223333/name; got "${cleanText(url, 200)}"`,
    );
  }
  return url;
}

/** The Region of a function ARN; a bare name lives in the working Region. */
function regionOfFunction(name: string): string | undefined {
  return /^arn:[^:]+:lambda:([a-z0-9-]+):/.exec(name)?.[1];
}

function requireOutput(stack: DeployedStack, key: string, instead: string): string {
  const value = stack.outputs[key];
  if (value === undefined || value === '') {
    throw new AwsCommandError(
      `stack ${stack.name} in ${stack.region} has no ${key} output (deployed by an older sgwatch?): redeploy it, or pass ${instead}`,
    );
  }
  return value;
}

async function readStack(stackName: string, region: string): Promise<DeployedStack> {
  const client = new CloudFormationClient({ region });
  try {
    return await describeStack(client, stackName, region);
  } catch (error) {
    if (error instanceof StackNotFoundError) {
      throw new AwsCommandError(
        `${error.message}: pass --region (and --stack) for where sgwatch is deployed, or name the queues and function with --queue and --function`,
      );
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** `sgwatch redrive`: returns the exit code; usage mistakes throw UsageError. */
export async function redriveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(REDRIVE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`redrive takes no arguments; got "${positionals.join(' ')}"`);
  }
  const max = wholeNumberOf(values.max, MAX_LIMIT);
  const queueUrls = values.queue?.map(checkQueueUrl);
  const stackName = values.stack ?? DEFAULT_STACK_NAME;
  if (values.function !== undefined && values.function.trim() === '') {
    throw new UsageError('--function must not be empty');
  }
  const region = await resolveRegion(values.region, io.env);

  let functionName = values.function?.trim();
  let queues: QueueTarget[];
  if (queueUrls !== undefined && functionName !== undefined) {
    queues = queueUrls.map((url) => ({
      url,
      label: `queue ${queueNameOf(url)}`,
      region: regionOfQueueUrl(url) ?? region,
    }));
  } else {
    const stack = await readStack(stackName, region);
    functionName ??= requireOutput(stack, STACK_OUTPUTS.detectorFunction, '--function NAME');
    queues =
      queueUrls?.map((url) => ({
        url,
        label: `queue ${queueNameOf(url)}`,
        region: regionOfQueueUrl(url) ?? region,
      })) ??
      (
        [
          ['Detector failure queue', STACK_OUTPUTS.detectorFailureQueue],
          ['Rule target queue', STACK_OUTPUTS.ruleTargetQueue],
        ] as const
      ).map(([label, key]) => {
        const url = requireOutput(stack, key, '--queue URL');
        return { url, label, region: regionOfQueueUrl(url) ?? region };
      });
  }

  const sqsClients = new Map<string, SQSClient>();
  const lambda = new LambdaClient({ region: regionOfFunction(functionName) ?? region });
  const options: RunOptions = {
    dryRun: values['dry-run'] === true,
    functionName,
    lambda,
    io,
    sqsFor: (queueRegion) => {
      let client = sqsClients.get(queueRegion);
      if (client === undefined) {
        client = new SQSClient({ region: queueRegion });
        sqsClients.set(queueRegion, client);
      }
      return client;
    },
  };
  const counts: Counts = {
    received: 0,
    redriven: 0,
    wouldRedrive: 0,
    failed: 0,
    unrecognised: 0,
    notDeleted: 0,
    outcomes: new Map(),
  };
  if (options.dryRun) io.stdout.write('Dry run: nothing is invoked or deleted.\n');
  try {
    let budget = max;
    for (const queue of queues) {
      if (budget === 0) break;
      budget -= await drainQueue(queue, budget, options, counts);
    }
    io.stdout.write(summary(counts, options.dryRun, budget === 0));
  } finally {
    lambda.destroy();
    for (const client of sqsClients.values()) client.destroy();
  }
  if (options.dryRun) return counts.unrecognised === 0 ? 0 : 1;
  return counts.redriven === counts.received ? 0 : 1;
}
