import { watchedEventNames } from '../../lambda/core/catalog';

/**
 * A byte-level look at a decompressed CloudTrail log file that finds the records any
 * detection could match, so the rest of the file is never parsed.
 *
 * Why this is exact: a record can match only if its `eventName` is a watched name, and replay
 * checks a record only that far unless it is watched (see `evaluate` in scan.ts): it must be
 * an object with a non-empty string `eventName`. In JSON a key and a string value are written
 * either literally or with `\u` escapes (no other escape produces a letter). So the look is
 * exact when the file has no `\u` escape and is laid out as CloudTrail writes it:
 * `{"Records":[` then records each opening `{"eventVersion":` and separated by `},`, the
 * file ending `}]}`, and exactly one `"eventName":"<non-empty>` key between one record's
 * opening and the next. Then the openings count the records, each record's name is read
 * from its one key, and every record that could match is found. Anything else (an escape, a
 * record without eventName or with two keys of that name, a key with spacing, another
 * layout) sends the whole file to a full parse, whose verdict is the reference. The
 * prefilter tests check the outcome against a full parse on crafted files.
 *
 * The layout is read from bytes, not from the JSON structure, so a file crafted to imitate
 * it inside one record's values (a nested object that opens `{"eventVersion":` after a
 * `},`, and holds an eventName) could be counted as two records. No matched record is lost
 * that way: every record holding a watched name is parsed, and a cut through a record fails
 * that parse and sends the file to a full parse.
 */
export interface PrefilterResult {
  /** False when the bytes could not be read exactly; the file must be parsed whole. */
  readonly exact: boolean;
  /** Records in the file; meaningful when `exact`. */
  readonly records: number;
  /** The records whose `eventName` is a watched name, where each lies in the file. */
  readonly hits: readonly RecordSpan[];
}

/** One record's bytes: from its opening brace to just past its closing one. */
export interface RecordSpan {
  /** Its position among the file's records. */
  readonly index: number;
  readonly start: number;
  readonly end: number;
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
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const INEXACT: PrefilterResult = { exact: false, records: 0, hits: [] };

const RECORDS_OPENING = Buffer.from('{"Records":[');
const RECORD_START = Buffer.from('{"eventVersion":');
const FILE_END = Buffer.from('}]}');

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The offsets of each record's opening in a file laid out as CloudTrail writes it, then one
 * more past the last record's closing brace and a separator, or undefined when the file is laid out any other way.
 */
function recordStarts(buffer: Buffer): number[] | undefined {
  if (buffer.length < RECORDS_OPENING.length + RECORD_START.length + FILE_END.length) {
    return undefined;
  }
  if (buffer.compare(RECORDS_OPENING, 0, RECORDS_OPENING.length, 0, RECORDS_OPENING.length) !== 0) {
    return undefined;
  }
  let end = buffer.length;
  while (end > 0 && isWhitespace(buffer[end - 1])) end -= 1;
  if (
    end < RECORDS_OPENING.length + FILE_END.length ||
    buffer.compare(FILE_END, 0, FILE_END.length, end - FILE_END.length, end) !== 0
  ) {
    return undefined;
  }
  const first = RECORDS_OPENING.length;
  if (
    buffer.compare(RECORD_START, 0, RECORD_START.length, first, first + RECORD_START.length) !== 0
  ) {
    return undefined;
  }
  const starts = [first];
  for (
    let at = buffer.indexOf(RECORD_START, first + 1);
    at !== -1;
    at = buffer.indexOf(RECORD_START, at + 1)
  ) {
    // Any other opening (after `[`, `:`, or whitespace) is not how CloudTrail separates records.
    if (buffer[at - 1] !== COMMA || buffer[at - 2] !== CLOSE_BRACE) return undefined;
    starts.push(at);
  }
  // As if a next record opened after a separator: the last one ends at its closing brace.
  starts.push(end - FILE_END.length + 2);
  return starts;
}

/** A-Z as a-z, every other byte as it is. */
function foldByte(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}

export interface PrefilterOptions {
  /**
   * Compare names in any ASCII case, for detections that do (Sigma rules): a record named
   * `createuser` may match a rule watching `CreateUser`.
   * @default false
   */
  readonly ignoreCase?: boolean;
}

export function createPrefilter(
  names: readonly string[] = watchedEventNames(),
  options: PrefilterOptions = {},
): Prefilter {
  const fold = options.ignoreCase === true ? foldByte : (byte: number) => byte;
  // Each watched value with its closing quote, so a longer name never passes as a prefix,
  // grouped by first byte. Compared byte by byte here: a name that differs does so within a
  // few bytes, sooner than a call into Buffer.compare returns.
  const byFirstByte = new Map<number, Uint8Array[]>();
  for (const name of names) {
    const value = Buffer.from(`${name}"`).map(fold);
    const first = value[0] ?? 0;
    byFirstByte.set(first, [...(byFirstByte.get(first) ?? []), value]);
  }
  const isWatched = (buffer: Buffer, at: number): boolean => {
    const candidates = byFirstByte.get(fold(buffer[at] ?? -1));
    if (candidates === undefined) return false;
    return candidates.some((watched) => {
      if (at + watched.length > buffer.length) return false;
      for (let i = 1; i < watched.length; i++) {
        if (fold(buffer[at + i] ?? -1) !== watched[i]) return false;
      }
      return true;
    });
  };
  return {
    scan(buffer: Buffer): PrefilterResult {
      if (buffer.indexOf(ESCAPE) !== -1) return INEXACT;
      const starts = recordStarts(buffer);
      if (starts === undefined) return INEXACT;
      const records = starts.length - 1;
      const hits: RecordSpan[] = [];
      let keys = 0;
      let tail = buffer.indexOf(KEY_TAIL, 2);
      while (tail !== -1) {
        const colon = tail + KEY_TAIL.length;
        if (buffer[tail - 1] === KEY_HEAD_E && buffer[tail - 2] === KEY_HEAD_QUOTE) {
          const at = tail - 2;
          // The one key of record `keys`: after its opening, before the next record's.
          const start = starts[keys] ?? Infinity;
          const next = starts[keys + 1] ?? -Infinity;
          if (at < start || at > next) return INEXACT;
          if (buffer[colon] !== COLON || buffer[colon + 1] !== QUOTE) return INEXACT;
          // An empty name is a record-level problem: the full parse reports it.
          if (buffer[colon + 2] === QUOTE) return INEXACT;
          // The span ends before the comma that separates it from the next record.
          if (isWatched(buffer, colon + 2)) hits.push({ index: keys, start, end: next - 1 });
          keys += 1;
        }
        tail = buffer.indexOf(KEY_TAIL, colon);
      }
      if (keys !== records) return INEXACT;
      return { exact: true, records, hits };
    },
  };
}

/**
 * Parses the records the prefilter found to hold a watched name, each from its own span.
 * Returns undefined when a span is not exactly one JSON value (a file crafted to imitate the
 * layout inside a record); the caller then parses the whole file, so an unusual file costs
 * time, never a missed record.
 */
export function sliceRecords(buffer: Buffer, hits: readonly RecordSpan[]): unknown[] | undefined {
  const records: unknown[] = [];
  for (const hit of hits) {
    try {
      // A parse succeeds only on exactly one complete JSON value: a span that cut through
      // a record, or took in two, throws.
      records.push(JSON.parse(buffer.toString('utf8', hit.start, hit.end)));
    } catch {
      return undefined;
    }
  }
  return records;
}
