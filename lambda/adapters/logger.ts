import type { Logger } from '../core/ports';

type Level = 'info' | 'warn' | 'error';

/** One JSON object per line on stdout/stderr: what CloudWatch Logs Insights queries best. */
export function jsonLogger(base: Record<string, unknown> = {}, write = defaultWrite): Logger {
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) =>
    write(level, JSON.stringify({ level, message, ...base, ...fields }));
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

function defaultWrite(level: Level, line: string): void {
  if (level === 'info') process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
}
