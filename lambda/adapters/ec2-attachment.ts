// Types only: the SDK's EC2 client is three times the size of the rest of the detector, so it
// is loaded on first use (see `lazyEc2`), never at cold start.
import type {
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  EC2ClientConfig,
  NetworkInterface,
} from '@aws-sdk/client-ec2';
import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import type {
  AttachmentLookup,
  AttachmentLookupRequest,
  AttachmentResult,
  AttachmentStatus,
} from '../core/ports';
import { cleanText } from '../core/text';
import type { StartTimer } from './time-box';
import { eventLoopTimer, timeBoxed } from './time-box';

export interface Ec2AttachmentLookupOptions {
  /**
   * The whole budget of one lookup, pages and SDK retries included. When it runs out the
   * request is aborted and the answer is `unknown`; the alert goes out without waiting.
   * @default 1500
   */
  readonly timeoutMs?: number;
  /** How long a definite answer is reused by this container. @default 300000 (5 minutes) */
  readonly cacheTtlMs?: number;
  /**
   * How long a failed lookup (`unknown`) is reused: long enough that a burst of alerts during
   * an EC2 outage pays the time budget once, short enough that the next burst asks again.
   * @default 30000
   */
  readonly failureTtlMs?: number;
  /** Answers kept at most; the oldest goes first. @default 500 */
  readonly maxCacheEntries?: number;
  /**
   * The account this detector runs in. Groups exist only in their own account, so an event
   * forwarded from another account (a hub deployment) would look empty here; with this set,
   * such events answer `unknown` instead of a wrong `none`.
   * @default - not checked: every event is taken to come from the detector's own account
   */
  readonly account?: string;
  /** Pages of interfaces read at most. @default 5 */
  readonly maxPages?: number;
  /** The clock for cache expiry, in ms. @default Date.now */
  readonly now?: () => number;
  /**
   * Starts the time box: calls `expire` once `ms` have passed, unless the returned function
   * cancels it first. @default - a timer of the event loop
   */
  readonly startTimer?: StartTimer;
}

/** The two EC2 calls the lookup makes, so the SDK can be loaded late (and faked in unit tests). */
export interface Ec2Api {
  region(): Promise<string>;
  describeNetworkInterfaces(
    input: DescribeNetworkInterfacesCommandInput,
    options: { abortSignal: AbortSignal },
  ): Promise<DescribeNetworkInterfacesCommandOutput>;
}

/**
 * EC2 through the AWS SDK, imported the first time a lookup needs it. The detector bundle
 * leaves `@aws-sdk/client-ec2` out (lib/bundling.ts): only deployments with lookups on load
 * it, from the SDK the Lambda runtime carries.
 */
export function lazyEc2(config: EC2ClientConfig = {}): Ec2Api {
  type Sdk = typeof Ec2Sdk;
  let sdk: Promise<{ module: Sdk; client: InstanceType<Sdk['EC2Client']> }> | undefined;
  const load = () =>
    (sdk ??= import('@aws-sdk/client-ec2').then((module) => ({
      module,
      client: new module.EC2Client(config),
    })));
  return {
    region: async () => (await load()).client.config.region(),
    describeNetworkInterfaces: async (input, options) => {
      const { module, client } = await load();
      return client.send(new module.DescribeNetworkInterfacesCommand(input), options);
    },
  };
}

type InterfaceKind = 'rds' | 'elasticache' | 'other';

/** EC2's own shape of group ids; nothing else is put into a filter (filters take wildcards). */
const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const PAGE_SIZE = 100;
const MAX_RESOURCES = 20;

function unknown(reason: string): AttachmentResult {
  return { status: 'unknown', resources: [], reason };
}

/**
 * Which service owns an interface. `RequesterId` and the attachment's `InstanceOwnerId` are
 * set by AWS and cannot be chosen by a user; the description can, so it only counts on an
 * interface AWS manages for a service (`RequesterManaged`).
 */
export function interfaceKind(networkInterface: NetworkInterface): InterfaceKind {
  const owners = [networkInterface.RequesterId, networkInterface.Attachment?.InstanceOwnerId];
  const managed = networkInterface.RequesterManaged === true;
  const description = networkInterface.Description ?? '';
  if (owners.includes('amazon-rds') || (managed && description === 'RDSNetworkInterface')) {
    return 'rds';
  }
  if (
    owners.includes('amazon-elasticache') ||
    (managed && description.startsWith('ElastiCache '))
  ) {
    return 'elasticache';
  }
  return 'other';
}

function describeInterface(networkInterface: NetworkInterface, kind: InterfaceKind): string {
  const parts = [
    cleanText(networkInterface.NetworkInterfaceId ?? 'eni-?', 40),
    kind === 'other' ? cleanText(networkInterface.InterfaceType ?? 'interface', 40) : kind,
    ...(networkInterface.RequesterId !== undefined
      ? [`requester ${cleanText(networkInterface.RequesterId, 40)}`]
      : []),
    ...(networkInterface.Description !== undefined && networkInterface.Description !== ''
      ? [`"${cleanText(networkInterface.Description, 80)}"`]
      : []),
  ];
  return parts.join(' ');
}

/**
 * The answer for the interfaces that use the groups. A data store anywhere behind the
 * groups decides the status (RDS before ElastiCache when both are there), and its
 * interfaces are listed first.
 */
