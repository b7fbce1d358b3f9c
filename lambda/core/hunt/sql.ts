/**
 * The one Athena query a hunt runs, built from the catalog: the trail's log files that hold
 * a record any selected detection could match. It selects `"$path"` only; the files are then
 * replayed through the same core as `sgwatch replay`, so SQL narrows and the catalog decides.
 *
 * Every condition is a superset of the detection it comes from: the call (eventSource and
 * eventName), the outcome (errorcode, as far as the column can tell it), and, where a call's EventBridge content filter says
 * which keys or values its request must hold, a text search for those in the JSON text
 * Athena keeps for requestParameters and responseElements. Text that holds any backslash (an
 * escape could spell a key) always passes. The partitions bound what Athena reads.
 */
import type { Detection, EventPatternJson } from '../catalog/detection';
import { TRAIL_PARTITIONS, trailDay } from './trail-table';

export interface HuntQuery {
  readonly database: string;
  readonly table: string;
  readonly detections: readonly Detection[];
  /** Epoch milliseconds; events before it are not wanted. */
  readonly since: number;
  /** Epoch milliseconds; events after it are not wanted. */
  readonly until: number;
  /** @default - every account the table projects */
  readonly accounts?: readonly string[];
  /** @default - every Region the table projects */
  readonly regions?: readonly string[];
}

/**
 * CloudTrail files land in the day folder of their delivery, up to about 15 minutes after
 * their events; a day on each side keeps a file with an event near midnight in range.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

/** A condition as SQL text, or `true` when nothing can be said (no restriction). */
type Condition = string | true;

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function any(conditions: readonly Condition[]): Condition {
  if (conditions.includes(true) || conditions.length === 0) return true;
  const unique = [...new Set(conditions as string[])];
  return unique.length === 1 ? (unique[0] as string) : `(${unique.join(' OR ')})`;
}

function all(conditions: readonly Condition[]): Condition {
  const real = [...new Set(conditions.filter((c): c is string => c !== true))];
  if (real.length === 0) return true;
  return real.length === 1 ? (real[0] as string) : `(${real.join(' AND ')})`;
}

function contains(column: string, text: string): string {
  return `strpos(${column}, ${sqlString(text)}) > 0`;
}

/** What the text of a matching value must contain, for one entry of a pattern's value list. */
function valueCondition(column: string, value: unknown): Condition {
  if (typeof value === 'string') return contains(column, JSON.stringify(value));
  if (typeof value === 'boolean' || value === null) return contains(column, String(value));
  if (typeof value === 'object' && !Array.isArray(value)) {
    const operator = value as Record<string, unknown>;
    if (typeof operator.prefix === 'string') return contains(column, `"${operator.prefix}`);
    if (typeof operator.suffix === 'string') return contains(column, `${operator.suffix}"`);
  }
  // Numbers (their text varies), exists, numeric, equals-ignore-case, anything-but, ...
  return true;
}

/** A pattern object over one JSON column: every key must be there, as its value says. */
function objectCondition(column: string, pattern: EventPatternJson): Condition {
  return all(
    Object.entries(pattern).map(([key, value]): Condition => {
      if (key === '$or') {
        return any((value as EventPatternJson[]).map((branch) => objectCondition(column, branch)));
      }
      if (Array.isArray(value)) {
        const values = value as unknown[];
        // `exists: false` matches records without the key: nothing to look for.
        if (values.some((v) => (v as { exists?: unknown } | null)?.exists === false)) return true;
        return all([
          contains(column, JSON.stringify(key)),
          any(values.map((v) => valueCondition(column, v))),
        ]);
      }
      return all([
        contains(column, JSON.stringify(key)),
        objectCondition(column, value as EventPatternJson),
      ]);
    }),
  );
}

const CONTENT_COLUMNS: Record<string, string> = {
  requestParameters: 'requestparameters',
  responseElements: 'responseelements',
};

