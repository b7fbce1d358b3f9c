/**
 * Sigma's condition language, without aggregations: `and`, `or`, `not`, parentheses, search
 * identifiers, and `1 of`/`any of`/`all of` a name pattern (`selection_*`) or `them`.
 * Precedence, loosest first: or, and, not. Errors are plain `Error`s with the reason; the
 * rule parser adds the file and line.
 */
import type { ConditionNode } from './model';

type Token = { kind: 'word'; text: string } | { kind: 'open' } | { kind: 'close' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close' });
      i += 1;
    } else if (char === '|') {
      throw new Error(
        'aggregations (| count(), | min() ...) are not supported: sgwatch alerts on each event, without counting events',
      );
    } else {
      const word = /^[A-Za-z0-9_*.-]+/.exec(text.slice(i))?.[0];
      if (word === undefined) throw new Error(`unexpected ${JSON.stringify(char)}`);
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    }
  }
  return tokens;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them']);

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Parses `text` over the rule's search identifiers. */
export function parseCondition(text: string, identifiers: readonly string[]): ConditionNode {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isWord = (token: Token | undefined, word: string): boolean =>
    token?.kind === 'word' && token.text.toLowerCase() === word;

  function expression(): ConditionNode {
    const items = [conjunction()];
    while (isWord(peek(), 'or')) {
      at += 1;
      items.push(conjunction());
    }
    return items.length === 1 && items[0] !== undefined ? items[0] : { kind: 'or', items };
  }

  function conjunction(): ConditionNode {
    const items = [negation()];
    while (isWord(peek(), 'and')) {
      at += 1;
      items.push(negation());
    }
    return items.length === 1 && items[0] !== undefined ? items[0] : { kind: 'and', items };
  }

  function negation(): ConditionNode {
    if (isWord(peek(), 'not')) {
      at += 1;
      return { kind: 'not', item: negation() };
    }
    return atom();
  }

  function quantified(quantifier: string): ConditionNode {
    at += 1; // the quantifier
    if (!isWord(peek(), 'of')) throw new Error(`expected "of" after "${quantifier}"`);
    at += 1;
    const target = peek();
    if (target?.kind !== 'word') throw new Error(`expected a name pattern or "them" after "of"`);
    at += 1;
    let names: string[];
    if (target.text.toLowerCase() === 'them') {
      // Identifiers starting with an underscore are helpers, left out of `them`.
      names = identifiers.filter((name) => !name.startsWith('_'));
    } else {
      const pattern = globToRegExp(target.text);
      names = identifiers.filter((name) => pattern.test(name));
      if (names.length === 0) {
        throw new Error(`"${target.text}" matches no search identifier`);
      }
    }
    if (names.length === 0) throw new Error('"them" covers no search identifier');
    const refs: ConditionNode[] = names.map((name) => ({ kind: 'ref', name }));
    const all = quantifier.toLowerCase() === 'all';
    if (refs.length === 1 && refs[0] !== undefined) return refs[0];
    return { kind: all ? 'and' : 'or', items: refs };
  }

  function atom(): ConditionNode {
    const token = peek();
    if (token === undefined) throw new Error('the condition ends too early');
    if (token.kind === 'open') {
      at += 1;
      const inner = expression();
      if (peek()?.kind !== 'close') throw new Error('a parenthesis is not closed');
      at += 1;
      return inner;
    }
    if (token.kind === 'close') throw new Error('unexpected ")"');
    const word = token.text;
    const lower = word.toLowerCase();
    if (isWord(tokens[at + 1], 'of')) {
      if (lower === '1' || lower === 'any' || lower === 'all') return quantified(word);
      throw new Error(`"${word} of" is not supported: use "1 of" or "all of"`);
    }
    if (KEYWORDS.has(lower)) throw new Error(`unexpected "${word}"`);
    if (word.includes('*')) throw new Error(`"${word}": a name pattern needs "1 of" or "all of"`);
    if (!identifiers.includes(word)) {
      throw new Error(`"${word}" is not a search identifier of this rule`);
    }
    at += 1;
    return { kind: 'ref', name: word };
  }

  if (tokens.length === 0) throw new Error('the condition is empty');
  const node = expression();
  const rest = peek();
  if (rest !== undefined) {
    throw new Error(
      `unexpected ${rest.kind === 'word' ? `"${rest.text}"` : rest.kind === 'open' ? '"("' : '")"'}`,
    );
  }
  return node;
}
