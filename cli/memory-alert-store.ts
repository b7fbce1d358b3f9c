import { randomUUID } from 'node:crypto';
import type { Alert, BurstPlacement, PrincipalHistory } from '../lambda/core/alert';
import { historyFromTimes } from '../lambda/core/alert-table';
import type {
  AlertStore,
  ClaimToken,
  CountRequest,
  CreateResult,
  MarkResult,
} from '../lambda/core/ports';
import { ClaimLostError } from '../lambda/core/ports';
import { newAlertItemRefusal } from './dynamodb-limits';

/** An alert as stored: the alert and the claim bookkeeping the DynamoDB store also keeps. */
interface Stored {
  alert: Alert;
  claimedUntil?: string;
  claimToken?: ClaimToken;
  notifiedBy?: ClaimToken;
}

/** The first index in sorted `times` whose entry is not below `time`. */
function lowerBound(times: readonly string[], time: string): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((times[middle] ?? '') < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The alert store of `replay --store memory`: the answers of `DynamoDbAlertStore` (same
 * conditions, same claim fencing, same counters and history bounds) kept in this process's
 * memory, with no table, no HTTP and no SDK. A throwaway run needs nothing more, and a replay
 * then costs what its scan costs. Its equivalence with the DynamoDB store is tested by
 * running both through the same operations (test/property/memory-store.property.test.ts).
 * What DynamoDB refuses of a new alert's item (an empty index key, over 400 KB beside the
 * record) it refuses too. One difference, on purpose: an alert too large for a DynamoDB item
 * (a record over about 350 KB) is kept whole here, where the table keeps the start of its
 * CloudTrail record.
 */
export class MemoryAlertStore implements AlertStore {
  private readonly alerts = new Map<string, Stored>();
  private readonly counters = new Map<string, string[]>();
  /** Each principal's alert event times, sorted: the by-principal index. */
  private readonly byPrincipal = new Map<string, string[]>();

  /** The stored alert, a copy, as `alerts show` would read it. */
  get(alertId: string): Promise<Alert | undefined> {
    const stored = this.alerts.get(alertId);
    return Promise.resolve(stored === undefined ? undefined : structuredClone(stored.alert));
  }

  create(alert: Alert, claimUntil: Date): Promise<CreateResult> {
    const token = randomUUID() as ClaimToken;
    const claimedUntil = claimUntil.toISOString();
    // DynamoDB validates the item before it checks the write's condition.
    const refusal = newAlertItemRefusal(alert, { claimedUntil, claimToken: token });
    if (refusal !== undefined) return Promise.reject(refusal);
    const existing = this.alerts.get(alert.alertId);
    if (existing !== undefined) {
      return Promise.resolve({ created: false, existing: structuredClone(existing.alert) });
    }
    this.alerts.set(alert.alertId, {
      alert: structuredClone(alert),
      claimedUntil,
      claimToken: token,
    });
    const times = this.byPrincipal.get(alert.principal) ?? [];
    times.splice(lowerBound(times, alert.eventTime), 0, alert.eventTime);
    this.byPrincipal.set(alert.principal, times);
    return Promise.resolve({ created: true, token });
  }

  claim(alertId: string, now: Date, claimUntil: Date): Promise<ClaimToken | undefined> {
    const stored = this.alerts.get(alertId);
    if (stored?.alert.delivery !== 'pending') return Promise.resolve(undefined);
    if (stored.claimedUntil !== undefined && stored.claimedUntil >= now.toISOString()) {
      return Promise.resolve(undefined);
    }
    const token = randomUUID() as ClaimToken;
    stored.claimedUntil = claimUntil.toISOString();
    stored.claimToken = token;
    return Promise.resolve(token);
  }

  /** The stored alert while `token` holds its pending claim: what a fenced write requires. */
  private held(alertId: string, token: ClaimToken): Stored | undefined {
    const stored = this.alerts.get(alertId);
    return stored?.alert.delivery === 'pending' && stored.claimToken === token ? stored : undefined;
  }

  markNotified(
    alertId: string,
    token: ClaimToken,
    messageId: string,
    at: Date,
  ): Promise<MarkResult> {
    const stored = this.held(alertId, token);
    if (stored === undefined) {
      const notifiedBy = this.alerts.get(alertId)?.notifiedBy;
      return Promise.resolve(notifiedBy === token ? 'marked' : 'claim-lost');
    }
    stored.alert = {
      ...stored.alert,
      delivery: 'notified',
      messageId,
      notifiedAt: at.toISOString(),
    };
    stored.notifiedBy = token;
    delete stored.claimedUntil;
    delete stored.claimToken;
    return Promise.resolve('marked');
  }

  release(alertId: string, token: ClaimToken): Promise<void> {
    const stored = this.held(alertId, token);
    if (stored !== undefined) {
      delete stored.claimedUntil;
      delete stored.claimToken;
    }
    return Promise.resolve();
  }

  principalHistory(principal: string, before: Date): Promise<PrincipalHistory> {
    const times = this.byPrincipal.get(principal) ?? [];
    // Newest first from just before `before`, as the DynamoDB store's query reads them.
    function* newestFirst(): Generator<string> {
      for (let index = lowerBound(times, before.toISOString()) - 1; index >= 0; index--) {
        yield times[index] ?? '';
      }
    }
    return Promise.resolve(historyFromTimes(newestFirst(), before));
  }

  countOnce(request: CountRequest): Promise<number | undefined> {
    const members = this.counters.get(request.counter);
    if (members === undefined) {
      this.counters.set(request.counter, [request.alertId]);
      return Promise.resolve(1);
    }
    const position = members.indexOf(request.alertId);
    if (position >= 0) return Promise.resolve(position + 1);
    if (request.limit !== undefined && members.length >= request.limit) {
      return Promise.resolve(undefined);
    }
    members.push(request.alertId);
    return Promise.resolve(members.length);
  }

  recordBurst(alertId: string, token: ClaimToken, placement: BurstPlacement): Promise<void> {
    const capped = placement.kind === 'capped';
    const stored = this.held(alertId, token);
    if (stored === undefined) {
      // As in the DynamoDB store: a capped alert is final, so a repeat finds it done.
      if (capped && this.alerts.get(alertId)?.alert.delivery === 'capped') {
        return Promise.resolve();
      }
      return Promise.reject(new ClaimLostError(alertId, 'recording its burst placement'));
    }
    stored.alert = {
      ...stored.alert,
      burst: { ...placement },
      ...(capped ? { delivery: 'capped' as const } : {}),
    };
    if (capped) {
      delete stored.claimedUntil;
      delete stored.claimToken;
    }
    return Promise.resolve();
  }
}
