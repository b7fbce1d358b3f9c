/**
 * Sigma's string values: `*` matches any run of characters, `?` exactly one, and a
 * backslash makes the next `*`, `?` or backslash literal (before any other character it is
 * itself). Matching is case-insensitive in ASCII only (A-Z and a-z), so that EventBridge's
 * `equals-ignore-case`, which folds at least those, always admits what a rule matches.
 */
import type { GlobPart } from './model';

/** Lower-cases A-Z and nothing else. */
export function asciiLower(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text;
}

function push(parts: GlobPart[], part: GlobPart): void {
  const last = parts[parts.length - 1];
  if (part.kind === 'text') {
    if (part.text === '') return;
    if (last?.kind === 'text') {
      parts[parts.length - 1] = { kind: 'text', text: last.text + part.text };
      return;
    }
  }
  // Two `*` in a row match what one does.
  if (part.kind === 'any' && last?.kind === 'any') return;
  parts.push(part);
}

/**
 * The parts of a value. `wildcards` is false for numbers and booleans, whose text is literal;
 * `anchor` adds the `*` that contains, startswith and endswith imply.
 */
export function globOf(
  text: string,
  wildcards: boolean,
  anchor?: 'contains' | 'startswith' | 'endswith',
): GlobPart[] {
  const parts: GlobPart[] = [];
  if (anchor === 'contains' || anchor === 'endswith') push(parts, { kind: 'any' });
  if (!wildcards) {
    push(parts, { kind: 'text', text });
  } else {
    let literal = '';
    for (let i = 0; i < text.length; i++) {
      const char = text.charAt(i);
      if (char === '\\') {
        const next = text.charAt(i + 1);
        if (next === '*' || next === '?' || next === '\\') {
          literal += next;
          i += 1;
        } else {
          literal += char;
        }
      } else if (char === '*' || char === '?') {
        push(parts, { kind: 'text', text: literal });
        literal = '';
        push(parts, { kind: char === '*' ? 'any' : 'one' });
      } else {
        literal += char;
      }
    }
    push(parts, { kind: 'text', text: literal });
  }
  if (anchor === 'contains' || anchor === 'startswith') push(parts, { kind: 'any' });
  return parts;
}

/** True when the glob holds no wildcard: its text (or '') is the whole value. */
export function literalOf(parts: readonly GlobPart[]): string | undefined {
  if (parts.length === 0) return '';
  const [only] = parts;
  return parts.length === 1 && only?.kind === 'text' ? only.text : undefined;
}

type Token = { kind: 'text'; chars: string[] } | { kind: 'any' } | { kind: 'one' };

/** A glob prepared for matching: text lower-cased and split into code points. */
export interface CompiledGlob {
  readonly tokens: readonly Token[];
}

export function compileGlob(parts: readonly GlobPart[]): CompiledGlob {
  return {
    tokens: parts.map((part): Token =>
      part.kind === 'text' ? { kind: 'text', chars: Array.from(asciiLower(part.text)) } : part,
    ),
  };
}

const ONE = Symbol('one character');
const ANY = Symbol('any run');

/**
 * Whether `value` matches, case-insensitively in ASCII. The usual greedy match with one
 * backtrack point (the last `*`), which takes at most length(value) x length(glob) steps.
 */
export function globMatches(glob: CompiledGlob, value: string): boolean {
  const text = Array.from(asciiLower(value));
  // One flat list of single-character steps: a character, any one, or a run.
  // A character to match, or a wildcard: ONE for `?`, ANY for `*`.
  const steps: (string | typeof ONE | typeof ANY)[] = [];
  for (const token of glob.tokens) {
    if (token.kind === 'text') for (const c of token.chars) steps.push(c);
    else steps.push(token.kind === 'any' ? ANY : ONE);
  }
  let t = 0;
  let s = 0;
  let starStep = -1;
  let starText = 0;
  while (t < text.length) {
    const step = steps[s];
    if (step === ANY) {
      starStep = s;
      starText = t;
      s += 1;
    } else if (step !== undefined && (step === ONE || step === text[t])) {
      s += 1;
      t += 1;
    } else if (starStep !== -1) {
      s = starStep + 1;
      starText += 1;
      t = starText;
    } else {
      return false;
    }
  }
  while (steps[s] === ANY) s += 1;
  return s === steps.length;
}
