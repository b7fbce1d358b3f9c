import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  TRAIL_COLUMNS,
  TRAIL_DAY_FORMAT,
  TRAIL_PARTITIONS,
  trailLocationTemplate,
  trailLogsPrefix,
} from '../../lambda/core/hunt/trail-table';

/**
 * Regions the table projects: every commercial Region CloudTrail delivers from. A Region
 * missing here is only unreachable by hunts; list it in the `regions` context to add it.
 */
export const TRAIL_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** The first day CloudTrail could have written: the start of the projected day range. */
const FIRST_TRAIL_DAY = '2013/11/01';

export interface TrailHuntProps {
  /** The bucket the trail delivers to. */
  readonly trailBucketName: string;
  /**
   * The trail's key prefix, before `AWSLogs/`.
   * @default - none
   */
  readonly trailPrefix?: string;
  /**
   * The organization of an organization trail, whose keys carry `AWSLogs/o-…/`.
   * @default - an account trail: `AWSLogs/ACCOUNT/…`
   */
  readonly organizationId?: string;
  /**
   * The KMS key the trail encrypts its log files with: hunt operators may decrypt with it,
   * through S3 only.
   * @default - the log files are not encrypted with a customer managed key
   */
  readonly trailKmsKeyArn?: string;
  /**
   * Accounts the table projects.
   * @default - injected: each query names its accounts
   */
  readonly accounts?: readonly string[];
  /**
   * Regions beyond `TRAIL_REGIONS` to project.
   * @default - none
   */
  readonly extraRegions?: readonly string[];
  /** Athena cancels a query once it has scanned this many bytes. */
  readonly maxScanBytes: number;
  /**
   * Days query results stay in the results bucket.
   * @default 7
   */
  readonly resultRetentionDays?: number;
}

/** Turns a stack name into a Glue/Athena-safe name part: lower case, `_` for the rest. */
function glueName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * What `sgwatch hunt` queries: a Glue table over the trail bucket with partition projection
 * (account, Region, day), so Athena lists and reads only the days, accounts and Regions a
 * query names; an Athena workgroup that enforces its settings (encrypted results, a scan
 * cutoff per query); the results bucket; and the managed policy a hunt operator needs.
 */
export class TrailHunt extends Construct {
  readonly databaseName: string;
  readonly tableName = 'cloudtrail';
  readonly workGroupName: string;
  readonly resultsBucket: s3.Bucket;
  readonly resultsKey: kms.Key;
  readonly operatorPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: TrailHuntProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = `${glueName(stack.stackName)}_hunt`;
    this.workGroupName = `${stack.stackName}-hunt`;
    const logsPrefix = trailLogsPrefix(props.trailPrefix, props.organizationId);

