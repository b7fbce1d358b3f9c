import {
  BatchUpdateFindingsCommand,
  EnableSecurityHubCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import {
  FindingImportError,
  lazySecurityHub,
  SecurityHubFindingSink,
} from '../../lambda/adapters/securityhub-sink';
import { buildAlert } from '../../lambda/core/alert';
import { findingIdFor, parseProductArn } from '../../lambda/core/asff';
import type { Detection } from '../../lambda/core/catalog';
import { findDetection } from '../../lambda/core/catalog';
import { ManualClock } from '../support/clock';
import { loadRecord } from '../support/fixtures';
import type { LocalSecurityHub } from '../support/local-securityhub';
import { startLocalSecurityHub } from '../support/local-securityhub';

const REGION = 'us-east-1';
const detection = findDetection('aws.rds.create-db-security-group') as Detection;
const alert = {
  ...buildAlert(
    detection,
    loadRecord(
      'cloudtrail/aws.rds.create-db-security-group/rds-create-db-security-group.success.iam-user.json',
    ),
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

  describe('a burst group’s finding over time', () => {
    const group = (sequence: number, minute: number) => ({
      ...alert,
      alertId: `${'c'.repeat(18)}${String(sequence).padStart(2, '0')}`,
      eventTime: `2026-03-15T12:${String(minute).padStart(2, '0')}:00.000Z`,
      burst: {
        kind: sequence === 1 ? ('new' as const) : ('update' as const),
        groupId: 'd'.repeat(20),
        threadId: `${'d'.repeat(20)}-1773576000`,
        sequence,
        detectionCount: sequence,
        windowMinutes: 60,
        cap: 100,
      },
    });
    const analyst = () => new SecurityHubClient({ ...config, endpoint: hub.url });

    it('shows activity after an analyst resolved the finding as NEW, with a note', async () => {
      // Given a group's finding that an analyst resolved
      const clock = new ManualClock(Date.parse('2026-03-15T12:20:00Z'));
      const sink = new SecurityHubFindingSink(
        lazySecurityHub({ ...config, endpoint: hub.url }),
        parseProductArn(hub.productArn),
        clock,
      );
      await sink.record(group(1, 5), detection);
      const id = findingIdFor(group(1, 5));
      const client = analyst();
      await client.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [{ Id: id, ProductArn: hub.productArn }],
          Workflow: { Status: 'RESOLVED' },
        }),
      );
      client.destroy();
      expect(hub.findings.get(id)?.Workflow).toEqual({ Status: 'RESOLVED' });
      // When a later alert of the group arrives
      clock.advance(60_000);
      await sink.record(group(2, 25), detection);
      // Then the finding is open again, says why, and holds the new activity
      const finding = hub.findings.get(id);
      expect(finding?.Workflow).toEqual({ Status: 'NEW' });
      expect(JSON.stringify(finding?.Note)).toContain(`alert ${group(2, 25).alertId}`);
      expect(finding?.LastObservedAt).toBe('2026-03-15T12:25:00.000Z');
    });

    it('applies every re-import, keeps CreatedAt, and moves UpdatedAt forward even on a frozen clock', async () => {
      const clock = new ManualClock(Date.parse('2026-03-15T12:30:00Z'));
      const sink = new SecurityHubFindingSink(
        lazySecurityHub({ ...config, endpoint: hub.url }),
        parseProductArn(hub.productArn),
        clock,
      );
      const id = findingIdFor(group(1, 5));
      const seen: { createdAt: unknown; updatedAt: unknown; lastObservedAt: unknown }[] = [];
      // The group's alerts, one of them imported twice (a retry), all at the same instant
      for (const [sequence, minute] of [
        [1, 5],
        [2, 10],
        [2, 10],
        [3, 15],
      ] as const) {
        await sink.record(group(sequence, minute), detection);
        const stored = hub.findings.get(id);
        seen.push({
          createdAt: stored?.CreatedAt,
          updatedAt: stored?.UpdatedAt,
          lastObservedAt: stored?.LastObservedAt,
        });
      }
      expect(new Set(seen.map((s) => s.createdAt))).toEqual(new Set(['2026-03-15T12:00:00.000Z']));
      const updates = seen.map((s) => String(s.updatedAt));
      expect(updates).toEqual([...updates].sort());
      expect(new Set(updates).size).toBe(4);
      expect(seen.at(-1)?.lastObservedAt).toBe('2026-03-15T12:15:00.000Z');
    });
  });
});
