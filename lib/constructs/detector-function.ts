import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DetectionSelection } from '../../lambda/core/catalog';
import type { Policy } from '../../lambda/core/policy';
import { DEFAULT_POLICY, serializePolicy } from '../../lambda/core/policy';
import { ALERT_TABLE } from '../../lambda/core/alert-table';
import { DETECTOR_BUNDLING } from '../bundling';
import { POLICY_FILE_NAME } from '../policy-file';
import type { SigmaSource } from '../../lambda/core/sigma';
import { SIGMA_RULES_FILE_NAME } from '../../lambda/sigma-loader';

/** The Lambda entry point, resolved from this file so synth works from any directory. */
export const DETECTOR_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'main.ts');

export const DETECTOR_TIMEOUT = Duration.seconds(30);
export const DETECTOR_MAX_EVENT_AGE = Duration.hours(6);
/** How much longer than one invocation a delivery claim lasts. */
export const CLAIM_SLACK_SECONDS = 15;

/**
 * The DynamoDB calls the detector makes on the table: a conditional put to record an
 * alert, a read to find an existing one, and updates to claim, release, count bursts and
 * mark it notified. Its only index access is a Query on the by-principal index.
 */
export const DETECTOR_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/**
 * KMS calls DynamoDB makes with the caller's identity on a table under a customer managed
 * key: the same single-key actions the CDK's read/write grant gives, with its wildcard
 * families (`GenerateDataKey*`, `ReEncrypt*`) narrowed to the one member DynamoDB uses.
 */
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
/** What SNS needs from a publisher to encrypt a message under the topic's key. */
const TOPIC_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'];
/** What CloudWatch Logs does with a log group's key: the single actions, no families. */
const LOG_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
] as const;

export interface DetectorFunctionProps {
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** Receives invocations that still fail after Lambda's own retries. */
  readonly failureQueue: sqs.IQueue;
  /** Days an alert record is kept before DynamoDB TTL removes it. */
  readonly alertRetentionDays: number;
  readonly logRetention: logs.RetentionDays;
  /**
   * Accounts, exceptions, IaC roles and burst settings; bundled next to the handler.
   * @default DEFAULT_POLICY - no accounts, exceptions or IaC roles; default burst settings
   */
  readonly policy?: Policy;
  /** The detection packs deployed; the detector runs the same ones. */
  readonly detections: DetectionSelection;
  /**
   * Sigma rules deployed beside the packs, bundled next to the handler as
   * `SIGMA_RULES_FILE_NAME`; the detector compiles and runs them.
   * @default - no Sigma rules
   */
  readonly sigmaRules?: readonly SigmaSource[];
  /**
   * Let the detector ask EC2 which network interfaces use an exposed security group.
   * @default false
   */
  readonly lookups?: boolean;
  /**
   * Import every notified or suppressed alert into Security Hub, under this account's
   * default product (the only resource the detector may import to).
   * @default false
   */
  readonly securityHub?: boolean;
}

/**
 * The shell command that writes `json` into the bundle. The text travels base64-encoded, an
 * alphabet no shell treats specially, and `node` decodes it: that works the same whether
 * esbuild runs locally or in the Docker bundling image (which cannot see a host temp file).
 */
export function writePolicyCommand(outputDir: string, json: string): string {
  return writeBundleFileCommand(outputDir, POLICY_FILE_NAME, json);
}

/** The shell command that writes `text` into the bundle as `fileName` (see writePolicyCommand). */
export function writeBundleFileCommand(outputDir: string, fileName: string, text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const script =
    "require('node:fs').writeFileSync(process.argv[1], Buffer.from(process.argv[2], 'base64'))";
  return `node -e "${script}" "${outputDir}/${fileName}" ${encoded}`;
}

