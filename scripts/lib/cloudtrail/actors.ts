/** Actors: who calls, from where, with what client, and the account profiles they belong to. */
import type { UserIdentity } from '../../../lambda/core/cloudtrail';
import { BASE32, Prng, Weighted, hash32 } from './random';
import type {
  AccountResources,
  Credential,
  IamUserPrincipal,
  Principal,
  UserAgentKind,
} from './identities';
import {
  APPS,
  ENVS,
  PEOPLE,
  assumedRoleIdentity,
  awsPublicIp,
  awsServiceIdentity,
  docIp,
  federatedIdentity,
  freshCredential,
  iamUserIdentity,
  makePrincipal,
  privateIp,
  rootIdentity,
  userAgentFor,
} from './identities';
import type { EventTemplate } from './templates';
import {
  CFN_EVENTS,
  DEPLOY_EVENTS,
  HUMAN_EVENTS,
  INTRUDER_EVENTS,
  LEGACY_USER_EVENTS,
  ROOT_EVENTS,
  SCANNER_EVENTS,
  SERVICE_EVENTS,
  WORKLOAD_EVENTS,
} from './templates';

// ---------------------------------------------------------------------------
// Actors: who calls, from where, with what client
// ---------------------------------------------------------------------------

type ActorKind =
  | 'workload'
  | 'aws-service'
  | 'service-linked'
  | 'scanner'
  | 'sso-human'
  | 'ci'
  | 'cfn'
  | 'legacy-user'
  | 'federated'
  | 'root'
  | 'intruder';

export interface Caller {
  readonly identity: UserIdentity;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  /** Set when the call went through a VPC interface endpoint. */
  readonly vpcEndpointId?: string;
  readonly fromConsole?: boolean;
  /** Calls made by AWS on the account's behalf carry no TLS details. */
  readonly tls: boolean;
}

export interface Actor {
  readonly kind: ActorKind;
  readonly events: Weighted<EventTemplate>;
  readonly errorRate: number;
  /** How many calls in a row one visit makes, [min, max]; real logs come in bursts. */
  readonly burst: readonly [number, number];
  /** Settles who exactly is calling for one burst; the result gives the caller per call. */
  readonly begin: (rng: Prng, time: Date, region: string) => CallerFor;
}

export type CallerFor = (t: EventTemplate) => Caller;

const CI_CLIENTS = new Weighted<UserAgentKind>([
  ['terraform', 4],
  ['cdk', 4],
  ['aws-cli', 3],
  ['pulumi', 1],
]);

const SSO_CLIENTS = new Weighted<UserAgentKind>([
  ['aws-cli', 9],
  ['console', 5],
  ['browser', 4],
  ['aws-internal', 5],
]);

interface SessionShape {
  readonly name: string;
  readonly ip: string;
  readonly client: UserAgentKind;
  readonly role?: Principal;
}

interface Session extends SessionShape {
  readonly cred: Credential;
  /** Seeds the client's version numbers so they stay put for the whole session. */
  readonly clientSeed: number;
  readonly startedAt: number;
  readonly endsAt: number;
}

/**
 * Live sessions per caller. Real logs repeat the same temporary key, address and SDK
 * build across many calls; drawing them per record would make every record unique
 * noise (and the archive compress far worse than CloudTrail's).
 */
class Sessions {
  private readonly live = new Map<string, Session>();

  get(key: string, rng: Prng, time: Date, make: () => SessionShape, hours: number): Session {
    const t = time.getTime();
    const current = this.live.get(key);
    if (current !== undefined && t >= current.startedAt && t < current.endsAt) return current;
    const shape = make();
    const cred = freshCredential(rng, time, 20);
    const startedAt = Date.parse(cred.creationDate);
    const session: Session = {
      ...shape,
      cred,
      clientSeed: rng.uint32(),
      startedAt,
      endsAt: startedAt + hours * 3600_000,
    };
    this.live.set(key, session);
    return session;
  }
}

function agentOf(session: Session, t: EventTemplate): string {
  return userAgentFor(session.client, new Prng(session.clientSeed), t.service, t.name);
}

const LAMBDA_RUNTIMES: readonly UserAgentKind[] = ['boto3-lambda', 'js-v3', 'go-v2', 'java'];

/** An account's resources and the actors that call in it. */
export interface AccountProfile extends AccountResources {
  readonly actors: Weighted<Actor>;
  readonly humanActors: readonly Actor[];
  readonly intruder: Actor;
}

