/**
 * A replay into the default store killed with SIGKILL part-way, then run again, stores what
 * an uninterrupted replay stores: every alert once, each notified, with the same record,
 * history and burst placement. The CLI runs as built, in processes of its own, on an
 * alert-heavy archive (the bench's shape, smaller).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAlertStore } from '../../cli/local-alert-store';
import { LOCAL_STORE_FILE } from '../../cli/store';
import type { TriagedAlert } from '../../lambda/core/triage';
import { writeAlertHeavyArchive } from '../../scripts/bench/alert-heavy';
import type { BuiltCli } from '../support/built-cli';
import { buildCli } from '../support/built-cli';

const EVENTS = 2400;

let cli: BuiltCli;
let dir: string;
let archive: string;

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-crash-'));
  archive = join(dir, 'archive');
  writeAlertHeavyArchive({ root: archive, events: EVENTS });
});

afterAll(() => {
  cli.remove();
  rmSync(dir, { recursive: true, force: true });
});

function replayArgs(stateDir: string): string[] {
  return ['replay', '--quiet', '--format', 'jsonl', '--state-dir', stateDir, archive];
}

/** Starts a replay and kills it with SIGKILL once it has reported `after` alerts. */
async function replayKilledAfter(stateDir: string, after: number): Promise<number> {
  const child = cli.start(replayArgs(stateDir));
  let lines = 0;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    lines += chunk.split('\n').length - 1;
    if (lines >= after) child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, killedBy) => resolve(killedBy)),
  );
  expect(signal).toBe('SIGKILL');
  return lines;
}

/** Every alert in the store, by id. */
async function storedAlerts(stateDir: string): Promise<Map<string, TriagedAlert>> {
  const store = LocalAlertStore.open({ path: join(stateDir, LOCAL_STORE_FILE) });
  try {
    const alerts = await store.list({
      since: new Date('2000-01-01T00:00:00Z'),
      until: new Date('2100-01-01T00:00:00Z'),
      limit: 100_000,
    });
    return new Map(alerts.map((alert) => [alert.alertId, alert]));
  } finally {
    await store.close();
  }
}

/** A notified alert without the fields that say when its run ran. */
function timeless(alert: TriagedAlert | undefined): Partial<TriagedAlert> | undefined {
  if (alert === undefined) return undefined;
  const { detectedAt, expiresAt, notifiedAt, messageId, ...rest } = alert;
  expect([detectedAt, expiresAt, notifiedAt, messageId]).not.toContain(undefined);
  return rest;
}

describe('replay killed part-way and run again', () => {
  it('loses no alert and duplicates none, storing what an uninterrupted replay stores', async () => {
    // Prepare: the replay that is never interrupted.
    const whole = join(dir, 'whole');
    const uninterrupted = await cli.run(replayArgs(whole));
    expect(uninterrupted.code).toBe(0);
    const expected = await storedAlerts(whole);
    expect(expected.size).toBeGreaterThan(EVENTS / 2);

    // Act: kill a replay a quarter of the way through, check it stopped part-way, run again.
    const crashed = join(dir, 'crashed');
    const reported = await replayKilledAfter(crashed, Math.floor(expected.size / 4));
    expect(reported).toBeLessThan(expected.size);
    const partial = await storedAlerts(crashed);
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(expected.size);
    const rerun = await cli.run(replayArgs(crashed));

    // Assess
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(new RegExp(`alerts ${expected.size} = `));
    const actual = await storedAlerts(crashed);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, alert] of expected) {
      expect(timeless(actual.get(id))).toEqual(timeless(alert));
      expect(alert.delivery).toBe('notified');
    }
  });
});
