/**
 * A JSON escape can put half a surrogate pair, alone, in any string of an event, and such a
 * string breaks what expects well-formed text (`encodeURIComponent` throws on it). For every
 * string in every fixture record that raises an alert, the same string with a lone surrogate
 * must still give the alert, its messages and its Security Hub finding, or be refused as an
 * invalid event: never any other error.
 */
import { buildAlert } from '../../lambda/core/alert';
import { parseProductArn, toFinding } from '../../lambda/core/asff';
import { detect } from '../../lambda/core/catalog';
import type { CloudTrailRecord } from '../../lambda/core/cloudtrail';
import { InvalidEventError, validateRecord } from '../../lambda/core/cloudtrail';
import { renderMessage } from '../../lambda/core/render';
import { fixtureCases, loadRecord } from '../support/fixtures';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const PRODUCT = parseProductArn(
  'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default',
);

/** Every path to a string in `value`. */
function stringPaths(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value === 'string') return [[...prefix]];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => stringPaths(child, [...prefix, key]));
}

/** A copy of `record` with the string at `path` given `suffix`. */
function withSuffix(record: CloudTrailRecord, path: readonly string[], suffix: string): unknown {
  const copy = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1] ?? '';
  parent[last] = `${String(parent[last])}${suffix}`;
  return copy;
}

const CASES = fixtureCases()
  .filter((c) => c.detections.length > 0)
  .flatMap((c) => {
    const record = loadRecord(c.file);
    return stringPaths(record).map((path) => ({ file: c.file, record, path }));
  });

describe('a lone surrogate in any string of an alerting record', () => {
  it('covers every string of every alerting fixture', () => {
    expect(CASES.length).toBeGreaterThan(500);
  });

  it.each(['\ud800', '\udc00'])('gives the alert, its messages and its finding (%j)', (half) => {
    const failures: string[] = [];
    let built = 0;
    for (const { file, record, path } of CASES) {
      const mutated = withSuffix(record, path, half);
      try {
        let valid: CloudTrailRecord;
        try {
          valid = validateRecord(mutated);
        } catch (error) {
          if (error instanceof InvalidEventError) continue;
          throw error;
        }
        for (const detection of detect(valid)) {
          const alert = buildAlert(detection, valid, { now: NOW, retentionDays: 30 });
          const message = renderMessage(alert, detection);
          JSON.stringify(message);
          JSON.stringify(toFinding(alert, detection, PRODUCT, NOW));
          built += 1;
        }
      } catch (error) {
        failures.push(`${file} ${path.join('.')}: ${String(error)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(built).toBeGreaterThan(CASES.length / 2);
  });
});
