/**
 * How many terminal columns a string takes, and how to cut or pad it by that measure. A
 * UTF-16 length is wrong both ways for text from CloudTrail events: a CJK group name or an
 * emoji takes two columns for one or two units, a combining accent none. Where terminals
 * disagree (an emoji sequence, a flag), the count errs wide, so a fitted line may end a
 * little short of the edge but never wraps.
 */

/** East Asian Wide and Fullwidth blocks outside the emoji, which the regex below covers. */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo leading consonants
  [0x2329, 0x232a], // angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi, CJK symbols and punctuation, ideographic space
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, enclosed CJK
  [0x3400, 0x4dbf], // CJK unified ideographs extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility and small forms
  [0xff00, 0xff60], // fullwidth ASCII and punctuation
  [0xffe0, 0xffe6], // fullwidth currency and signs
  [0x16fe0, 0x16fe4], // ideographic symbols
  [0x17000, 0x18d08], // Tangut, Khitan
  [0x1aff0, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B to F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extensions G and H
];

/** Emoji a terminal draws as a picture by default: two columns each. */
const EMOJI = /^\p{Emoji_Presentation}$/u;
/** Combining marks and invisible format characters (variation selectors are marks). */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
/** Text that every terminal draws one column per character: the fast path. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const SOFT_HYPHEN = 0xad;
const EMOJI_PRESENTATION_SELECTOR = 0xfe0f;

function isWide(code: number): boolean {
  return WIDE_RANGES.some(([from, to]) => code >= from && code <= to);
}

/** Columns of one code point on its own. */
function codePointWidth(char: string, code: number): number {
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return 0;
  if (code === SOFT_HYPHEN) return 1; // some terminals show it: erring wide is safe
  // Hangul vowels and final consonants join the syllable before them.
  if ((code >= 0x1160 && code <= 0x11ff) || (code >= 0xd7b0 && code <= 0xd7ff)) return 0;
  if (ZERO_WIDTH.test(char)) return 0;
  return isWide(code) || EMOJI.test(char) ? 2 : 1;
}

/**
 * Each code point of `value` with the columns it adds, surrogate pairs kept whole. A text
 * symbol followed by the emoji selector (❤ + U+FE0F) is drawn as a two-column picture by
 * most terminals, so the selector adds the second column.
 */
export function* measured(value: string): Generator<readonly [string, number]> {
  let previous = 0;
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const width =
      code === EMOJI_PRESENTATION_SELECTOR && previous === 1 ? 1 : codePointWidth(char, code);
    previous = width;
    yield [char, width];
  }
}

/** Terminal columns `value` takes. */
export function displayWidth(value: string): number {
  if (PRINTABLE_ASCII.test(value)) return value.length;
  let width = 0;
  for (const [, columns] of measured(value)) width += columns;
  return width;
}

/**
 * `value` in at most `columns` terminal columns: whole when it fits, else its longest
 * leading part that fits with an ellipsis after it. Never splits a surrogate pair and never
 * leaves half of a wide character.
 */
export function cutToWidth(value: string, columns: number): string {
  if (displayWidth(value) <= columns) return value;
  if (columns <= 0) return '';
  const room = columns - 1;
  let kept = '';
  let width = 0;
  for (const [char, charWidth] of measured(value)) {
    if (width + charWidth > room) break;
    kept += char;
    width += charWidth;
  }
  return `${kept}…`;
}

/** `value` followed by spaces up to `columns` terminal columns. */
export function padToWidth(value: string, columns: number): string {
  return value + ' '.repeat(Math.max(0, columns - displayWidth(value)));
}
