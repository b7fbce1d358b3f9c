import fc from 'fast-check';
import { cutToWidth, displayWidth, padToWidth } from '../../../cli/display-width';

/** A high surrogate without its low half, or a low one without its high half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('displayWidth', () => {
  it.each([
    ['', 0],
    ['legacy-reporting', 16],
    ['データベース', 12], // Katakana: two columns each
    ['数据库-prod', 11], // CJK ideographs and ASCII
    ['한국', 4], // Hangul syllables
    ['ＡＢ', 4], // fullwidth Latin
    ['𠀀', 2], // CJK extension B: one code point, two UTF-16 units, two columns
    ['🔥', 2],
    ['db🔥🔥', 6],
    ['cafe\u0301', 4], // a combining acute accent takes no column
    ['n\u0303o\u0308', 2],
    ['❤\ufe0f', 2], // a text symbol the emoji selector turns into a picture
    ['…', 1],
  ])('measures %j as %i columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it('measures printable ASCII as its length', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode) }),
        (text) => {
          expect(displayWidth(text)).toBe(text.length);
        },
      ),
    );
  });
});

describe('cutToWidth', () => {
  it.each([
    ['legacy-reporting', 8, 'legacy-…'],
    ['legacy-reporting', 16, 'legacy-reporting'],
    ['データベース', 7, 'データ…'],
    // Half of a wide character cannot be shown: the cut stops before it.
    ['データベース', 6, 'デー…'],
    ['🔥🔥🔥', 4, '🔥…'],
    ['𠀀𠀀𠀀', 4, '𠀀…'],
    ['cafe\u0301s', 4, 'caf…'],
    ['cafe\u0301s', 5, 'cafe\u0301s'],
    ['cafe\u0301ss', 5, 'cafe\u0301…'],
    ['abc', 0, ''],
  ])('cuts %j to %i columns as %j', (text, columns, cut) => {
    expect(cutToWidth(text, columns)).toBe(cut);
  });

  it('fits the columns, keeps a leading part of the text and never splits a surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
        ),
        fc.integer({ min: 0, max: 50 }),
        (text, columns) => {
          const cut = cutToWidth(text, columns);
          expect(displayWidth(cut)).toBeLessThanOrEqual(columns);
          expect(LONE_SURROGATE.test(cut)).toBe(false);
          if (cut !== text && cut !== '') {
            expect(cut.endsWith('…')).toBe(true);
            expect(text.startsWith(cut.slice(0, -1))).toBe(true);
            // Nothing more of the text would have fitted beside the ellipsis.
            const kept = cut.slice(0, -1);
            const next = [...text.slice(kept.length)][0] ?? '';
            expect(displayWidth(kept + next) + 1).toBeGreaterThan(columns);
          }
          if (displayWidth(text) <= columns) expect(cut).toBe(text);
        },
      ),
    );
  });
});

describe('padToWidth', () => {
  it('pads by display columns, not UTF-16 units', () => {
    expect(padToWidth('データ', 8)).toBe('データ  ');
    expect(padToWidth('🔥x', 4)).toBe('🔥x ');
    expect(padToWidth('cafe\u0301', 5)).toBe('cafe\u0301 ');
    expect(padToWidth('toolong', 3)).toBe('toolong');
  });
});
