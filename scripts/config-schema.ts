/**
 * The JSON Schema of `sgwatch.config.json`, generated from the valibot schema the loader
 * validates with (`POLICY_SCHEMA`), so editors complete and check the file by the same rules
 * and descriptions. `npm run docs` writes it to `CONFIG_SCHEMA_FILE`; a test fails when the
 * committed file differs from what this module generates.
 *
 * What JSON Schema cannot say (a glob of stars alone, a day that does not exist, a window that
 * ends before it starts, duplicate exception ids) is left to the loader: those checks are
 * skipped here, and the loader still reports them with the entry's path.
 */
import type { JsonSchema } from '@valibot/to-json-schema';
import { toJsonSchema } from '@valibot/to-json-schema';
import { ANY_WINDOW, POLICY_SCHEMA } from '../lambda/core/policy-file';

/** Where the schema is committed, relative to the repository root. */
export const CONFIG_SCHEMA_FILE = 'schema/sgwatch.config.schema.json';

/** The JSON Schema as an object, ready to serialise. */
export function configJsonSchema(): JsonSchema {
  const { $defs, ...schema } = toJsonSchema(POLICY_SCHEMA, {
    target: 'draft-07',
    // Each object is checked as `pipe(unknown(), check(not an array), strictObject(...))`: the
    // JSON shape is the last schema of each pipe.
    typeMode: 'output',
    errorMode: 'throw',
    ignoreActions: ['check', 'raw_check'],
    // A window's form is chosen by its keys at run time; the file may hold either.
    definitions: { window: ANY_WINDOW },
    // Draft 7 keeps shared parts under `definitions`.
    overrideRef: ({ referenceId }) => `#/definitions/${referenceId}`,
  });
  const { $schema, title, description, ...shape } = schema;
  return { $schema, title, description, ...shape, definitions: $defs };
}
