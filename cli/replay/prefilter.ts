import { watchedEventNames } from '../../lambda/core/catalog';

/**
 * A byte-level look at a decompressed log file that finds the records any detection could
 * match, so the rest of the file is never parsed.
 *
 * Why this is exact: a record can match only if its `eventName` is a watched name. In JSON
 * that key and value are written either literally or with `\u` escapes (no other escape
 * produces a letter). So if the file has no `\u` escape and every `"eventName"` key is
 * written compactly as `"eventName":"`, reading the value after each key finds every
 * record that could match. Anything else (an escape anywhere, or a key with spacing we do
 * not read from bytes) sends the whole file to a full parse. The prefilter tests check the
 * outcome against a full parse.
 */
export interface PrefilterResult {
  /** False when the bytes could not be read exactly; the file must be parsed whole. */
  readonly exact: boolean;
  /** Records seen (one `eventName` key each); meaningful when `exact`. */
  readonly records: number;
  /** For each `eventName` key holding a watched name: its offset and its neighbours'. */
  readonly hits: readonly KeyHit[];
}

export interface KeyHit {
  readonly at: number;
  /** Offset of the previous `eventName` key, or -1. */
  readonly previous: number;
  /** Offset of the next `eventName` key, or the buffer length. */
  readonly next: number;
}

export interface Prefilter {
  scan(buffer: Buffer): PrefilterResult;
}

// The key without its opening `"e`: a needle that starts with a rare byte is searched several
// times faster than one starting with `"`, which JSON is full of. Each hit is then checked
// for the `"e` in front, so only the real key counts.
const KEY_TAIL = Buffer.from('ventName"');
const KEY_HEAD_QUOTE = 0x22;
const KEY_HEAD_E = 0x65;
const ESCAPE = Buffer.from('\\u');
const COLON = 0x3a;
const QUOTE = 0x22;
const INEXACT: PrefilterResult = { exact: false, records: 0, hits: [] };

export function createPrefilter(names: readonly string[] = watchedEventNames()): Prefilter {
  // Each watched value with its closing quote, so a longer name never passes as a prefix.
  const values = names.map((name) => Buffer.from(`${name}"`));
  const firstBytes = new Set(values.map((value) => value[0]));
  const isWatched = (buffer: Buffer, value: number): boolean =>
    firstBytes.has(buffer[value]) &&
    values.some(
      (watched) => buffer.compare(watched, 0, watched.length, value, value + watched.length) === 0,
    );
  return {
    scan(buffer: Buffer): PrefilterResult {
      if (buffer.indexOf(ESCAPE) !== -1) return INEXACT;
      const hits: { at: number; previous: number; next: number }[] = [];
      let records = 0;
      let previous = -1;
      let tail = buffer.indexOf(KEY_TAIL, 2);
      while (tail !== -1) {
        const colon = tail + KEY_TAIL.length;
        if (buffer[tail - 1] === KEY_HEAD_E && buffer[tail - 2] === KEY_HEAD_QUOTE) {
          const at = tail - 2;
          records += 1;
          if (buffer[colon] !== COLON || buffer[colon + 1] !== QUOTE) return INEXACT;
          const last = hits[hits.length - 1];
          if (last !== undefined && last.next === buffer.length) last.next = at;
          if (isWatched(buffer, colon + 2)) hits.push({ at, previous, next: buffer.length });
          previous = at;
        }
        tail = buffer.indexOf(KEY_TAIL, colon);
      }
      return { exact: true, records, hits };
    },
  };
}

const RECORDS_OPENING = Buffer.from('{"Records":[');
const RECORD_START = Buffer.from('{"eventVersion":');
const NEXT_RECORD = Buffer.from(',{"eventVersion":');
const ARRAY_END = 0x5d;

/**
 * Cuts the records around `hits` out of a compact CloudTrail file (`{"Records":[...]}`, each
 * record opening with `eventVersion`, as CloudTrail writes them) and parses only those.
 * Returns undefined whenever a boundary is not where that layout puts it; the caller then
 * parses the whole file, so an unusual file costs time, never a missed record.
 */
export function sliceRecords(buffer: Buffer, hits: readonly KeyHit[]): unknown[] | undefined {
  if (buffer.compare(RECORDS_OPENING, 0, RECORDS_OPENING.length, 0, RECORDS_OPENING.length) !== 0) {
    return undefined;
  }
  const records: unknown[] = [];
  for (const hit of hits) {
    const start = buffer.lastIndexOf(RECORD_START, hit.at);
    if (start <= hit.previous || start < RECORDS_OPENING.length - 1) return undefined;
    let end = buffer.indexOf(NEXT_RECORD, hit.at);
    if (end === -1 || end > hit.next) {
      if (hit.next !== buffer.length) return undefined;
      end = buffer.lastIndexOf(ARRAY_END);
      if (end <= hit.at) return undefined;
    }
    try {
      // A parse succeeds only on exactly one complete JSON value: a slice that cut through
      // a record, or took in two, throws.
      records.push(JSON.parse(buffer.toString('utf8', start, end)));
    } catch {
      return undefined;
    }
  }
  return records;
}
