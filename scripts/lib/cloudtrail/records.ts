/** Record assembly, target and exposure records, and streams of records in time order. */
import type { CloudTrailRecord, UserIdentity } from '../../../lambda/core/cloudtrail';
import { BASE32, Prng, Weighted, hash32 } from './random';
import { actionName, isoSeconds } from './format';
import type { IdentityKindOption, UserAgentKind } from './identities';
import {
  APPS,
  PEOPLE,
  assumedRoleIdentity,
  docIp,
  federatedIdentity,
  freshCredential,
  iamUserIdentity,
  makePrincipal,
  rootIdentity,
  userAgentFor,
} from './identities';
import type { Built, Ctx, EventTemplate } from './templates';
import { JSON_PROTOCOL, TEMPLATES } from './templates';
import type { AccountProfile, Actor, Caller, CallerFor } from './actors';
import { buildAccountProfile } from './actors';

// ---------------------------------------------------------------------------
// Record assembly
// ---------------------------------------------------------------------------

const EVENT_VERSIONS = new Weighted<string>([
  ['1.08', 35],
  ['1.09', 25],
  ['1.10', 22],
  ['1.11', 18],
]);

const TLS_SUITES = new Weighted<readonly [string, string]>([
  [['TLSv1.3', 'TLS_AES_128_GCM_SHA256'], 6],
  [['TLSv1.3', 'TLS_AES_256_GCM_SHA384'], 1],
  [['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'], 3],
]);

function endpointHost(service: string, region: string): string {
  if (service === 'iam' || service === 'organizations') return `${service}.amazonaws.com`;
  if (service === 's3') return `s3.${region}.amazonaws.com`;
  return `${service}.${region}.amazonaws.com`;
}

interface AssembleInput {
  readonly rng: Prng;
  readonly account: string;
  readonly region: string;
  readonly time: Date;
  readonly source: string;
  readonly service: string;
  readonly name: string;
  readonly readOnly: boolean;
  readonly caller: Caller;
  readonly error?: readonly [string, string | undefined];
  readonly built: Built;
  readonly eventID?: string;
  readonly eventVersion?: string;
}

function assemble(p: AssembleInput): CloudTrailRecord {
  const { rng, caller, built } = p;
  const version = p.eventVersion ?? EVENT_VERSIONS.pick(rng);
  const requestID = p.service === 's3' ? rng.chars('0123456789ABCDEF', 16) : rng.uuid();
  const eventID = p.eventID ?? rng.uuid();
  const record: Record<string, unknown> = {
    eventVersion: version,
    userIdentity: caller.identity,
    eventTime: isoSeconds(p.time),
    eventSource: p.source,
    eventName: p.name,
    awsRegion: p.region,
    sourceIPAddress: caller.sourceIPAddress,
    userAgent: caller.userAgent,
  };
  if (p.error !== undefined) {
    record.errorCode = p.error[0];
    if (p.error[1] !== undefined) record.errorMessage = p.error[1];
  }
  record.requestParameters = built.req ?? null;
  record.responseElements = p.error !== undefined ? null : (built.resp ?? null);
  if (built.additionalEventData !== undefined)
    record.additionalEventData = built.additionalEventData;
  record.requestID = requestID;
  record.eventID = eventID;
  record.readOnly = p.readOnly;
  if (built.resources !== undefined) record.resources = built.resources;
  record.eventType = 'AwsApiCall';
  record.managementEvent = true;
  record.recipientAccountId = p.account;
  if (caller.identity.type === 'AWSService') record.sharedEventID = rng.uuid();
  if (caller.vpcEndpointId !== undefined) {
    record.vpcEndpointId = caller.vpcEndpointId;
    if (version >= '1.09') record.vpcEndpointAccountId = p.account;
  }
  record.eventCategory = 'Management';
  if (caller.tls) {
    const [tlsVersion, cipherSuite] = TLS_SUITES.pick(rng);
    record.tlsDetails = {
      tlsVersion,
      cipherSuite,
      clientProvidedHostHeader: endpointHost(p.service, p.region),
    };
  }
  if (caller.fromConsole === true) record.sessionCredentialFromConsole = 'true';
  return record as unknown as CloudTrailRecord;
}

