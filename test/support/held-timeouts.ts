/**
 * Timeouts that do not depend on the machine's speed. The SDK clients of a test detector
 * send through `requestHandler`: the SDK's own Node.js handler with bounds far beyond any
 * healthy request on a loaded machine, and a request id in a header. When a fault proxy
 * holds a request (a `hang` or `hang-after-forward` fault), it hands the request to
 * `expire`, which fails the client's side at once with the error the SDK's handler raises
 * when its request timeout fires (`TimeoutError`, `ETIMEDOUT`), and closes the connection as
 * that handler does. The SDK then retries, or gives up, exactly as it does on a real
 * timeout; no test waits for a timer, and no healthy request ever times out.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ProxiedRequest } from './fault-proxy';

/** The header that names a request to the proxy; servers behind it ignore unknown headers. */
const REQUEST_ID_HEADER = 'x-sgwatch-test-request';
/** Far beyond a healthy request on a loaded machine: only a held request times out. */
const GENEROUS_MS = 120_000;

type HandleArgs = Parameters<NodeHttpHandler['handle']>;
type Handled = ReturnType<NodeHttpHandler['handle']>;

export interface HeldTimeouts {
  /** For `HandlerOverrides.requestHandler`, or any SDK client's `requestHandler`. */
  readonly requestHandler: NodeHttpHandler;
  /** The fault proxy's `onHold`: times the held request out on the client's side. */
  readonly expire: (request: ProxiedRequest) => void;
  /** Requests timed out so far. */
  readonly expired: () => number;
}

export function heldTimeouts(): HeldTimeouts {
  const waiting = new Map<string, () => void>();
  let sent = 0;
  let expired = 0;

  class HoldAwareHandler extends NodeHttpHandler {
    override async handle(request: HandleArgs[0], options: HandleArgs[1] = {}): Handled {
      sent += 1;
      const id = String(sent);
      request.headers[REQUEST_ID_HEADER] = id;
      const connection = new AbortController();
      const timedOut = new Promise<never>((_resolve, reject) => {
        waiting.set(id, () => {
          expired += 1;
          reject(
            Object.assign(new Error(`the request was held past its timeout (test request ${id})`), {
              name: 'TimeoutError',
              code: 'ETIMEDOUT',
            }),
          );
          connection.abort();
        });
      });
      const sending = super.handle(request, { ...options, abortSignal: connection.signal });
      // Whichever loses the race is settled anyway; its rejection is expected, not a leak.
      sending.catch(() => undefined);
      try {
        return await Promise.race([sending, timedOut]);
      } finally {
        waiting.delete(id);
      }
    }
  }

  return {
    requestHandler: new HoldAwareHandler({
      connectionTimeout: GENEROUS_MS,
      requestTimeout: GENEROUS_MS,
      socketTimeout: GENEROUS_MS,
      throwOnRequestTimeout: true,
    }),
    expire: (request) => {
      const id = request.headers[REQUEST_ID_HEADER];
      if (typeof id !== 'string') {
        throw new Error('a held request carries no test request id: send it through heldTimeouts');
      }
      waiting.get(id)?.();
    },
    expired: () => expired,
  };
}
