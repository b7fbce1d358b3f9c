/**
 * What the operational commands (`redrive`, `doctor`) share about talking to a deployed
 * sgwatch: the Region, the stack's outputs, and error messages a person can act on.
 *
 * Endpoints are never set here. The SDK reads `AWS_ENDPOINT_URL_<SERVICE>` on its own, which
 * is how the tests point these same clients at local fakes.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { checkRegionName, isRegionName, UsageError } from './args';

/** The stack `npx cdk deploy` creates. */
export { STACK_NAME as DEFAULT_STACK_NAME } from '../lib/deployment-names';

export { STACK_OUTPUTS } from '../lib/deployment-names';

export { checkRegionName } from './args';

/** What to do without a Region, naming the option that sets it for the command at hand. */
/**
 * What to do about a missing Region. `flag` is the command's option for the Region to work
 * in; `null` when it has none (hunt, replay from S3: their --region picks records).
 */
function noRegion(flag: string | null = '--region'): string {
  return flag === null
    ? 'no AWS Region: set AWS_REGION, or set region in your AWS profile (--region here picks records, not the Region to work in)'
    : `no AWS Region: pass ${flag} R, set AWS_REGION, or set region in your AWS profile`;
}

/**
 * The Region to work in: --region, else AWS_REGION, else AWS_DEFAULT_REGION (the AWS CLI's
 * variable, which the JavaScript SDK does not read), else the profile's `region`.
 */
export async function resolveRegion(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  regionFlag: string | null = '--region',
): Promise<string> {
  if (flag !== undefined) return checkRegionName(flag, '--region');
  const fromEnv = [env.AWS_REGION, env.AWS_DEFAULT_REGION].find(
    (value) => value !== undefined && value.trim() !== '',
  );
  if (fromEnv !== undefined) return checkRegionName(fromEnv.trim(), 'AWS_REGION');
  // The SDK's own chain also reads the shared config file's profile; it is the same for every
  // client, and the DynamoDB one is loaded anyway.
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const probe = new DynamoDBClient({});
  try {
    return checkRegionName(await probe.config.region(), 'the profile region');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(noRegion(regionFlag));
  } finally {
    probe.destroy();
  }
}

/** The Region in a standard SQS queue URL's host, for queues outside the working Region. */
export function regionOfQueueUrl(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  // https://sqs.eu-west-1.amazonaws.com/... and the legacy https://eu-west-1.queue.amazonaws.com/...
  const match =
    /^(?:sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?)$/.exec(
      host,
    );
  const region = match?.[1] ?? match?.[2];
  return region !== undefined && isRegionName(region) ? region : undefined;
}

/** The name part of a queue URL (`https://host/account/name` → `name`), for messages. */
export function queueNameOf(url: string): string {
  const path = url.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return path.slice(path.lastIndexOf('/') + 1) || url;
}

/** An expected failure talking to AWS; its message is complete and shown as is. */
export class AwsCommandError extends Error {
  override readonly name = 'AwsCommandError';
}

/** The stack does not exist in the Region (CloudFormation's ValidationError). */
export class StackNotFoundError extends AwsCommandError {
  constructor(
    readonly stackName: string,
    readonly region: string,
  ) {
    super(`stack ${stackName} does not exist in ${region}`);
  }
}

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

/**
 * Fields of a thrown value, read without `instanceof`: errors from node's own modules (a
 * refused connection) come from another realm under jest, and SDK errors are plain objects
 * with a name.
 */
function shapeOf(error: unknown): { name: string; code: string; message: string } {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as ErrorShape;
  // The SDK wraps a network failure ("AWS SDK error wrapper for Error: getaddrinfo
  // ENOTFOUND ..."); the wrapped error is the one worth describing.
  const cause = (shape as { cause?: unknown }).cause;
  if (
    typeof shape.message === 'string' &&
    shape.message.startsWith('AWS SDK error wrapper for ') &&
    typeof cause === 'object' &&
    cause !== null
  ) {
    return shapeOf(cause);
  }
  return {
    name: typeof shape.name === 'string' ? shape.name : '',
    code: typeof shape.code === 'string' ? shape.code : '',
    message: typeof shape.message === 'string' ? shape.message : String(error),
  };
}

/** The error's own message, for any thrown value. */
export function messageOf(error: unknown): string {
  return shapeOf(error).message;
}

/** The service's error name (`QueueDoesNotExist`, `AccessDeniedException`...), if any. */
export function errorNameOf(error: unknown): string {
  return shapeOf(error).name;
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
]);
const EXPIRED_ERRORS = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
const DENIED_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedOperation',
  'AuthFailure',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/**
 * Why a call failed, worded for the person at the terminal: missing or expired credentials
 * and missing permissions say what to do; anything else keeps the service's own words.
 */
