/**
 * A local stand-in for the SNS `Publish` API, for integration tests that run the real
 * `@aws-sdk/client-sns` (serializer, error parsing, retries) without an AWS account.
 *
 * The installed client speaks the awsQuery protocol: a form-encoded POST
 * (`Action=Publish&Version=2010-03-31&...`) answered with XML. Production code finds this
 * server only through `AWS_ENDPOINT_URL_SNS`, which the SDK reads on its own.
 *
 * Validation follows the documented Publish constraints so that a message AWS would refuse
 * is refused here too, with the same HTTP 400 `InvalidParameter` the SDK does not retry.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, escapeXml, listenOnLoopback, readQueryForm } from './loopback';

export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  messageStructure?: string;
  attributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

export interface InjectedFailure {
  status?: number;
  code?: string;
}

export interface LocalSns {
  readonly url: string;
  /** Accepted publishes, oldest first. Cleared in place by `reset()`. */
  readonly published: PublishedMessage[];
  /** Every HTTP request received, including rejected and injected failures. */
  readonly requests: number;
  failNext(count: number, failure?: InjectedFailure): void;
  reset(): void;
  close(): Promise<void>;
}

const API_VERSION = '2010-03-31';
const XML_NAMESPACE = `http://sns.amazonaws.com/doc/${API_VERSION}/`;
/** Documented Publish limit: 256 KiB measured in UTF-8 bytes, attributes included. */
const MAX_MESSAGE_BYTES = 262_144;
const MAX_SUBJECT_CHARACTERS = 99;
const MAX_MESSAGE_ATTRIBUTES = 10;
const MAX_ATTRIBUTE_NAME_CHARACTERS = 256;
/** Well above any legal request; stops a runaway test from filling memory. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
const DATA_TYPES = new Set(['String', 'String.Array', 'Number', 'Binary']);
// Partition, Region, 12-digit account, then a topic name of letters, digits, - and _,
// optionally with the .fifo suffix FIFO topics must carry.
const TOPIC_ARN = /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const FIFO_TOPIC_ARN =
  /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,251}\.fifo$/;
// The subject becomes an email header, so AWS refuses any line break or control character;
// we also refuse the Unicode line and paragraph separators, which mail clients render as breaks.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const NUMBER_VALUE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function invalid(detail: string): SnsError {
  return new SnsError(400, 'InvalidParameter', `Invalid parameter: ${detail}`);
}

export async function startLocalSns(): Promise<LocalSns> {
  const published: PublishedMessage[] = [];
  const pendingFailures: Required<InjectedFailure>[] = [];
  let requests = 0;
  let sequence = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requests += 1;
    const requestId = randomUUID();
    try {
      const params = await readQueryRequest(request);
      const action = params.get('Action');
      if (action !== 'Publish') {
        throw new SnsError(
          400,
          'InvalidAction',
          `The action ${action ?? '(none)'} is not valid for this endpoint.`,
        );
      }
      const failure = pendingFailures.shift();
      if (failure !== undefined) {
        throw new SnsError(failure.status, failure.code, 'Injected failure from local SNS.');
      }
      const accepted = parsePublish(params);
      const messageId = randomUUID();
      published.push({ messageId, ...accepted });
      const sequenceNumber =
        accepted.messageGroupId === undefined
          ? ''
          : `<SequenceNumber>${String((sequence += 1)).padStart(20, '0')}</SequenceNumber>`;
      sendXml(
        response,
        200,
        requestId,
        `<PublishResponse xmlns="${XML_NAMESPACE}"><PublishResult><MessageId>${messageId}</MessageId>${sequenceNumber}</PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
      );
    } catch (error) {
      const failure =
        error instanceof SnsError
          ? error
          : new SnsError(500, 'InternalError', `Local SNS crashed: ${String(error)}`);
      // awsQuery error shape: the SDK reads Error.Code to pick the exception class.
      const type = failure.status >= 500 ? 'Receiver' : 'Sender';
      sendXml(
        response,
        failure.status,
        requestId,
        `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${type}</Type><Code>${escapeXml(failure.code)}</Code><Message>${escapeXml(failure.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    get published() {
      return published;
    },
    get requests() {
      return requests;
    },
    failNext(count, failure = {}) {
      if (!Number.isInteger(count) || count < 0) {
        throw new RangeError(`failNext count must be a non-negative integer, got ${count}`);
      }
      const status = failure.status ?? 500;
      const code = failure.code ?? defaultErrorCode(status);
      for (let i = 0; i < count; i += 1) {
        pendingFailures.push({ status, code });
      }
    },
    reset() {
      published.length = 0;
      pendingFailures.length = 0;
      requests = 0;
    },
    close() {
      return closeServer(server);
    },
  };
}

function defaultErrorCode(status: number): string {
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalError';
  if (status === 403) return 'AuthorizationError';
  if (status === 404) return 'NotFound';
  return 'InvalidParameter';
}

function readQueryRequest(request: IncomingMessage): Promise<URLSearchParams> {
  return readQueryForm(request, {
    maxBytes: MAX_REQUEST_BYTES,
    server: 'Local SNS',
    fail: (status, code, message) => new SnsError(status, code, message),
  });
}

function parsePublish(params: URLSearchParams): Omit<PublishedMessage, 'messageId'> {
  if (params.has('TargetArn') || params.has('PhoneNumber')) {
    throw invalid('local SNS only supports publishing to a TopicArn');
  }
  const topicArn = params.get('TopicArn');
  if (topicArn === null || topicArn === '') {
    throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
  }
  const isFifo = FIFO_TOPIC_ARN.test(topicArn);
  if (!isFifo && !TOPIC_ARN.test(topicArn)) {
    throw invalid(`TopicArn "${topicArn}" is not an SNS topic ARN`);
  }

  const message = params.get('Message');
  if (message === null || message === '') {
    throw invalid('Empty message');
  }

  const subject = params.get('Subject') ?? undefined;
  if (subject !== undefined) checkSubject(subject);

  const messageStructure = params.get('MessageStructure') ?? undefined;
  if (messageStructure !== undefined) {
    if (messageStructure !== 'json') {
      throw invalid(`MessageStructure must be "json", got "${messageStructure}"`);
    }
    checkJsonStructure(message);
  }

  const attributes = parseAttributes(params);
  const attributeBytes = Object.entries(attributes).reduce(
    (total, [name, value]) =>
      total +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.dataType) +
      Buffer.byteLength(value.stringValue ?? '') +
      Buffer.byteLength(value.binaryValue ?? '', 'base64'),
    0,
  );
  const totalBytes = Buffer.byteLength(message, 'utf8') + attributeBytes;
  if (totalBytes > MAX_MESSAGE_BYTES) {
    throw invalid(`Message too long: ${totalBytes} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  }

  const messageGroupId = params.get('MessageGroupId') ?? undefined;
  const messageDeduplicationId = params.get('MessageDeduplicationId') ?? undefined;
  if (isFifo && (messageGroupId === undefined || messageGroupId === '')) {
    throw invalid('The MessageGroupId parameter is required for FIFO topics');
  }

  return {
    topicArn,
    message,
    attributes,
    ...(subject !== undefined && { subject }),
    ...(messageStructure !== undefined && { messageStructure }),
    ...(messageGroupId !== undefined && { messageGroupId }),
    ...(messageDeduplicationId !== undefined && { messageDeduplicationId }),
  };
}

function checkSubject(subject: string): void {
  if (subject === '') {
    throw invalid('Subject must not be empty');
  }
  // "Less than 100 characters" counts characters, so count code points rather than UTF-16 units.
  if ([...subject].length > MAX_SUBJECT_CHARACTERS) {
    throw invalid('Subject must be less than 100 characters long');
  }
  if (CONTROL_CHARACTER.test(subject)) {
    throw invalid('Subject must not contain line breaks or control characters');
  }
}

function checkJsonStructure(message: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Message Structure - JSON message body must be an object');
  }
  const entries = Object.entries(parsed);
  if (!entries.some(([key]) => key === 'default')) {
    throw invalid('Message Structure - No default entry in JSON message body');
  }
  // AWS says non-string values are ignored; a silently dropped protocol is a bug in our
  // renderer, so refuse them instead.
  const nonString = entries.find(([, value]) => typeof value !== 'string');
  if (nonString !== undefined) {
    throw invalid(`Message Structure - value for "${nonString[0]}" must be a string`);
  }
}

interface RawAttribute {
  name?: string;
  dataType?: string;
  stringValue?: string;
  binaryValue?: string;
}

function parseAttributes(params: URLSearchParams): PublishedMessage['attributes'] {
  // The SDK serializes the map as MessageAttributes.entry.N.{Name,Value.DataType,...}.
  const byIndex = new Map<string, RawAttribute>();
  const fields: Record<string, keyof RawAttribute> = {
    Name: 'name',
    'Value.DataType': 'dataType',
    'Value.StringValue': 'stringValue',
    'Value.BinaryValue': 'binaryValue',
  };
  for (const [key, value] of params) {
    const match = /^MessageAttributes\.entry\.(\d+)\.(.+)$/.exec(key);
    if (match === null) {
      if (key.startsWith('MessageAttributes')) {
        throw invalid(`unrecognised message attribute parameter "${key}"`);
      }
      continue;
    }
    const [, index = '', suffix = ''] = match;
    const field = fields[suffix];
    if (field === undefined) {
      throw invalid(`unrecognised message attribute parameter "${key}"`);
    }
    const entry = byIndex.get(index) ?? {};
    entry[field] = value;
    byIndex.set(index, entry);
  }

  if (byIndex.size > MAX_MESSAGE_ATTRIBUTES) {
    throw invalid(
      `Number of message attributes [${byIndex.size}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}]`,
    );
  }

  const attributes: PublishedMessage['attributes'] = {};
  for (const raw of byIndex.values()) {
    const name = raw.name ?? '';
    checkAttributeName(name);
    if (Object.hasOwn(attributes, name)) {
      throw invalid(`Message attribute name "${name}" is repeated`);
    }
    if (raw.dataType === undefined || raw.dataType === '') {
      throw invalid(`The message attribute '${name}' must contain a non-empty DataType`);
    }
    if (!DATA_TYPES.has(raw.dataType)) {
      throw invalid(
        `The message attribute '${name}' has an invalid message attribute type '${raw.dataType}'`,
      );
    }
    attributes[name] = checkAttributeValue(name, raw.dataType, raw);
  }
  return attributes;
}

function checkAttributeName(name: string): void {
  if (name === '') {
    throw invalid('Message attribute name must not be empty');
  }
  const problem =
    name.length > MAX_ATTRIBUTE_NAME_CHARACTERS
      ? 'is longer than 256 characters'
      : !ATTRIBUTE_NAME.test(name)
        ? 'may only contain letters, digits, "_", "-" and "."'
        : name.startsWith('.') || name.endsWith('.') || name.includes('..')
          ? 'must not start or end with "." or contain ".."'
          : /^(aws|amazon)\./i.test(name)
            ? 'uses a prefix reserved for AWS'
            : undefined;
  if (problem !== undefined) {
    throw invalid(`Message attribute name "${name}" ${problem}`);
  }
}

function checkAttributeValue(
  name: string,
  dataType: string,
  raw: RawAttribute,
): PublishedMessage['attributes'][string] {
  if (dataType === 'Binary') {
    if (raw.binaryValue === undefined || raw.binaryValue === '') {
      throw invalid(`The message attribute '${name}' with type 'Binary' must use field 'Binary'`);
    }
    return { dataType, binaryValue: raw.binaryValue };
  }
  const value = raw.stringValue;
  if (value === undefined || value === '') {
    throw invalid(`The message attribute '${name}' must contain non-empty message attribute value`);
  }
  if (dataType === 'Number' && !NUMBER_VALUE.test(value)) {
    throw invalid(`The message attribute '${name}' has an invalid numeric value '${value}'`);
  }
  if (dataType === 'String.Array' && !isStringArrayValue(value)) {
    throw invalid(`The message attribute '${name}' has an invalid String.Array value`);
  }
  return { dataType, stringValue: value };
}

/** String.Array values are a JSON array of strings, numbers, true, false or null. */
function isStringArrayValue(value: string): boolean {
  try {
    const parsed: unknown = JSON.parse(value);
    return (
      Array.isArray(parsed) &&
      parsed.every(
        (item) =>
          item === null ||
          typeof item === 'string' ||
          typeof item === 'number' ||
          typeof item === 'boolean',
      )
    );
  } catch {
    return false;
  }
}

function sendXml(response: ServerResponse, status: number, requestId: string, body: string): void {
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  response.end(body);
}