export function buildAccountProfile(account: string, seed: number): AccountProfile {
  const rng = Prng.derive(seed, 'account', account);
  const env = ENVS[hash32(account) % ENVS.length] ?? 'prod';
  const apps = rng.shuffle(APPS).slice(0, 6);
  const vpcs = [`vpc-0${rng.hex(16)}`, `vpc-0${rng.hex(16)}`];
  const users: IamUserPrincipal[] = [
    'svc-backup',
    'datadog-integration',
    'legacy-etl',
    'okta-broker',
  ].map((name) => ({
    ...makePrincipal(rng, 'AIDA', name),
    accessKeyId: `AKIA${rng.chars(BASE32, 16)}`,
  }));
  const appRoles = apps.map((app) =>
    makePrincipal(rng, 'AROA', `${app}-${env}-${rng.pick(['lambda', 'task', 'instance'])}-role`),
  );
  const ssoRoles = [
    makePrincipal(
      rng,
      'AROA',
      `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`,
      'aws-reserved/sso.amazonaws.com/',
    ),
    makePrincipal(
      rng,
      'AROA',
      `AWSReservedSSO_PowerUserAccess_${rng.hex(16)}`,
      'aws-reserved/sso.amazonaws.com/',
    ),
    makePrincipal(
      rng,
      'AROA',
      `AWSReservedSSO_ReadOnlyAccess_${rng.hex(16)}`,
      'aws-reserved/sso.amazonaws.com/',
    ),
  ];
  const people = rng.shuffle(PEOPLE).slice(0, 5);
  const officeIps = [docIp(rng), docIp(rng), docIp(rng)];
  const runnerIps = Array.from({ length: 6 }, () => awsPublicIp(rng));
  const profile: Omit<AccountProfile, 'actors' | 'humanActors' | 'intruder'> = {
    id: account,
    env,
    apps,
    buckets: [
      ...apps.slice(0, 4).map((app) => `${env}-${app}-${rng.hex(6)}`),
      `aws-cloudtrail-logs-${account}-${rng.hex(8)}`,
      `cdk-hnb659fds-assets-${account}-us-east-1`,
    ],
    keyIds: [rng.uuid(), rng.uuid(), rng.uuid()],
    vpcs,
    subnets: Array.from({ length: 4 }, () => `subnet-0${rng.hex(16)}`),
    securityGroups: Array.from({ length: 5 }, () => `sg-0${rng.hex(16)}`),
    dbInstances: apps.slice(0, 3).map((app) => `${app}-${env}-db`),
    cacheClusters: apps.slice(0, 2).map((app) => `${app}-${env}-cache-001`),
    users,
    appRoles,
    ssoRoles,
    people,
    officeIps,
    runnerIps,
  };
  const vpce = `vpce-0${rng.hex(16)}`;
  const ciRole = makePrincipal(rng, 'AROA', 'github-actions-deploy');
  // CDK bootstraps one execution role per region; its id must not depend on draw order.
  const cfnRole = (region: string): Principal =>
    makePrincipal(
      Prng.derive(seed, 'cfn-role', account, region),
      'AROA',
      `cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
    );
  const linkedRoles = [
    {
      role: makePrincipal(
        rng,
        'AROA',
        'AWSServiceRoleForConfig',
        'aws-service-role/config.amazonaws.com/',
      ),
      service: 'config.amazonaws.com',
      session: 'AWSConfig-Describe',
    },
    {
      role: makePrincipal(
        rng,
        'AROA',
        'AWSServiceRoleForSecurityHub',
        'aws-service-role/securityhub.amazonaws.com/',
      ),
      service: 'securityhub.amazonaws.com',
      session: 'securityhub',
    },
    {
      role: makePrincipal(
        rng,
        'AROA',
        'AWSServiceRoleForAccessAnalyzer',
        'aws-service-role/access-analyzer.amazonaws.com/',
      ),
      service: 'access-analyzer.amazonaws.com',
      session: 'access-analyzer',
    },
  ];
  const scannerRole = makePrincipal(rng, 'AROA', 'cspm-readonly-audit');
  const user = (name: string): IamUserPrincipal =>
    users.find((u) => u.name === name) ?? (users[0] as IamUserPrincipal);
  const acct = profile.id;

  const sessions = new Sessions();
  const useSession = (
    r: Prng,
    time: Date,
    key: string,
    make: () => SessionShape,
    lifetimeHours = 6,
  ): Session => sessions.get(key, r, time, make, lifetimeHours);

  const actors: Array<readonly [Actor, number]> = [
    [
      {
        kind: 'workload',
        events: WORKLOAD_EVENTS,
        errorRate: 0.02,
        burst: [1, 5],
        begin: (r, time) => {
          const role = r.pick(appRoles);
          // A workload keeps its credentials, address and SDK for hours at a time.
          const s = useSession(r, time, `workload:${role.name}`, () => {
            const inVpc = r.chance(0.35);
            return {
              name: role.name.includes('-instance-')
                ? `i-0${r.hex(16)}`
                : `${role.name.split('-')[0] ?? 'app'}-${r.hex(8)}`,
              ip: inVpc ? privateIp(r) : awsPublicIp(r),
              client: r.pick(LAMBDA_RUNTIMES),
            };
          });
          const identity = assumedRoleIdentity(acct, role, s.name, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            ...(s.ip.startsWith('10.') ? { vpcEndpointId: vpce } : {}),
            tls: true,
          });
        },
      },
      30,
    ],
    [
      {
        kind: 'aws-service',
        events: SERVICE_EVENTS,
        errorRate: 0,
        burst: [1, 2],
        begin: (r) => {
          const assumer = r.pick([
            'lambda.amazonaws.com',
            'ecs-tasks.amazonaws.com',
            'ec2.amazonaws.com',
            'scheduler.amazonaws.com',
          ]);
          const keyUser = r.pick([
            'cloudtrail.amazonaws.com',
            's3.amazonaws.com',
            'logs.amazonaws.com',
            'secretsmanager.amazonaws.com',
          ]);
          return (t) => {
            const service = t.service === 'sts' ? assumer : keyUser;
            return {
              identity: awsServiceIdentity(service),
              sourceIPAddress: service,
              userAgent: service,
              tls: false,
            };
          };
        },
      },
      17,
    ],
    [
      {
        kind: 'service-linked',
        events: SCANNER_EVENTS,
        errorRate: 0.01,
        burst: [2, 10],
        begin: (r, time) => {
          const linked = r.pick(linkedRoles);
          const s = useSession(r, time, `linked:${linked.session}`, () => ({
            name: linked.session,
            ip: linked.service,
            client: 'aws-internal',
          }));
          const identity = assumedRoleIdentity(acct, linked.role, s.name, s.cred, {
            invokedBy: linked.service,
          });
          return () => ({
            identity,
            sourceIPAddress: linked.service,
            userAgent: linked.service,
            tls: false,
          });
        },
      },
      8,
    ],
    [
      {
        kind: 'scanner',
        events: SCANNER_EVENTS,
        errorRate: 0.04,
        burst: [3, 14],
        begin: (r, time) => {
          const s = useSession(
            r,
            time,
            'scanner',
            () => ({
              name: `scan-${r.hex(12)}`,
              ip: awsPublicIp(r),
              client: r.chance(0.6) ? 'go-v2' : 'boto3',
            }),
            1,
          );
          const identity = assumedRoleIdentity(acct, scannerRole, s.name, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            tls: true,
          });
        },
      },
      9,
    ],
    [
      {
        kind: 'sso-human',
        events: HUMAN_EVENTS,
        errorRate: 0.05,
        burst: [1, 8],
        begin: (r, time) => {
          const person = r.pick(people);
          const s = useSession(
            r,
            time,
            `sso:${person}`,
            () => {
              const client = SSO_CLIENTS.pick(r);
              return {
                name: `${person}@example.com`,
                ip: client === 'aws-internal' ? 'AWS Internal' : r.pick(officeIps),
                client,
                role: r.pick(ssoRoles),
              };
            },
            4,
          );
          const identity = assumedRoleIdentity(
            acct,
            s.role ?? (ssoRoles[0] as Principal),
            s.name,
            s.cred,
          );
          // Everything but the CLI is the console calling on the person's behalf.
          const console = s.client !== 'aws-cli';
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            ...(console ? { fromConsole: true } : {}),
            tls: s.client !== 'aws-internal',
          });
        },
      },
      14,
    ],
    [
      {
        kind: 'ci',
        events: DEPLOY_EVENTS,
        errorRate: 0.03,
        burst: [2, 8],
        begin: (r, time) => {
          // One pipeline run: a runner address and a deploy tool, for up to an hour.
          const s = useSession(
            r,
            time,
            'ci',
            () => ({ name: 'GitHubActions', ip: r.pick(runnerIps), client: CI_CLIENTS.pick(r) }),
            1,
          );
          const identity = assumedRoleIdentity(acct, ciRole, s.name, s.cred, {
            webIdProvider: `arn:aws:iam::${acct}:oidc-provider/token.actions.githubusercontent.com`,
          });
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            tls: true,
          });
        },
      },
      7,
    ],
    [
      {
        kind: 'cfn',
        events: CFN_EVENTS,
        errorRate: 0.02,
        burst: [2, 6],
        begin: (r, time, region) => {
          const s = useSession(r, time, `cfn:${region}`, () => ({
            name: 'AWSCloudFormation',
            ip: 'cloudformation.amazonaws.com',
            client: 'cloudformation',
          }));
          const identity = assumedRoleIdentity(acct, cfnRole(region), s.name, s.cred, {
            invokedBy: 'cloudformation.amazonaws.com',
          });
          return () => ({
            identity,
            sourceIPAddress: 'cloudformation.amazonaws.com',
            userAgent: 'cloudformation.amazonaws.com',
            tls: false,
          });
        },
      },
      5,
    ],
    [
      {
        kind: 'legacy-user',
        events: LEGACY_USER_EVENTS,
        errorRate: 0.04,
        burst: [1, 6],
        begin: (r, time) => {
          const u = user(r.pick(['svc-backup', 'datadog-integration', 'legacy-etl']));
          // Long-term keys have no session; the host and client still change only slowly.
          const s = useSession(r, time, `user:${u.name}`, () => ({
            name: u.name,
            ip: u.name !== 'datadog-integration' && r.chance(0.5) ? privateIp(r) : awsPublicIp(r),
            client: u.name === 'datadog-integration' ? 'go-v2' : r.chance(0.7) ? 'boto3' : 'java',
          }));
          const identity = iamUserIdentity(acct, u);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            ...(s.ip.startsWith('10.') ? { vpcEndpointId: vpce } : {}),
            tls: true,
          });
        },
      },
      6,
    ],
    [
      {
        kind: 'federated',
        events: HUMAN_EVENTS,
        errorRate: 0.05,
        burst: [1, 5],
        begin: (r, time) => {
          const s = useSession(
            r,
            time,
            'federated',
            () => ({
              name: r.pick(people).split('.')[0] ?? 'user',
              ip: r.pick(officeIps),
              client: r.chance(0.5) ? 'aws-cli' : 'boto3',
            }),
            1,
          );
          const identity = federatedIdentity(acct, user('okta-broker'), s.name, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            tls: true,
          });
        },
      },
      1.5,
    ],
    [
      {
        kind: 'root',
        events: ROOT_EVENTS,
        errorRate: 0,
        burst: [1, 3],
        begin: (r, time) => {
          const s = useSession(
            r,
            time,
            'root',
            () => ({ name: 'root', ip: r.pick(officeIps), client: 'browser' }),
            1,
          );
          const identity = rootIdentity(acct, s.cred);
          return (t) => ({
            identity,
            sourceIPAddress: s.ip,
            userAgent: agentOf(s, t),
            fromConsole: true,
            tls: true,
          });
        },
      },
      0.3,
    ],
  ];
  const intruder: Actor = {
    kind: 'intruder',
    events: INTRUDER_EVENTS,
    errorRate: 0.45,
    burst: [2, 10],
    begin: (r, time) => {
      // A leaked long-term key used from somewhere the owner never calls from.
      const s = useSession(r, time, 'intruder', () => ({
        name: 'svc-backup',
        ip: docIp(r),
        client: r.pick(['pacu', 'kali', 'kali', 'stratus'] as const),
      }));
      const identity = iamUserIdentity(acct, user('svc-backup'));
      return (t) => ({
        identity,
        sourceIPAddress: s.ip,
        userAgent: agentOf(s, t),
        tls: true,
      });
    },
  };
  actors.push([intruder, 0.5]);
  const humanActors = actors
    .map(([a]) => a)
    .filter(
      (a) =>
        a.kind === 'sso-human' ||
        a.kind === 'ci' ||
        a.kind === 'legacy-user' ||
        a.kind === 'federated',
    );
  return { ...profile, actors: new Weighted(actors), humanActors, intruder };
}
