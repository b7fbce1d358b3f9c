import type { Logger } from '../core/ports';

export type LogLevel = 'info' | 'warn' | 'error';
/** The least severe level written; `silent` writes nothing. */
export type LogThreshold = LogLevel | 'silent';

const RANK: Record<LogThreshold, number> = { info: 0, warn: 1, error: 2, silent: 3 };

export interface JsonLoggerOptions {
  readonly base?: Record<string, unknown>;
  /** @default 'info' */
  readonly threshold?: LogThreshold;
  /** @default - info to stdout, warnings and errors to stderr */
  readonly write?: (level: LogLevel, line: string) => void;
}

export function isLogThreshold(value: string): value is LogThreshold {
  return Object.hasOwn(RANK, value);
}

/**
 * A line that cannot be serialised (a cycle, a BigInt) must not turn a log call into a
 * failed invocation; it is written without its fields instead.
 */
function serialize(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch (error) {
    return JSON.stringify({
      level: record.level,
      message: record.message,
      logError: `fields could not be serialised: ${String(error)}`,
    });
  }
}

/** One JSON object per line: what CloudWatch Logs Insights queries best. */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = RANK[options.threshold ?? 'info'];
  const write = options.write ?? defaultWrite;
  const log = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] >= threshold) {
      write(level, serialize({ level, message, ...options.base, ...fields }));
    }
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

export { withFields } from '../core/logging';

function defaultWrite(level: LogLevel, line: string): void {
  if (level === 'info') process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
}
