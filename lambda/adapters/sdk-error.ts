/**
 * One line saying why an AWS SDK call failed: the error's name, its message and how many
 * attempts the SDK made. Lambda's failure queue keeps only the error message of a failed
 * invocation (not its `cause`), so the cause has to be spelled out in the message itself.
 */
export function describeSdkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const attempts = (error as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
  const tries = typeof attempts === 'number' ? ` after ${attempts} attempt(s)` : '';
  // Connection failures carry the useful part in `code` (ECONNREFUSED, ETIMEDOUT...).
  const code = (error as { code?: unknown }).code;
  const codeText = typeof code === 'string' && !error.message.includes(code) ? ` [${code}]` : '';
  return `${error.name}${codeText}${tries}: ${error.message}`;
}
