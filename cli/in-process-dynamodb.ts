import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The operations dynalite implements, by the SDK command that asks for each. */
const OPERATIONS: ReadonlyArray<readonly [new (input: never) => object, string]> = [
  [dynamodb.BatchGetItemCommand, 'BatchGetItem'],
  [dynamodb.BatchWriteItemCommand, 'BatchWriteItem'],
  [dynamodb.CreateTableCommand, 'CreateTable'],
  [dynamodb.DeleteItemCommand, 'DeleteItem'],
  [dynamodb.DeleteTableCommand, 'DeleteTable'],
  [dynamodb.DescribeTableCommand, 'DescribeTable'],
  [dynamodb.DescribeTimeToLiveCommand, 'DescribeTimeToLive'],
  [dynamodb.GetItemCommand, 'GetItem'],
  [dynamodb.ListTablesCommand, 'ListTables'],
  [dynamodb.ListTagsOfResourceCommand, 'ListTagsOfResource'],
  [dynamodb.PutItemCommand, 'PutItem'],
  [dynamodb.QueryCommand, 'Query'],
  [dynamodb.ScanCommand, 'Scan'],
  [dynamodb.TagResourceCommand, 'TagResource'],
  [dynamodb.UntagResourceCommand, 'UntagResource'],
  [dynamodb.UpdateItemCommand, 'UpdateItem'],
  [dynamodb.UpdateTableCommand, 'UpdateTable'],
];

/** A command the embedded store does not implement, or input it cannot carry. */
export class InProcessDynamoDbError extends Error {
  override readonly name = 'InProcessDynamoDbError';
}

/**
 * dynalite checks that a request is signed before it looks at the body; nothing checks the
 * signature itself, so a well-formed placeholder stands in for SigV4.
 */
const HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
  'x-amz-date': '20260101T000000Z',
};

function operationOf(command: object): string {
  for (const [Command, operation] of OPERATIONS) {
    if (command instanceof Command) return operation;
  }
  throw new InProcessDynamoDbError(
    `the embedded store does not support ${command.constructor.name} (dynalite has no such operation)`,
  );
}

function serialize(input: unknown): string {
  return JSON.stringify(input, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      // The SDK would send these as base64 and hand back Uint8Arrays; the alert store keeps
      // no binary attributes, so the round trip is left out rather than half done.
      throw new InProcessDynamoDbError('the embedded store does not take binary attributes');
    }
    return value;
  });
}

/** The SDK's own exception class for an error dynalite returned, so callers can tell them apart. */
function exceptionOf(body: { __type?: string; message?: string }, status: number): Error {
  const name = (body.__type ?? 'UnknownError').split('#').pop() ?? 'UnknownError';
  const $metadata = { httpStatusCode: status };
  const message = body.message ?? name;
  const Known = (dynamodb as Record<string, unknown>)[name];
  if (typeof Known === 'function' && Known.prototype instanceof dynamodb.DynamoDBServiceException) {
    return new (Known as new (options: object) => Error)({ message, $metadata });
  }
  return new dynamodb.DynamoDBServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    message,
    $metadata,
  });
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A DynamoDB client for a dynalite server in this process that hands each request straight to
 * dynalite's request handler: no socket, no HTTP parsing, no SDK middleware (serialisation,
 * signing, retries). The requests and answers are DynamoDB's JSON, as on the wire, so
 * dynalite validates and executes them exactly as it does over HTTP. Commands and results
 * have the SDK's shapes, errors the SDK's exception classes.
 */
export function inProcessDynamoDbClient(server: Server): DynamoDBClient {
  const [listener] = server.listeners('request') as RequestListener[];
  if (listener === undefined)
    throw new InProcessDynamoDbError('the dynalite server has no handler');
  const send = async (command: { input?: unknown }): Promise<unknown> => {
    const operation = operationOf(command);
    const body = serialize(command.input ?? {});
    return new Promise((resolve, reject) => {
      const request = Object.assign(new EventEmitter(), {
        method: 'POST',
        url: '/',
        headers: { ...HEADERS, 'x-amz-target': `DynamoDB_20120810.${operation}` },
      });
      let status = 200;
      const response = {
        get statusCode() {
          return status;
        },
        set statusCode(value: number) {
          status = value;
        },
        setHeader: () => response,
        end: (text?: string) => {
          const parsed = (text === undefined || text === '' ? {} : JSON.parse(text)) as Record<
            string,
            unknown
          >;
          if (status === 200) resolve({ ...parsed, $metadata: { httpStatusCode: 200 } });
          else reject(exceptionOf(parsed, status));
        },
      };
      listener(request as unknown as IncomingMessage, response as unknown as ServerResponse);
      request.emit('data', Buffer.from(body));
      request.emit('end');
    });
  };
  // Only `send` and `destroy` are part of what the adapters use of a client.
  return { send, destroy: () => undefined } as unknown as DynamoDBClient;
}
