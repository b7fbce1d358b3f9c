/**
 * The work behind `sgwatch alerts`: open the store asked for (never creating a local one),
 * read or triage through its query port, and close it again; work out who makes a change;
 * and let a deployed table's Security Hub finding follow the alert.
 */
import type { TriagedAlert, TriageTarget } from '../../lambda/core/triage';
import { MAX_ACTOR_LENGTH } from '../../lambda/core/triage';
import { UsageError } from '../args';
import { callerArn } from '../aws';
import type { CliIo } from '../io';
import { osUser } from '../io';
import { existingStateDir, openStore } from '../store';
import type { AlertFilter, AlertQueryPort } from './queries';

/** Which store the alerts are read from and triaged in. */
export interface AlertStoreChoice {
  /** `embedded` or `memory`. @default - embedded, unless `table` is given */
  readonly store?: string;
  /** A deployed alert table. @default - none */
  readonly table?: string;
  /** The Region of `table`. @default - the standard chain */
  readonly region?: string;
  /** The local store's folder. @default - found as git finds a repository */
  readonly stateDir?: string;
}

/** A change of an alert's status. */
export interface AlertChange {
  readonly id: string;
  readonly target: TriageTarget;
  /** Why; kept in the alert's history. @default - none */
  readonly note?: string;
  /** Who makes it. @default - $SGWATCH_USER, else the AWS identity for a table, else the login */
  readonly by?: string;
}

/** An alert as a change left it, and who the change was recorded as made by. */
export interface ChangedAlert {
  readonly alert: TriagedAlert;
  readonly by: string;
}

async function withQueries<T>(
  choice: AlertStoreChoice,
  io: CliIo,
  use: (queries: AlertQueryPort) => Promise<T>,
): Promise<T> {
  if (choice.region !== undefined && choice.table === undefined) {
    throw new UsageError(
      '--region is the Region of a deployed --table; the embedded store has none',
    );
  }
  const local = choice.table === undefined && (choice.store ?? 'embedded') === 'embedded';
  const store = await openStore({
    ...(choice.store !== undefined ? { store: choice.store } : {}),
    ...(choice.table !== undefined ? { table: choice.table } : {}),
    ...(choice.region !== undefined ? { region: choice.region } : {}),
    // Reading or triaging never creates a store: an empty one would only say "no alerts".
    stateDir: local ? existingStateDir(choice.stateDir, io.env, io.cwd) : io.cwd,
  });
  try {
    return await use(store.queries(() => io.now()));
  } finally {
    await store.close();
  }
}

/** The alerts the filter matches, newest event first. */
export function listAlerts(
  choice: AlertStoreChoice,
  filter: AlertFilter,
  io: CliIo,
): Promise<TriagedAlert[]> {
  return withQueries(choice, io, (queries) => queries.list(filter));
}

/** One alert, or undefined when no alert has the id. */
export function getAlert(
  choice: AlertStoreChoice,
  id: string,
  io: CliIo,
): Promise<TriagedAlert | undefined> {
  return withQueries(choice, io, (queries) => queries.get(id));
}

/**
 * Who is making a change when it names nobody: $SGWATCH_USER; else, on a deployed table,
 * the AWS identity whose credentials make the write; else the login name.
 */
async function actorOf(choice: AlertStoreChoice, io: CliIo): Promise<string> {
  const named = io.env.SGWATCH_USER?.trim();
  if (named !== undefined && named !== '') return named.slice(0, MAX_ACTOR_LENGTH);
  if (choice.table !== undefined) {
    return (await callerArn(choice.region)).slice(0, MAX_ACTOR_LENGTH);
  }
  const login = osUser(io.env);
  if (login === undefined) {
    throw new UsageError('cannot tell who is making the change: pass --by NAME');
  }
  return login.slice(0, MAX_ACTOR_LENGTH);
}

/**
 * Moves the alert to the change's status, if nobody changed it since it was read. Throws
 * AlertNotFoundError, InvalidTransitionError, ConcurrentUpdateError or TriageInputError
 * (./queries.ts, lambda/core/triage.ts) when the change does not apply.
 */
export async function changeAlert(
  choice: AlertStoreChoice,
  change: AlertChange,
  io: CliIo,
): Promise<ChangedAlert> {
  const by = change.by ?? (await actorOf(choice, io));
  const alert = await withQueries(choice, io, (queries) =>
    queries.transition(change.id, change.target, by, io.now(), change.note),
  );
  return { alert, by };
}

/**
 * On a deployed table whose deployment imports findings, moves the alert's Security Hub
 * finding to match; returns what was done, in a sentence for the person (empty when there is
 * no table). Loaded only here, so the Security Hub client costs no other command its
 * start-up time.
 */
export async function followFinding(
  choice: AlertStoreChoice,
  changed: ChangedAlert,
  note: string | undefined,
): Promise<string> {
  if (choice.table === undefined) return '';
  const { syncFindingWorkflow } = await import('../securityhub');
  return syncFindingWorkflow({
    table: choice.table,
    ...(choice.region !== undefined ? { region: choice.region } : {}),
    alert: changed.alert,
    user: changed.by,
    ...(note !== undefined ? { note } : {}),
  });
}