    this.resultsKey = new kms.Key(this, 'ResultsKey', {
      description: 'Encrypts sgwatch hunt query results (the log files that matched)',
      enableKeyRotation: true,
      // Results expire within days; nothing kept needs the key once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.resultsBucket = new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.resultsKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: Duration.days(props.resultRetentionDays ?? 7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Results are lists of log file paths, reproducible by running the hunt again.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.resultsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only Athena query results (lists of trail log file paths) that expire ' +
        'within days and can be recomputed by running the hunt again; every query that writes ' +
        'them is already recorded by CloudTrail and Athena query history, so access logs add cost ' +
        'and a second bucket without adding an audit trail.',
    });

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'sgwatch hunt: the CloudTrail trail, queried by sgwatch hunt',
      },
    });

    const { account, region, day } = TRAIL_PARTITIONS;
    const regions = [...new Set([...TRAIL_REGIONS, ...(props.extraRegions ?? [])])].sort();
    const accounts = props.accounts ?? [];
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'CloudTrail log files of the trail bucket, partitioned by projection',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: account, type: 'string' },
          { name: region, type: 'string' },
          { name: day, type: 'string' },
        ],
        parameters: {
          classification: 'cloudtrail',
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          ...(accounts.length > 0
            ? {
                [`projection.${account}.type`]: 'enum',
                [`projection.${account}.values`]: accounts.join(','),
              }
            : { [`projection.${account}.type`]: 'injected' }),
          [`projection.${region}.type`]: 'enum',
          [`projection.${region}.values`]: regions.join(','),
          [`projection.${day}.type`]: 'date',
          [`projection.${day}.format`]: TRAIL_DAY_FORMAT,
          [`projection.${day}.range`]: `${FIRST_TRAIL_DAY},NOW`,
          [`projection.${day}.interval`]: '1',
          [`projection.${day}.interval.unit`]: 'DAYS',
          'storage.location.template': trailLocationTemplate(
            props.trailBucketName,
            props.trailPrefix,
            props.organizationId,
          ),
        },
        storageDescriptor: {
          columns: TRAIL_COLUMNS.map(({ name, type }) => ({ name, type })),
          location: `s3://${props.trailBucketName}/${logsPrefix}`,
          inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
        },
      },
    });
    table.node.addDependency(database);

    const workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'sgwatch hunt: encrypted results and a scan cutoff, enforced for every query',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup's saved queries and history with it.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.maxScanBytes,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject('results/'),
          expectedBucketOwner: stack.account,
          encryptionConfiguration: {
            encryptionOption: 'SSE_KMS',
            kmsKey: this.resultsKey.keyArn,
          },
        },
      },
    });

    const glueArn = (resource: string): string =>
      stack.formatArn({ service: 'glue', resource, resourceName: undefined });
    const trailBucketArn = `arn:${stack.partition}:s3:::${props.trailBucketName}`;
    this.operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description:
        'What sgwatch hunt needs: run queries in the hunt workgroup, read the table, the trail ' +
        'log files and the encrypted results',
      statements: [
        new iam.PolicyStatement({
          sid: 'RunHuntQueries',
          actions: [
            'athena:GetWorkGroup',
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
          ],
          resources: [
            stack.formatArn({
              service: 'athena',
              resource: 'workgroup',
              resourceName: workGroup.ref,
            }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTrailTable',
          actions: ['glue:GetDatabase', 'glue:GetTable'],
          resources: [
            glueArn('catalog'),
            glueArn(`database/${this.databaseName}`),
            glueArn(`table/${this.databaseName}/${this.tableName}`),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'ListTrailLogs',
          actions: ['s3:ListBucket'],
          resources: [trailBucketArn],
          conditions: { StringLike: { 's3:prefix': [`${logsPrefix}*`] } },
        }),
        new iam.PolicyStatement({
          sid: 'LocateTrailBucket',
          actions: ['s3:GetBucketLocation'],
          resources: [trailBucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTrailLogs',
          actions: ['s3:GetObject'],
          resources: [`${trailBucketArn}/${logsPrefix}*`],
        }),
        // Athena and the replay read SSE-KMS log files with the operator's own credentials.
        ...(props.trailKmsKeyArn !== undefined
          ? [
              new iam.PolicyStatement({
                sid: 'DecryptTrailLogs',
                actions: ['kms:Decrypt'],
                resources: [props.trailKmsKeyArn],
                conditions: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
              }),
            ]
          : []),
        new iam.PolicyStatement({
          sid: 'WriteAndReadResults',
          actions: [
            's3:GetBucketLocation',
            's3:ListBucket',
            's3:ListBucketMultipartUploads',
            's3:ListMultipartUploadParts',
            's3:AbortMultipartUpload',
            's3:GetObject',
            's3:PutObject',
          ],
          resources: [this.resultsBucket.bucketArn, this.resultsBucket.arnForObjects('results/*')],
        }),
        new iam.PolicyStatement({
          sid: 'UseResultsKey',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.resultsKey.keyArn],
        }),
        new iam.PolicyStatement({
          sid: 'FindHuntResources',
          actions: ['cloudformation:DescribeStacks'],
          resources: [stack.stackId],
        }),
      ],
    });
    const resultsLogicalId = stack.getLogicalId(
      this.resultsBucket.node.defaultChild as s3.CfnBucket,
    );
    const objectWildcards: [string, string][] = [
      [
        `arn:<AWS::Partition>:s3:::${props.trailBucketName}/${logsPrefix}*`,
        "a hunt reads the log files Athena names, which can be any object under the trail's " +
          'AWSLogs prefix; only that prefix of that bucket is readable, and only with GetObject',
      ],
      [
        `<${resultsLogicalId}.Arn>/results/*`,
        'Athena writes each query result under a generated name below results/ in the ' +
          'dedicated results bucket, and the operator reads it back from there; nothing else ' +
          'is stored in that bucket',
      ],
    ];
    for (const [resource, why] of objectWildcards) {
      Validations.of(this.operatorPolicy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason: `An object wildcard is the narrowest S3 resource for this: ${why}.`,
      });
    }
  }
}
