/**
 * inflate writes gunzip's output into a buffer its thread reuses. Against the reference,
 * `gunzipSync`, over any sequence of files: random bytes and text of any size (growing and
 * shrinking, so a stale tail or a short buffer would show), any compression level, several
 * gzip members, a trailer that lies about the size, and damaged data, which both refuse.
 */
import fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { inflate, UnreadableFileError } from '../../cli/replay/decode';
import { runs } from './arbitraries';

interface GzipFile {
  readonly bytes: Buffer;
}

const contentArbitrary: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
  // Compressible text of up to a few hundred KB: the shape of a log file.
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 8000 }))
    .map(([text, times]) => Buffer.from(text.repeat(times))),
);

const fileArbitrary: fc.Arbitrary<GzipFile> = fc
  .tuple(
    fc.array(contentArbitrary, { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 0, max: 9 }),
    fc.oneof(
      fc.constant<'intact'>('intact'),
      fc.constantFrom<'trailer low' | 'trailer high' | 'truncated' | 'flipped'>(
        'trailer low',
        'trailer high',
        'truncated',
        'flipped',
      ),
    ),
    fc.nat(),
  )
  .map(([members, level, damage, at]) => {
    const bytes = Buffer.concat(members.map((member) => gzipSync(member, { level })));
    if (damage === 'trailer low' || damage === 'trailer high') {
      const recorded = bytes.readUInt32LE(bytes.length - 4);
      bytes.writeUInt32LE(
        damage === 'trailer low' ? recorded >>> 1 : recorded * 2 + 7,
        bytes.length - 4,
      );
    } else if (damage === 'truncated') {
      return { bytes: bytes.subarray(0, Math.max(2, at % bytes.length)) };
    } else if (damage === 'flipped') {
      const index = 10 + (at % Math.max(1, bytes.length - 18));
      bytes[index] = (bytes[index] ?? 0) ^ 0xff;
    }
    return { bytes };
  });

/** gunzipSync's answer: the bytes, or that it refused them. */
function reference(bytes: Buffer): Buffer | 'refused' {
  try {
    return gunzipSync(bytes);
  } catch {
    return 'refused';
  }
}

describe('inflate against gunzipSync', () => {
  it('gives the same bytes for every file of a sequence, and refuses what it refuses', () => {
    fc.assert(
      fc.property(fc.array(fileArbitrary, { minLength: 1, maxLength: 8 }), (files) => {
        for (const { bytes } of files) {
          // Act
          let got: Buffer | 'refused';
          try {
            got = Buffer.from(inflate(bytes)); // copied: the next inflate reuses the buffer
          } catch (error) {
            expect(error).toBeInstanceOf(UnreadableFileError);
            got = 'refused';
          }

          // Assess
          const expected = reference(bytes);
          if (expected === 'refused' || got === 'refused') expect(got).toEqual(expected);
          else expect(got.equals(expected)).toBe(true);
        }
      }),
      runs(150),
    );
  });
});
