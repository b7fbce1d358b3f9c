import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbAlertStore } from './adapters/dynamodb-store';
import { DynamoDbFindingRetries } from './adapters/finding-retries';
import { Ec2AttachmentLookup, lazyEc2 } from './adapters/ec2-attachment';
import { lazyOrganizations, OrganizationAccounts } from './adapters/organization-accounts';
import { jsonLogger, withFields } from './adapters/logger';
import { emitMetrics, InvocationMetrics } from './adapters/metrics';
import { lazySecurityHub, SecurityHubFindingSink } from './adapters/securityhub-sink';
import { SnsAlertPublisher } from './adapters/sns-publisher';
import { composeDelivery } from './compose';
import { CATALOG, catalogFor } from './core/catalog';
import { InvalidEventError } from './core/cloudtrail';
import { errorFields, logText } from './core/logging';
import type { Clock, Logger } from './core/ports';
import type { ProcessDeps } from './core/process';
import { FINDING_RETRY_RUN, retryFindings } from './core/finding-sink';
import { isLoggedFailure, processRecord } from './core/process';
import { detectionsFor, isRouted, readInvocation } from './core/routing';
import { cleanText } from './core/text';
import type { SdkSettings } from './env';
import { readEnvironment } from './env';
import { readPolicy } from './policy-loader';
import { readSigmaRules } from './sigma-loader';

const SERVICE = 'sgwatch-detector';
/** The bound on one Security Hub request, below the alert path's own. */
const FINDING_REQUEST_TIMEOUT_MS = 1500;

/**
 * Bounded SDK calls: without a request timeout a hung connection would hold the invocation
 * until Lambda kills it. `throwOnRequestTimeout` turns the timeout from a warning into the
 * retryable TimeoutError; the socket timeout covers a response that stalls mid-body.
 */
