import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbAlertStore } from '../../lambda/adapters/dynamodb-store';
import type { Alert } from '../../lambda/core/alert';
import { runCli } from '../support/cli';
import { fixtureCases, loadEnvelope, loadRecord } from '../support/fixtures';
import type { LocalAws } from '../support/servers';
import { startLocalAws } from '../support/servers';

/** Fields that depend on when and how an alert was delivered, not on the event. */
function withoutDeliveryFields(alert: Alert): Partial<Alert> {
  const { detectedAt: _d, expiresAt: _e, messageId: _m, notifiedAt: _n, ...rest } = alert;
  return rest;
}

let aws: LocalAws;
let dir: string;

beforeAll(async () => {
  aws = await startLocalAws();
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-parity-'));
});

afterAll(async () => {
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

it('stores identical alert records from the Lambda and from replay for the same CloudTrail records', async () => {
  const { handler } = await import('../../lambda/main');
  const positives = fixtureCases().filter((c) => c.detections.length > 0);

  const store = new DynamoDbAlertStore(aws.dynamodb.client, aws.dynamodb.tableName);
  const fromLambda: Alert[] = [];
  for (const { file } of positives) {
    for (const { alertId } of (await handler(loadEnvelope(file))).alerts) {
      const alert = await store.get(alertId);
      if (alert !== undefined) fromLambda.push(alert);
    }
  }

  writeFileSync(
    join(dir, 'records.json'),
    JSON.stringify({ Records: positives.map((c) => loadRecord(c.file)) }),
  );
  const run = await runCli(['replay', '--store', 'memory', '--format', 'jsonl', 'records.json'], {
    cwd: dir,
  });
  const fromReplay = run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Alert);

  // One alert per (fixture, detection): a call can fire more than one detection.
  expect(fromLambda).toHaveLength(positives.flatMap((c) => c.detections).length);
  expect(fromReplay.map(withoutDeliveryFields)).toEqual(fromLambda.map(withoutDeliveryFields));
});
