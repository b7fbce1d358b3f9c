/**
 * A local Athena endpoint: the AWS JSON 1.1 protocol of StartQueryExecution,
 * GetQueryExecution, GetQueryResults (paged) and StopQueryExecution, executing the query
 * text on DuckDB over a local CloudTrail archive laid out as the trail bucket is.
 *
 * The shim, where DuckDB is not Athena (Trino), is only in how the table is defined; the
 * query text runs unchanged:
 * - The Glue table becomes a DuckDB view `"database"."table"` over the archive's files:
 *   one row per record, each documented column read from the record's JSON by its
 *   CloudTrail name. String columns whose value is JSON (requestparameters, ...) hold the
 *   JSON text, as Athena's JsonSerDe gives them; struct columns (useridentity, resources,
 *   addendum, tlsdetails) hold JSON too, where Athena has ROW types.
 * - `"$path"` is the object's `s3://bucket/key`, and account, region and day come from the
 *   key, as partition projection derives them from the location template.
 * - Bytes scanned: the size of every file in the partitions the query's top-level partition
 *   predicates select (projection reads whole partitions), with no columnar savings.
 * Errors follow Athena's shapes: a missing table fails the query with TABLE_NOT_FOUND, the
 * workgroup's cutoff cancels it, an injected account without a predicate fails it.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Parser } from 'node-sql-parser';
import { TRAIL_COLUMNS, TRAIL_PARTITIONS } from '../../lambda/core/hunt/trail-table';
import type { FakeServer, JsonObject } from './fakes/http';
import { AwsFakeError, jsonRpcProtocol, startServer } from './fakes/http';

/** CloudTrail's own spelling of each documented column (JSON paths are case-sensitive). */
const CLOUDTRAIL_NAMES: Record<string, string> = {
  eventversion: 'eventVersion',
  useridentity: 'userIdentity',
  eventtime: 'eventTime',
  eventsource: 'eventSource',
  eventname: 'eventName',
  awsregion: 'awsRegion',
  sourceipaddress: 'sourceIPAddress',
  useragent: 'userAgent',
  errorcode: 'errorCode',
  errormessage: 'errorMessage',
  requestparameters: 'requestParameters',
  responseelements: 'responseElements',
  additionaleventdata: 'additionalEventData',
  requestid: 'requestID',
  eventid: 'eventID',
  readonly: 'readOnly',
  resources: 'resources',
  eventtype: 'eventType',
  apiversion: 'apiVersion',
  recipientaccountid: 'recipientAccountId',
  serviceeventdetails: 'serviceEventDetails',
  sharedeventid: 'sharedEventID',
  vpcendpointid: 'vpcEndpointId',
  vpcendpointaccountid: 'vpcEndpointAccountId',
  eventcategory: 'eventCategory',
  addendum: 'addendum',
  sessioncredentialfromconsole: 'sessionCredentialFromConsole',
  edgedevicedetails: 'edgeDeviceDetails',
  tlsdetails: 'tlsDetails',
};

export interface LocalAthenaOptions {
  /** The local folder holding the archive (its `AWSLogs/` tree). */
  readonly archive: string;
  /** Where the same files sit in S3: `"$path"` is this plus the file's relative path. */
  readonly s3Root: string;
  readonly database: string;
  readonly table: string;
  /** Workgroups that exist, with their bytes-scanned cutoff. */
  readonly workGroups: Readonly<Record<string, { readonly cutoffBytes?: number }>>;
  /** Most rows one GetQueryResults page returns (Athena's is 1,000). @default 1000 */
  readonly maxPageRows?: number;
  /** Accounts are injected: a query must constrain `account`. @default false */
  readonly injectedAccount?: boolean;
  /** Keep queries RUNNING until stopped (to test cancellation). @default false */
  readonly holdQueries?: boolean;
  /** Actions refused with AccessDeniedException. @default none */
  readonly deniedActions?: readonly string[];
}

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface Execution {
  readonly id: string;
  readonly query: string;
  readonly workGroup: string;
  readonly submitted: Date;
  state: State;
  reason?: string;
  scanned: number;
  completed?: Date;
  columns: string[];
  rows: string[][];
}

export interface LocalAthena extends FakeServer {
  /** Every operation called, in order (`StartQueryExecution`, ...). */
  readonly calls: readonly string[];
  execution(id: string): Readonly<Execution> | undefined;
}

const parser = new Parser();

function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function logFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.json(\.gz)?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.split(sep).includes('CloudTrail-Digest'))
    .sort();
}

