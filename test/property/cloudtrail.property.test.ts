/**
 * Validation and detection over hostile input, without servers: validateEnvelope either
 * returns the event or throws InvalidEventError; every detection in the catalog (whatever it
 * holds today) answers for any validated record without throwing; and a validated, matching
 * record always becomes an alert that renders for SNS.
 */
import fc from 'fast-check';
import { buildAlert } from '../../lambda/core/alert';
import { CATALOG, detect, matches } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { InvalidEventError, validateEnvelope, validateRecord } from '../../lambda/core/cloudtrail';
import { renderMessage } from '../../lambda/core/render';
import {
  NEGATIVE_FIXTURES,
  POSITIVE_FIXTURES,
  anyJson,
  hostileObject,
  mutatedEvent,
  runs,
} from './arbitraries';
import { loadEnvelope as loadFixture } from '../support/fixtures';

const NOW = new Date('2026-03-02T10:00:00.000Z');

function validated(event: unknown): CloudTrailRecord | undefined {
  try {
    return validateEnvelope(event).detail;
  } catch (error) {
    if (error instanceof InvalidEventError) return undefined;
    throw error;
  }
}

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

afterAll(() => {
  // Nothing the inputs carried may have reached the shared prototypes.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('validateEnvelope and validateRecord over hostile input', () => {
  it('accept arbitrary JSON or reject it with InvalidEventError, never another error', () => {
    fc.assert(
      fc.property(anyJson, (input) => {
        validated(input);
        try {
          validateRecord(input);
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
        }
      }),
      runs(Number(process.env.FC_RUNS ?? 400)),
    );
  });

  it('reject mutated fixture events only with InvalidEventError naming a field', () => {
    fc.assert(
      fc.property(mutatedEvent([...POSITIVE_FIXTURES, ...NEGATIVE_FIXTURES]), ({ event }) => {
        try {
          validateEnvelope(event);
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
          expect(error.field).not.toBe('');
          expect(error.message).toBe(`invalid event: ${error.field} ${error.reason}`);
        }
      }),
      runs(Number(process.env.FC_RUNS ?? 300)),
    );
  });
});

describe('the catalog over validated hostile records', () => {
  it('every detection answers a boolean and never throws', () => {
    fc.assert(
      fc.property(mutatedEvent([...POSITIVE_FIXTURES, ...NEGATIVE_FIXTURES]), ({ event }) => {
        const record = validated(event);
        if (record === undefined) return;
        for (const detection of CATALOG) {
          expect(typeof matches(detection, record)).toBe('boolean');
        }
        expect(detect(record).every((d) => CATALOG.includes(d))).toBe(true);
      }),
      runs(Number(process.env.FC_RUNS ?? 300)),
    );
  });

  it('tolerates pollution keys in the request and response of a matching record', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...POSITIVE_FIXTURES),
        hostileObject,
        hostileObject,
        (fixture, requestParameters, responseElements) => {
          const event = mutatedFixture(fixture, { requestParameters, responseElements });
          const record = validated(event);
          if (record === undefined) return;
          for (const detection of detect(record)) {
            renderMessage(
              buildAlert(detection, record, { now: NOW, retentionDays: 30 }),
              detection,
            );
          }
        },
      ),
      runs(Number(process.env.FC_RUNS ?? 200)),
    );
  });

  it('turns every validated, matching record into an alert that renders within the SNS limits', () => {
    fc.assert(
      fc.property(mutatedEvent(POSITIVE_FIXTURES), ({ event }) => {
        const record = validated(event);
        if (record === undefined) return;
        for (const detection of detect(record)) {
          const alert = buildAlert(detection, record, { now: NOW, retentionDays: 30 });
          const message = renderMessage(alert, detection);
          expect(Buffer.byteLength(message.message)).toBeLessThanOrEqual(256 * 1024);
          expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
          expect(Object.values(message.attributes).every((v) => v !== '')).toBe(true);
        }
      }),
      runs(Number(process.env.FC_RUNS ?? 300)),
    );
  });
});

function mutatedFixture(
  fixture: string,
  detailFields: Record<string, unknown>,
): Record<string, unknown> {
  const event = JSON.parse(JSON.stringify(loadFixture(fixture))) as Record<string, unknown>;
  Object.assign(event.detail as Record<string, unknown>, detailFields);
  return event;
}
