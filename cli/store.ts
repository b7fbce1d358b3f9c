import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamoDb } from '../lambda/adapters/embedded-dynamodb';

export type StoreKind = 'embedded' | 'memory' | 'table';

export interface StoreOptions {
  /** `embedded` (default), `memory`, or a deployed table when `table` is set. */
  readonly store?: string;
  readonly table?: string;
  readonly region?: string;
  /** Where the embedded store keeps its files. */
  readonly stateDir: string;
}

export interface OpenStore {
  readonly kind: StoreKind;
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Human description for messages, e.g. "embedded store at .sgwatch/store". */
  readonly description: string;
  close(): Promise<void>;
}

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Opens the store the options name. Option mistakes throw at once (not from the returned
 * promise), so a command can start the store in the background and still fail fast.
 */
export function openStore(options: StoreOptions): Promise<OpenStore> {
  if (options.table !== undefined) {
    if (options.store !== undefined && options.store !== 'table') {
      throw new UsageError(`--store ${options.store} cannot be combined with --table`);
    }
    return Promise.resolve(deployedTable(options.table, options.region));
  }
  const kind = options.store ?? 'embedded';
  if (kind !== 'embedded' && kind !== 'memory') {
    throw new UsageError(
      `--store must be "embedded" or "memory", got "${kind}" (use --table NAME for a deployed table)`,
    );
  }
  return embeddedStore(kind, options.stateDir);
}

function deployedTable(table: string, region: string | undefined): OpenStore {
  const client = new DynamoDBClient(region !== undefined ? { region } : {});
  return {
    kind: 'table',
    client,
    tableName: table,
    description: `DynamoDB table ${table}${region !== undefined ? ` in ${region}` : ''}`,
    close: () => {
      client.destroy();
      return Promise.resolve();
    },
  };
}

async function embeddedStore(kind: 'embedded' | 'memory', stateDir: string): Promise<OpenStore> {
  const path = kind === 'embedded' ? join(stateDir, 'store') : undefined;
  const db = await startEmbeddedDynamoDb(path !== undefined ? { path } : {});
  return {
    kind,
    client: db.direct,
    tableName: db.tableName,
    description: path !== undefined ? `embedded store at ${path}` : 'in-memory store',
    close: () => db.close(),
  };
}

/**
 * parseArgs with its errors turned into UsageError, so a mistyped option exits 2 however
 * the command is called (node's own TypeError comes from another realm under jest's VM,
 * so `instanceof` checks on it fail there).
 */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(String(message));
    }
    throw error;
  }
}