/** The detector Lambda: validates, detects, records and publishes one CloudTrail event. */
export class DetectorFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  /** The account's default Security Hub product, when findings are imported. */
  readonly securityHubProductArn?: string;

  constructor(scope: Construct, id: string, props: DetectorFunctionProps) {
    super(scope, id);
    const policyJson = serializePolicy(props.policy ?? DEFAULT_POLICY);
    const sigmaRules = props.sigmaRules ?? [];
    // With the default product, Security Hub takes findings only from the account that owns
    // them: this one. Member accounts' calls become this account's findings (see docs/deploying.md).
    const productArn =
      props.securityHub === true
        ? Stack.of(this).formatArn({
            service: 'securityhub',
            resource: 'product',
            resourceName: `${Stack.of(this).account}/default`,
          })
        : undefined;
    this.securityHubProductArn = productArn;

    // The log holds CloudTrail details (principals, IPs, request parameters): encrypt it
    // under a key of our own, which CloudWatch Logs may use only for this account's groups.
    const logKey = new kms.Key(this, 'LogKey', {
      description: 'Encrypts the sgwatch detector log group',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(this);
    logKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: [...LOG_KEY_ACTIONS],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: logKey,
      // The log is the record of what the detector saw and decided; keep it for its full
      // retention even if the stack goes away.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of the default one, which carries the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every log group); this one writes only its own.
    // Its trust names Lambda without aws:SourceAccount or aws:SourceArn, as AWS's execution
    // role examples do: Lambda assumes it only for a function it was passed to, and
    // iam:PassRole never crosses accounts, so no other account's function can make Lambda
    // a deputy for it (the cross-service guidance is about services acting on resources
    // named in another account's requests).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'sgwatch detector: its log group, the alert table and the alert topic',
    });
    this.logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: DETECTOR_ENTRY,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: DETECTOR_TIMEOUT,
      role,
      logGroup: this.logGroup,
      description:
        'sgwatch detector: records and publishes alerts on RDS and ElastiCache exposure and legacy security groups',
      environment: {
        ALERT_TABLE_NAME: props.table.tableName,
        ALERT_TOPIC_ARN: props.topic.topicArn,
        ALERT_RETENTION_DAYS: String(props.alertRetentionDays),
        // A delivery claim must outlive the invocation holding it, or a concurrent retry
        // could publish the same alert while the first attempt is still running.
        // It must also lapse before Lambda's first retry (a minute later), so that retry can
        // take over from an invocation that died holding the claim: timeout + 15 s of slack.
        DELIVERY_CLAIM_SECONDS: String(DETECTOR_TIMEOUT.toSeconds() + CLAIM_SLACK_SECONDS),
        SGWATCH_DETECTIONS: props.detections,
        // Relative to LAMBDA_TASK_ROOT, where the afterBundling hook below puts the file.
        SGWATCH_CONFIG_FILE: POLICY_FILE_NAME,
        ...(sigmaRules.length > 0 ? { SGWATCH_SIGMA_RULES_FILE: SIGMA_RULES_FILE_NAME } : {}),
        // The account too: a hub receives other accounts' events, where a lookup in its own
        // account would wrongly find nothing behind the group.
        ...(props.lookups === true
          ? { SGWATCH_LOOKUPS: 'true', SGWATCH_ACCOUNT_ID: Stack.of(this).account }
          : {}),
        ...(productArn !== undefined ? { SECURITY_HUB_PRODUCT_ARN: productArn } : {}),
      },
      // Async invocations from EventBridge: two retries, then the event and its error go
      // to the failure queue. Six hours of age covers an SNS or DynamoDB outage.
      retryAttempts: 2,
      maxEventAge: DETECTOR_MAX_EVENT_AGE,
      onFailure: new SqsDestination(props.failureQueue),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: DETECTOR_BUNDLING.target,
        minify: DETECTOR_BUNDLING.minify,
        sourceMap: false,
        // Errors and warnings only: esbuild's size summary adds nothing to a synth log.
        logLevel: nodejs.LogLevel.WARNING,
        mainFields: [...DETECTOR_BUNDLING.mainFields],
        // Ship the SDK version the tests ran against, not whatever the runtime carries.
        bundleAwsSDK: true,
        externalModules: [...DETECTOR_BUNDLING.lazyExternals],
        banner: DETECTOR_BUNDLING.banner,
        // The policy is part of the bundle, so the asset hash (taken from the bundle's output)
        // changes with it and a configuration change redeploys the function.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [
            writePolicyCommand(outputDir, policyJson),
            ...(sigmaRules.length > 0
              ? [
                  writeBundleFileCommand(
                    outputDir,
                    SIGMA_RULES_FILE_NAME,
                    JSON.stringify(sigmaRules),
                  ),
                ]
              : []),
          ],
        },
      },
    });

    // cfn-lint W3005: the Lambda construct always makes the function depend on its role,
    // which the Role property's GetAtt already orders. Redundant but harmless, and not ours
    // to change; acknowledged on this resource only, so the check still covers the others.
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata('cfn-lint', {
      config: { ignore_checks: ['W3005'] },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is pinned on purpose: the esbuild target (node22), the bundled AWS SDK ' +
        'and the tests are all checked against it, and it is a supported Lambda runtime. ' +
        'Moving to a newer Node.js is a deliberate upgrade of runtime and target together, ' +
        'not something a newer aws-cdk-lib should trigger.',
    });

    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: [...DETECTOR_TABLE_ACTIONS],
      resourceArns: [props.table.tableArn],
    });
    // The principal-history lookup: one Query on the by-principal index, nothing wider.
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:Query'],
      resourceArns: [`${props.table.tableArn}/index/${ALERT_TABLE.indexes.byPrincipal.name}`],
    });
    props.table.encryptionKey?.grant(this.function, ...TABLE_KEY_ACTIONS);

    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: ['sns:Publish'],
      resourceArns: [props.topic.topicArn],
    });
    props.topic.masterKey?.grant(this.function, ...TOPIC_KEY_ACTIONS);

    if (productArn !== undefined) {
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: ['securityhub:BatchImportFindings'],
        resourceArns: [productArn],
      });
      // New activity in a burst group moves the group's finding back to NEW (an import
      // cannot change the workflow an analyst set); the action is authorized on the hub.
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: ['securityhub:BatchUpdateFindings'],
        resourceArns: [
          Stack.of(this).formatArn({
            service: 'securityhub',
            resource: 'hub',
            resourceName: 'default',
          }),
        ],
      });
    }

    if (props.lookups === true) {
      // EC2's Describe* calls support no resource-level permissions: IAM accepts only "*"
      // for them. The action is read-only and the only one granted.
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: ['ec2:DescribeNetworkInterfaces', 'organizations:ListAccounts'],
        resourceArns: ['*'],
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'ec2:DescribeNetworkInterfaces and organizations:ListAccounts, the only actions on ' +
          '"*", support no resource-level permissions, so IAM requires the wildcard. Both are ' +
          'read-only, granted only when the lookups context is true, and used to tell whether ' +
          'an exposed security group guards an RDS or ElastiCache resource, and whether an ' +
          'account a snapshot was shared with belongs to the organization.',
      });
    }
  }
}