export function classifyInterfaces(
  interfaces: readonly NetworkInterface[],
  settled: boolean,
): AttachmentResult {
  const kinds = interfaces.map((networkInterface) => ({
    networkInterface,
    kind: interfaceKind(networkInterface),
  }));
  const status: AttachmentStatus = kinds.some(({ kind }) => kind === 'rds')
    ? 'rds'
    : kinds.some(({ kind }) => kind === 'elasticache')
      ? 'elasticache'
      : kinds.length > 0
        ? 'other'
        : 'none';
  const ordered = [
    ...kinds.filter(({ kind }) => kind !== 'other'),
    ...kinds.filter(({ kind }) => kind === 'other'),
  ];
  const resources = ordered
    .slice(0, MAX_RESOURCES)
    .map(({ networkInterface, kind }) => describeInterface(networkInterface, kind));
  if (ordered.length > MAX_RESOURCES) {
    resources.push(`…and ${ordered.length - MAX_RESOURCES} more interfaces`);
  }
  return {
    status,
    resources,
    ...(!settled && status === 'other'
      ? { reason: 'only the first pages of interfaces were read; a data store may be further on' }
      : {}),
  };
}

/** A short reason for an SDK error, naming the permission when EC2 refused. */
function reasonFor(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (
    name === 'UnauthorizedOperation' ||
    name === 'AccessDenied' ||
    name === 'AccessDeniedException'
  ) {
    return `EC2 refused DescribeNetworkInterfaces (${name}); the detector needs ec2:DescribeNetworkInterfaces`;
  }
  if (name === 'AbortError') return 'the lookup was cancelled at its time limit';
  return `EC2 DescribeNetworkInterfaces failed: ${cleanText(`${name}: ${message}`, 200)}`;
}

/**
 * Looks up, with EC2's DescribeNetworkInterfaces filtered by `group-id`, whether an RDS or
 * ElastiCache resource sits behind the security groups of an exposure alert. Time-boxed,
 * cached by the container (five minutes for an answer, 30 s for a failure), and never throws: every failure is `unknown` with a
 * reason, so the alert always goes out.
 */
export class Ec2AttachmentLookup implements AttachmentLookup {
  private readonly cache = new Map<string, { result: AttachmentResult; expiresAt: number }>();
  private readonly timeoutMs: number;
  private readonly cacheTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxCacheEntries: number;
  private readonly maxPages: number;
  private readonly account: string | undefined;
  private readonly now: () => number;
  private readonly startTimer: StartTimer;

  constructor(
    private readonly ec2: Ec2Api,
    options: Ec2AttachmentLookupOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.cacheTtlMs = options.cacheTtlMs ?? 300_000;
    this.failureTtlMs = options.failureTtlMs ?? 30_000;
    this.maxCacheEntries = options.maxCacheEntries ?? 500;
    this.maxPages = options.maxPages ?? 5;
    this.account = options.account;
    this.now = options.now ?? Date.now;
    this.startTimer = options.startTimer ?? eventLoopTimer;
  }

  async lookup(request: AttachmentLookupRequest): Promise<AttachmentResult> {
    const groupIds = [...new Set(request.groupIds.filter((id) => GROUP_ID.test(id)))].sort();
    if (groupIds.length === 0) return unknown('no well-formed security group id to look up');
    if (this.account !== undefined && request.account !== this.account) {
      return unknown(
        `the call was made in account ${cleanText(request.account, 20)}; this detector can only look up its own account`,
      );
    }
    let clientRegion: string;
    try {
      clientRegion = await this.ec2.region();
    } catch (error) {
      return unknown(`the EC2 client has no Region: ${reasonFor(error)}`);
    }
    if (request.region !== clientRegion) {
      return unknown(
        `the call was made in ${cleanText(request.region, 30)}; this detector looks up ${clientRegion} only`,
      );
    }
    const key = `${clientRegion}\n${groupIds.join(',')}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.result;
    const result = await this.timeBoxed(groupIds);
    this.remember(key, result);
    return result;
  }

  private remember(key: string, result: AttachmentResult): void {
    const ttl = result.status === 'unknown' ? this.failureTtlMs : this.cacheTtlMs;
    this.cache.delete(key);
    this.cache.set(key, { result, expiresAt: this.now() + ttl });
    while (this.cache.size > this.maxCacheEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
  }

  /** The lookup within the time budget (see `timeBoxed`); past it, the status is unknown. */
  private timeBoxed(groupIds: readonly string[]): Promise<AttachmentResult> {
    return timeBoxed(
      this.startTimer,
      this.timeoutMs,
      (signal) =>
        this.interfacesUsing(groupIds, signal).then(
          ({ interfaces, settled }) => classifyInterfaces(interfaces, settled),
          (error: unknown) => unknown(reasonFor(error)),
        ),
      () => unknown(`EC2 did not answer within ${this.timeoutMs} ms`),
    );
  }

  private async interfacesUsing(
    groupIds: readonly string[],
    abortSignal: AbortSignal,
  ): Promise<{ interfaces: NetworkInterface[]; settled: boolean }> {
    const interfaces: NetworkInterface[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < this.maxPages; page += 1) {
      const output = await this.ec2.describeNetworkInterfaces(
        {
          Filters: [{ Name: 'group-id', Values: [...groupIds] }],
          MaxResults: PAGE_SIZE,
          ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
        },
        { abortSignal },
      );
      interfaces.push(...(output.NetworkInterfaces ?? []));
      nextToken = output.NextToken === '' ? undefined : output.NextToken;
      // One data store settles the question; later pages cannot change the status.
      if (nextToken === undefined || interfaces.some((i) => interfaceKind(i) !== 'other')) {
        return { interfaces, settled: true };
      }
    }
    return { interfaces, settled: false };
  }
}
