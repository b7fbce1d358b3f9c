/**
 * The hunt resources: the Glue table over the trail (columns, projection, location), the
 * Athena workgroup, the results bucket, the operator policy and their cdk-nag review.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError, parseConfig } from '../../lib/config';
import { STACK_OUTPUTS } from '../../lib/deployment-names';
import { removeTemporaryDirs, synthesize } from '../support/synth';

afterAll(removeTemporaryDirs);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HUB = { hubEnv: { account: '111122223333', region: 'us-east-1' } };

/** The columns AWS documents for a CloudTrail table, in its order, with nested JSON as text. */
const DOCUMENTED_COLUMNS = [
  'eventversion',
  'useridentity',
  'eventtime',
  'eventsource',
  'eventname',
  'awsregion',
  'sourceipaddress',
  'useragent',
  'errorcode',
  'errormessage',
  'requestparameters',
  'responseelements',
  'additionaleventdata',
  'requestid',
  'eventid',
  'readonly',
  'resources',
  'eventtype',
  'apiversion',
  'recipientaccountid',
  'serviceeventdetails',
  'sharedeventid',
  'vpcendpointid',
  'vpcendpointaccountid',
  'eventcategory',
  'addendum',
  'sessioncredentialfromconsole',
  'edgedevicedetails',
  'tlsdetails',
];

function onlyResource(template: Template, type: string): Json {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0] as Json;
}

describe('hunt resources of an account trail', () => {
  const sgwatch = synthesize({ cloudTrailBucket: 'acme-trail', huntMaxScanGb: '250' }, HUB);
  const template = Template.fromStack(sgwatch.stack);
  const table = onlyResource(template, 'AWS::Glue::Table').Properties.TableInput as Json;

  it('defines the documented CloudTrail columns, nested request and response as text', () => {
    const columns = table.StorageDescriptor.Columns as { Name: string; Type: string }[];

    expect(columns.map((c) => c.Name)).toEqual(DOCUMENTED_COLUMNS);
    expect(columns.find((c) => c.Name === 'requestparameters')?.Type).toBe('string');
    expect(columns.find((c) => c.Name === 'useridentity')?.Type).toMatch(
      /^struct<type:string,principalid:string,arn:string,accountid:string,/,
    );
    expect(table.StorageDescriptor.InputFormat).toBe(
      'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
    );
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hive.hcatalog.data.JsonSerDe',
    );
  });

  it('projects account, Region and day partitions, accounts injected when none are listed', () => {
    expect(table.PartitionKeys).toEqual([
      { Name: 'account', Type: 'string' },
      { Name: 'region', Type: 'string' },
      { Name: 'day', Type: 'string' },
    ]);
    expect(table.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.account.type': 'injected',
      'projection.region.type': 'enum',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy/MM/dd',
      'projection.day.range': '2013/11/01,NOW',
      'projection.day.interval': '1',
      'projection.day.interval.unit': 'DAYS',
    });
    expect(String(table.Parameters['projection.region.values']).split(',')).toEqual(
      expect.arrayContaining(['us-east-1', 'eu-west-1', 'ap-southeast-2']),
    );
  });

  it('reads the account layout of the bucket', () => {
    expect(table.Parameters['storage.location.template']).toBe(
      's3://acme-trail/AWSLogs/${account}/CloudTrail/${region}/${day}',
    );
    expect(table.StorageDescriptor.Location).toBe('s3://acme-trail/AWSLogs/');
  });

  it('runs queries in a workgroup that enforces encrypted results and the scan cutoff', () => {
    const workGroup = onlyResource(template, 'AWS::Athena::WorkGroup').Properties as Json;
    const config = workGroup.WorkGroupConfiguration as Json;

    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.BytesScannedCutoffPerQuery).toBe(250_000_000_000);
    expect(config.ResultConfiguration.EncryptionConfiguration).toEqual({
      EncryptionOption: 'SSE_KMS',
      KmsKey: { 'Fn::GetAtt': [expect.stringMatching(/^HuntResultsKey/), 'Arn'] },
    });
    expect(JSON.stringify(config.ResultConfiguration.OutputLocation)).toMatch(/HuntResults/);
  });

  it('keeps results in a private, KMS-encrypted, TLS-only bucket that expires them', () => {
    const bucket = onlyResource(template, 'AWS::S3::Bucket').Properties as Json;

    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' },
    });
    expect(bucket.LifecycleConfiguration.Rules[0]).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: 7,
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('hunt'),
      EnableKeyRotation: true,
    });
  });

  it('gives the operator exactly the hunt actions, each on its own resource', () => {
    const policy = onlyResource(template, 'AWS::IAM::ManagedPolicy').Properties as Json;
    const statements = policy.PolicyDocument.Statement as Json[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));

    expect(
      statements.flatMap((s) => [s.Action].flat().map((a: string) => `${s.Sid} ${a}`)).sort(),
    ).toEqual(
      [
        'FindHuntResources cloudformation:DescribeStacks',
        'LocateTrailBucket s3:GetBucketLocation',
        'ListTrailLogs s3:ListBucket',
        'ReadTrailLogs s3:GetObject',
        'ReadTrailTable glue:GetDatabase',
        'ReadTrailTable glue:GetTable',
        'RunHuntQueries athena:GetQueryExecution',
        'RunHuntQueries athena:GetQueryResults',
        'RunHuntQueries athena:GetWorkGroup',
        'RunHuntQueries athena:StartQueryExecution',
        'RunHuntQueries athena:StopQueryExecution',
        'UseResultsKey kms:Decrypt',
        'UseResultsKey kms:GenerateDataKey',
        'WriteAndReadResults s3:AbortMultipartUpload',
        'WriteAndReadResults s3:GetBucketLocation',
        'WriteAndReadResults s3:GetObject',
        'WriteAndReadResults s3:ListBucket',
        'WriteAndReadResults s3:ListBucketMultipartUploads',
        'WriteAndReadResults s3:ListMultipartUploadParts',
        'WriteAndReadResults s3:PutObject',
      ].sort(),
    );
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(JSON.stringify(statements.map((s) => s.Resource))).not.toMatch(/"\*"/);
    expect(JSON.stringify(bySid.ReadTrailLogs?.Resource)).toContain(':s3:::acme-trail/AWSLogs/*');
    expect(bySid.ListTrailLogs?.Condition).toEqual({
      StringLike: { 's3:prefix': ['AWSLogs/*'] },
    });
    expect(JSON.stringify(bySid.ReadTrailTable?.Resource)).toContain(
      ':table/sgwatch_hunt/cloudtrail',
    );
    expect(JSON.stringify(bySid.RunHuntQueries?.Resource)).toContain(':workgroup/');
  });

  it('names the database, table, workgroup and policy in stack outputs', () => {
    const outputs = template.toJSON().Outputs as Json;

    expect(outputs[STACK_OUTPUTS.huntDatabase].Value).toBe('sgwatch_hunt');
    expect(outputs[STACK_OUTPUTS.huntTable].Value).toBe('cloudtrail');
    expect(outputs[STACK_OUTPUTS.huntWorkGroup].Value).toBe('Sgwatch-hunt');
    expect(outputs[STACK_OUTPUTS.huntOperatorPolicy].Value).toEqual({
      Ref: expect.stringMatching(/^HuntOperatorPolicy/),
    });
  });
});

