/** Event templates: the calls background traffic is made of, with their request and response shapes. */
import type { Prng } from './random';
import { BASE32, Weighted } from './random';
import { isoSeconds, stsExpiration } from './format';
import type { AccountResources } from './identities';
import { privateIp } from './identities';

// ---------------------------------------------------------------------------
// Event templates
// ---------------------------------------------------------------------------

type Params = Record<string, unknown> | null;

export interface Ctx {
  readonly rng: Prng;
  readonly acct: AccountResources;
  readonly region: string;
  readonly time: Date;
  /** The caller's ARN, for responses and error messages that quote it. */
  readonly callerArn: string;
}

export interface Built {
  readonly req?: Params;
  readonly resp?: Params;
  readonly additionalEventData?: Record<string, unknown>;
  readonly resources?: ReadonlyArray<Record<string, string>>;
  /** A plausible non-authorization failure for this call (code, message). */
  readonly miss?: readonly [string, string | undefined];
  /**
   * The error every call now gets because the API was retired (EC2-Classic): the call is
   * still made by old tooling, but never succeeds.
   */
  readonly retired?: readonly [string, string];
}

export interface EventTemplate {
  readonly service: string;
  readonly source: string;
  readonly name: string;
  readonly readOnly: boolean;
  /** Global services log in us-east-1 only. */
  readonly global: boolean;
  readonly build: (c: Ctx) => Built;
}

export const JSON_PROTOCOL = new Set([
  'kms',
  'lambda',
  'ssm',
  'secretsmanager',
  'logs',
  'ecr',
  'dynamodb',
  'ecs',
  'guardduty',
  'config',
  'cloudtrail',
  'organizations',
  'eks',
]);

function tpl(
  service: string,
  name: string,
  readOnly: boolean,
  build: (c: Ctx) => Built = () => ({}),
  global = false,
): EventTemplate {
  return { service, source: `${service}.amazonaws.com`, name, readOnly, global, build };
}

function filter(name: string, ...values: string[]): Record<string, unknown> {
  return { name, valueSet: { items: values.map((value) => ({ value })) } };
}

function tagSet(c: Ctx, app: string): Array<{ key: string; value: string }> {
  return [
    { key: 'app', value: app },
    { key: 'env', value: c.acct.env },
    { key: 'owner', value: `team-${app}` },
  ];
}

function ec2Response(c: Ctx, body: Record<string, unknown>): Record<string, unknown> {
  return { requestId: c.rng.uuid(), ...body };
}

function sessionToken(rng: Prng): string {
  // Real tokens run to several hundred characters; a shorter stand-in keeps records
  // near the size of real ones without padding them with noise.
  return `IQoJb3JpZ2luX2VjE${rng.alnum(120)}`;
}

function dbArn(c: Ctx, db: string): string {
  return `arn:aws:rds:${c.region}:${c.acct.id}:db:${db}`;
}

function keyArn(c: Ctx): string {
  return `arn:aws:kms:${c.region}:${c.acct.id}:key/${c.rng.pick(c.acct.keyIds)}`;
}

function s3Extra(c: Ctx, out: number): Record<string, unknown> {
  return {
    SignatureVersion: 'SigV4',
    CipherSuite: 'TLS_AES_128_GCM_SHA256',
    bytesTransferredIn: 0,
    AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': `${c.rng.alnum(56)}=`,
    bytesTransferredOut: out,
  };
}

