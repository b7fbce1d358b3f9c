/**
 * `|re` values run on attacker-controlled text, so they run on RE2 (re2js, a JavaScript port):
 * its matching time grows linearly with the input whatever the pattern, where a backtracking
 * engine can take exponential time on a crafted value. RE2 has no backreferences or
 * lookaround; a rule that uses them is refused when it loads, with the engine's reason.
 */
import { RE2JS } from 're2js';
import type { ValueTest } from './model';

/** Longest pattern accepted: RE2's memory grows with the pattern. */
export const MAX_REGEX_LENGTH = 4096;

type RegexTest = Extract<ValueTest, { kind: 're' }>;

function flagsOf(test: RegexTest): number {
  return (
    (test.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0) |
    (test.multiline ? RE2JS.MULTILINE : 0) |
    (test.dotAll ? RE2JS.DOTALL : 0)
  );
}

/** Why the pattern cannot run, or undefined when it compiles. */
export function checkRegex(test: RegexTest): string | undefined {
  try {
    RE2JS.compile(test.source, flagsOf(test));
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `the regular expression cannot run on RE2 (${message}); backreferences and lookaround are not available`;
  }
}

/** A compiled pattern; `test` searches anywhere in the text, as Sigma's `re` does. */
export interface CompiledRegex {
  test(text: string): boolean;
}

export function compileRegex(test: RegexTest): CompiledRegex {
  const pattern = RE2JS.compile(test.source, flagsOf(test));
  return { test: (text) => pattern.matcher(text).find() };
}
