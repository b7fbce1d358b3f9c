/**
 * A local stand-in for EC2's `DescribeNetworkInterfaces`, so integration tests run the real
 * `@aws-sdk/client-ec2` (serializer, XML parser, error mapping, retries) without AWS.
 *
 * EC2 speaks its own query protocol: a form-encoded POST
 * (`Action=DescribeNetworkInterfaces&Version=2016-11-15&Filter.1.Name=group-id&Filter.1.Value.1=sg-…`)
 * answered with XML in the `http://ec2.amazonaws.com/doc/2016-11-15/` namespace, and errors
 * as `<Response><Errors><Error>…`. Production code finds this server only through
 * `AWS_ENDPOINT_URL_EC2`, which the SDK reads on its own.
 *
 * Tests load interfaces, then inject a delay, a denial (`UnauthorizedOperation`, HTTP 403,
 * which the SDK does not retry) or server errors (5xx, which it does).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeServer, escapeXml, listenOnLoopback } from './loopback';

export interface LocalNetworkInterface {
  readonly networkInterfaceId: string;
  readonly groupIds: readonly string[];
  readonly description?: string;
  readonly interfaceType?: string;
  readonly requesterId?: string;
  readonly requesterManaged?: boolean;
  /** The attachment's owner, e.g. `amazon-rds`, or an instance id's owner account. */
  readonly instanceOwnerId?: string;
  readonly instanceId?: string;
}

export interface InjectedEc2Failure {
  readonly status: number;
  readonly code: string;
}