function accessDenied(t: EventTemplate, c: Ctx): readonly [string, string] {
  const prefix = t.service === 'monitoring' ? 'cloudwatch' : t.service;
  const action = `${prefix}:${actionName(t.name)}`;
  const because = `because no identity-based policy allows the ${action} action`;
  if (t.service === 'ec2') {
    return [
      'Client.UnauthorizedOperation',
      `You are not authorized to perform this operation. User: ${c.callerArn} is not authorized to perform: ${action} ${because}`,
    ];
  }
  if (t.service === 's3') return ['AccessDenied', 'Access Denied'];
  const resource = t.global ? `arn:aws:iam::${c.acct.id}:*` : '*';
  const code = JSON_PROTOCOL.has(t.service) ? 'AccessDeniedException' : 'AccessDenied';
  return [
    code,
    `User: ${c.callerArn} is not authorized to perform: ${action} on resource: ${resource} ${because}`,
  ];
}

function throttled(t: EventTemplate): readonly [string, string] {
  if (t.service === 'ec2') return ['Client.RequestLimitExceeded', 'Request limit exceeded.'];
  return JSON_PROTOCOL.has(t.service)
    ? ['ThrottlingException', 'Rate exceeded']
    : ['Throttling', 'Rate exceeded'];
}

function callerArnOf(identity: UserIdentity): string {
  return identity.arn ?? identity.invokedBy ?? 'unknown';
}

// ---------------------------------------------------------------------------
// Target records
// ---------------------------------------------------------------------------

export const TARGET_EVENTS = {
  CreateDBSecurityGroup: { source: 'rds.amazonaws.com', service: 'rds' },
  CreateCacheSecurityGroup: { source: 'elasticache.amazonaws.com', service: 'elasticache' },
} as const;

export type TargetEventName = keyof typeof TARGET_EVENTS;

export const TARGET_EVENT_NAMES = Object.keys(TARGET_EVENTS) as TargetEventName[];

/** True when the record is one of the two calls the detector looks for (either outcome). */
export function isTargetRecord(record: CloudTrailRecord): boolean {
  // hasOwn keeps names such as "toString" from reaching the prototype.
  return (
    Object.hasOwn(TARGET_EVENTS, record.eventName) &&
    TARGET_EVENTS[record.eventName as TargetEventName].source === record.eventSource
  );
}

export type TargetFailureCode =
  'AccessDenied' | 'InvalidParameterValue' | 'InvalidParameterCombination';

export interface TargetRecordOptions {
  readonly account: string;
  readonly region: string;
  readonly time: Date;
  /** Drives ids and any detail not given below; defaults to a hash of account, region and time. */
  readonly seed?: number;
  readonly rng?: Prng;
  readonly groupName?: string;
  readonly description?: string;
  /** RDS and ElastiCache both take tags as `[{ key, value }]` in CloudTrail. */
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  /** A full identity, or the kind of caller to make one for. Default: an SSO user. */
  readonly identity?: UserIdentity | IdentityKindOption;
  /** A literal user agent; wins over `userAgentKind`. */
  readonly userAgent?: string;
  readonly userAgentKind?: UserAgentKind;
  readonly sourceIPAddress?: string;
  /** Make the call fail: true means AccessDenied; an object sets code and message verbatim. */
  readonly failure?:
    boolean | TargetFailureCode | { readonly errorCode: string; readonly errorMessage?: string };
  readonly eventID?: string;
  readonly eventVersion?: string;
}

/**
 * A caller identity of the named kind in `account`. `name` is the user, role or session
 * name, depending on the kind; temporary credentials start shortly before `time`.
 */
