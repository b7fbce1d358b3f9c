/**
 * The embedded store runs a write transaction that LMDB fails on its own state (as lmdb's
 * freelist code sometimes fails a commit with MDB_BAD_TXN) once more, on the environment
 * opened afresh: the call answers as if nothing had failed, nothing it writes is applied
 * twice, and a transaction that fails again, or fails for a reason of its own, is the
 * caller's error. The fault is injected by the `lmdb` every environment is opened with: its
 * write transactions run the store's change and then fail, so LMDB rolls them back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Lmdb from 'lmdb';
import { LocalAlertStore } from '../../../cli/local-alert-store';
import type { Alert, BurstPlacement } from '../../../lambda/core/alert';
import type { ClaimToken } from '../../../lambda/core/ports';
import { alertFor, NOW } from '../../support/alert-seeds';

const MDB_BAD_TXN = -30782;
const MDB_MAP_FULL = -30792;

/**
 * The next write transactions to fail (after their change ran), every one begun, and the
 * environments opened, with the options of the last.
 */
const mockLmdb = {
  failNext: 0,
  code: MDB_BAD_TXN,
  transactions: 0,
  opened: 0,
  options: undefined as unknown,
};

jest.mock('lmdb', () => {
  const actual = jest.requireActual<typeof Lmdb>('lmdb');
  return {
    ...actual,
    open: (...args: Parameters<typeof actual.open>) => {
      const root = actual.open(...args);
      mockLmdb.opened += 1;
      mockLmdb.options = args[0];
      const transactionSync = root.transactionSync.bind(root);
      root.transactionSync = <T>(change: () => T, flags?: number): T => {
        mockLmdb.transactions += 1;
        return transactionSync(() => {
          const result = change();
          if (mockLmdb.failNext > 0) {
            mockLmdb.failNext -= 1;
            throw Object.assign(new Error(`injected LMDB failure ${mockLmdb.code}`), {
              code: mockLmdb.code,
            });
          }
          return result;
        }, flags);
      };
      return root;
    },
  };
});

const LATER = new Date(NOW.getTime() + 60_000);

function seeded(eventID: string): Alert {
  return alertFor({ eventID, eventTime: '2026-03-14T10:00:00Z' });
}

const PLACEMENT: BurstPlacement = {
  kind: 'new',
  groupId: 'group',
  threadId: 'thread',
  sequence: 1,
  detectionCount: 1,
  windowMinutes: 60,
  cap: 100,
};

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sgwatch-faults-'));
  path = join(dir, 'alerts.mdb');
  Object.assign(mockLmdb, { failNext: 0, code: MDB_BAD_TXN, transactions: 0, opened: 0 });
  mockLmdb.options = undefined;
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Counts the write transactions begun and environments opened while `call` runs. */
async function counted<T>(
  call: () => Promise<T>,
): Promise<{ result: T; transactions: number; opened: number }> {
  const before = { ...mockLmdb };
  const result = await call();
  return {
    result,
    transactions: mockLmdb.transactions - before.transactions,
    opened: mockLmdb.opened - before.opened,
  };
}

describe('a write LMDB fails on its own state', () => {
  it('is run once more on a reopened environment and applied once', async () => {
    const store = LocalAlertStore.open({ path, now: () => NOW });
    try {
      const first = seeded('fault-1');
      // The first alert grows the compression dictionary inside its transaction.
      mockLmdb.failNext = 1;
      const create = await counted(() => store.create(first, LATER));
      expect(create).toMatchObject({ transactions: 2, opened: 1 });
      expect(create.result.created).toBe(true);
      const token = (create.result as { token: ClaimToken }).token;

      mockLmdb.failNext = 1;
      expect(
        await store.countOnce({ counter: 'window', alertId: first.alertId, expiresAt: LATER }),
      ).toBe(1);
      mockLmdb.failNext = 1;
      await store.recordBurst(first.alertId, token, PLACEMENT);
      mockLmdb.failNext = 1;
      expect(await store.markNotified(first.alertId, token, 'msg-1', NOW)).toBe('marked');

      // Counted once: the next alert is the second.
      const second = seeded('fault-2');
      const others = ['fault-3', 'fault-4', 'fault-5'].map(seeded);
      for (const alert of [second, ...others]) {
        expect((await store.create(alert, LATER)).created).toBe(true);
      }
      expect(
        await store.countOnce({ counter: 'window', alertId: second.alertId, expiresAt: LATER }),
      ).toBe(2);
      expect(await store.get(first.alertId)).toMatchObject({
        alertId: first.alertId,
        delivery: 'notified',
        messageId: 'msg-1',
        burst: PLACEMENT,
      });
    } finally {
      await store.close();
    }

    // Every alert reads back from the file, compressed against the dictionaries it names.
    const reopened = LocalAlertStore.open({ path, now: () => NOW });
    try {
      for (const id of ['fault-1', 'fault-2', 'fault-3', 'fault-4', 'fault-5']) {
        const alert = seeded(id);
        expect(await reopened.get(alert.alertId)).toMatchObject({
          alertId: alert.alertId,
          eventId: id,
          cloudTrailEvent: alert.cloudTrailEvent,
        });
      }
      expect(await reopened.list({ limit: 10 })).toHaveLength(5);
    } finally {
      await reopened.close();
    }
  });

  it('that fails again is the caller’s error, with nothing applied', async () => {
    const store = LocalAlertStore.open({ path, now: () => NOW });
    try {
      const alert = seeded('fault-twice');
      mockLmdb.failNext = 2;
      const before = mockLmdb.transactions;
      const failed = await store.create(alert, LATER).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(mockLmdb.transactions - before).toBe(2);
      expect(failed).toMatchObject({
        name: 'AlertStoreError',
        cause: { code: MDB_BAD_TXN },
      });
      expect(await store.get(alert.alertId)).toBeUndefined();
      // The store goes on.
      expect((await store.create(alert, LATER)).created).toBe(true);
      expect(await store.list({ limit: 10 })).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe('a write that fails for a reason of its own', () => {
  it('is not run again: a lost claim', async () => {
    const store = LocalAlertStore.open({ path, now: () => NOW });
    try {
      const alert = seeded('claim-lost');
      await store.create(alert, LATER);
      const before = mockLmdb.transactions;
      await expect(
        store.recordBurst(alert.alertId, 'not-the-token' as ClaimToken, PLACEMENT),
      ).rejects.toMatchObject({ name: 'ClaimLostError' });
      expect(mockLmdb.transactions - before).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('is not run again: an LMDB code the request earns', async () => {
    const store = LocalAlertStore.open({ path, now: () => NOW });
    try {
      const alert = seeded('map-full');
      Object.assign(mockLmdb, { failNext: 1, code: MDB_MAP_FULL });
      const before = { ...mockLmdb };
      await expect(store.create(alert, LATER)).rejects.toMatchObject({
        name: 'AlertStoreError',
        cause: { code: MDB_MAP_FULL },
      });
      expect(mockLmdb.transactions - before.transactions).toBe(1);
      expect(mockLmdb.opened - before.opened).toBe(0);
      expect(await store.get(alert.alertId)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

it('opens the file keeping no list of free pages between transactions', async () => {
  // The state lmdb's failing freelist code works from (see FREELIST in the store).
  const store = LocalAlertStore.open({ path, now: () => NOW });
  try {
    expect(mockLmdb.options).toMatchObject({ path, maxFreeSpaceToRetain: 0 });
  } finally {
    await store.close();
  }
});
