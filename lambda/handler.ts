import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbAlertStore } from './adapters/dynamodb-store';
import { Ec2AttachmentLookup, lazyEc2 } from './adapters/ec2-attachment';
import { jsonLogger, withFields } from './adapters/logger';
import { emitMetrics, InvocationMetrics } from './adapters/metrics';
import { lazySecurityHub, SecurityHubFindingSink } from './adapters/securityhub-sink';
import { SnsAlertPublisher } from './adapters/sns-publisher';
import { composeDelivery } from './compose';
import { catalogFor, detect } from './core/catalog';
import { InvalidEventError, validateEnvelope } from './core/cloudtrail';
import { errorFields, logText } from './core/logging';
import type { Logger } from './core/ports';
import type { ProcessDeps } from './core/process';
import { isLoggedFailure, processRecord } from './core/process';
import { cleanText } from './core/text';
import type { SdkSettings } from './env';
import { readEnvironment } from './env';
import { readPolicy } from './policy-loader';
import { readSigmaRules } from './sigma-loader';

const SERVICE = 'sgwatch-detector';

/**
 * Bounded SDK calls: without a request timeout a hung connection would hold the invocation
 * until Lambda kills it. `throwOnRequestTimeout` turns the timeout from a warning into the
 * retryable TimeoutError; the socket timeout covers a response that stalls mid-body.
 */
function clientOptions(sdk: SdkSettings) {
  return {
    maxAttempts: sdk.maxAttempts,
    requestHandler: {
      connectionTimeout: sdk.connectionTimeoutMs,
      requestTimeout: sdk.requestTimeoutMs,
      socketTimeout: sdk.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

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
export function handlerDepsFromEnvironment(source: NodeJS.ProcessEnv): HandlerDeps {
  const env = readEnvironment(source);
  return {
    delivery: composeDelivery({
      store: new DynamoDbAlertStore(new DynamoDBClient(clientOptions(env.sdk)), env.tableName),
      publisher: new SnsAlertPublisher(new SNSClient(clientOptions(env.sdk)), env.topicArn),
      logger: jsonLogger({ base: { service: SERVICE }, threshold: env.logLevel }),
      policy: readPolicy(source),
      retentionDays: env.retentionDays,
      claimSeconds: env.claimSeconds,
      catalog: [...catalogFor(env.detections), ...readSigmaRules(source)],
      ...(env.lookups
        ? {
            attachmentLookup: new Ec2AttachmentLookup(
              lazyEc2(clientOptions(env.sdk)),
              env.accountId !== undefined ? { account: env.accountId } : {},
            ),
          }
        : {}),
      // Security Hub gets two attempts, not the full budget: it runs after the alert went
      // out, and must not hold the invocation near its timeout.
      ...(env.securityHub !== undefined
        ? {
            findings: new SecurityHubFindingSink(
              lazySecurityHub({
                ...clientOptions(env.sdk),
                maxAttempts: Math.min(2, env.sdk.maxAttempts),
              }),
              env.securityHub,
            ),
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

function rejectInvalid(event: unknown, error: unknown, log: Logger): void {
  const eventId = logText(field(field(event, 'detail'), 'eventID'));
  log.error('rejected invalid event', {
    ...(eventId !== undefined ? { eventId } : {}),
    outcome: 'invalid',
    ...(error instanceof InvalidEventError ? { field: error.field, reason: error.reason } : {}),
    ...errorFields(error),
    event: eventSummary(event),
  });
}

export type Handler = (event: unknown, context?: InvocationContext) => Promise<HandlerResult>;

/**
 * Builds the EventBridge entry point. Errors propagate on purpose: Lambda retries the event
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
    try {
      let record;
      try {
        record = validateEnvelope(event).detail;
      } catch (error) {
        metrics.add('ValidationFailures');
        rejectInvalid(event, error, log);
        throw error;
      }
      validated = true;
      eventId = logText(record.eventID, 256);
      log = withFields(log, { eventId });
      const detections = detect(record, deps.delivery.catalog);
      ruleIds = detections.map((detection) => detection.id);
      const results = await processRecord(
        record,
        { ...deps.delivery, logger: log, metrics },
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
