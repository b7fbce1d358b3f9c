/**
 * A local Lambda Invoke endpoint that runs real handlers in this process.
 *
 * The installed client speaks REST-JSON: `POST /2015-03-31/functions/{FunctionName}/invocations`
 * with the payload as the raw body and the invocation type in `X-Amz-Invocation-Type`. As
 * Lambda does, a handler that throws still answers HTTP 200: the error comes back as the
 * payload `{errorType, errorMessage, trace}` with `X-Amz-Function-Error: Unhandled`, while
 * problems with the request itself (unknown function, bad JSON) are HTTP errors the SDK
 * raises as exceptions.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  asFakeError,
  AwsFakeError,
  readBody,
  signedScope,
  startServer,
  TEST_ACCOUNT,
} from './http';

export type FunctionHandler = (event: unknown) => unknown;

export interface Invocation {
  readonly functionName: string;
  readonly region: string;
  readonly invocationType: string;
  readonly event: unknown;
  /** Set when the handler threw. */
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
}

export interface FakeLambda {
  readonly url: string;
  readonly invocations: readonly Invocation[];
  /** Deploys `handler` as function `name` in `region` (default us-east-1). */
  define(name: string, handler: FunctionHandler, options?: { region?: string }): string;
  close(): Promise<void>;
}

/** Lambda's synchronous payload limit. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function notFound(name: string, region: string): AwsFakeError {
  return new AwsFakeError(
    404,
    'ResourceNotFoundException',
    `Function not found: arn:aws:lambda:${region}:${TEST_ACCOUNT}:function:${name}`,
  );
}

/** A name, a full ARN, or a partial ARN (`account:function:name`), with an optional qualifier. */
function parseFunctionName(raw: string): { name: string; region?: string; qualifier?: string } {
  const arn = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::(.+))?$/.exec(raw);
  const [, region, , name, qualifier] = arn ?? [];
  if (region !== undefined && name !== undefined) {
    return { region, name, ...(qualifier !== undefined ? { qualifier } : {}) };
  }
  const partial = /^(?:\d{12}:function:)?([^:]+)(?::(.+))?$/.exec(raw);
  return {
    name: partial?.[1] ?? raw,
    ...(partial?.[2] !== undefined ? { qualifier: partial[2] } : {}),
  };
}

function errorPayload(error: unknown): {
  errorType: string;
  errorMessage: string;
  trace: string[];
} {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    stack?: unknown;
  };
  return {
    errorType: typeof shape.name === 'string' ? shape.name : 'Error',
    errorMessage: typeof shape.message === 'string' ? shape.message : String(error),
    trace: typeof shape.stack === 'string' ? shape.stack.split('\n') : [],
  };
}

export async function startFakeLambda(): Promise<FakeLambda> {
  const functions = new Map<string, FunctionHandler>();
  const invocations: Invocation[] = [];
  const key = (region: string, name: string) => `${region}/${name}`;

  const send = (
    response: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string>,
  ) => {
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
      ...headers,
    });
    response.end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = INVOKE_PATH.exec(url.pathname);
      if (request.method !== 'POST' || match === null) {
        throw new AwsFakeError(
          404,
          'UnknownOperationException',
          `This fake only serves Invoke, not ${request.method} ${url.pathname}.`,
        );
      }
      const { region } = signedScope(request.headers, 'lambda');
      const target = parseFunctionName(decodeURIComponent(match[1] as string));
      const qualifier = url.searchParams.get('Qualifier') ?? target.qualifier;
      const handler = functions.get(key(region, target.name));
      // Lambda looks the function up in the Region the request went to; an ARN naming
      // another Region does not redirect it.
      if (handler === undefined || (target.region !== undefined && target.region !== region)) {
        throw notFound(target.name, region);
      }
      if (qualifier !== undefined && qualifier !== '$LATEST') {
        throw notFound(`${target.name}:${qualifier}`, region);
      }
      const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
        throw new AwsFakeError(
          400,
          'InvalidParameterValueException',
          `Unsupported invocation type ${invocationType}.`,
        );
      }
      const body = await readBody(request);
      if (body.length > MAX_PAYLOAD_BYTES) {
        throw new AwsFakeError(
          413,
          'RequestTooLargeException',
          `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
        );
      }
      let event: unknown = null;
      if (body.length > 0) {
        try {
          event = JSON.parse(body.toString('utf8'));
        } catch (error) {
          throw new AwsFakeError(
            400,
            'InvalidRequestContentException',
            `Could not parse request body into json: ${String(error)}`,
          );
        }
      }
      if (invocationType === 'DryRun') {
        send(response, 204, '', {});
        return;
      }
      const run = async (): Promise<{
        result?: unknown;
        error?: ReturnType<typeof errorPayload>;
      }> => {
        try {
          return { result: await handler(event) };
        } catch (error) {
          return { error: errorPayload(error) };
        }
      };
      if (invocationType === 'Event') {
        void run().then(({ error }) => {
          invocations.push({
            functionName: target.name,
            region,
            invocationType,
            event,
            ...(error !== undefined
              ? { error: { errorType: error.errorType, errorMessage: error.errorMessage } }
              : {}),
          });
        });
        send(response, 202, '', {});
        return;
      }
      const outcome = await run();
      invocations.push({
        functionName: target.name,
        region,
        invocationType,
        event,
        ...(outcome.error !== undefined
          ? {
              error: {
                errorType: outcome.error.errorType,
                errorMessage: outcome.error.errorMessage,
              },
            }
          : {}),
      });
      if (outcome.error !== undefined) {
        send(response, 200, JSON.stringify(outcome.error), {
          'x-amz-function-error': 'Unhandled',
          'x-amz-executed-version': '$LATEST',
        });
        return;
      }
      // The runtime serialises the return value; `undefined` arrives as `null`.
      send(response, 200, JSON.stringify(outcome.result ?? null), {
        'x-amz-executed-version': '$LATEST',
      });
    } catch (error) {
      const failure = asFakeError(error);
      send(
        response,
        failure.status,
        JSON.stringify({
          Type: failure.status >= 500 ? 'Service' : 'User',
          Message: failure.message,
        }),
        {
          'x-amzn-errortype': failure.code,
        },
      );
    }
  };

  const server = await startServer(handle);
  return {
    url: server.url,
    invocations,
    define(name, handler, options = {}) {
      const region = options.region ?? 'us-east-1';
      functions.set(key(region, name), handler);
      return `arn:aws:lambda:${region}:${TEST_ACCOUNT}:function:${name}`;
    },
    close: () => server.close(),
  };
}
