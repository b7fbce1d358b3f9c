import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import {
  FindingImportError,
  lazySecurityHub,
  SecurityHubFindingSink,
} from '../../lambda/adapters/securityhub-sink';
import { buildAlert } from '../../lambda/core/alert';
import { findingIdFor, parseProductArn } from '../../lambda/core/asff';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import { loadRecord } from '../support/fixtures';
import type { LocalSecurityHub } from '../support/local-securityhub';
import { startLocalSecurityHub } from '../support/local-securityhub';

const REGION = 'us-east-1';
const detection = findDetection('aws.rds.create-db-security-group') as Detection;
const alert = {
  ...buildAlert(
    detection,
    loadRecord('cloudtrail/rds-create-db-security-group.success.iam-user.json'),
    { now: new Date('2026-03-15T12:00:00Z'), retentionDays: 365 },
  ),
  delivery: 'notified' as const,
};
const config = {
  region: REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
};

let hub: LocalSecurityHub;

beforeEach(async () => {
  hub = await startLocalSecurityHub({ account: '444455556666', region: REGION });
  const client = new SecurityHubClient({ ...config, endpoint: hub.url });
  await client.send(new EnableSecurityHubCommand({}));
  client.destroy();
});

afterEach(async () => {
  await hub.close();
});

describe('SecurityHubFindingSink', () => {
  it('imports the alert as one finding under the product it was given', async () => {
    const sink = new SecurityHubFindingSink(
      lazySecurityHub({ ...config, endpoint: hub.url }),
      parseProductArn(hub.productArn),
    );
    await sink.record(alert, detection);
    expect([...hub.findings.keys()]).toEqual([findingIdFor(alert)]);
  });

  it('throws FindingImportError with Security Hub’s reason when the finding is refused', async () => {
    // A product of another account: Security Hub refuses the finding (FailedFindings), not the call.
    const sink = new SecurityHubFindingSink(
      lazySecurityHub({ ...config, endpoint: hub.url }),
      parseProductArn('arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default'),
    );
    const recorded = sink.record(alert, detection);
    await expect(recorded).rejects.toThrow(FindingImportError);
    await expect(sink.record(alert, detection)).rejects.toThrow(
      /refused: InvalidInput: .*not the calling account 444455556666/,
    );
    expect(hub.findings.size).toBe(0);
  });

  it('throws FindingImportError naming the service error when the call fails', async () => {
    const sink = new SecurityHubFindingSink(
      lazySecurityHub({ ...config, endpoint: hub.url }),
      parseProductArn(hub.productArn),
    );
    hub.failNext(1, { status: 401, code: 'InvalidAccessException' });
    await expect(sink.record(alert, detection)).rejects.toThrow(
      /^Security Hub BatchImportFindings failed: InvalidAccessException/,
    );
  });
});
