import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbAlertStore } from './adapters/dynamodb-store';
import { jsonLogger } from './adapters/logger';
import { SnsAlertPublisher } from './adapters/sns-publisher';
import { validateEnvelope } from './core/cloudtrail';
import { systemClock } from './core/ports';
import type { ProcessDeps, ProcessResult } from './core/process';
import { processRecord } from './core/process';
import { readEnvironment } from './env';
import { readPolicy } from './policy-loader';

// Read once per process, at cold start: a missing setting fails the first invocation
// with its name rather than every event with something vaguer.
const env = readEnvironment(process.env);
const logger = jsonLogger({ base: { service: 'sgwatch-detector' }, threshold: env.logLevel });
const deps: ProcessDeps = {
  store: new DynamoDbAlertStore(new DynamoDBClient({}), env.tableName),
  publisher: new SnsAlertPublisher(new SNSClient({}), env.topicArn),
  clock: systemClock,
  logger,
  policy: readPolicy(process.env),
  retentionDays: env.retentionDays,
  claimSeconds: env.claimSeconds,
};

export interface HandlerResult {
  readonly eventId: string;
  readonly alerts: readonly {
    readonly alertId: string;
    readonly ruleId: string;
    readonly outcome: string;
  }[];
}

function summarize(eventId: string, results: readonly ProcessResult[]): HandlerResult {
  return {
    eventId,
    alerts: results.map((r) => ({
      alertId: r.alert.alertId,
      ruleId: r.alert.ruleId,
      outcome: r.outcome,
    })),
  };
}

/**
 * EventBridge entry point. Errors propagate on purpose: Lambda retries the event twice
 * and then hands it, with the error, to the on-failure queue, so nothing is dropped.
 */
export async function handler(event: unknown): Promise<HandlerResult> {
  let envelope;
  try {
    envelope = validateEnvelope(event);
  } catch (error) {
    logger.error('rejected malformed event', { error: String(error) });
    throw error;
  }
  const record = envelope.detail;
  const results = await processRecord(record, deps);
  const summary = summarize(record.eventID, results);
  if (results.length === 0) {
    logger.warn('event matched no detection', {
      eventId: record.eventID,
      eventName: record.eventName,
    });
  }
  for (const alert of summary.alerts) {
    logger.info('alert processed', { eventId: record.eventID, ...alert });
  }
  return summary;
}