describe('hunt resources of an organization trail', () => {
  it('reads the organization layout under the prefix and projects the listed accounts', () => {
    const sgwatch = synthesize(
      {
        cloudTrailBucket: 'org-trail',
        cloudTrailPrefix: '/security/',
        organizationId: 'o-a1b2c3d4e5',
        cloudTrailAccounts: '111122223333,444455556666',
        regions: 'us-east-1,xx-test-9',
      },
      HUB,
    );
    const table = onlyResource(Template.fromStack(sgwatch.stack), 'AWS::Glue::Table').Properties
      .TableInput as Json;

    expect(table.Parameters['storage.location.template']).toBe(
      's3://org-trail/security/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}',
    );
    expect(table.Parameters['projection.account.type']).toBe('enum');
    expect(table.Parameters['projection.account.values']).toBe('111122223333,444455556666');
    expect(String(table.Parameters['projection.region.values']).split(',')).toContain('xx-test-9');
  });
});

describe('hunt resources of a trail encrypted with a KMS key', () => {
  const KEY = 'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  /** The operator policy's statements, by sid. */
  function operatorStatements(context: Record<string, string>): Record<string, Json> {
    const policy = onlyResource(
      Template.fromStack(synthesize(context, HUB).stack),
      'AWS::IAM::ManagedPolicy',
    );
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    return Object.fromEntries(statements.map((s) => [s.Sid as string, s]));
  }

  it('lets operators decrypt the log files with that key, through S3 only', () => {
    // Act
    const bySid = operatorStatements({ cloudTrailBucket: 'acme-trail', cloudTrailKmsKey: KEY });

    // Assess
    expect(bySid.DecryptTrailLogs).toEqual({
      Sid: 'DecryptTrailLogs',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEY,
      Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
    });
  });

  it('grants no trail key without one', () => {
    expect(operatorStatements({ cloudTrailBucket: 'acme-trail' }).DecryptTrailLogs).toBeUndefined();
  });
});

