import { gzipSync } from 'node:zlib';
import { inflate, UnreadableFileError } from '../../../cli/replay/decode';

const TEXT = Buffer.from(
  JSON.stringify({ Records: Array.from({ length: 500 }, (_, i) => ({ i })) }),
);

/** The same gzip bytes with the trailer's uncompressed size (ISIZE) replaced. */
function withRecordedSize(gzip: Buffer, size: number): Buffer {
  const copy = Buffer.from(gzip);
  copy.writeUInt32LE(size, copy.length - 4);
  return copy;
}

describe('inflate', () => {
  it('returns bytes that are not gzip unchanged', () => {
    expect(inflate(TEXT)).toBe(TEXT);
  });

  it('decompresses a gzip file into the size its trailer records', () => {
    const gzip = gzipSync(TEXT);

    expect(inflate(gzip).equals(TEXT)).toBe(true);
  });

  it('rejects a gzip file whose trailer lies about the size, low or high', () => {
    const gzip = gzipSync(TEXT);

    expect(() => inflate(withRecordedSize(gzip, 10))).toThrow(UnreadableFileError);
    expect(() => inflate(withRecordedSize(gzip, 0xffffffff))).toThrow(UnreadableFileError);
  });

  it('decompresses files of several gzip members, whose trailer gives only the last size', () => {
    const first = TEXT.subarray(0, 1000);
    const rest = TEXT.subarray(1000);
    const joined = Buffer.concat([gzipSync(first), gzipSync(rest)]);

    expect(inflate(joined).equals(TEXT)).toBe(true);
  });

  it('throws a readable error for a truncated gzip file', () => {
    const gzip = gzipSync(TEXT);

    expect(() => inflate(gzip.subarray(0, gzip.length - 12))).toThrow(
      /gzip data is corrupt or truncated/,
    );
  });
});
