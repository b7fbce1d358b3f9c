import type { Logger } from './ports';
import { cleanText } from './text';

/**
 * A logger that adds `fields` to every line of `logger` (a line's own fields win). The
 * delivery path uses it to put the event id, rule id and alert id on each line it writes,
 * including lines written deep in the core.
 */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  const merge = (own?: Record<string, unknown>) => ({ ...fields, ...own });
  return {
    info: (message, own) => logger.info(message, merge(own)),
    warn: (message, own) => logger.warn(message, merge(own)),
    error: (message, own) => logger.error(message, merge(own)),
  };
}

/** Error fields for a log line: the name and the message, never a stack. */
export function errorFields(error: unknown): Record<string, unknown> {
  return error instanceof Error
    ? { errorName: error.name, error: error.message }
    : { errorName: typeof error, error: String(error) };
}

/** Event text in a log line: one line, no controls, short; undefined for anything else. */
export function logText(value: unknown, max = 128): string | undefined {
  return typeof value === 'string' ? cleanText(value, max) : undefined;
}