describe('without a trail bucket', () => {
  it('defines no hunt resource and no hunt output', () => {
    const template = Template.fromStack(synthesize({}, HUB).stack);

    template.resourceCountIs('AWS::Glue::Table', 0);
    template.resourceCountIs('AWS::Athena::WorkGroup', 0);
    expect(Object.keys(template.toJSON().Outputs as Json)).not.toContain(STACK_OUTPUTS.huntTable);
  });
});

describe('hunt context', () => {
  it('takes a single-Region or a multi-Region key ARN, trimmed', () => {
    const single = 'arn:aws:kms:eu-west-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const multi =
      'arn:aws-us-gov:kms:us-gov-west-1:999988887777:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    for (const key of [single, multi]) {
      expect(
        parseConfig({ cloudTrailBucket: 'acme-trail', cloudTrailKmsKey: ` ${key} ` }).hunt
          ?.kmsKeyArn,
      ).toBe(key);
    }
  });

  it('defaults the scan cutoff to 1,000 GB', () => {
    expect(parseConfig({ cloudTrailBucket: 'acme-trail' }).hunt).toEqual({
      bucket: 'acme-trail',
      maxScanGb: 1000,
      accounts: [],
    });
  });

  it.each([
    [{ cloudTrailBucket: 'Not_A_Bucket' }, 'cloudTrailBucket'],
    [{ cloudTrailBucket: 'acme-trail', cloudTrailPrefix: 'a/../b' }, 'cloudTrailPrefix'],
    [{ cloudTrailBucket: 'acme-trail', cloudTrailPrefix: 'logs/AWSLogs' }, 'cloudTrailPrefix'],
    [{ cloudTrailBucket: 'acme-trail', huntMaxScanGb: '0.5' }, 'huntMaxScanGb'],
    [{ cloudTrailBucket: 'acme-trail', huntMaxScanGb: 'lots' }, 'huntMaxScanGb'],
    [{ cloudTrailBucket: 'acme-trail', cloudTrailAccounts: '12345' }, 'cloudTrailAccounts'],
    [{ huntMaxScanGb: '100' }, 'huntMaxScanGb'],
    [{ cloudTrailPrefix: 'logs' }, 'cloudTrailPrefix'],
    [{ cloudTrailBucket: 'acme-trail', cloudTrailKmsKey: 'alias/trail' }, 'cloudTrailKmsKey'],
    [
      {
        cloudTrailBucket: 'acme-trail',
        cloudTrailKmsKey: 'arn:aws:kms:us-east-1:999988887777:alias/trail',
      },
      'cloudTrailKmsKey',
    ],
    [
      {
        cloudTrailKmsKey:
          'arn:aws:kms:us-east-1:999988887777:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      },
      'cloudTrailKmsKey',
    ],
  ])('rejects %j naming %s', (context, key) => {
    let thrown: unknown;
    try {
      parseConfig(context);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).key).toBe(key);
  });
});

describe('cdk-nag with hunt resources', () => {
  const sgwatch = synthesize(
    {
      cloudTrailBucket: 'org-trail',
      cloudTrailKmsKey:
        'arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      organizationId: 'o-a1b2c3d4e5',
      alertEmails: 'a@example.com',
    },
    HUB,
  );

  it('synthesizes with no unacknowledged finding', () => {
    const assembly = sgwatch.app.synth();
    const report = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as { pluginReports: { pluginName: string; violations: unknown[] }[] };

    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });

  it('acknowledges only the results bucket logs and the two object wildcards, with reasons', () => {
    const acknowledged = sgwatch.stack.hunt?.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );

    const ids = acknowledged?.map(([id]) =>
      id
        .replace(/^annotation::/i, '')
        .replace(/<HuntResults[0-9A-F]{8}\.Arn>/, '<HuntResults.Arn>'),
    );

    expect(ids?.sort()).toEqual([
      'AwsSolutions-S1',
      'AwsSolutions::AwsSolutions-IAM5[Resource::<HuntResults.Arn>/results/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::org-trail/AWSLogs/o-a1b2c3d4e5/*]',
    ]);
    for (const [, reason] of acknowledged ?? []) {
      expect(reason.split(/\s+/).length).toBeGreaterThanOrEqual(20);
    }
  });
});