/** The DuckDB view standing in for the Glue table (see the module comment), on `connection`. */
export async function defineTable(
  connection: DuckDBConnection,
  options: LocalAthenaOptions,
): Promise<void> {
  const files = logFiles(options.archive);
  const root = options.s3Root.endsWith('/') ? options.s3Root : `${options.s3Root}/`;
  await connection.run(
    'CREATE TABLE files (file VARCHAR, path VARCHAR, size BIGINT, account VARCHAR, region VARCHAR, day VARCHAR)',
  );
  for (const file of files) {
    const key = relative(options.archive, file).split(sep).join('/');
    const layout =
      /AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/CloudTrail\/([^/]+)\/(\d{4}\/\d{2}\/\d{2})\//.exec(key);
    await connection.run(
      `INSERT INTO files VALUES (${[file, `${root}${key}`, String(statSync(file).size)]
        .map(sqlText)
        .join(
          ', ',
        )}, ${layout === null ? 'NULL, NULL, NULL' : [layout[1], layout[2], layout[3]].map((v) => sqlText(v ?? '')).join(', ')})`,
    );
  }
  const { account, region, day } = TRAIL_PARTITIONS;
  const columns = TRAIL_COLUMNS.map(({ name }) => {
    const json = `rec->${sqlText(CLOUDTRAIL_NAMES[name] ?? name)}`;
    return `CASE WHEN json_type(${json}) IN ('OBJECT', 'ARRAY') THEN CAST(${json} AS VARCHAR) ELSE ${json}->>'$' END AS ${ident(name)}`;
  });
  const list = files.length === 0 ? "''" : files.map(sqlText).join(', ');
  await connection.run(`CREATE SCHEMA ${ident(options.database)}`);
  await connection.run(
    `CREATE VIEW ${ident(options.database)}.${ident(options.table)} AS
     WITH raw AS (SELECT filename, json FROM read_json_objects([${list}], filename = true, format = 'auto', maximum_object_size = 1073741824)),
     recs AS (SELECT filename, unnest(json_extract(json, '$.Records[*]')) AS rec FROM raw)
     SELECT ${columns.join(', ')},
       f.account AS ${ident(account)}, f.region AS ${ident(region)}, f.day AS ${ident(day)},
       f.path AS "$path"
     FROM recs JOIN files f ON f.file = recs.filename`,
  );
}

type Node = Record<string, unknown>;

function conjuncts(node: Node | null | undefined): Node[] {
  if (node === null || node === undefined) return [];
  if (node.type === 'binary_expr' && node.operator === 'AND')
    return [...conjuncts(node.left as Node), ...conjuncts(node.right as Node)];
  return [node];
}

/** Column names a condition refers to (quoted identifiers parse as strings in some places). */
function referenced(node: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const item of node) referenced(item, into);
  else if (typeof node === 'object' && node !== null) {
    const n = node as Node;
    if (n.type === 'column_ref') {
      const column = n.column as Node | string;
      into.add(typeof column === 'string' ? column : String((column.expr as Node).value));
    } else if (n.type === 'double_quote_string') into.add(String(n.value));
    else for (const value of Object.values(n)) referenced(value, into);
  }
  return into;
}

/** The query's top-level predicates on partition columns only, as SQL over `files`. */
function partitionFilter(query: string): string[] {
  const partitions = new Set<string>(Object.values(TRAIL_PARTITIONS));
  let ast: Node;
  try {
    ast = parser.astify(query, { database: 'trino' }) as unknown as Node;
  } catch {
    return [];
  }
  return conjuncts(ast.where as Node)
    .filter((term) => {
      const names = referenced(term, new Set());
      return names.size > 0 && [...names].every((name) => partitions.has(name));
    })
    .map((term) => parser.exprToSQL(term, { database: 'trino' }));
}

