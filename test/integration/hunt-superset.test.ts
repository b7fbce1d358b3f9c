/**
 * A hunt narrows with SQL and replay decides, so the SQL must keep every file replay would
 * alert on. This runs the generated query on DuckDB over the same table definition the local
 * Athena endpoint uses, for each detection on its own and for each pack, over every fixture
 * with its errorCode absent, null, empty and set: the column reads an absent key and a JSON
 * null alike, and the catalog counts the null as a failed call.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Detection } from '../../lambda/core/catalog';
import { CATALOG, EXPOSURE_PACK, SEED_PACK, matches } from '../../lambda/core/catalog';
import { validateRecord } from '../../lambda/core/cloudtrail';
import { buildHuntSql } from '../../lambda/core/hunt/sql';
import { fixtureCases, loadRecord } from '../support/fixtures';
import { defineTable } from '../support/local-athena';
import { removeTemporaryDirs, temporaryDir } from '../support/synth';

const S3_ROOT = 's3://org-trail/';
const DAY_FOLDER = 'AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/11';
const ERROR_CODES: [label: string, errorCode: string | null | undefined][] = [
  ['absent', undefined],
  ['null', null],
  ['empty', ''],
  ['set', 'AccessDenied'],
];

interface TrailFile {
  readonly path: string;
  readonly record: Record<string, unknown>;
}

let instance: DuckDBInstance;
let connection: DuckDBConnection;
const files: TrailFile[] = [];

beforeAll(async () => {
  const archive = temporaryDir('sgwatch-hunt-superset-');
  mkdirSync(join(archive, DAY_FOLDER), { recursive: true });
  for (const { file } of fixtureCases()) {
    for (const [label, errorCode] of ERROR_CODES) {
      const { errorCode: _dropped, ...rest } = loadRecord(file);
      const record = errorCode === undefined ? rest : { ...rest, errorCode };
      const name = `${file.replace(/\W+/g, '_')}.error-${label}.json`;
      writeFileSync(join(archive, DAY_FOLDER, name), JSON.stringify({ Records: [record] }));
      files.push({ path: `${S3_ROOT}${DAY_FOLDER}/${name}`, record });
    }
  }
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  await defineTable(connection, {
    archive,
    s3Root: S3_ROOT,
    database: 'sgwatch_trail',
    table: 'cloudtrail',
    workGroups: {},
  });
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  removeTemporaryDirs();
});

/** The files a replay of the archive with `detections` alerts on. */
function alerting(detections: readonly Detection[]): string[] {
  return files
    .filter(({ record }) => {
      let valid;
      try {
        valid = validateRecord(record);
      } catch {
        return false;
      }
      return detections.some((detection) => matches(detection, valid));
    })
    .map(({ path }) => path)
    .sort();
}

async function hunted(detections: readonly Detection[]): Promise<string[]> {
  const sql = buildHuntSql({
    database: 'sgwatch_trail',
    table: 'cloudtrail',
    detections,
    since: Date.parse('2025-03-11T00:00:00Z'),
    until: Date.parse('2025-03-11T23:59:59Z'),
  });
  const result = await connection.runAndReadAll(sql);
  return result.getRows().map(([path]) => String(path));
}

describe('the hunt query against replay', () => {
  const selections: [label: string, detections: readonly Detection[]][] = [
    ...CATALOG.map((detection): [string, readonly Detection[]] => [detection.id, [detection]]),
    ['the seed pack', SEED_PACK],
    ['the exposure pack', EXPOSURE_PACK],
    ['the whole catalog', CATALOG],
  ];

  it.each(selections)(
    'keeps every file replay alerts on, whatever errorCode holds, for %s',
    async (_label, detections) => {
      // Act
      const expected = alerting(detections);
      const paths = new Set(await hunted(detections));

      // Assert
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.filter((path) => !paths.has(path))).toEqual([]);
    },
  );

  it('has the failure detection alert on a record whose errorCode is null, and hunt find it', async () => {
    const failures = CATALOG.filter((detection) => detection.outcome === 'failure');
    expect(failures.length).toBeGreaterThan(0);
    for (const detection of failures) {
      const nulls = alerting([detection]).filter((path) => path.includes('.error-null.'));
      expect(nulls.length).toBeGreaterThan(0);
      const paths = new Set(await hunted([detection]));
      expect(nulls.every((path) => paths.has(path))).toBe(true);
    }
  });

  it('still leaves out the calls of a success detection that carry an error code', async () => {
    const [detection] = SEED_PACK.filter((d) => d.outcome === 'success');
    if (detection === undefined) throw new Error('no success detection in the seed pack');
    const paths = await hunted([detection]);

    expect(paths.some((path) => /\.error-(empty|set)\./.test(path))).toBe(false);
  });
});
