import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { createAlertTableInput } from './alert-table-schema';
import { inProcessDynamoDbClient } from './in-process-dynamodb';
import type { DynaliteDb } from './dynamodb-limits';
import { enforceDynamoDbLimits } from './dynamodb-limits';
import { acquireLock, EmbeddedStoreError } from './store-lock';

export { EmbeddedStoreError } from './store-lock';

/** The table name the embedded store uses; deployed tables get generated names. */
export const EMBEDDED_TABLE_NAME = 'sgwatch-alerts';

export interface EmbeddedDynamoDb {
  readonly endpoint: string;
  /** An SDK client reaching the store over HTTP, as a deployed table is reached. */
  readonly client: DynamoDBClient;
  /**
   * A client that calls the store in this process, without HTTP or SDK middleware: the same
   * operations and answers, at a fraction of the cost per call (see in-process-dynamodb.ts).
   */
  readonly direct: DynamoDBClient;
  readonly tableName: string;
  close(): Promise<void>;
}

export interface EmbeddedDynamoDbOptions {
  /** Folder for the LevelDB files. @default - in memory, gone when closed */
  readonly path?: string;
  readonly tableName?: string;
}

type DynaliteFactory = (options: Record<string, unknown>) => Server;

async function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const result = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return result.Table?.TableStatus;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if ((await tableStatus(client, tableName)) === undefined) {
    try {
      await client.send(new CreateTableCommand(createAlertTableInput(tableName)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  // dynalite, like DynamoDB, reports CREATING briefly even with no simulated delay.
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await tableStatus(client, tableName)) === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/**
 * Starts dynalite inside this process on a loopback port, with the alert table created
 * from the deployed schema, and returns a client for it. The same DynamoDB adapter code
 * then runs against it as against AWS.
 */
export async function startEmbeddedDynamoDb(
  options: EmbeddedDynamoDbOptions = {},
): Promise<EmbeddedDynamoDb> {
  // Loaded lazily: only the CLI and tests need it, never the Lambda bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as DynaliteFactory;
  // What DynamoDB refuses (empty index keys, items over 400 KB in UTF-8), dynalite must too.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  enforceDynamoDbLimits(require('dynalite/db') as DynaliteDb);
  let releaseLock = (): void => undefined;
  if (options.path !== undefined) {
    mkdirSync(options.path, { recursive: true });
    releaseLock = acquireLock(options.path);
  }
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  const port = await listen(server);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const direct = inProcessDynamoDbClient(server);
  const tableName = options.tableName ?? EMBEDDED_TABLE_NAME;
  try {
    await ensureTable(direct, tableName);
  } catch (error) {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    releaseLock();
    const where = options.path ?? 'memory';
    throw new EmbeddedStoreError(
      `cannot open the embedded alert store at ${where}: ${error instanceof Error ? error.message : String(error)}` +
        (options.path !== undefined ? ' (is another sgwatch command using it?)' : ''),
      { cause: error },
    );
  }
  return {
    endpoint,
    client,
    direct,
    tableName,
    close: async () => {
      client.destroy();
      try {
        await new Promise<void>((resolve, reject) =>
          server.close((err) => (err ? reject(err) : resolve())),
        );
      } finally {
        releaseLock();
      }
    },
  };
}
