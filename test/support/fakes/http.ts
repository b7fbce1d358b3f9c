/**
 * What the local AWS fakes share: an HTTP server on a free port, body reading with a size
 * limit, the Region from the request's SigV4 signature, AWS error shapes, and the two wire
 * protocols most services use (awsQuery form-and-XML, and AWS JSON 1.0/1.1 RPC).
 *
 * The fakes are reached only through the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables,
 * so the code under test builds its clients exactly as it does against AWS. One endpoint
 * serves every Region, as a custom endpoint does for the SDK; each fake keeps its state per
 * Region, read from the credential scope the SDK signed with.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  closeServer,
  escapeXml,
  listenOnLoopback,
  readLimitedBody,
  readQueryForm,
} from '../loopback';

/** Well above any legal request; stops a runaway test from filling memory. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export const TEST_ACCOUNT = '111122223333';

/** An error the service would return: HTTP status, error code, message. */
export class AwsFakeError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** For awsQuery-compatible JSON services: the legacy query error code. */
    readonly queryCode?: string,
  ) {
    super(message);
  }
}

export interface RequestContext {
  readonly region: string;
  readonly requestId: string;
  /** The access key id the request was signed with (awsQuery services). */
  readonly accessKeyId?: string;
}

export interface FakeServer {
  readonly url: string;
  /** Every HTTP request received, rejected ones included. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startServer(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<FakeServer> {
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    handle(request, response).catch((error: unknown) => {
      // A bug in a fake must fail the test loudly, not hang it.
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`fake crashed: ${String(error)}`);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () => closeServer(server),
  };
}

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return readLimitedBody(
    request,
    MAX_REQUEST_BYTES,
    () => new AwsFakeError(413, 'RequestEntityTooLarge', 'Request body too large.'),
  );
}

/**
 * The Region and service the request was signed for, from its SigV4 Authorization header:
 * `AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/events/aws4_request, ...`. AWS refuses
 * unsigned requests, and a request signed for another service, so the fakes do too; the
 * signature itself is not checked (the fakes hold no secrets).
 */
export function signedScope(
  headers: IncomingHttpHeaders,
  service: string,
): { region: string; accessKeyId: string } {
  const authorization = headers.authorization ?? '';
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization);
  if (match === null) {
    throw new AwsFakeError(403, 'MissingAuthenticationToken', 'Missing Authentication Token');
  }
  const [, accessKeyId = '', region = '', signedService = ''] = match;
  if (signedService !== service) {
    throw new AwsFakeError(
      403,
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  return { region, accessKeyId };
}

/** `<Name>value</Name>`, or nothing when the value is absent. */
export function xmlElement(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

export interface QueryService {
  /** The SigV4 service name, e.g. `sns`. */
  readonly signingName: string;
  readonly version: string;
  readonly xmlns: string;
  /** Action → the XML inside `<ActionResult>`. */
  readonly actions: Readonly<
    Record<string, (params: URLSearchParams, context: RequestContext) => string | Promise<string>>
  >;
}

/**
 * The awsQuery protocol (SNS, CloudFormation): a form-encoded POST naming the Action and the
 * API version, answered with `<ActionResponse><ActionResult>...` XML, or with an
 * `<ErrorResponse>` whose Error.Code the SDK maps to an exception class.
 */
export function queryProtocol(service: QueryService) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    try {
      const params = await readQueryForm(request, {
        maxBytes: MAX_REQUEST_BYTES,
        server: 'This fake',
        fail: (status, code, message) => new AwsFakeError(status, code, message),
      });
      const { region, accessKeyId } = signedScope(request.headers, service.signingName);
      const action = params.get('Action') ?? '';
      if (params.get('Version') !== service.version) {
        throw new AwsFakeError(
          400,
          'InvalidParameterValue',
          `Version must be ${service.version}, got ${params.get('Version') ?? '(none)'}.`,
        );
      }
      const run = service.actions[action];
      if (run === undefined) {
        throw new AwsFakeError(
          400,
          'InvalidAction',
          `The action ${action || '(none)'} is not valid for this endpoint.`,
        );
      }
      const result = await run(params, { region, requestId, accessKeyId });
      sendXml(
        response,
        200,
        requestId,
        `<${action}Response xmlns="${service.xmlns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      const failure = asFakeError(error);
      const type = failure.status >= 500 ? 'Receiver' : 'Sender';
      sendXml(
        response,
        failure.status,
        requestId,
        `<ErrorResponse xmlns="${service.xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(failure.code)}</Code><Message>${escapeXml(failure.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    }
  };
}

export type JsonObject = Record<string, unknown>;

export interface JsonRpcService {
  readonly signingName: string;
  /** `1.0` or `1.1`: the content type is `application/x-amz-json-<version>`. */
  readonly jsonVersion: '1.0' | '1.1';
  /**
   * The X-Amz-Target prefixes the service answers to, e.g. `AWSEvents`. Some have two:
   * CloudTrail takes both `CloudTrail_20131101` (the JavaScript and Go SDKs) and
   * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101` (botocore, the C++ SDK).
   */
  readonly targetPrefixes: readonly string[];
  /** The Smithy namespace errors are reported in (`__type: "ns#Code"`). */
  readonly errorNamespace: string;
  /** Set for services that also answer awsQuery-era clients (SQS): adds x-amzn-query-error. */
  readonly queryCompatible?: boolean;
  readonly operations: Readonly<
    Record<string, (input: JsonObject, context: RequestContext) => JsonObject | Promise<JsonObject>>
  >;
}

/**
 * The AWS JSON RPC protocols (SQS 1.0, CloudTrail and EventBridge 1.1): a POST to `/` with
 * `X-Amz-Target: Prefix.Operation` and a JSON body; errors as `{"__type": "...", "message"}`.
 */
export function jsonRpcProtocol(service: JsonRpcService) {
  const contentType = `application/x-amz-json-${service.jsonVersion}`;
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    try {
      if (request.method !== 'POST' || (request.url ?? '/') !== '/') {
        throw new AwsFakeError(
          404,
          'UnknownOperationException',
          `No route for ${request.method} ${request.url}`,
        );
      }
      const body = await readBody(request);
      if (request.headers['content-type'] !== contentType) {
        throw new AwsFakeError(
          400,
          'UnsupportedProtocol',
          `This fake speaks ${contentType} only; got "${request.headers['content-type'] ?? ''}".`,
        );
      }
      const target = String(request.headers['x-amz-target'] ?? '');
      const prefix = service.targetPrefixes.find((p) => target.startsWith(`${p}.`));
      const operation =
        prefix !== undefined ? service.operations[target.slice(prefix.length + 1)] : undefined;
      if (operation === undefined) {
        throw new AwsFakeError(
          400,
          'UnknownOperationException',
          `Unknown operation ${target || '(none)'}`,
        );
      }
      const { region } = signedScope(request.headers, service.signingName);
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        throw new AwsFakeError(400, 'SerializationException', 'Request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new AwsFakeError(
          400,
          'SerializationException',
          'Request body must be a JSON object.',
        );
      }
      const output = await operation(input as JsonObject, { region, requestId });
      sendJson(response, 200, requestId, contentType, output);
    } catch (error) {
      const failure = asFakeError(error);
      const headers: Record<string, string> = {};
      if (service.queryCompatible === true) {
        headers['x-amzn-query-error'] =
          `${failure.queryCode ?? failure.code};${failure.status >= 500 ? 'Receiver' : 'Sender'}`;
      }
      sendJson(
        response,
        failure.status,
        requestId,
        contentType,
        { __type: `${service.errorNamespace}#${failure.code}`, message: failure.message },
        headers,
      );
    }
  };
}

export function asFakeError(error: unknown): AwsFakeError {
  return error instanceof AwsFakeError
    ? error
    : new AwsFakeError(500, 'InternalFailure', `The fake crashed: ${String(error)}`);
}

export function sendXml(
  response: ServerResponse,
  status: number,
  requestId: string,
  body: string,
): void {
  response.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  response.end(body);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  requestId: string,
  contentType: string,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...headers,
  });
  response.end(body);
}

