import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../../lambda/core/alert';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import type { PlantedRecord } from '../../scripts/lib/cloudtrail-generator';
import { modifyDbInstanceRecord, writeArchive } from '../../scripts/lib/cloudtrail-generator';
import { runCli } from '../support/cli';
import { fixtureCases, loadRecord } from '../support/fixtures';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const START = new Date('2026-03-03T00:00:00Z');

let dir: string;
/** Exposure-pack fixtures, planted into a generated archive, with the alerts each must raise. */
let expected: string[];

/** Fixtures that exercise the exposure pack, positive or negative. */
function exposureCases() {
  return fixtureCases().filter(({ file }) => {
    const name = loadRecord(file).eventName;
    return !['CreateDBSecurityGroup', 'CreateCacheSecurityGroup'].includes(name);
  });
}

function planted(record: CloudTrailRecord, index: number): CloudTrailRecord {
  // Spread over the archive's hours, in its one account and Region.
  const time = new Date(START.getTime() + (index + 1) * 7 * 60_000).toISOString();
  return {
    ...record,
    eventID: `exposure-${index}-${record.eventID}`,
    eventTime: `${time.slice(0, 19)}Z`,
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-replay-exposure-'));
  const cases = exposureCases();
  const records = cases.map(({ file }, i) => planted(loadRecord(file), i));
  expected = cases.flatMap(({ detections }, i) =>
    detections.map((d) => `${records[i]?.eventID ?? ''}:${d}`),
  );
  // Everyday modifications of databases: a watched name, never an alert. Replay's prefilter
  // must cut each one out and parse it, and still agree with a full parse.
  const routine: PlantedRecord[] = Array.from({ length: 300 }, (_, i) => ({
    record: modifyDbInstanceRecord({
      account: ACCOUNT,
      region: REGION,
      time: new Date(START.getTime() + i * 60_000),
      seed: i,
      dbInstanceIdentifier: `db-${i}`,
      changes: { allocatedStorage: 100 + i, applyImmediately: false },
    }),
  }));
  await writeArchive({
    root: join(dir, 'AWSLogs-root'),
    seed: 42,
    accounts: [ACCOUNT],
    regions: [REGION],
    start: START,
    end: new Date('2026-03-04T00:00:00Z'),
    files: 6,
    recordsPerFile: 300,
    planted: [...records.map((record) => ({ record })), ...routine],
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function alerts(stdout: string): Alert[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Alert);
}

async function replay(extra: string[] = []) {
  return runCli(['replay', '--store', 'memory', '--format', 'jsonl', ...extra, 'AWSLogs-root'], {
    cwd: dir,
  });
}

describe('sgwatch replay with the exposure pack', () => {
  it('raises exactly the exposure alerts the fixtures call for, among background traffic', async () => {
    const run = await replay();
    expect(run.code).toBe(0);
    expect(
      alerts(run.stdout)
        .map((a) => `${a.eventId}:${a.ruleId}`)
        .sort(),
    ).toEqual([...expected].sort());
    expect(expected.length).toBeGreaterThan(15);
  });

  it('stores the findings with each exposure alert', async () => {
    const run = await replay();
    const exposure = alerts(run.stdout).filter(
      (a) => a.ruleId === 'aws.ec2.datastore-port-open-to-internet',
    );
    expect(exposure.length).toBeGreaterThan(0);
    for (const alert of exposure) {
      expect(alert.findings?.[0]).toMatch(/ open to (0\.0\.0\.0\/0|::\/0)/);
    }
  });

  it('finds the same alerts with the prefilter as with a full parse', async () => {
    const [filtered, full] = await Promise.all([replay(), replay(['--full-parse'])]);
    const key = (a: Alert) => `${a.alertId} ${a.ruleId} ${a.riskScore}`;
    expect(alerts(filtered.stdout).map(key).sort()).toEqual(alerts(full.stdout).map(key).sort());
    const counts = (stderr: string) => /^alerts .*$/m.exec(stderr)?.[0];
    expect(counts(filtered.stderr)).toBeDefined();
    expect(counts(filtered.stderr)).toBe(counts(full.stderr));
  });
});
