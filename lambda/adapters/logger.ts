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

/** One JSON object per line: what CloudWatch Logs Insights queries best. */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = RANK[options.threshold ?? 'info'];
  const write = options.write ?? defaultWrite;
  const log = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] >= threshold) {
      write(level, JSON.stringify({ level, message, ...options.base, ...fields }));
    }
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

function defaultWrite(level: LogLevel, line: string): void {
  if (level === 'info') process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
}
