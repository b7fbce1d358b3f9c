/**
 * A detection is one guess away from its id: its source is
 * `lambda/core/catalog/detections/<id>.ts` and its hand-built fixtures are in
 * `test/fixtures/cloudtrail/<id>/`. These tests fail, saying where a thing should live,
 * when a detection, a source file or a fixture is put anywhere else.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Detection } from '../../lambda/core/catalog';
import { CATALOG } from '../../lambda/core/catalog';
import { fixtureCases } from '../support/fixtures';

const ROOT = join(__dirname, '..', '..');
const SOURCES = 'lambda/core/catalog/detections';
const FIXTURES = 'test/fixtures/cloudtrail';
/** Fixtures that fire several detections, or none and are no near miss of one. */
const SHARED = 'shared';

const CATALOG_IDS = new Set(CATALOG.map((detection) => detection.id));

function sourceOf(id: string): string {
  return `${SOURCES}/${id}.ts`;
}

function entries(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).sort();
}

/** Every fixture under the folder, as cases.json names it (`cloudtrail/<folder>/<file>`). */
function fixtureFiles(): string[] {
  return entries(FIXTURES).flatMap((folder) =>
    statSync(join(ROOT, FIXTURES, folder)).isDirectory()
      ? entries(`${FIXTURES}/${folder}`).map((file) => `cloudtrail/${folder}/${file}`)
      : [],
  );
}

/** Where a fixture belongs, given the detections cases.json says it fires. */
function expectedFolder(detections: readonly string[], ownFolder: string): string {
  if (detections.length === 1) return detections[0] ?? SHARED;
  // A negative stays in the folder of the detection it is a near miss of, or in shared/.
  if (detections.length === 0 && CATALOG_IDS.has(ownFolder)) return ownFolder;
  return SHARED;
}

describe('where a detection lives', () => {
  describe.each(CATALOG.map((detection): [string, Detection] => [detection.id, detection]))(
    '%s',
    (id, detection) => {
      it(`is exported by ${sourceOf(id)}`, async () => {
        const file = sourceOf(id);
        const problems: string[] = [];
        if (!existsSync(join(ROOT, file))) {
          problems.push(`${id}: move its source to ${file} (a detection's file is its id)`);
        } else {
          const exported = Object.values(
            (await import(join(ROOT, file))) as Record<string, unknown>,
          ).filter((value) => CATALOG.includes(value as Detection)) as Detection[];
          if (!exported.includes(detection)) problems.push(`${id}: ${file} does not export it`);
          for (const other of exported.filter((value) => value !== detection)) {
            problems.push(`${other.id}: exported by ${file}; move it to ${sourceOf(other.id)}`);
          }
        }
        expect(problems).toEqual([]);
      });

      it(`has a fixture it fires on in ${FIXTURES}/${id}/`, () => {
        const folder = `cloudtrail/${id}/`;
        const onDisk = new Set(fixtureFiles());
        const fires = fixtureCases().filter(
          ({ file, detections }) =>
            file.startsWith(folder) && onDisk.has(file) && detections.includes(id),
        );
        expect(
          fires.length > 0
            ? []
            : [`${id}: add a fixture it fires on to test/fixtures/${folder} and to cases.json`],
        ).toEqual([]);
      });
    },
  );

  it(`keeps nothing in ${SOURCES}/ but one <id>.ts per catalog detection`, () => {
    const strays = entries(SOURCES)
      .filter((name) => !(name.endsWith('.ts') && CATALOG_IDS.has(name.slice(0, -'.ts'.length))))
      .map(
        (name) =>
          `${SOURCES}/${name}: no catalog detection has this id; name the file after the id ` +
          `of the detection it defines, add that detection to lambda/core/catalog/index.ts, ` +
          `and keep helpers in lambda/core/catalog/`,
      );
    expect(strays).toEqual([]);
  });

  it(`keeps nothing in ${FIXTURES}/ but a folder per detection id and ${SHARED}/`, () => {
    const strays = entries(FIXTURES)
      .filter(
        (name) =>
          !statSync(join(ROOT, FIXTURES, name)).isDirectory() ||
          !(name === SHARED || CATALOG_IDS.has(name)),
      )
      .map(
        (name) =>
          `${FIXTURES}/${name}: put a detection's fixtures in ${FIXTURES}/<id>/, and ones ` +
          `that fire several detections (or none and are no near miss of one) in ${SHARED}/`,
      );
    expect(strays).toEqual([]);
  });

  it('lists every fixture in cases.json and keeps it in the folder its detections call for', () => {
    const cases = new Map(fixtureCases().map((fixture) => [fixture.file, fixture.detections]));
    const problems = fixtureFiles().flatMap((file) => {
      const detections = cases.get(file);
      if (detections === undefined) {
        return [`${file}: add it to test/fixtures/cases.json with the detections it fires`];
      }
      const [, folder = '', name = ''] = file.split('/');
      const expected = expectedFolder(detections, folder);
      const found: string[] = [];
      if (folder !== expected) {
        found.push(
          `${file}: fires ${detections.length === 0 ? 'nothing' : detections.join(', ')}; ` +
            `move it to cloudtrail/${expected}/`,
        );
      }
      if ((detections.length === 0) !== name.startsWith('negative.')) {
        found.push(`${file}: name a fixture negative.* exactly when it fires nothing`);
      }
      return found;
    });
    expect(problems).toEqual([]);
  });
});