function bucketTemplate(name: string, param: string, miss?: [string, string]): EventTemplate {
  return tpl('s3', name, true, (c) => {
    const bucket = c.rng.pick(c.acct.buckets);
    return {
      req: { bucketName: bucket, Host: `${bucket}.s3.${c.region}.amazonaws.com`, [param]: '' },
      resp: null,
      additionalEventData: s3Extra(c, c.rng.between(200, 1400)),
      resources: [{ accountId: c.acct.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      ...(miss !== undefined ? { miss } : {}),
    };
  });
}

export const TEMPLATES = {
  // --- EC2 -----------------------------------------------------------------
  DescribeInstances: tpl('ec2', 'DescribeInstances', true, (c) => ({
    req: {
      instancesSet: {},
      filterSet: c.rng.chance(0.5)
        ? { items: [filter('instance-state-name', 'running', 'pending')] }
        : {},
    },
  })),
  DescribeSecurityGroups: tpl('ec2', 'DescribeSecurityGroups', true, (c) => ({
    req: {
      securityGroupSet: {},
      securityGroupIdSet: c.rng.chance(0.4)
        ? { items: [{ groupId: c.rng.pick(c.acct.securityGroups) }] }
        : {},
      filterSet: c.rng.chance(0.3) ? { items: [filter('vpc-id', c.rng.pick(c.acct.vpcs))] } : {},
    },
  })),
  DescribeVpcs: tpl('ec2', 'DescribeVpcs', true, () => ({ req: { vpcSet: {}, filterSet: {} } })),
  DescribeSubnets: tpl('ec2', 'DescribeSubnets', true, (c) => ({
    req: { subnetSet: {}, filterSet: { items: [filter('vpc-id', c.rng.pick(c.acct.vpcs))] } },
  })),
  DescribeRegions: tpl('ec2', 'DescribeRegions', true, (c) => ({
    req: { regionSet: {}, ...(c.rng.chance(0.5) ? { allRegions: true } : {}) },
  })),
  DescribeNetworkInterfaces: tpl('ec2', 'DescribeNetworkInterfaces', true, (c) => ({
    req: {
      networkInterfaceIdSet: {},
      filterSet: { items: [filter('subnet-id', c.rng.pick(c.acct.subnets))] },
    },
  })),
  DescribeVolumes: tpl('ec2', 'DescribeVolumes', true, () => ({
    req: { volumeSet: {}, filterSet: {}, maxResults: 500 },
  })),
  DescribeSnapshots: tpl('ec2', 'DescribeSnapshots', true, () => ({
    req: {
      snapshotSet: {},
      ownersSet: { items: [{ owner: 'self' }] },
      restorableBySet: {},
      filterSet: {},
    },
  })),
  DescribeAvailabilityZones: tpl('ec2', 'DescribeAvailabilityZones', true, () => ({
    req: { availabilityZoneSet: {}, availabilityZoneIdSet: {} },
  })),
  CreateSecurityGroup: tpl('ec2', 'CreateSecurityGroup', false, (c) => {
    const app = c.rng.pick(c.acct.apps);
    const groupId = `sg-0${c.rng.hex(16)}`;
    return {
      req: {
        groupName: `${app}-${c.acct.env}-${c.rng.pick(['alb', 'svc', 'db', 'cache'])}-sg`,
        groupDescription: `Security group for ${app} ${c.acct.env}`,
        vpcId: c.rng.pick(c.acct.vpcs),
      },
      resp: ec2Response(c, {
        _return: true,
        groupId,
        securityGroupArn: `arn:aws:ec2:${c.region}:${c.acct.id}:security-group/${groupId}`,
      }),
      miss: ['Client.InvalidGroup.Duplicate', 'The security group already exists for VPC'],
    };
  }),
  AuthorizeSecurityGroupIngress: tpl('ec2', 'AuthorizeSecurityGroupIngress', false, (c) => {
    const groupId = c.rng.pick(c.acct.securityGroups);
    const port = c.rng.pick([443, 5432, 6379, 3306, 22]);
    // Background traffic never opens a data-store port to the whole internet: those calls
    // are planted where a replay must find them. One draw either way keeps the stream
    // (and every later record) the same whichever list is used.
    const cidr = c.rng.pick(
      port === 443 || port === 22
        ? ['10.0.0.0/16', '10.20.0.0/16', '0.0.0.0/0', '203.0.113.0/24']
        : ['10.0.0.0/16', '10.20.0.0/16', '172.16.0.0/12', '203.0.113.0/24'],
    );
    return {
      req: {
        groupId,
        ipPermissions: {
          items: [
            {
              ipProtocol: 'tcp',
              fromPort: port,
              toPort: port,
              groups: {},
              ipRanges: { items: [{ cidrIp: cidr }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      resp: ec2Response(c, {
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupOwnerId: c.acct.id,
              groupId,
              securityGroupRuleId: `sgr-0${c.rng.hex(16)}`,
              isEgress: false,
              ipProtocol: 'tcp',
              fromPort: port,
              toPort: port,
              cidrIpv4: cidr,
            },
          ],
        },
      }),
      miss: ['Client.InvalidPermission.Duplicate', 'the specified rule already exists'],
    };
  }),
  CreateTags: tpl('ec2', 'CreateTags', false, (c) => {
    const app = c.rng.pick(c.acct.apps);
    return {
      req: {
        resourcesSet: { items: [{ resourceId: `i-0${c.rng.hex(16)}` }] },
        tagSet: { items: tagSet(c, app) },
      },
      resp: ec2Response(c, { _return: true }),
    };
  }),

  // --- STS -----------------------------------------------------------------
  GetCallerIdentity: tpl('sts', 'GetCallerIdentity', true, () => ({ req: null, resp: null })),
  AssumeRole: tpl('sts', 'AssumeRole', true, (c) => {
    const role = c.rng.pick(c.acct.appRoles);
    const session = c.rng.chance(0.5)
      ? `${role.name.split('-')[0] ?? 'app'}-${c.rng.hex(8)}`
      : `${c.rng.int(10 ** 13)}`;
    const roleArn = `arn:aws:iam::${c.acct.id}:role/${role.name}`;
    return {
      req: {
        roleArn,
        roleSessionName: session,
        ...(c.rng.chance(0.3) ? { durationSeconds: 3600 } : {}),
      },
      resp: {
        credentials: {
          accessKeyId: `ASIA${c.rng.chars(BASE32, 16)}`,
          sessionToken: sessionToken(c.rng),
          expiration: stsExpiration(new Date(c.time.getTime() + 3600_000)),
        },
        assumedRoleUser: {
          assumedRoleId: `${role.id}:${session}`,
          arn: `arn:aws:sts::${c.acct.id}:assumed-role/${role.name}/${session}`,
        },
      },
      resources: [{ accountId: c.acct.id, type: 'AWS::IAM::Role', ARN: roleArn }],
    };
  }),

  // --- IAM (global) ----------------------------------------------------------
  ListUsers: tpl('iam', 'ListUsers', true, () => ({ req: null, resp: null }), true),
  ListRoles: tpl(
    'iam',
    'ListRoles',
    true,
    (c) => ({ req: c.rng.chance(0.5) ? { maxItems: 1000 } : null, resp: null }),
    true,
  ),
  GetRole: tpl(
    'iam',
    'GetRole',
    true,
    (c) => {
      const role = c.rng.pick(c.acct.appRoles).name;
      return {
        req: { roleName: role },
        resp: null,
        miss: ['NoSuchEntityException', `The role with name ${role}-old cannot be found.`],
      };
    },
    true,
  ),
  ListAttachedRolePolicies: tpl(
    'iam',
    'ListAttachedRolePolicies',
    true,
    (c) => ({ req: { roleName: c.rng.pick(c.acct.appRoles).name }, resp: null }),
    true,
  ),
  GetPolicyVersion: tpl(
    'iam',
    'GetPolicyVersion',
    true,
    (c) => ({
      req: {
        policyArn: `arn:aws:iam::${c.acct.id}:policy/${c.rng.pick(c.acct.apps)}-runtime`,
        versionId: `v${c.rng.between(1, 6)}`,
      },
      resp: null,
    }),
    true,
  ),
  ListAccessKeys: tpl(
    'iam',
    'ListAccessKeys',
    true,
    (c) => ({ req: { userName: c.rng.pick(c.acct.users).name }, resp: null }),
    true,
  ),
  GetAccountSummary: tpl('iam', 'GetAccountSummary', true, () => ({ req: null, resp: null }), true),
  GetAccountAuthorizationDetails: tpl(
    'iam',
    'GetAccountAuthorizationDetails',
    true,
    () => ({ req: null, resp: null }),
    true,
  ),
  CreateRole: tpl(
    'iam',
    'CreateRole',
    false,
    (c) => {
      const app = c.rng.pick(c.acct.apps);
      const name = `${app}-${c.acct.env}-fn-role-${c.rng.alnum(12)}`;
      const trust =
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
      return {
        req: { roleName: name, assumeRolePolicyDocument: trust, tags: tagSet(c, app) },
        resp: {
          role: {
            path: '/',
            roleName: name,
            roleId: `AROA${c.rng.chars(BASE32, 17)}`,
            arn: `arn:aws:iam::${c.acct.id}:role/${name}`,
            createDate: stsExpiration(c.time),
            assumeRolePolicyDocument: encodeURIComponent(trust),
            tags: tagSet(c, app),
          },
        },
        miss: ['EntityAlreadyExistsException', `Role with name ${name} already exists.`],
      };
    },
    true,
  ),
  AttachRolePolicy: tpl(
    'iam',
    'AttachRolePolicy',
    false,
    (c) => ({
      req: {
        roleName: c.rng.pick(c.acct.appRoles).name,
        policyArn: c.rng.pick([
          'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          'arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess',
          `arn:aws:iam::${c.acct.id}:policy/${c.rng.pick(c.acct.apps)}-runtime`,
        ]),
      },
      resp: null,
    }),
    true,
  ),

  // --- KMS -----------------------------------------------------------------
  Decrypt: tpl('kms', 'Decrypt', true, (c) => {
    const arn = keyArn(c);
    return {
      req: {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: c.rng.chance(0.5)
          ? {
              SecretARN: `arn:aws:secretsmanager:${c.region}:${c.acct.id}:secret:${c.rng.pick(c.acct.apps)}/db-${c.rng.alnum(6)}`,
              SecretVersionId: c.rng.uuid(),
            }
          : {
              'aws:lambda:FunctionArn': `arn:aws:lambda:${c.region}:${c.acct.id}:function:${c.rng.pick(c.acct.apps)}-handler`,
            },
      },
      resp: null,
      resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }],
    };
  }),
  GenerateDataKey: tpl('kms', 'GenerateDataKey', true, (c) => {
    const arn = keyArn(c);
    const bucket = c.rng.pick(c.acct.buckets);
    return {
      req: {
        keyId: arn,
        keySpec: 'AES_256',
        encryptionContext: {
          'aws:s3:arn': `arn:aws:s3:::${bucket}/${c.rng.pick(c.acct.apps)}/${c.rng.hex(12)}.parquet`,
        },
      },
      resp: null,
      resources: [{ accountId: c.acct.id, type: 'AWS::KMS::Key', ARN: arn }],
    };
  }),
  DescribeKey: tpl('kms', 'DescribeKey', true, (c) => ({
    req: { keyId: `alias/${c.rng.pick(c.acct.apps)}` },
    resp: null,
  })),
  ListAliases: tpl('kms', 'ListAliases', true, () => ({ req: null, resp: null })),

  // --- S3 ------------------------------------------------------------------
  ListBuckets: tpl('s3', 'ListBuckets', true, (c) => ({
    req: { Host: 's3.amazonaws.com' },
    resp: null,
    additionalEventData: s3Extra(c, c.rng.between(800, 6000)),
  })),
  GetBucketAcl: bucketTemplate('GetBucketAcl', 'acl'),
  GetBucketPolicy: bucketTemplate('GetBucketPolicy', 'policy', [
    'NoSuchBucketPolicy',
    'The bucket policy does not exist',
  ]),
  GetBucketPublicAccessBlock: bucketTemplate('GetBucketPublicAccessBlock', 'publicAccessBlock'),
  GetBucketEncryption: bucketTemplate('GetBucketEncryption', 'encryption'),
  GetBucketVersioning: bucketTemplate('GetBucketVersioning', 'versioning'),

  // --- RDS -----------------------------------------------------------------
  DescribeDBInstances: tpl('rds', 'DescribeDBInstances', true, (c) => ({
    req: c.rng.chance(0.4) ? { dBInstanceIdentifier: c.rng.pick(c.acct.dbInstances) } : null,
    resp: null,
  })),
  DescribeDBClusters: tpl('rds', 'DescribeDBClusters', true, () => ({
    req: { includeShared: false },
    resp: null,
  })),
  DescribeDBSnapshots: tpl('rds', 'DescribeDBSnapshots', true, (c) => ({
    req: {
      dBInstanceIdentifier: c.rng.pick(c.acct.dbInstances),
      snapshotType: 'automated',
      includeShared: false,
      includePublic: false,
    },
    resp: null,
  })),
  DescribeDBSubnetGroups: tpl('rds', 'DescribeDBSubnetGroups', true, () => ({
    req: null,
    resp: null,
  })),
  // EC2-Classic era call that scanners and old tooling still make.
  DescribeDBSecurityGroups: tpl('rds', 'DescribeDBSecurityGroups', true, () => ({
    req: null,
    resp: null,
  })),
  ListTagsForResourceRds: tpl('rds', 'ListTagsForResource', true, (c) => ({
    req: { resourceName: dbArn(c, c.rng.pick(c.acct.dbInstances)) },
    resp: null,
  })),
  AuthorizeDBSecurityGroupIngress: tpl('rds', 'AuthorizeDBSecurityGroupIngress', false, (c) => {
    const name = `${c.rng.pick(c.acct.apps)}-db-sg`;
    const cidr = c.rng.pick(['10.0.0.0/16', '203.0.113.0/24', '0.0.0.0/0']);
    return {
      req: { dBSecurityGroupName: name, cIDRIP: cidr },
      resp: {
        ownerId: c.acct.id,
        dBSecurityGroupName: name,
        dBSecurityGroupDescription: `Legacy access for ${name}`,
        eC2SecurityGroups: [],
        iPRanges: [{ status: 'authorizing', cIDRIP: cidr }],
        dBSecurityGroupArn: `arn:aws:rds:${c.region}:${c.acct.id}:secgrp:${name}`,
      },
      miss: ['DBSecurityGroupNotFound', `DBSecurityGroup ${name} not found.`],
      retired: [
        'InvalidParameterValue',
        'DB security groups are not supported for this account; use VPC security groups instead.',
      ],
    };
  }),
  CreateDBSnapshot: tpl('rds', 'CreateDBSnapshot', false, (c) => {
    const db = c.rng.pick(c.acct.dbInstances);
    const snap = `${db}-manual-${isoSeconds(c.time).slice(0, 10)}`;
    return {
      req: { dBSnapshotIdentifier: snap, dBInstanceIdentifier: db },
      resp: {
        dBSnapshotIdentifier: snap,
        dBInstanceIdentifier: db,
        engine: 'postgres',
        allocatedStorage: 100,
        status: 'creating',
        port: 5432,
        availabilityZone: `${c.region}a`,
        vpcId: c.rng.pick(c.acct.vpcs),
        masterUsername: 'app_admin',
        engineVersion: '16.4',
        snapshotType: 'manual',
        percentProgress: 0,
        storageType: 'gp3',
        encrypted: true,
        kmsKeyId: keyArn(c),
        dBSnapshotArn: `arn:aws:rds:${c.region}:${c.acct.id}:snapshot:${snap}`,
        iAMDatabaseAuthenticationEnabled: false,
        dbiResourceId: `db-${c.rng.chars(BASE32, 26)}`,
      },
    };
  }),
  CreateDBInstance: tpl('rds', 'CreateDBInstance', false, (c) => {
    const db = `${c.rng.pick(c.acct.apps)}-${c.acct.env}-${c.rng.hex(4)}`;
    return {
      req: {
        dBInstanceIdentifier: db,
        dBInstanceClass: c.rng.pick(['db.t4g.medium', 'db.r6g.large']),
        engine: 'postgres',
        masterUsername: 'app_admin',
        masterUserPassword: 'HIDDEN_DUE_TO_SECURITY_REASONS',
        allocatedStorage: 100,
        vpcSecurityGroupIds: [c.rng.pick(c.acct.securityGroups)],
        dBSubnetGroupName: `${c.acct.env}-db-subnets`,
        storageEncrypted: true,
        multiAZ: c.rng.chance(0.5),
      },
      resp: {
        dBInstanceIdentifier: db,
        dBInstanceClass: 'db.t4g.medium',
        engine: 'postgres',
        dBInstanceStatus: 'creating',
        masterUsername: 'app_admin',
        allocatedStorage: 100,
        preferredBackupWindow: '03:10-03:40',
        backupRetentionPeriod: 7,
        dBSecurityGroups: [],
        vpcSecurityGroups: [
          { vpcSecurityGroupId: c.rng.pick(c.acct.securityGroups), status: 'active' },
        ],
        dBParameterGroups: [
          { dBParameterGroupName: 'default.postgres16', parameterApplyStatus: 'in-sync' },
        ],
        dBSubnetGroup: {
          dBSubnetGroupName: `${c.acct.env}-db-subnets`,
          dBSubnetGroupDescription: 'private subnets',
          vpcId: c.rng.pick(c.acct.vpcs),
          subnetGroupStatus: 'Complete',
        },
        pendingModifiedValues: { masterUserPassword: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        multiAZ: false,
        engineVersion: '16.4',
        publiclyAccessible: false,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: keyArn(c),
        dbiResourceId: `db-${c.rng.chars(BASE32, 26)}`,
        dBInstanceArn: dbArn(c, db),
        deletionProtection: true,
      },
    };
  }),

  // --- ElastiCache ---------------------------------------------------------
  DescribeCacheClusters: tpl('elasticache', 'DescribeCacheClusters', true, (c) => ({
    req: { showCacheNodeInfo: c.rng.chance(0.5), showCacheClustersNotInReplicationGroups: false },
    resp: null,
  })),
  DescribeReplicationGroups: tpl('elasticache', 'DescribeReplicationGroups', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeCacheSubnetGroups: tpl('elasticache', 'DescribeCacheSubnetGroups', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeServerlessCaches: tpl('elasticache', 'DescribeServerlessCaches', true, () => ({
    req: null,
    resp: null,
  })),
  // The legacy listing that sits right next to the target call.
  DescribeCacheSecurityGroups: tpl('elasticache', 'DescribeCacheSecurityGroups', true, () => ({
    req: null,
    resp: null,
  })),
  CreateCacheCluster: tpl('elasticache', 'CreateCacheCluster', false, (c) => {
    const id = `${c.rng.pick(c.acct.apps)}-${c.rng.hex(4)}`;
    return {
      req: {
        cacheClusterId: id,
        engine: 'redis',
        cacheNodeType: c.rng.pick(['cache.t4g.small', 'cache.r7g.large']),
        numCacheNodes: 1,
        cacheSubnetGroupName: `${c.acct.env}-cache-subnets`,
        securityGroupIds: [c.rng.pick(c.acct.securityGroups)],
        tags: tagSet(c, id.split('-')[0] ?? 'app'),
      },
      resp: {
        cacheClusterId: id,
        clientDownloadLandingPage:
          'https://console.aws.amazon.com/elasticache/home#client-download:',
        cacheNodeType: 'cache.t4g.small',
        engine: 'redis',
        engineVersion: '7.1.0',
        cacheClusterStatus: 'creating',
        numCacheNodes: 1,
        preferredMaintenanceWindow: 'sun:05:00-sun:06:00',
        pendingModifiedValues: {},
        cacheSecurityGroups: [],
        cacheParameterGroup: {
          cacheParameterGroupName: 'default.redis7',
          parameterApplyStatus: 'in-sync',
          cacheNodeIdsToReboot: [],
        },
        cacheSubnetGroupName: `${c.acct.env}-cache-subnets`,
        autoMinorVersionUpgrade: true,
        securityGroups: [{ securityGroupId: c.rng.pick(c.acct.securityGroups), status: 'active' }],
        aRN: `arn:aws:elasticache:${c.region}:${c.acct.id}:cluster:${id}`,
        transitEncryptionEnabled: false,
        atRestEncryptionEnabled: false,
        networkType: 'ipv4',
        ipDiscovery: 'ipv4',
      },
    };
  }),
  ListTagsForResourceCache: tpl('elasticache', 'ListTagsForResource', true, (c) => ({
    req: {
      resourceName: `arn:aws:elasticache:${c.region}:${c.acct.id}:cluster:${c.rng.pick(c.acct.cacheClusters)}`,
    },
    resp: null,
  })),

  // --- Lambda --------------------------------------------------------------
  ListFunctions: tpl('lambda', 'ListFunctions20150331', true, () => ({ req: null, resp: null })),
  GetFunction: tpl('lambda', 'GetFunction20150331v2', true, (c) => {
    const fn = `${c.rng.pick(c.acct.apps)}-handler`;
    return {
      req: { functionName: fn },
      resp: null,
      miss: [
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${c.region}:${c.acct.id}:function:${fn}-v1`,
      ],
    };
  }),
  GetFunctionConfiguration: tpl('lambda', 'GetFunctionConfiguration20150331v2', true, (c) => ({
    req: { functionName: `${c.rng.pick(c.acct.apps)}-handler` },
    resp: null,
  })),
  UpdateFunctionCode: tpl('lambda', 'UpdateFunctionCode20150331v2', false, (c) => {
    const fn = `${c.rng.pick(c.acct.apps)}-handler`;
    return {
      req: {
        functionName: fn,
        s3Bucket: `cdk-hnb659fds-assets-${c.acct.id}-${c.region}`,
        s3Key: `${c.rng.hex(64)}.zip`,
        publish: false,
      },
      resp: {
        functionName: fn,
        functionArn: `arn:aws:lambda:${c.region}:${c.acct.id}:function:${fn}`,
        runtime: 'nodejs20.x',
        role: `arn:aws:iam::${c.acct.id}:role/${fn}-role`,
        handler: 'index.handler',
        codeSize: c.rng.between(40_000, 9_000_000),
        timeout: 30,
        memorySize: 512,
        lastModified: `${c.time.toISOString().slice(0, 23)}+0000`,
        codeSha256: `${c.rng.alnum(43)}=`,
        version: '$LATEST',
        state: 'Active',
        lastUpdateStatus: 'InProgress',
        architectures: ['arm64'],
        ephemeralStorage: { size: 512 },
      },
    };
  }),

  // --- CloudFormation ------------------------------------------------------
  DescribeStacks: tpl('cloudformation', 'DescribeStacks', true, (c) => {
    const stack = `${c.rng.pick(c.acct.apps)}-${c.acct.env}`;
    return {
      req: c.rng.chance(0.7) ? { stackName: stack } : null,
      resp: null,
      miss: ['ValidationError', `Stack with id ${stack}-old does not exist`],
    };
  }),
  DescribeStackEvents: tpl('cloudformation', 'DescribeStackEvents', true, (c) => ({
    req: {
      stackName: `arn:aws:cloudformation:${c.region}:${c.acct.id}:stack/${c.rng.pick(c.acct.apps)}-${c.acct.env}/${c.rng.uuid()}`,
    },
    resp: null,
  })),
  ListStacks: tpl('cloudformation', 'ListStacks', true, () => ({
    req: { stackStatusFilter: ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE'] },
    resp: null,
  })),
  GetTemplate: tpl('cloudformation', 'GetTemplate', true, (c) => ({
    req: { stackName: `${c.rng.pick(c.acct.apps)}-${c.acct.env}`, templateStage: 'Original' },
    resp: null,
  })),
  CreateChangeSet: tpl('cloudformation', 'CreateChangeSet', false, (c) => {
    const stack = `${c.rng.pick(c.acct.apps)}-${c.acct.env}`;
    const stackId = `arn:aws:cloudformation:${c.region}:${c.acct.id}:stack/${stack}/${c.rng.uuid()}`;
    return {
      req: {
        stackName: stack,
        templateURL: `https://s3.${c.region}.amazonaws.com/cdk-hnb659fds-assets-${c.acct.id}-${c.region}/${c.rng.hex(64)}.json`,
        parameters: [
          { parameterKey: 'BootstrapVersion', parameterValue: '/cdk-bootstrap/hnb659fds/version' },
        ],
        capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        roleARN: `arn:aws:iam::${c.acct.id}:role/cdk-hnb659fds-cfn-exec-role-${c.acct.id}-${c.region}`,
        changeSetName: 'cdk-deploy-change-set',
        changeSetType: 'UPDATE',
      },
      resp: {
        id: `arn:aws:cloudformation:${c.region}:${c.acct.id}:changeSet/cdk-deploy-change-set/${c.rng.uuid()}`,
        stackId,
      },
    };
  }),
  ExecuteChangeSet: tpl('cloudformation', 'ExecuteChangeSet', false, (c) => ({
    req: {
      changeSetName: 'cdk-deploy-change-set',
      stackName: `${c.rng.pick(c.acct.apps)}-${c.acct.env}`,
    },
    resp: null,
  })),

  // --- Logs, SSM, Secrets, ECR, CloudWatch, others -------------------------
  CreateLogStream: tpl('logs', 'CreateLogStream', false, (c) => ({
    req: {
      logGroupName: `/aws/lambda/${c.rng.pick(c.acct.apps)}-handler`,
      logStreamName: `${isoSeconds(c.time).slice(0, 10).replace(/-/g, '/')}/[$LATEST]${c.rng.hex(32)}`,
    },
    resp: null,
  })),
  DescribeLogGroups: tpl('logs', 'DescribeLogGroups', true, (c) => ({
    req: c.rng.chance(0.5) ? { logGroupNamePrefix: '/aws/lambda/' } : null,
    resp: null,
  })),
  GetParameter: tpl('ssm', 'GetParameter', true, (c) => {
    const name = `/${c.acct.env}/${c.rng.pick(c.acct.apps)}/${c.rng.pick(['db-host', 'feature-flags', 'api-url', 'cache-endpoint'])}`;
    return {
      req: { name, withDecryption: c.rng.chance(0.6) },
      resp: null,
      miss: ['ParameterNotFound', undefined],
    };
  }),
  GetParameters: tpl('ssm', 'GetParameters', true, (c) => ({
    req: {
      names: [
        `/cdk-bootstrap/hnb659fds/version`,
        `/${c.acct.env}/${c.rng.pick(c.acct.apps)}/config`,
      ],
      withDecryption: false,
    },
    resp: null,
  })),
  UpdateInstanceInformation: tpl('ssm', 'UpdateInstanceInformation', false, (c) => ({
    req: {
      instanceId: `i-0${c.rng.hex(16)}`,
      agentVersion: '3.3.1142.0',
      agentStatus: 'Active',
      platformType: 'Linux',
      platformName: 'Amazon Linux',
      platformVersion: '2023',
      iPAddress: privateIp(c.rng),
      computerName: `ip-${privateIp(c.rng).replace(/\./g, '-')}.${c.region}.compute.internal`,
      agentName: 'amazon-ssm-agent',
      availabilityZone: `${c.region}${c.rng.pick(['a', 'b', 'c'])}`,
      availabilityZoneId: `use1-az${c.rng.between(1, 6)}`,
      sSMConnectionChannel: 'ssmmessages',
    },
    resp: null,
  })),
  GetSecretValue: tpl('secretsmanager', 'GetSecretValue', true, (c) => ({
    req: {
      secretId: `arn:aws:secretsmanager:${c.region}:${c.acct.id}:secret:${c.rng.pick(c.acct.apps)}/db-${c.rng.alnum(6)}`,
    },
    resp: null,
  })),
  ListSecrets: tpl('secretsmanager', 'ListSecrets', true, () => ({ req: null, resp: null })),
  GetAuthorizationToken: tpl('ecr', 'GetAuthorizationToken', true, () => ({
    req: null,
    resp: null,
  })),
  GetMetricData: tpl('monitoring', 'GetMetricData', true, (c) => ({
    req: {
      metricDataQueries: [
        {
          id: 'm1',
          metricStat: {
            metric: {
              namespace: 'AWS/Lambda',
              metricName: 'Errors',
              dimensions: [{ name: 'FunctionName', value: `${c.rng.pick(c.acct.apps)}-handler` }],
            },
            period: 300,
            stat: 'Sum',
          },
        },
      ],
      startTime: isoSeconds(new Date(c.time.getTime() - 3600_000)),
      endTime: isoSeconds(c.time),
    },
    resp: null,
  })),
  DescribeAlarms: tpl('monitoring', 'DescribeAlarms', true, () => ({
    req: { maxRecords: 100 },
    resp: null,
  })),
  DescribeTable: tpl('dynamodb', 'DescribeTable', true, (c) => ({
    req: { tableName: `${c.rng.pick(c.acct.apps)}-${c.acct.env}` },
    resp: null,
  })),
  ListTables: tpl('dynamodb', 'ListTables', true, () => ({ req: null, resp: null })),
  DescribeTrails: tpl('cloudtrail', 'DescribeTrails', true, () => ({
    req: { includeShadowTrails: true },
    resp: null,
  })),
  ListDetectors: tpl('guardduty', 'ListDetectors', true, () => ({ req: null, resp: null })),
  DescribeLoadBalancers: tpl('elasticloadbalancing', 'DescribeLoadBalancers', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeAutoScalingGroups: tpl('autoscaling', 'DescribeAutoScalingGroups', true, () => ({
    req: null,
    resp: null,
  })),
  ListClusters: tpl('ecs', 'ListClusters', true, () => ({ req: null, resp: null })),
  DescribeConfigRules: tpl('config', 'DescribeConfigRules', true, () => ({
    req: null,
    resp: null,
  })),
  DescribeOrganization: tpl(
    'organizations',
    'DescribeOrganization',
    true,
    () => ({ req: null, resp: null }),
    true,
  ),
} satisfies Record<string, EventTemplate>;

type TemplateKey = keyof typeof TEMPLATES;

function table(entries: ReadonlyArray<readonly [TemplateKey, number]>): Weighted<EventTemplate> {
  return new Weighted(entries.map(([key, weight]) => [TEMPLATES[key], weight] as const));
}

// What each kind of caller tends to do. The mixture of these, weighted by how often each
// caller appears, gives the account-wide mix: mostly reads, KMS and STS from workloads.
export const WORKLOAD_EVENTS = table([
  ['Decrypt', 16],
  ['GenerateDataKey', 8],
  ['GetParameter', 9],
  ['GetParameters', 3],
  ['GetSecretValue', 6],
  ['GetCallerIdentity', 6],
  ['AssumeRole', 5],
  ['CreateLogStream', 8],
  ['DescribeTable', 3],
  ['GetAuthorizationToken', 3],
  ['DescribeInstances', 3],
  ['DescribeCacheClusters', 2],
  ['DescribeDBInstances', 2],
  ['UpdateInstanceInformation', 4],
  ['GetMetricData', 2],
  ['ListBuckets', 1],
]);

export const SERVICE_EVENTS = table([
  ['AssumeRole', 12],
  ['Decrypt', 6],
  ['GenerateDataKey', 6],
]);

export const SCANNER_EVENTS = table([
  ['DescribeInstances', 6],
  ['DescribeSecurityGroups', 6],
  ['DescribeVpcs', 3],
  ['DescribeSubnets', 3],
  ['DescribeRegions', 4],
  ['DescribeNetworkInterfaces', 3],
  ['DescribeVolumes', 3],
  ['DescribeSnapshots', 3],
  ['DescribeAvailabilityZones', 1],
  ['ListUsers', 2],
  ['ListRoles', 3],
  ['GetRole', 2],
  ['ListAttachedRolePolicies', 3],
  ['GetPolicyVersion', 2],
  ['ListAccessKeys', 2],
  ['GetAccountSummary', 1],
  ['GetBucketAcl', 4],
  ['GetBucketPolicy', 4],
  ['GetBucketPublicAccessBlock', 3],
  ['GetBucketEncryption', 3],
  ['GetBucketVersioning', 2],
  ['ListBuckets', 2],
  ['DescribeKey', 2],
  ['ListAliases', 2],
  ['DescribeDBInstances', 3],
  ['DescribeDBClusters', 2],
  ['DescribeDBSnapshots', 2],
  ['DescribeDBSubnetGroups', 1],
  ['DescribeDBSecurityGroups', 1],
  ['ListTagsForResourceRds', 2],
  ['DescribeCacheClusters', 2],
  ['DescribeReplicationGroups', 2],
  ['DescribeCacheSubnetGroups', 1],
  ['DescribeServerlessCaches', 1],
  ['DescribeCacheSecurityGroups', 1],
  ['ListTagsForResourceCache', 1],
  ['ListFunctions', 2],
  ['GetFunction', 1],
  ['DescribeLogGroups', 2],
  ['ListSecrets', 1],
  ['DescribeAlarms', 1],
  ['DescribeTrails', 1],
  ['ListDetectors', 1],
  ['DescribeLoadBalancers', 2],
  ['DescribeAutoScalingGroups', 1],
  ['ListTables', 1],
  ['ListClusters', 1],
  ['DescribeConfigRules', 1],
  ['DescribeOrganization', 1],
]);

export const HUMAN_EVENTS = table([
  ['DescribeInstances', 8],
  ['DescribeSecurityGroups', 5],
  ['DescribeVpcs', 2],
  ['DescribeSubnets', 2],
  ['DescribeRegions', 2],
  ['GetCallerIdentity', 4],
  ['ListBuckets', 3],
  ['GetBucketPolicy', 1],
  ['ListRoles', 2],
  ['GetRole', 2],
  ['DescribeDBInstances', 4],
  ['DescribeDBClusters', 2],
  ['DescribeCacheClusters', 3],
  ['DescribeReplicationGroups', 2],
  ['ListFunctions', 3],
  ['GetFunction', 2],
  ['DescribeStacks', 4],
  ['DescribeStackEvents', 3],
  ['ListStacks', 1],
  ['DescribeLogGroups', 2],
  ['GetMetricData', 3],
  ['DescribeAlarms', 2],
  ['GetSecretValue', 1],
  ['CreateSecurityGroup', 1],
  ['AuthorizeSecurityGroupIngress', 1.5],
  ['CreateTags', 1],
  ['CreateDBSnapshot', 0.6],
  ['CreateDBInstance', 0.3],
  ['CreateCacheCluster', 0.3],
  ['AuthorizeDBSecurityGroupIngress', 0.2],
]);

export const DEPLOY_EVENTS = table([
  ['GetCallerIdentity', 5],
  ['AssumeRole', 5],
  ['DescribeStacks', 8],
  ['DescribeStackEvents', 6],
  ['GetTemplate', 2],
  ['CreateChangeSet', 2],
  ['ExecuteChangeSet', 1.5],
  ['GetParameters', 3],
  ['GetAuthorizationToken', 2],
  ['UpdateFunctionCode', 1.5],
  ['GetFunction', 2],
  ['ListBuckets', 1],
  ['GetRole', 2],
  ['DescribeSecurityGroups', 2],
  ['DescribeDBInstances', 1],
  ['DescribeCacheClusters', 1],
  ['CreateSecurityGroup', 0.5],
  ['AuthorizeSecurityGroupIngress', 0.5],
  ['CreateTags', 0.5],
]);

export const CFN_EVENTS = table([
  ['CreateSecurityGroup', 3],
  ['AuthorizeSecurityGroupIngress', 3],
  ['CreateTags', 3],
  ['DescribeSecurityGroups', 4],
  ['CreateRole', 2],
  ['AttachRolePolicy', 2],
  ['GetRole', 3],
  ['UpdateFunctionCode', 2],
  ['GetFunction', 3],
  ['CreateDBInstance', 0.5],
  ['DescribeDBInstances', 2],
  ['CreateCacheCluster', 0.5],
  ['DescribeCacheClusters', 2],
  ['GetParameters', 2],
]);

export const LEGACY_USER_EVENTS = table([
  ['GetMetricData', 6],
  ['DescribeInstances', 4],
  ['ListBuckets', 3],
  ['GetBucketVersioning', 1],
  ['DescribeDBInstances', 3],
  ['CreateDBSnapshot', 1],
  ['DescribeDBSnapshots', 3],
  ['DescribeCacheClusters', 1],
  ['DescribeAlarms', 2],
  ['GetCallerIdentity', 2],
  ['DescribeVolumes', 2],
]);

export const ROOT_EVENTS = table([
  ['GetAccountSummary', 3],
  ['ListUsers', 2],
  ['ListBuckets', 2],
  ['DescribeRegions', 2],
  ['GetCallerIdentity', 1],
]);

export const INTRUDER_EVENTS = table([
  ['GetCallerIdentity', 8],
  ['ListUsers', 4],
  ['ListRoles', 4],
  ['GetAccountAuthorizationDetails', 2],
  ['ListAccessKeys', 2],
  ['ListBuckets', 4],
  ['GetBucketPolicy', 2],
  ['DescribeInstances', 4],
  ['DescribeRegions', 3],
  ['DescribeSecurityGroups', 3],
  ['DescribeDBInstances', 2],
  ['DescribeDBSecurityGroups', 2],
  ['DescribeCacheClusters', 2],
  ['DescribeCacheSecurityGroups', 2],
  ['ListSecrets', 3],
  ['GetSecretValue', 2],
  ['ListFunctions', 2],
  ['DescribeTrails', 1],
  ['ListDetectors', 1],
]);