/** The superset of a call's detail filter that SQL can check on the record's JSON text. */
export function contentCondition(filter: EventPatternJson | undefined): Condition {
  if (filter === undefined) return true;
  return all(
    Object.entries(filter).map(([key, value]): Condition => {
      if (key === '$or') return any((value as EventPatternJson[]).map(contentCondition));
      const column = CONTENT_COLUMNS[key];
      if (column === undefined || Array.isArray(value)) return true;
      // chr(92) is a backslash: a literal '\' is read as an escape by some SQL tools.
      const escaped = `strpos(${column}, chr(92)) > 0`;
      return any([objectCondition(column, value as EventPatternJson), escaped]);
    }),
  );
}

/**
 * The outcome as the errorcode column can tell it. The catalog counts a call as failed when
 * its record has an `errorCode` key, even one holding null or an empty string; the table
 * reads both an absent key and a JSON null as NULL, so SQL can rule out a success (a
 * non-NULL errorcode means the key was there) but never a failure: a failure branch puts no
 * condition on the outcome.
 */
function outcomeCondition(detection: Detection): Condition {
  return detection.outcome === 'failure' ? true : 'errorcode IS NULL';
}

function lowerIn(column: string, values: readonly string[]): string {
  const lowered = [
    ...new Set(values.map((value) => value.replace(/[A-Z]+/g, (run) => run.toLowerCase()))),
  ].sort();
  return `lower(${column}) IN (${lowered.map(sqlString).join(', ')})`;
}

/**
 * A detection with its own condition (a Sigma rule) narrows by the eventSources and
 * eventNames it pins, compared in any case as the rule compares them; one that pins neither
 * cannot narrow the query at all.
 */
function ownCondition(detection: Detection): Condition {
  const own = detection.condition;
  if (own === undefined) return true;
  return all([
    own.eventSources !== undefined ? lowerIn('eventsource', own.eventSources) : true,
    own.eventNames !== undefined ? lowerIn('eventname', own.eventNames) : true,
  ]);
}

/**
 * One OR branch per distinct (source, name, outcome, content) of the selected detections, or
 * `true` when some detection can match any call.
 */
function callConditions(detections: readonly Detection[]): string[] | true {
  const branches: string[] = [];
  for (const detection of detections) {
    if (detection.condition !== undefined) {
      const branch = ownCondition(detection);
      if (branch === true) return true;
      if (!branches.includes(branch)) branches.push(branch);
      continue;
    }
    const outcome = outcomeCondition(detection);
    for (const call of detection.calls) {
      const branch = all([
        `eventsource = ${sqlString(call.eventSource)}`,
        `eventname = ${sqlString(call.eventName)}`,
        outcome,
        contentCondition(call.detailFilter),
      ]);
      if (branch !== true && !branches.includes(branch)) branches.push(branch);
    }
  }
  return branches;
}

function inList(column: string, values: readonly string[] | undefined): string[] {
  if (values === undefined || values.length === 0) return [];
  const sorted = [...new Set(values)].sort();
  return [`${sqlIdentifier(column)} IN (${sorted.map(sqlString).join(', ')})`];
}

/** The partition predicates alone: what Athena reads, whatever the rest of the query says. */
export function partitionPredicates(
  query: Omit<HuntQuery, 'detections' | 'database' | 'table'>,
): string[] {
  const { account, region, day } = TRAIL_PARTITIONS;
  return [
    `${sqlIdentifier(day)} BETWEEN ${sqlString(trailDay(query.since - DAY_MS))} AND ${sqlString(trailDay(query.until + DAY_MS))}`,
    ...inList(account, query.accounts),
    ...inList(region, query.regions),
  ];
}

/** The hunt query: the distinct log files holding a record any detection could match. */
export function buildHuntSql(query: HuntQuery): string {
  if (query.detections.length === 0) throw new RangeError('a hunt needs at least one detection');
  if (query.until < query.since) throw new RangeError('the hunt ends before it starts');
  const calls = callConditions(query.detections);
  return [
    'SELECT DISTINCT "$path" AS path',
    `FROM ${sqlIdentifier(query.database)}.${sqlIdentifier(query.table)}`,
    `WHERE ${partitionPredicates(query).join('\n  AND ')}`,
    // A detection that can match any call leaves only the partitions to narrow by.
    ...(calls === true ? [] : ['  AND (', `    ${calls.join('\n    OR ')}`, '  )']),
    'ORDER BY path',
  ].join('\n');
}
