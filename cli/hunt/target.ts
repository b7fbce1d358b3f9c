/**
 * Where a hunt's query runs: the Athena database, table and workgroup over the trail, named
 * on the command line or read from the stack's outputs.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { STACK_OUTPUTS } from '../../lib/deployment-names';
import { AwsCommandError, DEFAULT_STACK_NAME, describeStack, resolveRegion } from '../aws';
import type { CliIo } from '../io';

/** A hunt that cannot run or did not finish; the message says what to do. */
export class HuntError extends AwsCommandError {}

export interface HuntTarget {
  readonly database: string;
  readonly table: string;
  readonly workGroup?: string;
  /** Where the names came from, for messages. */
  readonly origin: string;
}

/** What the command line says about where to query; the stack's outputs fill in the rest. */
export interface HuntLocation {
  /** The stack whose outputs name the database, table and workgroup. @default - none */
  readonly stack?: string;
  /** @default - the stack's HuntDatabaseName output */
  readonly database?: string;
  /** @default - the stack's HuntTableName output */
  readonly table?: string;
  /** @default - the stack's HuntWorkGroupName output */
  readonly workgroup?: string;
}

export const NO_TABLE_FIX =
  'deploy the stack with -c cloudTrailBucket=BUCKET (its outputs HuntDatabaseName, HuntTableName and HuntWorkGroupName), or pass --database, --table and --workgroup';

async function targetFromStack(
  stackName: string,
  io: CliIo,
  given: HuntLocation,
): Promise<HuntTarget> {
  const region = await resolveRegion(undefined, io.env, null);
  const client = new CloudFormationClient({ region });
  try {
    const stack = await describeStack(client, stackName, region);
    const database = given.database ?? stack.outputs[STACK_OUTPUTS.huntDatabase];
    const table = given.table ?? stack.outputs[STACK_OUTPUTS.huntTable];
    const workGroup = given.workgroup ?? stack.outputs[STACK_OUTPUTS.huntWorkGroup];
    if (database === undefined || table === undefined) {
      throw new HuntError(
        `no hunt table: stack ${stackName} has no ${STACK_OUTPUTS.huntTable} output; ${NO_TABLE_FIX}`,
      );
    }
    return {
      database,
      table,
      ...(workGroup !== undefined ? { workGroup } : {}),
      origin: `stack ${stackName}`,
    };
  } finally {
    client.destroy();
  }
}

/**
 * The query's target: the database and table as named when both are given and no stack is
 * (no CloudFormation call, so `--print-sql` works offline), else the outputs of the stack
 * (Sgwatch unless named), with whatever was named taking their place.
 */
export async function huntTarget(location: HuntLocation, io: CliIo): Promise<HuntTarget> {
  const { database, table, stack } = location;
  if (database !== undefined && table !== undefined && stack === undefined) {
    return {
      database,
      table,
      ...(location.workgroup !== undefined ? { workGroup: location.workgroup } : {}),
      origin: '--database and --table',
    };
  }
  return targetFromStack(stack ?? DEFAULT_STACK_NAME, io, location);
}
