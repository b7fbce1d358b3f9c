/**
 * The redrive itself: find the queues and the detector (from the stack's outputs, or as
 * named), then take each message in turn, invoke the detector with its event and delete the
 * message only once the detector has processed it. Each message's result is reported to the
 * listener as it happens; whatever is not deleted is made visible again before the run ends.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type {
  Message,
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
import type { DeployedStack } from '../aws';
import {
  AwsCommandError,
  describeStack,
  errorNameOf,
  explainAwsError,
  messageOf,
  queueNameOf,
  regionOfQueueUrl,
  STACK_OUTPUTS,
  StackNotFoundError,
} from '../aws';
import type { AlertSummary, EventSummary } from './dead-letter';
import { alertsOf, cleaned, eventSummary, functionErrorOf, readDeadLetter } from './dead-letter';

/**
 * How long a received message stays hidden while this run works on it: a batch of 10, each
 * invoked in turn on a detector with a 30-second timeout, plus the SDK's retries. If the
 * command dies, whatever it did not finish becomes visible again after this long.
 */
export const REDRIVE_VISIBILITY_SECONDS = 600;
/** A dry run only reads; it makes every message visible again as soon as it is done. */
const DRY_RUN_VISIBILITY_SECONDS = 120;
/** Long polling asks every SQS server, so an empty answer means the queue is empty. */
const WAIT_SECONDS = 1;
const SQS_BATCH = 10;

export interface RedriveRequest {
  /** The stack whose outputs name the queues and the detector. */
  readonly stack: string;
  /** The stack's Region, and that of a queue or function whose own does not say. */
  readonly region: string;
  /** Redrive these queues instead of the stack's two. @default - the stack's two */
  readonly queueUrls?: readonly string[];
  /** The detector to invoke. @default - the stack's DetectorFunctionName output */
  readonly functionName?: string;
  /** Show what would be redriven; invoke and delete nothing. */
  readonly dryRun: boolean;
  /** Handle at most this many messages in all. */
  readonly max: number;
}

export interface QueueTarget {
  readonly url: string;
  /** How messages name it: `Detector failure queue`, `queue NAME`. */
  readonly label: string;
  readonly region: string;
}

interface MessageBase {
  readonly queue: QueueTarget;
  readonly messageId?: string;
}

interface EventBase extends MessageBase {
  readonly event: EventSummary;
  /** Why the event was dead-lettered: the detector's error, or EventBridge's. */
  readonly cause: string;
}

/**
 * What became of one message. `alerts` is the detector's answer, undefined when it was not
 * readable (the detector succeeded all the same).
 */
export type MessageReport =
  | (MessageBase & { readonly result: 'unrecognised'; readonly reason: string })
  | (EventBase & {
      readonly result: 'would-redrive';
      /** Why this sgwatch would reject the event as malformed. @default - it would not */
      readonly rejection?: string;
    })
  | (EventBase & { readonly result: 'failed'; readonly error: string })
  | (EventBase & { readonly result: 'redriven'; readonly alerts?: readonly AlertSummary[] })
  | (EventBase & {
      readonly result: 'not-deleted';
      readonly alerts?: readonly AlertSummary[];
      /** Why the processed message could not be deleted. */
      readonly deleteError: string;
    });

export interface RedriveCounts {
  received: number;
  redriven: number;
  wouldRedrive: number;
  failed: number;
  unrecognised: number;
  notDeleted: number;
  /** Alerts the detector answered with, by outcome, in the order first met. */
  readonly outcomes: Map<string, number>;
  /** True when --max was reached: more messages may be waiting. */
  stoppedAtMax: boolean;
}

export interface RedriveListener {
  /** A queue about to be worked through, with its approximate depth when SQS gave one. */
  onQueue?(queue: QueueTarget, depth: number | undefined): void;
  onMessage?(report: MessageReport): void;
  /** A message left hidden: it reappears on its own after the visibility timeout. */
  onStillHidden?(queue: QueueTarget, reason: string): void;
}

interface Clients {
  readonly lambda: LambdaClient;
  readonly sqsFor: (region: string) => SQSClient;
}

interface RunContext extends Clients {
  readonly dryRun: boolean;
  readonly functionName: string;
  readonly listener: RedriveListener;
  readonly counts: RedriveCounts;
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
  context: RunContext,
): Promise<boolean> {
  const { counts, listener } = context;
  const messageId = cleaned(message.MessageId);
  const base = { queue, ...(messageId !== undefined ? { messageId } : {}) };
  const letter = readDeadLetter(message.Body, message.MessageAttributes);
  if (letter.kind === 'unrecognised') {
    counts.unrecognised += 1;
    listener.onMessage?.({ ...base, result: 'unrecognised', reason: letter.reason });
    return false;
  }
  const about = {
    ...base,
    event: eventSummary(letter.event),
    cause: cleaned(letter.cause, 400) ?? '-',
  };

  if (context.dryRun) {
    counts.wouldRedrive += 1;
    let rejection: string | undefined;
    try {
      validateEnvelope(letter.event);
    } catch (error) {
      rejection = cleaned(messageOf(error), 300) ?? '-';
    }
    listener.onMessage?.({
      ...about,
      result: 'would-redrive',
      ...(rejection !== undefined ? { rejection } : {}),
    });
    return false;
  }

  let response;
  try {
    response = await context.lambda.send(
      new InvokeCommand({
        FunctionName: context.functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(letter.event)),
      }),
    );
  } catch (error) {
    // Not the event's fault: the function is missing, throttled past the SDK's retries, or
    // we may not call it. Every further message would fail the same way.
    throw new AwsCommandError(
      `cannot invoke the detector ${context.functionName}: ${explainAwsError(error)}; stopped, and every message not yet redriven is left in its queue`,
      { cause: error },
    );
  }
  const payload = new TextDecoder().decode(response.Payload ?? new Uint8Array());
  if (response.FunctionError !== undefined) {
    counts.failed += 1;
    listener.onMessage?.({
      ...about,
      result: 'failed',
      error: functionErrorOf(payload, response.FunctionError),
    });
    return false;
  }

  const alerts = alertsOf(payload);
  for (const alert of alerts ?? []) {
    counts.outcomes.set(alert.outcome, (counts.outcomes.get(alert.outcome) ?? 0) + 1);
  }
  const answered = { ...about, ...(alerts !== undefined ? { alerts } : {}) };
  try {
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    counts.notDeleted += 1;
    listener.onMessage?.({
      ...answered,
      result: 'not-deleted',
      deleteError: explainAwsError(error),
    });
    return false;
  }
  counts.redriven += 1;
  listener.onMessage?.({ ...answered, result: 'redriven' });
  return true;
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
  listener: RedriveListener,
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
      listener.onStillHidden?.(queue, explainAwsError(error));
    }
  }
}

