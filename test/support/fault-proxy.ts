/**
 * A fault-injecting HTTP proxy for integration tests. It sits between the real AWS SDK
 * clients (pointed at it through AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SNS) and a
 * real local server (dynalite, the local SNS endpoint), forwards every request untouched,
 * and, when a rule matches, breaks the exchange the way a network or the service would:
 *
 * - `respond`: answer in the service's own protocol without forwarding (5xx, throttling);
 * - `hang`: never answer, so the client's request timeout has to fire;
 * - `drop-response`: forward (the write happens), then reset the connection instead of
 *   answering: the "succeeded, but the response was lost" case;
 * - `hang-after-forward`: forward, then withhold the answer until the client gives up;
 * - `reset`: reset the connection without forwarding;
 * - and `setReachable(false)` closes the listening port, so connects are refused.
 *
 * Rules match on the parsed request: DynamoDB's operation comes from `X-Amz-Target`
 * (`DynamoDB_20120810.UpdateItem` → `UpdateItem`), SNS's from the form's `Action`.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from './loopback';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as text, for matching. */
  readonly body: string;
  /** `UpdateItem`, `Publish`...; empty when the request names no operation. */
  readonly operation: string;
}

interface Received extends ProxiedRequest {
  readonly raw: Buffer;
}

export type Fault =
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    }
  | { readonly kind: 'hang' }
  | { readonly kind: 'drop-response' }
  | { readonly kind: 'hang-after-forward' }
  | { readonly kind: 'reset' };

export interface FaultRule {
  readonly match: (request: ProxiedRequest) => boolean;
  readonly fault: Fault;
  /** How many matching requests the rule breaks before it retires. @default 1 */
  readonly times?: number;
}

/** What happened to one request that reached the proxy. */
export interface ProxyLogEntry {
  readonly operation: string;
  /** The fault applied, or `forwarded` when none was. */
  readonly fault: Fault['kind'] | 'forwarded';
  /** True when the request reached the server behind the proxy. */
  readonly reachedServer: boolean;
}

export interface FaultProxy {
  readonly url: string;
  readonly log: readonly ProxyLogEntry[];
  /** Adds a rule; rules are tried in the order added, the first live match applies. */
  inject(rule: FaultRule): void;
  /** Rules that still have matches left to break. */
  readonly pendingRules: number;
  /** Drops every rule and the log. */
  reset(): void;
  /** False closes the port (connections are refused); true listens on it again. */
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
}

/** The DynamoDB operation of a request, from its `X-Amz-Target` header. */
function operationOf(headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.indexOf('.') + 1);
  if (String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(body).get('Action') ?? '';
  }
  return '';
}

export interface FaultProxyOptions {
  /**
   * Told of each request the proxy holds (`hang`, or `hang-after-forward` once the server has
   * answered), so the client's side can time out at once: `HeldTimeouts.expire`.
   * @default - held requests wait for the client's own timer
   */
  readonly onHold?: (request: ProxiedRequest) => void;
}

export async function startFaultProxy(
  upstream: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const rules: { rule: FaultRule; left: number }[] = [];
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();

  const pick = (request: ProxiedRequest): Fault | undefined => {
    const entry = rules.find((r) => r.left > 0 && r.rule.match(request));
    if (entry === undefined) return undefined;
    entry.left -= 1;
    return entry.rule.fault;
  };

  const forward = (
    request: Received,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.path,
          headers: request.headers,
        },
        (upstreamResponse) => {
          const chunks: Buffer[] = [];
          upstreamResponse.on('data', (chunk: Buffer) => chunks.push(chunk));
          upstreamResponse.on('end', () =>
            resolve({
              status: upstreamResponse.statusCode ?? 502,
              headers: upstreamResponse.headers,
              body: Buffer.concat(chunks),
            }),
          );
          upstreamResponse.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.raw);
    });

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = raw.toString('utf8');
    const request: Received = {
      raw,
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: incoming.headers,
      body,
      operation: operationOf(incoming.headers, body),
    };
    const fault = pick(request);
    const reachesServer =
      fault === undefined || fault.kind === 'drop-response' || fault.kind === 'hang-after-forward';
    log.push({
      operation: request.operation,
      fault: fault?.kind ?? 'forwarded',
      reachedServer: reachesServer,
    });

    if (fault?.kind === 'respond') {
      response.writeHead(fault.status, {
        ...fault.headers,
        'content-length': Buffer.byteLength(fault.body),
      });
      response.end(fault.body);
      return;
    }
    // The client's timeout destroys the socket; closing the proxy cleans up the rest.
    if (fault?.kind === 'hang') {
      options.onHold?.(request);
      return;
    }
    if (fault?.kind === 'reset') {
      incoming.socket.destroy();
      return;
    }
    const answer = await forward(request);
    if (fault?.kind === 'drop-response') {
      incoming.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang-after-forward') {
      options.onHold?.(request);
      return;
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      // The server behind the proxy failed; say so the way a gateway would.
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`fault proxy: ${String(error)}`);
      } else {
        response.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number) => listenOnLoopback(server, port);
  const stop = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive connections would otherwise keep the "closed" port answering.
      for (const socket of sockets) socket.destroy();
    });

  const port = await listen(0);
  let listening = true;

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    get pendingRules() {
      return rules.filter((r) => r.left > 0).length;
    },
    inject(rule) {
      rules.push({ rule, left: rule.times ?? 1 });
    },
    reset() {
      rules.length = 0;
      log.length = 0;
    },
    async setReachable(reachable) {
      if (reachable === listening) return;
      if (reachable) await listen(port);
      else await stop();
      listening = reachable;
    },
    async close() {
      if (listening) await stop();
      listening = false;
    },
  };
}

