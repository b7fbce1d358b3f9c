import type { LogLevel } from '../../lambda/adapters/logger';
import { jsonLogger, withFields } from '../../lambda/adapters/logger';

function capture() {
  const lines: { level: LogLevel; record: Record<string, unknown> }[] = [];
  const write = (level: LogLevel, line: string) => {
    expect(line).not.toContain('\n');
    lines.push({ level, record: JSON.parse(line) as Record<string, unknown> });
  };
  return { lines, write };
}

describe('jsonLogger', () => {
  it('writes one JSON object per line with the level, message, base and fields', () => {
    const { lines, write } = capture();
    jsonLogger({ base: { service: 'sgwatch-detector' }, write }).info('alert processed', {
      eventId: 'e-1',
    });
    expect(lines).toEqual([
      {
        level: 'info',
        record: {
          level: 'info',
          message: 'alert processed',
          service: 'sgwatch-detector',
          eventId: 'e-1',
        },
      },
    ]);
  });

  it.each([
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ] as const)('with threshold %s writes only %p', (threshold, expected) => {
    const { lines, write } = capture();
    const logger = jsonLogger({ threshold, write });
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines.map((l) => l.level)).toEqual(expected);
  });

  it('writes a line without its fields rather than throw when they cannot be serialised', () => {
    const { lines, write } = capture();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const logger = jsonLogger({ write });
    expect(() => logger.error('failed', { cycle, big: 1n })).not.toThrow();
    expect(lines[0]?.record).toMatchObject({ level: 'error', message: 'failed' });
    expect(lines[0]?.record.logError).toEqual(expect.stringContaining('could not be serialised'));
  });
});

describe('withFields', () => {
  it('adds its fields to every level, and a line’s own fields win', () => {
    const { lines, write } = capture();
    const logger = withFields(withFields(jsonLogger({ write }), { requestId: 'r-1' }), {
      eventId: 'e-1',
      outcome: 'pending',
    });
    logger.info('a', { outcome: 'notified' });
    logger.warn('b');
    logger.error('c');
    expect(lines.map((l) => l.record)).toEqual([
      { level: 'info', message: 'a', requestId: 'r-1', eventId: 'e-1', outcome: 'notified' },
      { level: 'warn', message: 'b', requestId: 'r-1', eventId: 'e-1', outcome: 'pending' },
      { level: 'error', message: 'c', requestId: 'r-1', eventId: 'e-1', outcome: 'pending' },
    ]);
  });
});
