/**
 * A local SQS for the operations `sgwatch redrive` and `sgwatch doctor` use:
 * ReceiveMessage, DeleteMessage, ChangeMessageVisibility and GetQueueAttributes.
 *
 * The installed client speaks AWS JSON 1.0 (`X-Amz-Target: AmazonSQS.ReceiveMessage`) in
 * awsQuery-compatible mode, so errors carry both `__type` and the legacy
 * `x-amzn-query-error` code. State follows the documented semantics a redrive depends on:
 * a received message is hidden for its visibility timeout and then reappears; every receipt
 * issues a new receipt handle; deleting with an outdated handle succeeds without deleting
 * (as SQS documents); ChangeMessageVisibility needs the latest handle of a message in
 * flight. The body MD5 is real, because the SDK checks it on every receive.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  AwsFakeError,
  jsonRpcProtocol,
  optionalInteger,
  optionalStringList,
  requiredString,
  startServer,
  TEST_ACCOUNT,
} from './http';
import type { JsonObject, RequestContext } from './http';

export interface SqsAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  /** Base64, as the JSON protocol carries binary values. */
  readonly BinaryValue?: string;
}

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, SqsAttributeValue>>;
  readonly receiveCount: number;
  /** False while a receiver holds it (its visibility timeout has not passed). */
  readonly visible: boolean;
}

export interface SqsCall {
  readonly operation: string;
  readonly input: JsonObject;
}

export interface FakeSqs {
  readonly url: string;
  /** Every operation called, in order, with its input. */
  readonly calls: readonly SqsCall[];
  /** Creates a queue in `region` (default us-east-1) and returns its URL. */
  createQueue(name: string, options?: { region?: string; visibilityTimeout?: number }): string;
  /** Puts a message on a queue, as EventBridge or Lambda would. Returns its message id. */
  send(queueUrl: string, body: string, attributes?: Record<string, SqsAttributeValue>): string;
  /** Every message in the queue, visible or in flight, oldest first. */
  messages(queueUrl: string): QueuedMessage[];
  close(): Promise<void>;
}

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Record<string, SqsAttributeValue>;
  readonly md5OfBody: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  visibleAt: number;
  /** Only the latest receipt handle can change visibility or delete. */
  receiptHandle?: string;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly region: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly visibilityTimeout: number;
  messages: StoredMessage[];
}

const NAMESPACE = 'com.amazonaws.sqs';
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
const POLL_INTERVAL_MS = 20;
const QUEUE_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'MaximumMessageSize',
  'SqsManagedSseEnabled',
];
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
];

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * SQS's documented MD5 of message attributes: for each attribute in name order, the
 * length-prefixed name, length-prefixed data type, a transport byte (1 string, 2 binary)
 * and the length-prefixed value.
 */
export function md5OfMessageAttributes(attributes: Record<string, SqsAttributeValue>): string {
  const parts: Buffer[] = [];
  const prefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] as SqsAttributeValue;
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      prefixed(Buffer.from(value.BinaryValue, 'base64'));
    } else {
      parts.push(Buffer.from([1]));
      prefixed(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(parts));
}

function queueMissing(): AwsFakeError {
  return new AwsFakeError(
    400,
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );
}

function invalidParameter(message: string): AwsFakeError {
  return new AwsFakeError(400, 'InvalidParameterValue', message, 'InvalidParameterValue');
}

