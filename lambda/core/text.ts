/**
 * Helpers for strings that come from events. Every such string is attacker-controlled:
 * these make it safe to store and to show in each output format.
 */

/** Longest event-supplied string kept on an alert's summary fields (the raw record keeps all). */
export const MAX_FIELD_LENGTH = 1024;

// C0 and C1 controls, DEL, and the Unicode format/separator characters that can reorder
// or hide text (bidi overrides, zero-width joiners, line/paragraph separators, BOM).

const UNSAFE_CHARS =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

/** Replaces control and invisible formatting characters with a space. */
export function stripControl(value: string): string {
  return value.replace(UNSAFE_CHARS, ' ');
}

/**
 * `value` with every lone surrogate (half of a pair, alone) replaced by U+FFFD: a JSON
 * escape in an event can put one in any string, and `encodeURIComponent` throws on it.
 */
export function wellFormed(value: string): string {
  return value.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
}

/**
 * Shortens `value` to at most `max` UTF-16 units, never splitting a surrogate pair, and
 * marks the cut with an ellipsis.
 */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - 1);
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${value.slice(0, end)}…`;
}

/** A single-line, bounded, control-free version of an event string, for any text output. */
export function cleanText(value: string | undefined, max: number): string {
  if (value === undefined) return '';
  return truncate(stripControl(value).replace(/ {2,}/g, ' ').trim(), max);
}

/** Reads a string field from an untyped object, or undefined when it is absent or not a string. */
export function stringField(
  obj: Record<string, unknown> | null | undefined,
  key: string,
): string | undefined {
  const value = obj?.[key];
  return typeof value === 'string' ? value : undefined;
}