/** Reads an optional string member, refusing a wrongly typed one as the service does. */
export function optionalString(input: JsonObject, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new AwsFakeError(400, 'SerializationException', `${member} must be a string.`);
  }
  return value;
}

export function requiredString(
  input: JsonObject,
  member: string,
  code = 'ValidationException',
): string {
  const value = optionalString(input, member);
  if (value === undefined || value === '') {
    throw new AwsFakeError(
      400,
      code,
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalInteger(input: JsonObject, member: string): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AwsFakeError(400, 'SerializationException', `${member} must be an integer.`);
  }
  return value;
}

export function optionalStringList(input: JsonObject, member: string): string[] | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new AwsFakeError(400, 'SerializationException', `${member} must be a list of strings.`);
  }
  return value as string[];
}

/** Opaque, service-looking pagination tokens: base64 of an offset, tied to the request. */
export function pageToken(offset: number, scope: string): string {
  return Buffer.from(JSON.stringify({ offset, scope })).toString('base64');
}

export function readPageToken(
  token: string | undefined | null,
  scope: string,
  code: string,
): number {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      offset?: unknown;
      scope?: unknown;
    };
    if (typeof parsed.offset === 'number' && parsed.scope === scope) return parsed.offset;
  } catch {
    // Fall through to the service's refusal.
  }
  throw new AwsFakeError(400, code, 'The NextToken is invalid.');
}
