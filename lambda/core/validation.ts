/**
 * The few helpers every boundary shares around valibot, sgwatch's one validation library: the
 * configuration file, CDK context, the detector's environment and incoming events are each a
 * valibot schema, and each turns the first issue it finds into its own error type with a
 * path and a reason. Pure: no I/O, no environment.
 */
import * as v from 'valibot';

export type Issue = v.BaseIssue<unknown>;

/**
 * Validates `input` against `schema`, stopping at the first issue, which `toError` turns into
 * the caller's error. Returns the schema's output.
 */
export function parseOrThrow<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
  toError: (issue: Issue) => Error,
): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  throw toError(result.issues[0]);
}

/** The keys from the root of the input down to the value `issue` is about. */
export function issueKeys(issue: Issue): string[] {
  return (issue.path ?? []).map((item) => String(item.key));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A path item for an issue a check raises below the value it checks (valibot's own schemas
 * build the same for the entries they visit), so the error names that entry.
 */
export function entryPathItem(input: Record<string, unknown>, key: string): v.ObjectPathItem {
  return { type: 'object', origin: 'value', input, key, value: input[key] };
}
