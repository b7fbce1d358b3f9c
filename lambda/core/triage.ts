/**
 * Triage: the statuses a person moves an alert through, which moves are allowed, and the
 * record each move leaves in the alert's history. Pure: the store that applies a change and
 * the clock that dates it are the caller's.
 */
import type { Alert, AlertStatus } from './alert';

export const ALERT_STATUSES: readonly AlertStatus[] = [
  'open',
  'acknowledged',
  'resolved',
  'suppressed',
];

/** Statuses a person can move an alert to; `suppressed` is only ever set by suppression rules. */
export type TriageTarget = 'acknowledged' | 'resolved' | 'open';

/** Longest note kept on a status change; notes are typed by people but still stored verbatim. */
export const MAX_NOTE_LENGTH = 2000;
/** Longest name recorded as the person making a change. */
export const MAX_ACTOR_LENGTH = 200;

/** Which statuses each target may be reached from. */
const ALLOWED_FROM: Readonly<Record<TriageTarget, readonly AlertStatus[]>> = {
  acknowledged: ['open'],
  resolved: ['open', 'acknowledged'],
  // Reopening also overrides a suppression, for when an exception turns out to be wrong.
  open: ['acknowledged', 'resolved', 'suppressed'],
};

/** The targets reachable from `status`, in the order a person usually takes them. */
export function allowedTargets(status: AlertStatus): TriageTarget[] {
  return (['acknowledged', 'resolved', 'open'] as const).filter((target) =>
    ALLOWED_FROM[target].includes(status),
  );
}

/** One entry in an alert's triage history. */
export interface StatusChange {
  readonly from: AlertStatus;
  readonly to: AlertStatus;
  readonly by: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  readonly note?: string;
}

/** Attributes triage adds to a stored alert; absent until the first status change. */
export interface TriageState {
  /** Bumped by every status change; absent means 0. Used for optimistic concurrency. */
  readonly statusVersion?: number;
  readonly statusChangedBy?: string;
  readonly statusChangedAt?: string;
  readonly statusNote?: string;
  readonly history?: readonly StatusChange[];
}

export type TriagedAlert = Alert & TriageState;

/** What a person asks for: move the alert to `to`, as `by`, at `at`, saying why in `note`. */
export interface ChangeRequest {
  readonly to: TriageTarget;
  readonly by: string;
  readonly at: Date;
  readonly note?: string;
}

/** A change checked against the alert as read: the history entry it adds, and the version it expects. */
export interface PlannedChange {
  readonly entry: StatusChange & { readonly to: TriageTarget };
  /** The alert's statusVersion when it was read (0 when never changed). */
  readonly expectedVersion: number;
}

export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  readonly allowed: readonly TriageTarget[];
  constructor(
    readonly alertId: string,
    readonly current: AlertStatus,
    readonly target: TriageTarget,
  ) {
    const allowed = allowedTargets(current);
    super(
      `alert ${alertId} is ${current} and cannot become ${target}; from ${current} it can become ` +
        (allowed.length > 0 ? allowed.join(' or ') : 'nothing else'),
    );
    this.allowed = allowed;
  }
}

/** Bad input to a triage call (missing or oversized note, empty actor, invalid time). */
export class TriageInputError extends Error {
  override readonly name = 'TriageInputError';
}

/** The request with its text trimmed, or TriageInputError saying what is wrong with it. */
function validRequest(request: ChangeRequest): Required<Omit<ChangeRequest, 'note' | 'at'>> & {
  readonly at: string;
  readonly note?: string;
} {
  const { to, by, at, note } = request;
  if (!Object.hasOwn(ALLOWED_FROM, to)) {
    throw new TriageInputError(`unknown target status ${String(to)}`);
  }
  const actor = by.trim();
  if (actor === '') throw new TriageInputError('the person making the change must be named');
  if (actor.length > MAX_ACTOR_LENGTH) {
    throw new TriageInputError(`the name of the person is over ${MAX_ACTOR_LENGTH} characters`);
  }
  if (Number.isNaN(at.getTime())) throw new TriageInputError('the change time is not valid');
  const text = note?.trim();
  if (text !== undefined && text.length > MAX_NOTE_LENGTH) {
    throw new TriageInputError(`the note is over ${MAX_NOTE_LENGTH} characters`);
  }
  if (to === 'resolved' && (text === undefined || text === '')) {
    throw new TriageInputError('resolving an alert requires a note saying why');
  }
  return {
    to,
    by: actor,
    at: at.toISOString(),
    ...(text !== undefined && text !== '' ? { note: text } : {}),
  };
}

/** Checks the request alone, before the alert is read: TriageInputError when it is malformed. */
export function checkChangeRequest(request: ChangeRequest): void {
  validRequest(request);
}

/**
 * The one place a status change is decided: checks the request and that the alert, as read,
 * may move to the target. Throws TriageInputError or InvalidTransitionError; the store then
 * writes the entry only if the alert is still at `expectedVersion`.
 */
export function planChange(current: TriagedAlert, request: ChangeRequest): PlannedChange {
  const change = validRequest(request);
  if (!ALLOWED_FROM[change.to].includes(current.status)) {
    throw new InvalidTransitionError(current.alertId, current.status, change.to);
  }
  return {
    entry: {
      from: current.status,
      to: change.to,
      by: change.by,
      at: change.at,
      ...(change.note !== undefined ? { note: change.note } : {}),
    },
    expectedVersion: current.statusVersion ?? 0,
  };
}
