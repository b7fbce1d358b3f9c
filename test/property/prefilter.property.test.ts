/**
 * The prefilter against the reference, a full JSON.parse: on files in CloudTrail's layout
 * whose records carry watched names, their prefixes and extensions, other capitalisations,
 * names sharing a first letter, and watched names in other fields, an exact look finds
 * precisely the records whose eventName is watched, counts every record, and cuts each hit
 * out as the very record the parse reads.
 */
import fc from 'fast-check';
import { watchedEventNames } from '../../lambda/core/catalog';
import { createPrefilter, sliceRecords } from '../../cli/replay/prefilter';
import { runs } from './arbitraries';

const WATCHED = watchedEventNames();

/** Names a byte-level check could confuse with a watched one. */
const nameArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...WATCHED),
  fc.constantFrom(...WATCHED).chain((name) =>
    fc.oneof(
      fc.integer({ min: 1, max: name.length - 1 }).map((cut) => name.slice(0, cut)),
      fc.constantFrom('s', 'X', '2', ' ').map((tail) => `${name}${tail}`),
      fc.constant(name.toLowerCase()),
      fc.constant(`${name[0] ?? ''}${name.slice(1).toUpperCase()}`),
    ),
  ),
  fc.constantFrom('DescribeInstances', 'CreateBucket', 'ModifyVpcAttribute', 'AssumeRole', 'A'),
);

const recordArbitrary = fc.record({
  eventName: nameArbitrary,
  userAgent: fc.oneof(fc.constantFrom(...WATCHED), fc.constant('aws-cli/2')),
  requestParameters: fc.oneof(
    fc.constant(null),
    fc.record({ note: fc.constantFrom(...WATCHED), limit: fc.integer() }),
  ),
});

describe('the prefilter against a full parse', () => {
  it('finds exactly the records whose eventName is watched, and cuts each out whole', () => {
    const prefilter = createPrefilter();
    const watched = new Set(WATCHED);
    fc.assert(
      fc.property(fc.array(recordArbitrary, { minLength: 1, maxLength: 40 }), (fields) => {
        // Prepare: CloudTrail's layout, eventVersion first
        const records = fields.map((f, i) => ({
          eventVersion: '1.08',
          eventID: `e-${i}`,
          ...f,
        }));
        const buffer = Buffer.from(JSON.stringify({ Records: records }));

        // Act
        const look = prefilter.scan(buffer);

        // Assess: the parse decides
        const parsed = (JSON.parse(buffer.toString('utf8')) as { Records: typeof records }).Records;
        const expected = parsed.flatMap((r, i) => (watched.has(r.eventName) ? [i] : []));
        expect(look.exact).toBe(true);
        expect(look.records).toBe(parsed.length);
        expect(look.hits.map((hit) => hit.index)).toEqual(expected);
        expect(sliceRecords(buffer, look.hits)).toEqual(expected.map((i) => parsed[i]));
      }),
      runs(300),
    );
  });
});
