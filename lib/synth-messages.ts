import { ConfigError } from './config';
import { PolicyFileError } from './policy-file';
import { closestName } from '../lambda/core/spelling';

/** Longest line printed for one error in a chain; a cause can quote a whole file. */
const MAX_LINE = 300;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE - 1)}…` : flat;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A mistake in what the user gave synth (context or the configuration file), not a bug. */
function isUserError(error: unknown): boolean {
  for (let current = error; current !== undefined; current = causeOf(current)) {
    if (current instanceof ConfigError || current instanceof PolicyFileError) return true;
  }
  return false;
}

/**
 * What synth prints for `error`: the message on one line, then one line per nested cause
 * that adds something (a cause already quoted by the line before is left out). `undefined`
 * for errors that are not the user's to fix, which keep their stack for whoever debugs them.
 */
export function describeSynthError(error: unknown): string[] | undefined {
  if (!isUserError(error)) return undefined;
  const lines: string[] = [];
  let previous = '';
  for (let current = error; current !== undefined; current = causeOf(current)) {
    const message = oneLine(messageOf(current));
    if (message !== '' && !previous.includes(message)) {
      lines.push(lines.length === 0 ? `Error: ${message}` : `  caused by: ${message}`);
    }
    previous = oneLine(messageOf(current));
  }
  return lines;
}

/** The known key `key` is most likely a misspelling of, if it is close enough to be one. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  // Up to two edits, more for long names: close enough to be a slip, far enough apart that
  // a context key of another tool is not taken for one of ours.
  const allowed = Math.max(2, Math.floor(key.length / 4));
  return closestName(key, known, () => allowed);
}

/** Context keys the CDK itself writes without a `:` or `/` in their names. */
const CDK_CONTEXT_KEYS: readonly string[] = ['acknowledged-issue-numbers'];

/**
 * One warning per context key that is not one of `known`, naming the key it most likely
 * misspells when there is one. Keys with `:` or `/` belong to the CDK (feature flags,
 * `aws:cdk:…`, lookups) and are never ours, nor are the few the CDK writes under plain
 * names; any other key is one sgwatch would silently ignore, which is what to warn of.
 */
export function unknownContextKeyWarnings(
  contextKeys: Iterable<string>,
  known: readonly string[],
): string[] {
  const warnings: string[] = [];
  for (const key of contextKeys) {
    if (known.includes(key) || key.includes(':') || key.includes('/')) continue;
    if (CDK_CONTEXT_KEYS.includes(key)) continue;
    const closest = closestKey(key, known);
    warnings.push(
      closest !== undefined
        ? `unknown context key "${key}" is ignored; did you mean "${closest}"?`
        : `unknown context key "${key}" is ignored: sgwatch reads only the keys in docs/deploying.md's context table`,
    );
  }
  return warnings;
}