// Rule building blocks.

/** A DynamoDB request for `operation` (`PutItem`, `UpdateItem`, `Query`...). */
export const dynamoOperation =
  (operation: string) =>
  (request: ProxiedRequest): boolean =>
    typeof request.headers['x-amz-target'] === 'string' && request.operation === operation;

/** An SNS query-protocol request for `action` (`Publish`). */
export const snsAction =
  (action: string) =>
  (request: ProxiedRequest): boolean =>
    request.headers['x-amz-target'] === undefined && request.operation === action;

/** Both predicates hold. */
export const allOf =
  (...predicates: ((request: ProxiedRequest) => boolean)[]) =>
  (request: ProxiedRequest): boolean =>
    predicates.every((predicate) => predicate(request));

/** The request body contains `text` (e.g. `":notified"` picks the mark-notified update). */
export const bodyIncludes =
  (text: string) =>
  (request: ProxiedRequest): boolean =>
    request.body.includes(text);

const updateItem = dynamoOperation('UpdateItem');

/**
 * The delivery path's requests, each told apart by what only it carries: the one place the
 * fault suites learn the store's expressions and the counters' key prefixes.
 */
export const DELIVERY_REQUESTS = {
  /** The conditional put that creates an alert. */
  create: dynamoOperation('PutItem'),
  /** Either counter's conditional append. */
  count: allOf(updateItem, bodyIncludes('list_append')),
  /** The append to the detection's cap counter. */
  countDetection: allOf(updateItem, bodyIncludes('"S":"cap#')),
  /** The append that opens (or adds to) the burst group's counter, not the detection's cap. */
  countGroup: allOf(updateItem, bodyIncludes('"S":"burst#')),
  /** The fenced update that saves the burst placement. */
  recordBurst: allOf(updateItem, bodyIncludes('SET burst')),
  publish: snsAction('Publish'),
  /** The update that records a publish: the only one setting `delivery = :notified`. */
  markNotified: allOf(updateItem, bodyIncludes(':notified')),
  /** The update that hands a claim back after a failed publish. */
  release: allOf(updateItem, bodyIncludes('"UpdateExpression":"REMOVE claimedUntil')),
} as const;

/** `request`, and only for the alert `alertId` (its id is in the key or the message). */
export const forAlert = (
  request: (request: ProxiedRequest) => boolean,
  alertId: string,
): ((request: ProxiedRequest) => boolean) => allOf(request, bodyIncludes(alertId));

export const HANG: Fault = { kind: 'hang' };
export const DROP_RESPONSE: Fault = { kind: 'drop-response' };
export const HANG_AFTER_FORWARD: Fault = { kind: 'hang-after-forward' };
export const RESET: Fault = { kind: 'reset' };

/** A DynamoDB JSON-protocol error, as the service sends it. */
export function dynamoError(status: number, type: string, message: string): Fault {
  return {
    kind: 'respond',
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
  };
}

/** DynamoDB throttling: HTTP 400, which the SDK retries because of the error type. */
export const DYNAMODB_THROTTLED = dynamoError(
  400,
  'ProvisionedThroughputExceededException',
  'The level of configured provisioned throughput for the table was exceeded.',
);
export const DYNAMODB_INTERNAL_ERROR = dynamoError(
  500,
  'InternalServerError',
  'Internal server error',
);

/** An SNS query-protocol (XML) error, as the service sends it. */
export function snsError(status: number, code: string, message: string): Fault {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    kind: 'respond',
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
  };
}

/** SNS's modelled throttling error: HTTP 429 with code `Throttled` (ThrottledException). */
export const SNS_THROTTLED = snsError(429, 'Throttled', 'Rate exceeded');
export const SNS_INTERNAL_ERROR = snsError(500, 'InternalError', 'Internal error');
export const SNS_UNAVAILABLE = snsError(503, 'ServiceUnavailable', 'Service unavailable');