export function makeIdentity(
  kind: IdentityKindOption,
  account: string,
  rng: Prng,
  time: Date,
  name?: string,
): UserIdentity {
  switch (kind) {
    case 'iam-user':
      return iamUserIdentity(account, {
        ...makePrincipal(rng, 'AIDA', name ?? 'ops-admin'),
        accessKeyId: `AKIA${rng.chars(BASE32, 16)}`,
      });
    case 'assumed-role': {
      const role = makePrincipal(rng, 'AROA', name ?? 'platform-admin');
      return assumedRoleIdentity(
        account,
        role,
        `session-${rng.hex(8)}`,
        freshCredential(rng, time),
      );
    }
    case 'sso-user': {
      const role = makePrincipal(
        rng,
        'AROA',
        `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`,
        'aws-reserved/sso.amazonaws.com/',
      );
      const session = name ?? `${rng.pick(PEOPLE)}@example.com`;
      return assumedRoleIdentity(account, role, session, freshCredential(rng, time));
    }
    case 'ci-role': {
      const role = makePrincipal(rng, 'AROA', name ?? 'github-actions-deploy');
      return assumedRoleIdentity(account, role, 'GitHubActions', freshCredential(rng, time), {
        webIdProvider: `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
      });
    }
    case 'root':
      return rootIdentity(account, freshCredential(rng, time, 30));
    case 'federated-user': {
      const broker = {
        ...makePrincipal(rng, 'AIDA', 'okta-broker'),
        accessKeyId: `AKIA${rng.chars(BASE32, 16)}`,
      };
      return federatedIdentity(account, broker, name ?? 'contractor', freshCredential(rng, time));
    }
  }
}

function targetFailure(
  name: TargetEventName,
  failure: NonNullable<TargetRecordOptions['failure']>,
  callerArn: string,
  resourceArn: string,
): readonly [string, string | undefined] | undefined {
  if (failure === false) return undefined;
  if (typeof failure === 'object') return [failure.errorCode, failure.errorMessage];
  const code: TargetFailureCode = failure === true ? 'AccessDenied' : failure;
  const service = TARGET_EVENTS[name].service;
  switch (code) {
    case 'AccessDenied':
      return [
        'AccessDenied',
        `User: ${callerArn} is not authorized to perform: ${service}:${name} on resource: ${resourceArn} because no identity-based policy allows the ${service}:${name} action`,
      ];
    case 'InvalidParameterValue':
      // Both APIs belong to EC2-Classic, which is gone; the services now refuse them.
      return [
        'InvalidParameterValue',
        name === 'CreateDBSecurityGroup'
          ? 'DB security groups are not supported for this account; use VPC security groups instead.'
          : 'Cache security groups are not available to this account in this API version.',
      ];
    case 'InvalidParameterCombination':
      return [
        'InvalidParameterCombination',
        name === 'CreateDBSecurityGroup'
          ? 'EC2-Classic resources cannot be created in a VPC-only account.'
          : 'Cache security groups cannot be used with clusters in a VPC.',
      ];
  }
}

/** What any planted call needs to know about its caller, time and place. */
export type CallRecordOptions = Pick<
  TargetRecordOptions,
  | 'account'
  | 'region'
  | 'time'
  | 'seed'
  | 'rng'
  | 'identity'
  | 'userAgent'
  | 'userAgentKind'
  | 'sourceIPAddress'
  | 'eventID'
  | 'eventVersion'
>;

function targetCaller(opts: CallRecordOptions, rng: Prng, service: string, name: string): Caller {
  const identity =
    typeof opts.identity === 'object'
      ? opts.identity
      : makeIdentity(opts.identity ?? 'sso-user', opts.account, rng, opts.time);
  const agent = opts.userAgent ?? userAgentFor(opts.userAgentKind ?? 'aws-cli', rng, service, name);
  const viaService = /^[a-z0-9-]+\.amazonaws\.com$/.test(agent) && !agent.startsWith('console.');
  const ip =
    opts.sourceIPAddress ??
    (agent === 'AWS Internal' ? 'AWS Internal' : viaService ? agent : docIp(rng));
  return {
    identity,
    sourceIPAddress: ip,
    userAgent: agent,
    tls: ip !== 'AWS Internal' && !viaService,
    ...(agent.startsWith('console.') || agent.startsWith('Mozilla/') ? { fromConsole: true } : {}),
  };
}

function targetRng(opts: CallRecordOptions, name: string): Prng {
  return (
    opts.rng ??
    new Prng(
      opts.seed ?? hash32(`${name}|${opts.account}|${opts.region}|${opts.time.toISOString()}`),
    )
  );
}

/**
 * The part both target builders share: the error, if the call failed, and the record
 * around the request and response each builder makes. The builders draw their own random
 * values first, so the records (and the sample archive) do not depend on this split.
 */
function targetRecord(
  opts: TargetRecordOptions,
  name: TargetEventName,
  rng: Prng,
  caller: Caller,
  resourceArn: string,
  built: Built,
): CloudTrailRecord {
  const error =
    opts.failure === undefined
      ? undefined
      : targetFailure(name, opts.failure, callerArnOf(caller.identity), resourceArn);
  return assemble({
    rng,
    account: opts.account,
    region: opts.region,
    time: opts.time,
    source: TARGET_EVENTS[name].source,
    service: TARGET_EVENTS[name].service,
    name,
    readOnly: false,
    caller,
    ...(error !== undefined ? { error } : {}),
    built,
    ...(opts.eventID !== undefined ? { eventID: opts.eventID } : {}),
    ...(opts.eventVersion !== undefined ? { eventVersion: opts.eventVersion } : {}),
  });
}

/**
 * A CloudTrail record of rds:CreateDBSecurityGroup, with the casing CloudTrail uses
 * (`dBSecurityGroupName`, `eC2SecurityGroups`, `iPRanges`, `dBSecurityGroupArn`).
 */
export function createDbSecurityGroupRecord(opts: TargetRecordOptions): CloudTrailRecord {
  const name: TargetEventName = 'CreateDBSecurityGroup';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'rds', name);
  const groupName = opts.groupName ?? `${rng.pick(APPS)}-db-sg`;
  const description = opts.description ?? `Database access for ${groupName.replace(/-db-sg$/, '')}`;
  const arn = `arn:aws:rds:${opts.region}:${opts.account}:secgrp:${groupName}`;
  return targetRecord(opts, name, rng, caller, arn, {
    req: {
      dBSecurityGroupName: groupName,
      dBSecurityGroupDescription: description,
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
    },
    resp: {
      ownerId: opts.account,
      dBSecurityGroupName: groupName,
      dBSecurityGroupDescription: description,
      eC2SecurityGroups: [],
      iPRanges: [],
      dBSecurityGroupArn: arn,
    },
  });
}

/**
 * A CloudTrail record of elasticache:CreateCacheSecurityGroup (`cacheSecurityGroupName`,
 * `description`; the response's CacheSecurityGroup with `ownerId` and `aRN`).
 */
export function createCacheSecurityGroupRecord(opts: TargetRecordOptions): CloudTrailRecord {
  const name: TargetEventName = 'CreateCacheSecurityGroup';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'elasticache', name);
  // The service stores cache security group names in lower case.
  const groupName = (opts.groupName ?? `${rng.pick(APPS)}-cache-sg`).toLowerCase();
  const description = opts.description ?? `Cache access for ${groupName.replace(/-cache-sg$/, '')}`;
  const arn = `arn:aws:elasticache:${opts.region}:${opts.account}:securitygroup:${groupName}`;
  return targetRecord(opts, name, rng, caller, arn, {
    req: {
      cacheSecurityGroupName: groupName,
      description,
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
    },
    resp: {
      ownerId: opts.account,
      cacheSecurityGroupName: groupName,
      description,
      eC2SecurityGroups: [],
      aRN: arn,
    },
  });
}

// ---------------------------------------------------------------------------
// Exposure calls (the second detection pack), for planting
// ---------------------------------------------------------------------------

/** One inbound rule as AuthorizeSecurityGroupIngress takes it. */
export interface IngressPermission {
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly ipv4?: readonly string[];
  readonly ipv6?: readonly string[];
}

function plantedCall(
  opts: CallRecordOptions,
  service: string,
  name: string,
  rng: Prng,
  caller: Caller,
  built: Built,
): CloudTrailRecord {
  return assemble({
    rng,
    account: opts.account,
    region: opts.region,
    time: opts.time,
    source: `${service}.amazonaws.com`,
    service,
    name,
    readOnly: false,
    caller,
    built,
    ...(opts.eventID !== undefined ? { eventID: opts.eventID } : {}),
    ...(opts.eventVersion !== undefined ? { eventVersion: opts.eventVersion } : {}),
  });
}

/**
 * A successful ec2:AuthorizeSecurityGroupIngress as CloudTrail logs it: `ipPermissions.items`
 * with `ipRanges`/`ipv6Ranges` item lists, and the rules EC2 created in the response.
 */
export function authorizeSecurityGroupIngressRecord(
  opts: CallRecordOptions & {
    readonly groupId: string;
    readonly permissions: readonly IngressPermission[];
  },
): CloudTrailRecord {
  const name = 'AuthorizeSecurityGroupIngress';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'ec2', name);
  const items = opts.permissions.map((p) => ({
    ipProtocol: p.protocol,
    ...(p.fromPort !== undefined ? { fromPort: p.fromPort } : {}),
    ...(p.toPort !== undefined ? { toPort: p.toPort } : {}),
    groups: {},
    ipRanges: p.ipv4 !== undefined ? { items: p.ipv4.map((cidrIp) => ({ cidrIp })) } : {},
    ipv6Ranges: p.ipv6 !== undefined ? { items: p.ipv6.map((cidrIpv6) => ({ cidrIpv6 })) } : {},
    prefixListIds: {},
  }));
  const rules = opts.permissions.flatMap((p) =>
    [
      ...(p.ipv4 ?? []).map((cidr) => ({ cidrIpv4: cidr })),
      ...(p.ipv6 ?? []).map((cidr) => ({ cidrIpv6: cidr })),
    ].map((range) => ({
      groupOwnerId: opts.account,
      groupId: opts.groupId,
      securityGroupRuleId: `sgr-0${rng.hex(16)}`,
      isEgress: false,
      ipProtocol: p.protocol,
      fromPort: p.fromPort ?? -1,
      toPort: p.toPort ?? -1,
      ...range,
    })),
  );
  return plantedCall(opts, 'ec2', name, rng, caller, {
    req: { groupId: opts.groupId, ipPermissions: { items } },
    resp: { requestId: rng.uuid(), _return: true, securityGroupRuleSet: { items: rules } },
  });
}

/**
 * A successful rds:ModifyDBInstance with the given request changes. The response shows the
 * instance as RDS reports it right after the call: `publiclyAccessible` is its state before
 * the change unless `publiclyAccessibleAfter` says otherwise.
 */
export function modifyDbInstanceRecord(
  opts: CallRecordOptions & {
    readonly dbInstanceIdentifier: string;
    readonly changes: Readonly<Record<string, unknown>>;
    readonly publiclyAccessibleAfter?: boolean;
  },
): CloudTrailRecord {
  const name = 'ModifyDBInstance';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'rds', name);
  const db = opts.dbInstanceIdentifier;
  return plantedCall(opts, 'rds', name, rng, caller, {
    req: { dBInstanceIdentifier: db, ...opts.changes },
    resp: {
      dBInstanceIdentifier: db,
      dBInstanceClass: 'db.r6g.large',
      engine: 'postgres',
      dBInstanceStatus: 'available',
      masterUsername: 'app_admin',
      allocatedStorage: 100,
      dBSecurityGroups: [],
      vpcSecurityGroups: [{ vpcSecurityGroupId: `sg-0${rng.hex(16)}`, status: 'active' }],
      pendingModifiedValues: {},
      multiAZ: true,
      engineVersion: '16.4',
      publiclyAccessible: opts.publiclyAccessibleAfter ?? false,
      storageType: 'gp3',
      storageEncrypted: true,
      dBInstanceArn: `arn:aws:rds:${opts.region}:${opts.account}:db:${db}`,
      deletionProtection: true,
    },
  });
}

/**
 * A successful rds:ModifyDBSnapshotAttribute (or the cluster-snapshot form) on the `restore`
 * attribute: the accounts added or removed, and the attribute as it stands afterwards.
 */
export function modifyDbSnapshotAttributeRecord(
  opts: CallRecordOptions & {
    readonly snapshotIdentifier: string;
    readonly cluster?: boolean;
    readonly valuesToAdd?: readonly string[];
    readonly valuesToRemove?: readonly string[];
    /** Who may restore the snapshot after the call. */
    readonly attributeValuesAfter: readonly string[];
  },
): CloudTrailRecord {
  const name =
    opts.cluster === true ? 'ModifyDBClusterSnapshotAttribute' : 'ModifyDBSnapshotAttribute';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'rds', name);
  const idKey = opts.cluster === true ? 'dBClusterSnapshotIdentifier' : 'dBSnapshotIdentifier';
  const attributesKey =
    opts.cluster === true ? 'dBClusterSnapshotAttributes' : 'dBSnapshotAttributes';
  return plantedCall(opts, 'rds', name, rng, caller, {
    req: {
      [idKey]: opts.snapshotIdentifier,
      attributeName: 'restore',
      ...(opts.valuesToAdd !== undefined ? { valuesToAdd: [...opts.valuesToAdd] } : {}),
      ...(opts.valuesToRemove !== undefined ? { valuesToRemove: [...opts.valuesToRemove] } : {}),
    },
    resp: {
      [idKey]: opts.snapshotIdentifier,
      [attributesKey]: [
        { attributeName: 'restore', attributeValues: [...opts.attributeValuesAfter] },
      ],
    },
  });
}

/** A successful rds:StartExportTask of a snapshot or cluster to S3. */
export function startExportTaskRecord(
  opts: CallRecordOptions & {
    readonly exportTaskIdentifier: string;
    readonly sourceArn: string;
    readonly s3BucketName: string;
    readonly s3Prefix?: string;
    readonly iamRoleArn: string;
    readonly kmsKeyId: string;
  },
): CloudTrailRecord {
  const name = 'StartExportTask';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'rds', name);
  const target = {
    sourceArn: opts.sourceArn,
    iamRoleArn: opts.iamRoleArn,
    kmsKeyId: opts.kmsKeyId,
    ...(opts.s3Prefix !== undefined ? { s3Prefix: opts.s3Prefix } : {}),
  };
  return plantedCall(opts, 'rds', name, rng, caller, {
    req: {
      exportTaskIdentifier: opts.exportTaskIdentifier,
      s3BucketName: opts.s3BucketName,
      ...target,
    },
    resp: {
      exportTaskIdentifier: opts.exportTaskIdentifier,
      s3Bucket: opts.s3BucketName,
      ...target,
      snapshotTime: isoSeconds(new Date(opts.time.getTime() - 3_600_000)),
      status: 'STARTING',
      percentProgress: 0,
      totalExtractedDataInGB: 0,
    },
  });
}

/** A successful redshift:CreateCluster; the response shows the cluster being created. */
export function createRedshiftClusterRecord(
  opts: CallRecordOptions & {
    readonly clusterIdentifier: string;
    /** Sent in the request when given; the response always states the outcome. */
    readonly publiclyAccessible?: boolean;
    readonly publicAfter: boolean;
  },
): CloudTrailRecord {
  const name = 'CreateCluster';
  const rng = targetRng(opts, name);
  const caller = targetCaller(opts, rng, 'redshift', name);
  return plantedCall(opts, 'redshift', name, rng, caller, {
    req: {
      clusterIdentifier: opts.clusterIdentifier,
      nodeType: 'ra3.xlplus',
      numberOfNodes: 2,
      masterUsername: 'awsuser',
      masterUserPassword: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      encrypted: true,
      ...(opts.publiclyAccessible !== undefined
        ? { publiclyAccessible: opts.publiclyAccessible }
        : {}),
    },
    resp: {
      clusterIdentifier: opts.clusterIdentifier,
      nodeType: 'ra3.xlplus',
      clusterStatus: 'creating',
      masterUsername: 'awsuser',
      dBName: 'dev',
      numberOfNodes: 2,
      publiclyAccessible: opts.publicAfter,
      encrypted: true,
      vpcId: `vpc-0${rng.hex(16)}`,
      vpcSecurityGroups: [{ vpcSecurityGroupId: `sg-0${rng.hex(16)}`, status: 'active' }],
    },
  });
}

// ---------------------------------------------------------------------------
// Streams of records
// ---------------------------------------------------------------------------

const FAILURE_CODES = new Weighted<TargetFailureCode>([
  ['AccessDenied', 3],
  ['InvalidParameterValue', 2],
  ['InvalidParameterCombination', 1],
]);

interface Burst {
  readonly account: string;
  readonly region: string;
  readonly actor: Actor;
  readonly callerFor: CallerFor;
  readonly maxGap: number;
  left: number;
  time: number;
}

/** Builds records for a fixed seed; keeps per-account profiles so principals recur. */
export class RecordFactory {
  private readonly profiles = new Map<string, AccountProfile>();
  private burst: Burst | undefined;

  constructor(private readonly seed: number) {}

  profile(account: string): AccountProfile {
    let p = this.profiles.get(account);
    if (p === undefined) {
      p = buildAccountProfile(account, this.seed);
      this.profiles.set(account, p);
    }
    return p;
  }

  /** The account and region of the burst under way, if any. */
  activeBurst(): { readonly account: string; readonly region: string } | undefined {
    return this.burst !== undefined && this.burst.left > 0 ? this.burst : undefined;
  }

  endBurst(): void {
    this.burst = undefined;
  }

  /**
   * The next background record. `slotTime` is when this record's slot starts plus
   * jitter and `slotWidth` the slot length in ms; calls inside a burst follow each other
   * within seconds but never pass the next slot, so records stay in time order.
   */
  background(
    rng: Prng,
    account: string,
    region: string,
    slotTime: number,
    slotWidth: number,
  ): CloudTrailRecord {
    const acct = this.profile(account);
    let b = this.burst;
    if (b === undefined || b.left <= 0 || b.account !== account || b.region !== region) {
      const actor = acct.actors.pick(rng);
      b = {
        account,
        region,
        actor,
        callerFor: actor.begin(rng, new Date(slotTime), region),
        left: rng.between(actor.burst[0], actor.burst[1]),
        time: slotTime,
        maxGap: Math.min(3000, slotWidth),
      };
      this.burst = b;
    } else {
      b.time += Math.floor(rng.next() * b.maxGap);
    }
    b.left -= 1;
    const { actor } = b;
    const time = new Date(b.time);
    let template = actor.events.pick(rng);
    // IAM and Organizations only ever log in us-east-1; pick again elsewhere.
    for (let tries = 0; template.global && region !== 'us-east-1'; tries++) {
      template = tries < 8 ? actor.events.pick(rng) : TEMPLATES.GetCallerIdentity;
    }
    const caller = b.callerFor(template);
    const ctx: Ctx = { rng, acct, region, time, callerArn: callerArnOf(caller.identity) };
    const built = template.build(ctx);
    let error: readonly [string, string | undefined] | undefined;
    if (rng.chance(actor.errorRate)) {
      const roll = rng.next();
      if (built.miss !== undefined && roll < 0.35) error = built.miss;
      else if (roll > 0.88 && actor.kind !== 'intruder') error = throttled(template);
      else error = accessDenied(template, ctx);
    }
    // Decided after the draws above so a retired call leaves the random stream untouched.
    if (built.retired !== undefined) error = built.retired;
    return assemble({
      rng,
      account,
      region,
      time,
      source: template.source,
      service: template.service,
      name: template.name,
      readOnly: template.readOnly,
      caller,
      ...(error !== undefined ? { error } : {}),
      built,
    });
  }

  target(
    rng: Prng,
    account: string,
    region: string,
    time: Date,
    failed: boolean,
  ): CloudTrailRecord {
    const acct = this.profile(account);
    const name = rng.pick(TARGET_EVENT_NAMES);
    // Mostly the people and pipelines that make changes; now and then the intruder.
    const actor = rng.chance(0.15) ? acct.intruder : rng.pick(acct.humanActors);
    const template: EventTemplate = {
      service: TARGET_EVENTS[name].service,
      source: TARGET_EVENTS[name].source,
      name,
      readOnly: false,
      global: false,
      build: () => ({}),
    };
    const caller = actor.begin(rng, time, region)(template);
    const app = rng.pick(acct.apps);
    const opts: TargetRecordOptions = {
      account,
      region,
      time,
      rng,
      identity: caller.identity,
      userAgent: caller.userAgent,
      sourceIPAddress: caller.sourceIPAddress,
      groupName: `${app}-${acct.env}-${name === 'CreateDBSecurityGroup' ? 'db' : 'cache'}-sg`,
      ...(rng.chance(0.3) ? { tags: [{ key: 'app', value: app }] } : {}),
      ...(failed ? { failure: FAILURE_CODES.pick(rng) } : {}),
    };
    return name === 'CreateDBSecurityGroup'
      ? createDbSecurityGroupRecord(opts)
      : createCacheSecurityGroupRecord(opts);
  }
}

/**
 * Spreads `picked` marks evenly (with a random phase) over `total` slots, so the count
 * is exact and `isMarked` can be asked in increasing order without storing the slots.
 */
export class EvenSchedule {
  private k = 0;
  private nextSlot: number;

  constructor(
    private readonly total: number,
    private readonly picked: number,
    private readonly phase: number,
  ) {
    this.nextSlot = this.slot(0);
  }

  private slot(k: number): number {
    return k < this.picked ? Math.floor(((k + this.phase) * this.total) / this.picked) : Infinity;
  }

  isMarked(index: number): boolean {
    if (index !== this.nextSlot) return false;
    this.k += 1;
    this.nextSlot = this.slot(this.k);
    return true;
  }
}

export interface GenerateOptions {
  readonly seed: number;
  readonly count: number;
  readonly start: Date;
  readonly end: Date;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  /** Fraction of records that are target calls; the count is round(count * targetRate). */
  readonly targetRate?: number;
  /** Fraction of target calls that fail; the count is round(targets * failureShare). Default 0.3. */
  readonly failureShare?: number;
}

export function checkCommon(
  accounts: readonly string[],
  regions: readonly string[],
  rate: number,
): void {
  if (accounts.length === 0) throw new RangeError('accounts must not be empty');
  if (regions.length === 0) throw new RangeError('regions must not be empty');
  if (!(rate >= 0 && rate <= 1)) throw new RangeError('targetRate must be between 0 and 1');
}

/** Records in time order, `count` of them, spread over [start, end). */
export function* generateRecords(
  opts: GenerateOptions,
): Generator<CloudTrailRecord, void, undefined> {
  const rate = opts.targetRate ?? 0;
  checkCommon(opts.accounts, opts.regions, rate);
  const rng = Prng.derive(opts.seed, 'records');
  const factory = new RecordFactory(opts.seed);
  const targets = Math.round(opts.count * rate);
  const failures = Math.round(targets * (opts.failureShare ?? 0.3));
  const targetSlots = new EvenSchedule(opts.count, targets, rng.next());
  const failureSlots = new EvenSchedule(targets, failures, rng.next());
  // The first region is the account's home and carries more of the traffic.
  const regions = new Weighted(opts.regions.map((r, i) => [r, i === 0 ? 2 : 1] as const));
  const t0 = opts.start.getTime();
  const span = Math.max(0, opts.end.getTime() - t0);
  const width = opts.count > 0 ? span / opts.count : 0;
  let targetIndex = 0;
  for (let i = 0; i < opts.count; i++) {
    // One slot per record with jitter inside it keeps times sorted without a sort.
    const slotTime = Math.floor(t0 + width * (i + rng.next()));
    if (targetSlots.isMarked(i)) {
      factory.endBurst();
      const time = new Date(slotTime);
      const account = rng.pick(opts.accounts);
      const region = regions.pick(rng);
      yield factory.target(rng, account, region, time, failureSlots.isMarked(targetIndex++));
      continue;
    }
    const burst = factory.activeBurst();
    const account = burst?.account ?? rng.pick(opts.accounts);
    const region = burst?.region ?? regions.pick(rng);
    yield factory.background(rng, account, region, slotTime, width);
  }
}
