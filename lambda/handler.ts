import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbAlertStore } from './adapters/dynamodb-store';
import { Ec2AttachmentLookup, lazyEc2 } from './adapters/ec2-attachment';
import { jsonLogger, withFields } from './adapters/logger';
import type { DetectorMetric } from './adapters/metrics';
import { emitMetrics, InvocationMetrics } from './adapters/metrics';
import {
  countingFindingSink,
  lazySecurityHub,
  SecurityHubFindingSink,
} from './adapters/securityhub-sink';
import { SnsAlertPublisher } from './adapters/sns-publisher';
import { alertIdFor } from './core/alert';
import { catalogFor, detect } from './core/catalog';
import { InvalidEventError, validateEnvelope } from './core/cloudtrail';
import type { AlertPublisher, Logger } from './core/ports';
import { systemClock } from './core/ports';
import type { AlertOutcome, ProcessDeps, ProcessResult } from './core/process';
import { AlertInFlightError, deliver } from './core/process';
import { cleanText } from './core/text';
import type { SdkSettings } from './env';
import { readEnvironment } from './env';
import { readPolicy } from './policy-loader';

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

// Read once per process, at cold start: a missing setting fails the first invocation
// with its name rather than every event with something vaguer.
const env = readEnvironment(process.env);
const logger = jsonLogger({ base: { service: SERVICE }, threshold: env.logLevel });
const deps: ProcessDeps = {
  store: new DynamoDbAlertStore(new DynamoDBClient(clientOptions(env.sdk)), env.tableName),
  publisher: new SnsAlertPublisher(new SNSClient(clientOptions(env.sdk)), env.topicArn),
  clock: systemClock,
  logger,
  policy: readPolicy(process.env),
  retentionDays: env.retentionDays,
  claimSeconds: env.claimSeconds,
  catalog: catalogFor(env.detections),
  ...(env.lookups
    ? {
        attachmentLookup: new Ec2AttachmentLookup(
          lazyEc2(clientOptions(env.sdk)),
          env.accountId !== undefined ? { account: env.accountId } : {},
        ),
      }
    : {}),
  // Security Hub gets two attempts, not the full budget: it runs after the alert went out,
  // and must not hold the invocation near its timeout.
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
};

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

const METRIC_BY_OUTCOME: Readonly<Record<AlertOutcome, DetectorMetric>> = {
  notified: 'AlertsCreated',
  resumed: 'AlertsResumed',
  duplicate: 'Duplicates',
  suppressed: 'Suppressed',
  capped: 'Capped',
};

/** Event text in a log line: one line, no controls, short. */
function short(value: unknown, max = 128): string | undefined {
  return typeof value === 'string' ? cleanText(value, max) : undefined;
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
    id: short(field(event, 'id')),
    detailType: short(field(event, 'detail-type')),
    source: short(field(event, 'source')),
    eventSource: short(field(detail, 'eventSource')),
    eventName: short(field(detail, 'eventName')),
    keys: Object.keys(event)
      .slice(0, 20)
      .map((key) => cleanText(key, 40)),
  };
}

/** Counts failed publishes as they happen, whichever alert of the event they belong to. */
function countingPublisher(publisher: AlertPublisher, metrics: InvocationMetrics): AlertPublisher {
  return {
    publish: async (message) => {
      try {
        return await publisher.publish(message);
      } catch (error) {
        metrics.add('PublishFailures');
        throw error;
      }
    },
  };
}

function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error
    ? { errorName: error.name, error: error.message }
    : { errorName: typeof error, error: String(error) };
}

function rejectInvalid(event: unknown, error: unknown, log: Logger): void {
  const eventId = short(field(field(event, 'detail'), 'eventID'));
  log.error('rejected invalid event', {
    ...(eventId !== undefined ? { eventId } : {}),
    outcome: 'invalid',
    ...(error instanceof InvalidEventError ? { field: error.field, reason: error.reason } : {}),
    ...errorFields(error),
    event: eventSummary(event),
  });
}

/**
 * EventBridge entry point. Errors propagate on purpose: Lambda retries the event twice
 * and then hands it, with the error, to the on-failure queue, so nothing is dropped.
 *
 * Each detection that matches is delivered in turn; the first failure stops the event (the
 * retry skips whatever already finished). Every log line carries the request id, the event
 * id and, once known, the rule id and the outcome; one metrics line closes every
 * invocation, failed or not.
 */
export async function handler(event: unknown, context?: InvocationContext): Promise<HandlerResult> {
  const started = new Date();
  const metrics = new InvocationMetrics();
  metrics.add('EventsReceived');
  const requestId = short(context?.awsRequestId);
  let log = withFields(logger, requestId !== undefined ? { requestId } : {});
  let eventId: string | undefined;
  const ruleIds: string[] = [];
  let validated = false;
  let logged = false;
  try {
    let record;
    try {
      record = validateEnvelope(event).detail;
    } catch (error) {
      metrics.add('ValidationFailures');
      rejectInvalid(event, error, log);
      logged = true;
      throw error;
    }
    validated = true;
    eventId = short(record.eventID, 256);
    log = withFields(log, { eventId });
    const detections = detect(record, deps.catalog);
    if (detections.length === 0) {
      metrics.add('EventsUnmatched');
      log.warn('event matched no detection', {
        outcome: 'unmatched',
        eventSource: short(record.eventSource),
        eventName: short(record.eventName),
      });
    }
    const invocationDeps = {
      ...deps,
      publisher: countingPublisher(deps.publisher, metrics),
      ...(deps.findings !== undefined
        ? { findings: countingFindingSink(deps.findings, () => metrics.add('SecurityHubFailures')) }
        : {}),
    };
    const results: ProcessResult[] = [];
    for (const detection of detections) {
      ruleIds.push(detection.id);
      const alertId = alertIdFor(detection.id, record.eventID);
      const ruleLog = withFields(log, { ruleId: detection.id, alertId });
      try {
        const result = await deliver(detection, record, { ...invocationDeps, logger: ruleLog });
        metrics.add(METRIC_BY_OUTCOME[result.outcome]);
        ruleLog.info('alert processed', {
          outcome: result.outcome,
          delivery: result.alert.delivery,
          severity: result.alert.severity,
          ...(result.alert.burst !== undefined ? { notification: result.alert.burst.kind } : {}),
        });
        results.push(result);
      } catch (error) {
        if (error instanceof AlertInFlightError) {
          metrics.add('AlertsInFlight');
          ruleLog.warn('alert is held by another delivery; failing so Lambda retries later', {
            outcome: 'in-flight',
            ...errorFields(error),
          });
        } else {
          ruleLog.error('alert delivery failed; Lambda will retry the event', {
            outcome: 'failed',
            ...errorFields(error),
          });
        }
        logged = true;
        throw error;
      }
    }
    return {
      eventId: record.eventID,
      alerts: results.map((r) => ({
        alertId: r.alert.alertId,
        ruleId: r.alert.ruleId,
        outcome: r.outcome,
      })),
    };
  } catch (error) {
    if (validated) metrics.add('ProcessingErrors');
    if (!logged) log.error('event processing failed', { outcome: 'failed', ...errorFields(error) });
    throw error;
  } finally {
    if (env.logLevel !== 'silent') {
      emitMetrics(metrics, started, {
        ...(requestId !== undefined ? { requestId } : {}),
        ...(eventId !== undefined ? { eventId } : {}),
        ruleIds,
      });
    }
  }
}