function clientOptions(sdk: SdkSettings, overrides: HandlerOverrides) {
  return {
    maxAttempts: sdk.maxAttempts,
    requestHandler: overrides.requestHandler ?? {
      connectionTimeout: sdk.connectionTimeoutMs,
      requestTimeout: sdk.requestTimeoutMs,
      socketTimeout: sdk.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * What a test may put in place of the deployed detector's time and network: the rest is read
 * from the environment as in production.
 */
export interface HandlerOverrides {
  /** @default - the system clock */
  readonly clock?: Clock;
  /**
   * The HTTP layer of every SDK client. Tests pass one that fails a request with the SDK's
   * own `TimeoutError` the moment a fault proxy holds it, so no test waits on a timer.
   * @default - the SDK's Node.js handler, bounded by the environment's SDK settings
   */
  readonly requestHandler?: RequestHandler;
}

/** An SDK request handler, as every client's `requestHandler` option takes it. */
export type RequestHandler = NonNullable<DynamoDBClientConfig['requestHandler']>;

/** What a detector handler is built from; tests build their own. */
export interface HandlerDeps {
  /** The delivery path; the handler adds each invocation's metrics and log fields. */
  readonly delivery: ProcessDeps;
  /** Whether each invocation ends with its metrics line. */
  readonly emitMetrics: boolean;
}

/**
 * The deployed detector's dependencies, read from its environment: SDK clients, the
 * table, the topic, the policy, the catalog selection and the optional lookup.
 */
export function handlerDepsFromEnvironment(
  source: NodeJS.ProcessEnv,
  overrides: HandlerOverrides = {},
): HandlerDeps {
  const env = readEnvironment(source);
  const sdkOptions = clientOptions(env.sdk, overrides);
  const dynamodb = new DynamoDBClient(sdkOptions);
  const logger = jsonLogger({ base: { service: SERVICE }, threshold: env.logLevel });
  return {
    delivery: composeDelivery({
      store: new DynamoDbAlertStore(dynamodb, env.tableName),
      publisher: new SnsAlertPublisher(new SNSClient(sdkOptions), env.topicArn),
      logger,
      policy: readPolicy(source),
      retentionDays: env.retentionDays,
      claimSeconds: env.claimSeconds,
      ...(overrides.clock !== undefined ? { clock: overrides.clock } : {}),
      catalog: [...catalogFor(env.detections), ...readSigmaRules(source)],
      ...(env.lookups
        ? {
            attachmentLookup: new Ec2AttachmentLookup(
              lazyEc2(sdkOptions),
              env.accountId !== undefined ? { account: env.accountId } : {},
            ),
            organization: new OrganizationAccounts(lazyOrganizations(sdkOptions), { logger }),
          }
        : {}),
      // Security Hub runs after every notification has left, on a tighter budget than the
      // alert path (two attempts of at most 1.5 s): a slow or unreachable Security Hub costs
      // an invocation a few seconds at most, never its timeout.
      ...(env.securityHub !== undefined
        ? {
            findings: new SecurityHubFindingSink(
              lazySecurityHub(
                clientOptions(
                  {
                    ...env.sdk,
                    requestTimeoutMs: Math.min(
                      env.sdk.requestTimeoutMs,
                      FINDING_REQUEST_TIMEOUT_MS,
                    ),
                    maxAttempts: Math.min(2, env.sdk.maxAttempts),
                  },
                  overrides,
                ),
              ),
              env.securityHub,
              overrides.clock,
            ),
            findingRetries: new DynamoDbFindingRetries(dynamodb, env.tableName),
          }
        : {}),
    }),
    emitMetrics: env.logLevel !== 'silent',
  };
}

export interface HandlerResult {
  readonly eventId: string;
  readonly alerts: readonly {
    readonly alertId: string;
    readonly ruleId: string;
    readonly outcome: string;
  }[];
}

/** The part of the Lambda context the detector reads; absent when called from a test. */
export interface InvocationContext {
  readonly awsRequestId?: string;
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

/**
 * What is logged of an event that failed validation: enough to find it again (ids, names,
 * top-level keys), never the event itself, which can be large and can carry secrets in
 * its request parameters.
 */
function eventSummary(event: unknown): Record<string, unknown> {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { type: event === null ? 'null' : Array.isArray(event) ? 'array' : typeof event };
  }
  const detail = field(event, 'detail');
  return {
    id: logText(field(event, 'id')),
    detailType: logText(field(event, 'detail-type')),
    source: logText(field(event, 'source')),
    eventSource: logText(field(detail, 'eventSource')),
    eventName: logText(field(detail, 'eventName')),
    keys: Object.keys(event)
      .slice(0, 20)
      .map((key) => cleanText(key, 40)),
  };
}

function rejectInvalid(input: unknown, error: unknown, log: Logger): void {
  const event = isRouted(input) ? input.event : input;
  const eventId = logText(field(field(event, 'detail'), 'eventID'));
  log.error('rejected invalid event', {
    ...(eventId !== undefined ? { eventId } : {}),
    outcome: 'invalid',
    ...(error instanceof InvalidEventError ? { field: error.field, reason: error.reason } : {}),
    ...errorFields(error),
    ...(isRouted(input) ? { detection: logText(input.detection) } : {}),
    event: eventSummary(event),
  });
}

export type Handler = (event: unknown, context?: InvocationContext) => Promise<HandlerResult>;

function isFindingRetryRun(event: unknown): boolean {
  return (
    field(event, 'sgwatch') === FINDING_RETRY_RUN.sgwatch && field(event, 'detail') === undefined
  );
}

/**
 * The scheduled retry run: imports again each finding that could not be imported when its
 * alert was delivered. One that fails again waits for the next run; the run itself never
 * fails for it, so only Security Hub's own alarm speaks of a Security Hub outage.
 */
async function runFindingRetries(deps: HandlerDeps, log: Logger): Promise<HandlerResult> {
  const { findings, findingRetries, store, catalog } = deps.delivery;
  if (findings === undefined || findingRetries === undefined) {
    return { eventId: FINDING_RETRY_RUN.sgwatch, alerts: [] };
  }
  const results = await retryFindings({
    store,
    findings,
    findingRetries,
    catalog: catalog ?? CATALOG,
    logger: log,
  });
  log.info('finding retry run', {
    imported: results.filter((r) => r.outcome === 'imported').length,
    pending: results.filter((r) => r.outcome === 'pending').length,
    dropped: results.filter((r) => r.outcome === 'dropped').length,
  });
  return {
    eventId: FINDING_RETRY_RUN.sgwatch,
    alerts: results.map((r) => ({
      alertId: r.alertId,
      ruleId: r.ruleId ?? '',
      outcome: `finding-${r.outcome}`,
    })),
  };
}

/**
 * Builds the EventBridge entry point. It takes an event as a detector rule routes it (the
 * detection and the event; see core/routing.ts), which runs that detection only, or a bare
 * EventBridge event (sent by hand, or redriven from a rule's dead-letter queue), which runs
 * every detection of the deployment. Errors propagate on purpose: Lambda retries the event
 * twice and then hands it, with the error, to the on-failure queue, so nothing is dropped.
 * Every log line carries the request id and the event id (the core adds the rule id, the
 * alert id and the outcome); one metrics line closes every invocation, failed or not.
 */
export function createHandler(deps: HandlerDeps): Handler {
  return async (event, context) => {
    const started = new Date();
    const metrics = new InvocationMetrics();
    metrics.add('EventsReceived');
    const requestId = logText(context?.awsRequestId);
    let log = withFields(deps.delivery.logger, requestId !== undefined ? { requestId } : {});
    let eventId: string | undefined;
    let ruleIds: string[] = [];
    let validated = false;
    if (isFindingRetryRun(event)) return runFindingRetries(deps, log);
    try {
      let invocation;
      let detections;
      try {
        invocation = readInvocation(event);
        detections = detectionsFor(
          invocation,
          invocation.envelope.detail,
          deps.delivery.catalog ?? CATALOG,
        );
      } catch (error) {
        metrics.add('ValidationFailures');
        rejectInvalid(event, error, log);
        throw error;
      }
      validated = true;
      const { envelope } = invocation;
      const record = envelope.detail;
      eventId = logText(record.eventID, 256);
      log = withFields(log, { eventId });
      ruleIds = detections.map((detection) => detection.id);
      const results = await processRecord(
        record,
        { ...deps.delivery, logger: log, metrics, eventAccount: envelope.account },
        detections,
      );
      return {
        eventId: record.eventID,
        alerts: results.map((r) => ({
          alertId: r.alert.alertId,
          ruleId: r.alert.ruleId,
          outcome: r.outcome,
        })),
      };
    } catch (error) {
      if (validated) {
        metrics.add('ProcessingErrors');
        if (!isLoggedFailure(error)) {
          log.error('event processing failed', { outcome: 'failed', ...errorFields(error) });
        }
      }
      throw error;
    } finally {
      if (deps.emitMetrics) {
        emitMetrics(metrics, started, {
          ...(requestId !== undefined ? { requestId } : {}),
          ...(eventId !== undefined ? { eventId } : {}),
          ruleIds,
        });
      }
    }
  };
}
