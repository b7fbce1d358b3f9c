import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on 127.0.0.1 (`port` 0: any free one) and returns the port it got. */
export function listenOnLoopback(server: Server, port = 0): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops `server` and drops its open connections: the SDK keeps connections alive, and
 * without this `close` waits for them to time out.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * A request's body, refused with `tooLarge()` once it passes `maxBytes`: a runaway test
 * fails instead of filling memory.
 */
export async function readLimitedBody(
  request: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * An awsQuery request's parameters: a form-encoded POST. Anything else is refused through
 * `fail`, so a future SDK moving the service to another protocol fails loudly rather than
 * half-working. `server` names the endpoint in that message.
 */
export async function readQueryForm(
  request: IncomingMessage,
  options: {
    readonly maxBytes: number;
    readonly server: string;
    readonly fail: (status: number, code: string, message: string) => Error;
  },
): Promise<URLSearchParams> {
  const { fail } = options;
  if (request.method !== 'POST') {
    throw fail(400, 'InvalidAction', `Only POST is supported, got ${request.method}.`);
  }
  const body = await readLimitedBody(request, options.maxBytes, () =>
    fail(413, 'RequestEntityTooLarge', 'Request body too large.'),
  );
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded')) {
    throw fail(
      400,
      'UnsupportedProtocol',
      `${options.server} speaks awsQuery only; got content-type "${contentType}".`,
    );
  }
  return new URLSearchParams(body.toString('utf8'));
}

/** Text made safe inside an XML element or attribute value. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