export async function startLocalAthena(options: LocalAthenaOptions): Promise<LocalAthena> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await defineTable(connection, options);
  const executions = new Map<string, Execution>();
  const calls: string[] = [];
  const pageRows = options.maxPageRows ?? 1000;

  const finish = (execution: Execution, state: State, reason?: string): void => {
    if (execution.state === 'CANCELLED') return;
    execution.state = state;
    if (reason !== undefined) execution.reason = reason;
    execution.completed = new Date();
  };

  const run = async (execution: Execution): Promise<void> => {
    execution.state = 'RUNNING';
    const partitions = partitionFilter(execution.query);
    if (
      options.injectedAccount === true &&
      !partitions.some((p) => p.includes(`"${TRAIL_PARTITIONS.account}"`))
    ) {
      finish(
        execution,
        'FAILED',
        `CONSTRAINT_VIOLATION: For the injected projected partition column ${TRAIL_PARTITIONS.account}, the WHERE clause must contain only static equality conditions, and at least one such condition must be present.`,
      );
      return;
    }
    const sizes = await connection.runAndReadAll(
      `SELECT coalesce(sum(size), 0) FROM files${partitions.length > 0 ? ` WHERE ${partitions.join(' AND ')}` : ''}`,
    );
    execution.scanned = Number(sizes.getRows()[0]?.[0] ?? 0);
    const cutoff = options.workGroups[execution.workGroup]?.cutoffBytes;
    if (cutoff !== undefined && execution.scanned > cutoff) {
      execution.scanned = cutoff;
      finish(execution, 'CANCELLED', 'Bytes scanned limit was exceeded');
      return;
    }
    try {
      const result = await connection.runAndReadAll(execution.query);
      execution.columns = result.columnNames();
      execution.rows = result
        .getRows()
        .map((row) => row.map((cell) => (cell === null ? '' : String(cell))));
      if (options.holdQueries !== true) finish(execution, 'SUCCEEDED');
    } catch (error) {
      const message = (error as Error).message;
      const missing =
        /Table with name (\S+) does not exist|Catalog "?([^"\s]+)"? does not exist|Schema with name (\S+) does not exist/.exec(
          message,
        );
      finish(
        execution,
        'FAILED',
        missing !== null
          ? `TABLE_NOT_FOUND: line 2:6: Table 'awsdatacatalog.${(missing[1] ?? missing[2] ?? missing[3] ?? '').replace(/!$/, '')}' does not exist`
          : `GENERIC_USER_ERROR: ${message.split('\n')[0] ?? ''}`,
      );
    }
  };

  const deny = (operation: string): void => {
    if (options.deniedActions?.includes(`athena:${operation}`)) {
      throw new AwsFakeError(
        400,
        'AccessDeniedException',
        `User: arn:aws:iam::111122223333:user/hunter is not authorized to perform: athena:${operation} on resource: arn:aws:athena:us-east-1:111122223333:workgroup/primary because no identity-based policy allows the athena:${operation} action`,
      );
    }
  };

  const find = (input: JsonObject): Execution => {
    const execution = executions.get(text(input.QueryExecutionId));
    if (execution === undefined) {
      throw new AwsFakeError(400, 'InvalidRequestException', 'QueryExecution was not found');
    }
    return execution;
  };

  const describe = (execution: Execution): JsonObject => ({
    QueryExecutionId: execution.id,
    Query: execution.query,
    StatementType: 'DML',
    WorkGroup: execution.workGroup,
    ResultConfiguration: { OutputLocation: `s3://hunt-results/results/${execution.id}.csv` },
    Status: {
      State: execution.state,
      ...(execution.reason !== undefined ? { StateChangeReason: execution.reason } : {}),
      SubmissionDateTime: execution.submitted.getTime() / 1000,
      ...(execution.completed !== undefined
        ? { CompletionDateTime: execution.completed.getTime() / 1000 }
        : {}),
    },
    Statistics: { DataScannedInBytes: execution.scanned },
  });

  const server = await startServer(
    jsonRpcProtocol({
      signingName: 'athena',
      jsonVersion: '1.1',
      targetPrefixes: ['AmazonAthena'],
      errorNamespace: 'com.amazonaws.athena',
      operations: {
        StartQueryExecution: (input) => {
          calls.push('StartQueryExecution');
          deny('StartQueryExecution');
          const workGroup = text(input.WorkGroup) || 'primary';
          if (options.workGroups[workGroup] === undefined) {
            throw new AwsFakeError(
              400,
              'InvalidRequestException',
              `WorkGroup ${workGroup} is not found.`,
            );
          }
          const query = text(input.QueryString);
          if (query.trim() === '') {
            throw new AwsFakeError(400, 'InvalidRequestException', 'Query string is required.');
          }
          const execution: Execution = {
            id: randomUUID(),
            query,
            workGroup,
            submitted: new Date(),
            state: 'QUEUED',
            scanned: 0,
            columns: [],
            rows: [],
          };
          executions.set(execution.id, execution);
          // Answer first, run after, as Athena does: callers poll for the outcome.
          setImmediate(() => void run(execution));
          return { QueryExecutionId: execution.id };
        },
        GetQueryExecution: (input) => {
          calls.push('GetQueryExecution');
          deny('GetQueryExecution');
          return { QueryExecution: describe(find(input)) };
        },
        StopQueryExecution: (input) => {
          calls.push('StopQueryExecution');
          deny('StopQueryExecution');
          const execution = find(input);
          if (execution.state === 'QUEUED' || execution.state === 'RUNNING') {
            execution.state = 'CANCELLED';
            execution.completed = new Date();
          }
          return {};
        },
        GetQueryResults: (input) => {
          calls.push('GetQueryResults');
          deny('GetQueryResults');
          const execution = find(input);
          if (execution.state !== 'SUCCEEDED') {
            throw new AwsFakeError(
              400,
              'InvalidRequestException',
              `Query has not yet finished. Current state: ${execution.state}`,
            );
          }
          // Athena's first row of a SELECT is the header row.
          const all = [execution.columns, ...execution.rows];
          const start = Number(input.NextToken ?? 0);
          const size = Math.min(Number(input.MaxResults ?? pageRows), pageRows);
          const page = all.slice(start, start + size);
          const next = start + size < all.length ? String(start + size) : undefined;
          return {
            ResultSet: {
              Rows: page.map((row) => ({ Data: row.map((value) => ({ VarCharValue: value })) })),
              ResultSetMetadata: {
                ColumnInfo: execution.columns.map((name) => ({
                  Name: name,
                  Label: name,
                  Type: 'varchar',
                })),
              },
            },
            ...(next !== undefined ? { NextToken: next } : {}),
          };
        },
      },
    }),
  );
  return {
    ...server,
    get requests() {
      return server.requests;
    },
    calls,
    execution: (id) => executions.get(id),
    close: async () => {
      await server.close();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