function inRange(
  value: number | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value !== undefined && (value < min || value > max)) {
    throw invalidParameter(
      `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

/** `All`, `.*`, `Prefix.*` or exact names, as ReceiveMessage's MessageAttributeNames takes them. */
function selectAttributes(
  attributes: Record<string, SqsAttributeValue>,
  names: readonly string[],
): Record<string, SqsAttributeValue> {
  const wanted = (name: string) =>
    names.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted(name)));
}

export async function startFakeSqs(): Promise<FakeSqs> {
  const queues = new Map<string, Queue>();
  const calls: SqsCall[] = [];
  let baseUrl = '';

  const queueFor = (input: JsonObject, context: RequestContext): Queue => {
    const url = requiredString(input, 'QueueUrl', 'MissingParameter');
    const queue = queues.get(url.replace(/\/+$/, ''));
    // A queue is regional: asked through another Region, it does not exist.
    if (queue === undefined || queue.region !== context.region) throw queueMissing();
    return queue;
  };

  const handleOwner = (queue: Queue, receiptHandle: string): StoredMessage | 'stale' => {
    let decoded: { q?: unknown; m?: unknown } = {};
    try {
      decoded = JSON.parse(Buffer.from(receiptHandle, 'base64').toString('utf8')) as typeof decoded;
    } catch {
      // Not one of ours.
    }
    if (decoded.q !== queue.arn || typeof decoded.m !== 'string') {
      throw new AwsFakeError(
        404,
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
        'ReceiptHandleIsInvalid',
      );
    }
    const message = queue.messages.find((m) => m.messageId === decoded.m);
    return message !== undefined && message.receiptHandle === receiptHandle ? message : 'stale';
  };

  const visibleNow = (queue: Queue, now: number) =>
    queue.messages.filter((m) => m.visibleAt <= now);

  const operations = {
    async ReceiveMessage(input: JsonObject, context: RequestContext): Promise<JsonObject> {
      const queue = queueFor(input, context);
      const max =
        inRange(optionalInteger(input, 'MaxNumberOfMessages'), 'MaxNumberOfMessages', 1, 10) ?? 1;
      const visibility =
        inRange(
          optionalInteger(input, 'VisibilityTimeout'),
          'VisibilityTimeout',
          0,
          MAX_VISIBILITY_SECONDS,
        ) ?? queue.visibilityTimeout;
      const wait =
        inRange(
          optionalInteger(input, 'WaitTimeSeconds'),
          'WaitTimeSeconds',
          0,
          MAX_WAIT_SECONDS,
        ) ?? 0;
      const attributeNames = optionalStringList(input, 'MessageAttributeNames') ?? [];
      const systemNames = [
        ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? []),
        ...(optionalStringList(input, 'AttributeNames') ?? []),
      ];
      for (const name of systemNames) {
        if (name !== 'All' && !SYSTEM_ATTRIBUTES.includes(name)) {
          throw new AwsFakeError(
            400,
            'InvalidAttributeName',
            `Unknown Attribute ${name}.`,
            'InvalidAttributeName',
          );
        }
      }

      // Long polling: wait until something is visible or the wait is over.
      const deadline = Date.now() + wait * 1000;
      let candidates = visibleNow(queue, Date.now());
      while (candidates.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
        candidates = visibleNow(queue, Date.now());
      }
      const now = Date.now();
      const received = candidates.slice(0, max).map((message) => {
        message.receiveCount += 1;
        message.firstReceivedAt ??= now;
        message.visibleAt = now + visibility * 1000;
        message.receiptHandle = Buffer.from(
          JSON.stringify({
            q: queue.arn,
            m: message.messageId,
            n: randomBytes(12).toString('hex'),
          }),
        ).toString('base64');
        const system: Record<string, string> = {
          SenderId: 'AIDAFAKESENDER',
          SentTimestamp: String(message.sentAt),
          ApproximateReceiveCount: String(message.receiveCount),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
        };
        const chosenSystem = Object.fromEntries(
          Object.entries(system).filter(
            ([name]) => systemNames.includes('All') || systemNames.includes(name),
          ),
        );
        const attributes = selectAttributes(message.attributes, attributeNames);
        return {
          MessageId: message.messageId,
          ReceiptHandle: message.receiptHandle,
          MD5OfBody: message.md5OfBody,
          Body: message.body,
          ...(Object.keys(chosenSystem).length > 0 ? { Attributes: chosenSystem } : {}),
          ...(Object.keys(attributes).length > 0
            ? {
                MessageAttributes: attributes,
                MD5OfMessageAttributes: md5OfMessageAttributes(attributes),
              }
            : {}),
        };
      });
      // An empty receive is an empty object: no Messages member at all.
      return received.length > 0 ? { Messages: received } : {};
    },

    DeleteMessage(input: JsonObject, context: RequestContext): JsonObject {
      const queue = queueFor(input, context);
      const owner = handleOwner(queue, requiredString(input, 'ReceiptHandle', 'MissingParameter'));
      // SQS documents that an outdated receipt handle "succeeds, but the message will not be
      // deleted"; a redrive that relied on one would leave a message it reports as gone.
      if (owner !== 'stale') queue.messages = queue.messages.filter((m) => m !== owner);
      return {};
    },

    ChangeMessageVisibility(input: JsonObject, context: RequestContext): JsonObject {
      const queue = queueFor(input, context);
      const owner = handleOwner(queue, requiredString(input, 'ReceiptHandle', 'MissingParameter'));
      const timeout = inRange(
        optionalInteger(input, 'VisibilityTimeout'),
        'VisibilityTimeout',
        0,
        MAX_VISIBILITY_SECONDS,
      );
      if (timeout === undefined)
        throw new AwsFakeError(
          400,
          'MissingParameter',
          'The request must contain the parameter VisibilityTimeout.',
          'MissingParameter',
        );
      if (owner === 'stale') {
        throw invalidParameter(
          `Value ${String(input.ReceiptHandle)} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
        );
      }
      const now = Date.now();
      if (owner.visibleAt <= now) {
        throw new AwsFakeError(
          400,
          'MessageNotInflight',
          'Message not inflight.',
          'AWS.SimpleQueueService.MessageNotInflight',
        );
      }
      owner.visibleAt = now + timeout * 1000;
      return {};
    },

    GetQueueAttributes(input: JsonObject, context: RequestContext): JsonObject {
      const queue = queueFor(input, context);
      const names = optionalStringList(input, 'AttributeNames') ?? [];
      for (const name of names) {
        if (name !== 'All' && !QUEUE_ATTRIBUTES.includes(name)) {
          throw new AwsFakeError(
            400,
            'InvalidAttributeName',
            `Unknown Attribute ${name}.`,
            'InvalidAttributeName',
          );
        }
      }
      const now = Date.now();
      const visible = visibleNow(queue, now).length;
      const all: Record<string, string> = {
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
        ApproximateNumberOfMessagesDelayed: '0',
        CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
        LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
        QueueArn: queue.arn,
        VisibilityTimeout: String(queue.visibilityTimeout),
        MessageRetentionPeriod: '1209600',
        DelaySeconds: '0',
        ReceiveMessageWaitTimeSeconds: '0',
        MaximumMessageSize: '262144',
        SqsManagedSseEnabled: 'true',
      };
      const chosen = Object.fromEntries(
        Object.entries(all).filter(([name]) => names.includes('All') || names.includes(name)),
      );
      return Object.keys(chosen).length > 0 ? { Attributes: chosen } : {};
    },
  };

  const protocol = jsonRpcProtocol({
    signingName: 'sqs',
    jsonVersion: '1.0',
    targetPrefixes: ['AmazonSQS'],
    errorNamespace: NAMESPACE,
    queryCompatible: true,
    operations: Object.fromEntries(
      Object.entries(operations).map(([name, run]) => [
        name,
        (input: JsonObject, context: RequestContext) => {
          calls.push({ operation: name, input });
          return run(input, context);
        },
      ]),
    ),
  });
  const server = await startServer(protocol);
  baseUrl = server.url;

  const lookup = (url: string): Queue => {
    const queue = queues.get(url.replace(/\/+$/, ''));
    if (queue === undefined) throw new Error(`no fake queue ${url}`);
    return queue;
  };

  return {
    url: server.url,
    calls,
    createQueue(name, options = {}) {
      const region = options.region ?? 'us-east-1';
      // Queue URLs point at this server, as SQS's own point at its regional endpoint: the
      // client sends each request to the queue URL's host.
      const url = `${baseUrl}/${TEST_ACCOUNT}/${name}`;
      if (queues.has(url)) throw new Error(`fake queue ${name} exists`);
      queues.set(url, {
        name,
        url,
        region,
        arn: `arn:aws:sqs:${region}:${TEST_ACCOUNT}:${name}`,
        createdAt: Date.now(),
        visibilityTimeout: options.visibilityTimeout ?? 30,
        messages: [],
      });
      return url;
    },
    send(queueUrl, body, attributes = {}) {
      const queue = lookup(queueUrl);
      const messageId = randomUUID();
      queue.messages.push({
        messageId,
        body,
        attributes: { ...attributes },
        md5OfBody: md5(body),
        sentAt: Date.now(),
        receiveCount: 0,
        visibleAt: 0,
      });
      return messageId;
    },
    messages(queueUrl) {
      const now = Date.now();
      return lookup(queueUrl).messages.map((m) => ({
        messageId: m.messageId,
        body: m.body,
        attributes: m.attributes,
        receiveCount: m.receiveCount,
        visible: m.visibleAt <= now,
      }));
    },
    close: () => server.close(),
  };
}
