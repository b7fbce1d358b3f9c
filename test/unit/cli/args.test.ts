import {
  checkRange,
  outputFormat,
  parseOptions,
  parseTime,
  UsageError,
  wholeNumber,
} from '../../../cli/args';

const NOW = new Date('2026-03-15T12:00:00Z');

describe('parseTime', () => {
  it.each([
    ['2026-03-01', Date.UTC(2026, 2, 1)],
    ['2026-03-01T12:00Z', Date.UTC(2026, 2, 1, 12)],
    ['7d', NOW.getTime() - 7 * 86_400_000],
    ['90m', NOW.getTime() - 90 * 60_000],
  ])('reads %s', (text, ms) => {
    expect(parseTime(text, '--since', NOW)).toBe(ms);
  });

  it.each([
    ['2026-13-01', 'month 13 does not exist (months are 01 to 12)'],
    ['2026-00-10', 'month 00 does not exist (months are 01 to 12)'],
    ['2025-02-29', '2025-02 has days 01 to 28, not 29'],
    ['2026-04-31', '2026-04 has days 01 to 30, not 31'],
    ['2026-03-01T25:00Z', 'hour 25 does not exist (00 to 23)'],
    ['2026-03-01T12:61Z', 'minute 61 does not exist (00 to 59)'],
  ])('rejects %s naming the part that does not exist', (text, reason) => {
    expect(() => parseTime(text, '--since', NOW)).toThrow(
      new UsageError(`--since ${JSON.stringify(text)} is not a real date or time: ${reason}`),
    );
  });
});

describe('whole-number options', () => {
  const options = { workers: { type: 'string', check: wholeNumber(1, 8) } } as const;

  it.each(['0', '-3', '9', '1.5', 'two', '-0'])(
    'rejects --workers %s with the range it takes',
    (value) => {
      expect(() => parseOptions(['--workers', value], options)).toThrow(
        new UsageError(
          `--workers must be a whole number from 1 to 8; got ${JSON.stringify(value)}`,
        ),
      );
    },
  );

  it('takes a value in range, separate or joined with =', () => {
    expect(parseOptions(['--workers', '8'], options).values.workers).toBe('8');
    expect(parseOptions(['--workers=1'], options).values.workers).toBe('1');
  });

  it('still reads a negative-looking word after a boolean option as an option', () => {
    const flags = { quiet: { type: 'boolean' } } as const;
    expect(() => parseOptions(['--quiet', '-3'], flags)).toThrow(UsageError);
  });
});

describe('checkRange', () => {
  it('rejects a --since later than --until', () => {
    expect(() => checkRange(2, 1)).toThrow(
      new UsageError('--since is later than --until: nothing can match'),
    );
  });

  it('takes an open or ordered range', () => {
    expect(() => checkRange(1, 2)).not.toThrow();
    expect(() => checkRange(undefined, 1)).not.toThrow();
    expect(() => checkRange(1, undefined)).not.toThrow();
  });
});

describe('outputFormat', () => {
  it.each([
    [{}, 'table'],
    [{ format: 'table' }, 'table'],
    [{ format: 'text' }, 'table'],
    [{ format: 'json' }, 'json'],
    [{ format: 'jsonl' }, 'jsonl'],
    [{ json: true }, 'json'],
    [{ json: true, format: 'json' }, 'json'],
  ])('reads %j as %s', (values, format) => {
    expect(outputFormat(values)).toBe(format);
  });

  it('rejects a format it does not know, naming the three it does', () => {
    expect(() => outputFormat({ format: 'xml' })).toThrow(
      new UsageError('--format must be table, json or jsonl; got "xml"'),
    );
  });

  it('rejects --json beside another format', () => {
    expect(() => outputFormat({ json: true, format: 'jsonl' })).toThrow(
      new UsageError('--json is --format json; it cannot go with --format jsonl'),
    );
  });
});
