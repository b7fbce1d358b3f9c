import { constants, createGunzip, gunzipSync } from 'node:zlib';

/** Why a file could not be read; carried to the report with the path. */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';
}

export type FileFormat = 'cloudtrail' | 'eventbridge-array' | 'json-lines';

function isGzip(buffer: Buffer): boolean {
  return buffer.length >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
}

/** zlib's smallest output chunk. */
const MIN_CHUNK = 64;
/** The largest output chunk asked for, whatever a file's trailer claims. */
const MAX_CHUNK = 32 * 1024 * 1024;

/**
 * The output chunk size for a gzip file: the uncompressed size its trailer records (ISIZE,
 * the last four bytes), so the whole output lands in one buffer with no chunks to join and
 * copy. The trailer is only a hint: a wrong one (several members, over 4 GB, or a lie) costs
 * extra chunks, never wrong output, and the cap bounds what a lie can make us allocate.
 */
function outputChunkSize(buffer: Buffer): number {
  const recorded = buffer.length >= 18 ? buffer.readUInt32LE(buffer.length - 4) : 0;
  return Math.min(Math.max(recorded + 1, MIN_CHUNK), MAX_CHUNK);
}

/**
 * The synchronous side of a zlib stream: what `gunzipSync` itself runs, the stream's output
 * buffer included. `_processChunk` is kept by Node for backwards compatibility.
 */
interface SyncGunzip {
  _processChunk?: (chunk: Buffer, flushFlag: number) => Buffer;
  _outBuffer?: Buffer;
  _outOffset?: number;
  _chunkSize?: number;
}

/** Gunzip output is written into this buffer, reused from one file to the next in a thread. */
let outputBuffer = Buffer.alloc(0);

/**
 * gunzip into `outputBuffer`: with `gunzipSync` every file's output lands in fresh memory,
 * whose page faults and unmapping cost about a third of what gunzip itself costs. Exactly
 * `gunzipSync`'s code path (its stream's sync step), only writing where we say; the output
 * is the same, and output larger than the buffer gets chunks of its own as it would there.
 * Undefined when this Node's zlib stream lacks that step.
 */
function gunzipIntoReused(buffer: Buffer, size: number): Buffer | undefined {
  const engine = createGunzip() as unknown as SyncGunzip;
  if (typeof engine._processChunk !== 'function' || !Buffer.isBuffer(engine._outBuffer)) {
    return undefined;
  }
  if (outputBuffer.length < size) outputBuffer = Buffer.allocUnsafe(size);
  engine._outBuffer = outputBuffer;
  engine._outOffset = 0;
  engine._chunkSize = outputBuffer.length;
  return engine._processChunk(buffer, constants.Z_FINISH);
}

/**
 * Decompresses when the bytes are gzip, whatever the file is called. The result may be a
 * buffer this thread reuses for the next file: use it before inflating another.
 */
export function inflate(buffer: Buffer): Buffer {
  if (!isGzip(buffer)) return buffer;
  try {
    const chunkSize = outputChunkSize(buffer);
    return gunzipIntoReused(buffer, chunkSize) ?? gunzipSync(buffer, { chunkSize });
  } catch (error) {
    throw new UnreadableFileError(
      `gzip data is corrupt or truncated (${(error as Error).message})`,
      { cause: error },
    );
  }
}

// JSON whitespace, and the bytes of a UTF-8 byte-order mark.
function isPadding(byte: number | undefined): boolean {
  return (
    byte === 0x20 ||
    byte === 0x0a ||
    byte === 0x0d ||
    byte === 0x09 ||
    byte === 0xef ||
    byte === 0xbb ||
    byte === 0xbf
  );
}

function firstByte(buffer: Buffer): number | undefined {
  for (let i = 0; i < buffer.length; i++) {
    if (!isPadding(buffer[i])) return buffer[i];
  }
  return undefined;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UnreadableFileError(`${what} is not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** CloudTrail records from one item: an EventBridge event yields its `detail`. */
function recordOf(item: unknown): unknown {
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const obj = item as Record<string, unknown>;
    if (typeof obj['detail-type'] === 'string' && 'detail' in obj) return obj.detail;
  }
  return item;
}

export interface DecodedFile {
  readonly format: FileFormat;
  /** Untrusted items, each to be validated as a CloudTrail record. */
  readonly records: unknown[];
  /** JSON lines: the line each record came from (1-based), in the order of `records`. */
  readonly lines?: number[];
  /** JSON lines: lines that are not JSON. Only those are lost; the other lines are read. */
  readonly broken?: { readonly line: number; readonly reason: string }[];
}

/**
 * Reads the formats replay accepts: CloudTrail's `{"Records":[...]}`, a JSON array of
 * EventBridge events (or bare records), and JSON lines of either.
 */
export function decode(buffer: Buffer): DecodedFile {
  const first = firstByte(buffer);
  if (first === undefined) throw new UnreadableFileError('file is empty');
  const text = buffer.toString('utf8');
  if (first === 0x5b /* [ */) {
    const items = parseJson(text, 'file');
    return { format: 'eventbridge-array', records: (items as unknown[]).map(recordOf) };
  }
  if (first !== 0x7b /* { */) {
    throw new UnreadableFileError('file is not JSON (it does not start with { or [)');
  }
  const newline = text.indexOf('\n', text.indexOf('{'));
  const rest = newline === -1 ? '' : text.slice(newline + 1).trim();
  if (rest === '' || !rest.startsWith('{')) {
    const doc = parseJson(text, 'file');
    if (
      typeof doc === 'object' &&
      doc !== null &&
      Array.isArray((doc as { Records?: unknown }).Records)
    ) {
      return { format: 'cloudtrail', records: (doc as { Records: unknown[] }).Records };
    }
    // A single event on one line is JSON lines with one line.
    return { format: 'json-lines', records: [recordOf(doc)] };
  }
  const records: unknown[] = [];
  const lineOf: number[] = [];
  const broken: { line: number; reason: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch (error) {
      broken.push({ line: i + 1, reason: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    records.push(recordOf(item));
    lineOf.push(i + 1);
  }
  return { format: 'json-lines', records, lines: lineOf, broken };
}