export function explainAwsError(error: unknown, regionFlag?: string | null): string {
  const { name, code, message } = shapeOf(error);
  if (isRegionMissing(name, message)) return noRegion(regionFlag);
  if (name === 'CredentialsProviderError') {
    return 'no AWS credentials found: configure a profile (AWS_PROFILE), set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run "aws sso login"';
  }
  if (EXPIRED_ERRORS.has(name)) {
    return `your AWS credentials have expired (${message}): refresh them, e.g. "aws sso login", and try again`;
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return `AWS rejected the credentials (${name}: ${message}): check the profile, and that the Region is enabled for the account`;
  }
  if (DENIED_ERRORS.has(name)) {
    return `access denied (${message}): the credentials need the permissions listed in docs/operations.md`;
  }
  if (NETWORK_CODES.has(code) || name === 'TimeoutError') {
    return `could not reach AWS (${message})`;
  }
  return name !== '' && name !== 'Error' && !message.startsWith(name)
    ? `${name}: ${message}`
    : message;
}

/** The SDK's own error when no Region is configured anywhere: a plain Error. */
function isRegionMissing(name: string, message: string): boolean {
  return (name === 'Error' || name === '') && message === 'Region is missing';
}

/** True for failures that would make every further call fail the same way. */
export function isAccountWideError(error: unknown): boolean {
  const { name, code } = shapeOf(error);
  return (
    name === 'CredentialsProviderError' ||
    isRegionMissing(name, shapeOf(error).message) ||
    EXPIRED_ERRORS.has(name) ||
    CREDENTIAL_ERRORS.has(name) ||
    NETWORK_CODES.has(code)
  );
}

/** The middleware surface of an SDK v3 client, enough to watch every call it makes. */
interface WatchableClient {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<unknown>) => (args: never) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

export interface FailureWording {
  /** What the client works on, for messages: `table sgwatch-alerts in eu-west-1`. */
  readonly subject: string;
  /** The whole message when the service says the resource does not exist. */
  readonly notFound: string;
  /** The option that sets the client's Region. @default '--region' */
  readonly regionFlag?: string;
}

/**
 * Makes every call of `client` fail with one AwsCommandError line saying what to do, for the
 * failures no retry fixes: no Region, no or rejected credentials, access denied, the resource
 * missing, AWS out of reach. Other errors (a failed condition, a throttle) pass through as the
 * SDK threw them, so callers that act on them keep working.
 */
export function explainFailuresOf(client: WatchableClient, wording: FailureWording): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const { name } = shapeOf(error);
        if (name === 'ResourceNotFoundException') {
          throw new AwsCommandError(wording.notFound, { cause: error });
        }
        if (isAccountWideError(error) || DENIED_ERRORS.has(name)) {
          throw new AwsCommandError(
            `cannot use ${wording.subject}: ${explainAwsError(error, wording.regionFlag)}`,
            { cause: error },
          );
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'sgwatchExplainFailures' },
  );
}

/**
 * The ARN of the AWS identity the standard credential chain resolves to (STS
 * GetCallerIdentity, which needs no permission). Failures are one AwsCommandError line.
 */
export async function callerArn(region: string | undefined): Promise<string> {
  // Loaded on demand: only triage on a deployed table asks who the caller is.
  const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts');
  const client = new STSClient(region !== undefined ? { region } : {});
  explainFailuresOf(client, {
    subject: 'AWS STS to find out who you are',
    notFound: 'AWS STS could not find your identity: check your credentials, or pass --by NAME',
  });
  try {
    const { Arn: arn } = await client.send(new GetCallerIdentityCommand({}));
    if (arn === undefined || arn === '') {
      throw new AwsCommandError('AWS STS returned no identity: pass --by NAME');
    }
    return arn;
  } finally {
    client.destroy();
  }
}

export type StackOutputs = Readonly<Record<string, string>>;

export interface DeployedStack {
  readonly name: string;
  readonly id: string;
  readonly status: string;
  readonly region: string;
  /** From the stack ARN; every stack lives in one account. */
  readonly account: string | undefined;
  readonly outputs: StackOutputs;
}

/**
 * The stack's status and outputs. A stack that does not exist throws StackNotFoundError;
 * anything else (credentials, permissions) throws AwsCommandError with the reason.
 */
export async function describeStack(
  client: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<DeployedStack> {
  // Loaded here, not at the top: only doctor and redrive read a stack, and every other
  // command's start-up stays free of the CloudFormation client.
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  let stacks;
  try {
    ({ Stacks: stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName })));
  } catch (error) {
    // CloudFormation reports a missing stack as a generic ValidationError; the message is
    // the only thing that tells it apart from a malformed request.
    if (errorNameOf(error) === 'ValidationError' && /does not exist/.test(messageOf(error))) {
      throw new StackNotFoundError(stackName, region);
    }
    throw new AwsCommandError(
      `cannot read stack ${stackName} in ${region}: ${explainAwsError(error)}`,
      { cause: error },
    );
  }
  const stack = stacks?.[0];
  if (stack === undefined) throw new StackNotFoundError(stackName, region);
  const outputs: Record<string, string> = {};
  for (const output of stack.Outputs ?? []) {
    if (output.OutputKey !== undefined && output.OutputValue !== undefined) {
      outputs[output.OutputKey] = output.OutputValue;
    }
  }
  const id = stack.StackId ?? '';
  return {
    name: stack.StackName ?? stackName,
    id,
    status: stack.StackStatus ?? 'UNKNOWN',
    region,
    account: /^arn:[^:]+:cloudformation:[^:]*:(\d{12}):/.exec(id)?.[1],
    outputs,
  };
}