/** What one DescribeNetworkInterfaces request asked for. */
export interface DescribeRequest {
  readonly filters: ReadonlyMap<string, readonly string[]>;
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export interface LocalEc2 {
  readonly url: string;
  /** Every DescribeNetworkInterfaces request that reached the handler, oldest first. */
  readonly requests: readonly DescribeRequest[];
  setInterfaces(interfaces: readonly LocalNetworkInterface[]): void;
  /** Wait this long before answering each request (the answer still comes). */
  setDelay(ms: number): void;
  /** Answer the next `count` requests with this error instead. */
  failNext(count: number, failure: InjectedEc2Failure): void;
  /** Interfaces returned per page. @default 1000 */
  setPageSize(size: number): void;
  reset(): void;
  close(): Promise<void>;
}

const API_VERSION = '2016-11-15';
const XML_NAMESPACE = `http://ec2.amazonaws.com/doc/${API_VERSION}/`;
const MAX_REQUEST_BYTES = 1024 * 1024;
const SUPPORTED_FILTERS = new Set(['group-id']);

class Ec2Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function element(name: string, value: string | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

function interfaceXml(ni: LocalNetworkInterface): string {
  const groups = ni.groupIds
    .map((groupId) => `<item>${element('groupId', groupId)}${element('groupName', groupId)}</item>`)
    .join('');
  const attachment =
    ni.instanceOwnerId !== undefined || ni.instanceId !== undefined
      ? `<attachment>${element('attachmentId', `eni-attach-${ni.networkInterfaceId.slice(4)}`)}${element('instanceId', ni.instanceId)}${element('instanceOwnerId', ni.instanceOwnerId)}${element('deviceIndex', '1')}${element('status', 'attached')}</attachment>`
      : '';
  return (
    '<item>' +
    element('networkInterfaceId', ni.networkInterfaceId) +
    element('subnetId', 'subnet-0123456789abcdef0') +
    element('vpcId', 'vpc-0123456789abcdef0') +
    element('availabilityZone', 'us-east-1a') +
    element('description', ni.description ?? '') +
    element('ownerId', '111122223333') +
    element('requesterId', ni.requesterId) +
    element('requesterManaged', ni.requesterManaged ?? false) +
    element('status', 'in-use') +
    element('privateIpAddress', '10.0.1.17') +
    element('sourceDestCheck', true) +
    `<groupSet>${groups}</groupSet>` +
    attachment +
    element('interfaceType', ni.interfaceType ?? 'interface') +
    '<tagSet/>' +
    '</item>'
  );
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  if (request.method !== 'POST') {
    throw new Ec2Error(400, 'InvalidAction', `Only POST is supported, got ${request.method}.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) throw new Ec2Error(413, 'RequestEntityTooLarge', 'Too large.');
    chunks.push(buffer);
  }
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('application/x-www-form-urlencoded')) {
    throw new Ec2Error(400, 'UnsupportedProtocol', `Expected a form POST, got "${contentType}".`);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** `Filter.N.Name` / `Filter.N.Value.M` into name → values, refusing what EC2 would refuse. */
function parseFilters(params: URLSearchParams): Map<string, string[]> {
  const names = new Map<string, string>();
  const values = new Map<string, string[]>();
  for (const [key, value] of params) {
    const name = /^Filter\.(\d+)\.Name$/.exec(key);
    if (name?.[1] !== undefined) {
      names.set(name[1], value);
      continue;
    }
    const item = /^Filter\.(\d+)\.Value\.(\d+)$/.exec(key);
    if (item?.[1] !== undefined) {
      values.set(item[1], [...(values.get(item[1]) ?? []), value]);
      continue;
    }
    if (key.startsWith('Filter.')) {
      throw new Ec2Error(400, 'InvalidParameterValue', `Unexpected parameter ${key}.`);
    }
  }
  const filters = new Map<string, string[]>();
  for (const [index, name] of names) {
    if (!SUPPORTED_FILTERS.has(name)) {
      throw new Ec2Error(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    filters.set(name, values.get(index) ?? []);
  }
  return filters;
}

export async function startLocalEc2(): Promise<LocalEc2> {
  let interfaces: readonly LocalNetworkInterface[] = [];
  const requests: DescribeRequest[] = [];
  const failures: InjectedEc2Failure[] = [];
  let delayMs = 0;
  let pageSize = 1000;

  const respond = (response: ServerResponse, status: number, body: string): void => {
    if (response.destroyed) return;
    response.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
    response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    try {
      const params = await readForm(request);
      if (params.get('Action') !== 'DescribeNetworkInterfaces') {
        throw new Ec2Error(
          400,
          'InvalidAction',
          `The action ${params.get('Action') ?? '(none)'} is not valid for this web service.`,
        );
      }
      if (params.get('Version') !== API_VERSION) {
        throw new Ec2Error(
          400,
          'InvalidParameterValue',
          `Unsupported version ${params.get('Version') ?? '(none)'}.`,
        );
      }
      const filters = parseFilters(params);
      const maxResults = params.has('MaxResults') ? Number(params.get('MaxResults')) : undefined;
      const nextToken = params.get('NextToken') ?? undefined;
      requests.push({
        filters,
        ...(maxResults !== undefined ? { maxResults } : {}),
        ...(nextToken !== undefined ? { nextToken } : {}),
      });
      if (
        maxResults !== undefined &&
        (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 1000)
      ) {
        throw new Ec2Error(400, 'InvalidParameterValue', 'MaxResults must be between 5 and 1000.');
      }
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const failure = failures.shift();
      if (failure !== undefined) {
        throw new Ec2Error(failure.status, failure.code, 'Injected failure from local EC2.');
      }
      const wanted = filters.get('group-id');
      const matching = interfaces.filter(
        (ni) => wanted === undefined || ni.groupIds.some((id) => wanted.includes(id)),
      );
      const start = nextToken !== undefined ? Number(nextToken) : 0;
      const size = Math.min(pageSize, maxResults ?? pageSize);
      const page = matching.slice(start, start + size);
      const more = start + size < matching.length ? String(start + size) : undefined;
      respond(
        response,
        200,
        `<DescribeNetworkInterfacesResponse xmlns="${XML_NAMESPACE}"><requestId>${requestId}</requestId><networkInterfaceSet>${page.map(interfaceXml).join('')}</networkInterfaceSet>${element('nextToken', more)}</DescribeNetworkInterfacesResponse>`,
      );
    } catch (error) {
      const failure =
        error instanceof Ec2Error ? error : new Ec2Error(500, 'InternalError', String(error));
      respond(
        response,
        failure.status,
        `<Response><Errors><Error><Code>${escapeXml(failure.code)}</Code><Message>${escapeXml(failure.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      );
    }
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    setInterfaces(next) {
      interfaces = [...next];
    },
    setDelay(ms) {
      delayMs = ms;
    },
    failNext(count, failure) {
      for (let i = 0; i < count; i += 1) failures.push(failure);
    },
    setPageSize(size) {
      pageSize = size;
    },
    reset() {
      interfaces = [];
      requests.length = 0;
      failures.length = 0;
      delayMs = 0;
      pageSize = 1000;
    },
    close() {
      return closeServer(server);
    },
  };
}
