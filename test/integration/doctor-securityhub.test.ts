import {
  BatchImportFindingsCommand,
  EnableSecurityHubCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { checkSecurityHub } from '../../cli/doctor/securityhub';
import type { LocalSecurityHub } from '../support/local-securityhub';
import { startLocalSecurityHub } from '../support/local-securityhub';

const REGION = 'us-east-1';
let hub: LocalSecurityHub;
let client: SecurityHubClient;

beforeEach(async () => {
  hub = await startLocalSecurityHub({ region: REGION });
  client = new SecurityHubClient({
    region: REGION,
    endpoint: hub.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  client.destroy();
  await hub.close();
});

/** A minimal valid finding under the hub's product, imported through the API. */
async function importFinding(title: string): Promise<void> {
  const at = '2026-03-15T12:00:00.000Z';
  const result = await client.send(
    new BatchImportFindingsCommand({
      Findings: [
        {
          SchemaVersion: '2018-10-08',
          Id: 'sgwatch/alert/0123456789abcdef0123',
          ProductArn: hub.productArn,
          GeneratorId: 'aws.rds.create-db-security-group',
          AwsAccountId: hub.account,
          Types: ['TTPs/Persistence'],
          CreatedAt: at,
          UpdatedAt: at,
          Severity: { Label: 'LOW' },
          Title: title,
          Description: 'test finding',
          Resources: [{ Type: 'AwsAccount', Id: `AWS::::Account:${hub.account}` }],
        },
      ],
    }),
  );
  expect(result.FailedCount).toBe(0);
}

describe('doctor check security-hub', () => {
  it('reports nothing, and asks nothing, when the stack does not import findings', async () => {
    const result = await checkSecurityHub(client, undefined, REGION, 'Sgwatch');
    expect(result).toBeUndefined();
    expect(hub.requests).toBe(0);
  });

  it('warns with the enable command when Security Hub is not enabled in the Region', async () => {
    const result = await checkSecurityHub(client, hub.productArn, REGION, 'Sgwatch');
    expect(result?.status).toBe('warn');
    expect(result?.finding).toMatch(/Security Hub is not enabled in us-east-1/);
    expect(result?.fix[0]).toContain('aws securityhub enable-security-hub --region us-east-1');
  });

  it('warns when the hub is enabled but holds no sgwatch finding', async () => {
    await client.send(new EnableSecurityHubCommand({}));
    const result = await checkSecurityHub(client, hub.productArn, REGION, 'Sgwatch');
    expect(result?.status).toBe('warn');
    expect(result?.finding).toMatch(/holds no sgwatch finding/);
  });

  it('is ok when the hub is receiving sgwatch findings, naming the newest', async () => {
    await client.send(new EnableSecurityHubCommand({}));
    await importFinding('RDS DB security group created: legacy\u001b[31m');
    const result = await checkSecurityHub(client, hub.productArn, REGION, 'Sgwatch');
    expect(result?.status).toBe('ok');
    expect(result?.finding).toMatch(
      /receiving sgwatch findings \(newest updated 2026-03-15T12:00:00.000Z: RDS DB security group created: legacy \[31m\)$/,
    );
  });

  it('warns naming the permission when the findings cannot be read', async () => {
    await client.send(new EnableSecurityHubCommand({}));
    const denied = { status: 403, code: 'AccessDeniedException' };
    hub.failNext(1, denied);
    const result = await checkSecurityHub(client, hub.productArn, REGION, 'Sgwatch');
    expect(result).toMatchObject({
      status: 'warn',
      fix: [expect.stringContaining('securityhub:DescribeHub')],
    });
  });
});
