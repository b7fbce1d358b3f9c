/**
 * The detection tables, the detection id list and the fixed-cost figures in the docs are
 * generated from the catalog and a synthesized hub (`npm run docs`). This fails when one of
 * them no longer says what the code does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '../../lambda/core/catalog';
import { CONFIG_CONTEXT_KEYS } from '../../lib/config';
import { GENERATED_FILES, REPO_ROOT, generatedText } from '../../scripts/docs';

const FILES = Object.keys(GENERATED_FILES) as (keyof typeof GENERATED_FILES)[];

describe('generated documentation', () => {
  it.each(FILES)('%s matches what npm run docs writes', (file) => {
    // Act
    const expected = generatedText(file);

    // Assess: on a difference, run `npm run docs` and commit the result.
    expect(readFileSync(join(REPO_ROOT, file), 'utf8')).toBe(expected);
  });

  it('names every detection of the catalog in each file with a generated detection list', () => {
    const listing = FILES.filter((file) =>
      GENERATED_FILES[file].some((section: string) => section !== 'fixed-cost'),
    );
    expect(listing.length).toBeGreaterThan(0);
    for (const file of listing) {
      const text = generatedText(file);
      for (const detection of CATALOG) expect(text).toContain(`\`${detection.id}\``);
    }
  });
});

describe('the context table in docs/deploying.md', () => {
  it('has a row for every context key synth reads', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploying.md'), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| `'));
    const missing = CONFIG_CONTEXT_KEYS.filter(
      (key) => !rows.some((row) => row.split('|')[1]?.includes(`\`${key}\``)),
    );
    expect(missing).toEqual([]);
  });
});
