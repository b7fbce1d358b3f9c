import { watchedEventNames } from '../../lambda/core/catalog';

/**
 * A byte-level test that decides whether a decompressed log file can contain a record any
 * detection matches, so files that cannot are never parsed.
 *
 * A record can only match if its eventName is one of the watched names, and JSON can
 * spell a string two ways: literally, or with `\u` escapes. So a file is a candidate when
 * it contains a watched name in quotes, or any `\u` escape at all (then we cannot tell from
 * bytes and parse it). Anything else provably holds no match. The prefilter test checks this
 * against a full parse.
 */
export interface Prefilter {
  mayMatch(buffer: Buffer): boolean;
}

export function createPrefilter(names: readonly string[] = watchedEventNames()): Prefilter {
  const needles = names.map((name) => Buffer.from(`"${name}"`));
  const escape = Buffer.from('\\u');
  return {
    mayMatch(buffer: Buffer): boolean {
      for (const needle of needles) {
        if (buffer.indexOf(needle) !== -1) return true;
      }
      return buffer.indexOf(escape) !== -1;
    },
  };
}

const RECORD_KEY = Buffer.from('"eventID"');

/**
 * Counts records in a CloudTrail file without parsing it, by the `"eventID"` key each
 * record carries once. Used only for the statistics of files the prefilter skips.
 */
export function countRecords(buffer: Buffer): number {
  let count = 0;
  let at = buffer.indexOf(RECORD_KEY);
  while (at !== -1) {
    count += 1;
    at = buffer.indexOf(RECORD_KEY, at + RECORD_KEY.length);
  }
  return count;
}