/**
 * Works through one queue until it is empty, the budget is spent, or only messages this run
 * has already seen come back. Whatever is not deleted is made visible again before return,
 * whatever happened, so the next run (or the next operator) finds it at once.
 */
async function drainQueue(queue: QueueTarget, budget: number, context: RunContext) {
  const sqs = context.sqsFor(queue.region);
  const depth = await approximateDepth(sqs, queue);
  context.listener.onQueue?.(queue, depth);
  // Message id -> its latest receipt handle, for every message received and not deleted.
  const held = new Map<string, string>();
  const done = new Set<string>();
  let remaining = budget;
  try {
    while (remaining > 0) {
      const { Messages: batch = [] } = await receive(sqs, queue, {
        MaxNumberOfMessages: Math.min(SQS_BATCH, remaining),
        VisibilityTimeout: context.dryRun ? DRY_RUN_VISIBILITY_SECONDS : REDRIVE_VISIBILITY_SECONDS,
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
        context.counts.received += 1;
        if (await handleMessage(message, queue, sqs, context)) {
          held.delete(id);
          done.add(id);
        }
      }
      if (fresh.length === 0) break;
    }
  } finally {
    await releaseAll(sqs, queue, held, context.listener);
  }
  return budget - remaining;
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

function namedQueue(url: string, region: string): QueueTarget {
  return { url, label: `queue ${queueNameOf(url)}`, region: regionOfQueueUrl(url) ?? region };
}

/** What a redrive works on: the detector it invokes and the queues it reads, in order. */
export interface RedriveTargets {
  readonly functionName: string;
  readonly queues: readonly QueueTarget[];
}

/** The detector and the queues of a request; the stack is read only for what is not named. */
export async function redriveTargets(request: RedriveRequest): Promise<RedriveTargets> {
  const { region, queueUrls, functionName } = request;
  if (queueUrls !== undefined && functionName !== undefined) {
    return { functionName, queues: queueUrls.map((url) => namedQueue(url, region)) };
  }
  const stack = await readStack(request.stack, region);
  return {
    functionName:
      functionName ?? requireOutput(stack, STACK_OUTPUTS.detectorFunction, '--function NAME'),
    queues:
      queueUrls?.map((url) => namedQueue(url, region)) ??
      (
        [
          ['Detector failure queue', STACK_OUTPUTS.detectorFailureQueue],
          ['Rule target queue', STACK_OUTPUTS.ruleTargetQueue],
        ] as const
      ).map(([label, key]) => {
        const url = requireOutput(stack, key, '--queue URL');
        return { url, label, region: regionOfQueueUrl(url) ?? region };
      }),
  };
}

/** The Region of a function ARN; a bare name lives in the working Region. */
function regionOfFunction(name: string): string | undefined {
  return /^arn:[^:]+:lambda:([a-z0-9-]+):/.exec(name)?.[1];
}

/**
 * Redrives the targets' queues through their detector, reporting each message to
 * `listener`. Returns the counts; throws AwsCommandError when AWS fails in a way that stops
 * the run.
 */
export async function runRedrive(
  request: RedriveRequest,
  { functionName, queues }: RedriveTargets,
  listener: RedriveListener = {},
): Promise<RedriveCounts> {
  const sqsClients = new Map<string, SQSClient>();
  const lambda = new LambdaClient({ region: regionOfFunction(functionName) ?? request.region });
  const counts: RedriveCounts = {
    received: 0,
    redriven: 0,
    wouldRedrive: 0,
    failed: 0,
    unrecognised: 0,
    notDeleted: 0,
    outcomes: new Map(),
    stoppedAtMax: false,
  };
  const context: RunContext = {
    dryRun: request.dryRun,
    functionName,
    lambda,
    listener,
    counts,
    sqsFor: (queueRegion) => {
      let client = sqsClients.get(queueRegion);
      if (client === undefined) {
        client = new SQSClient({ region: queueRegion });
        sqsClients.set(queueRegion, client);
      }
      return client;
    },
  };
  try {
    let budget = request.max;
    for (const queue of queues) {
      if (budget === 0) break;
      budget -= await drainQueue(queue, budget, context);
    }
    counts.stoppedAtMax = budget === 0;
  } finally {
    lambda.destroy();
    for (const client of sqsClients.values()) client.destroy();
  }
  return counts;
}
