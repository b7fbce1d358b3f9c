/** A JSON object as a configuration file holds it. */
export type Json = Record<string, unknown>;

/**
 * One valid entry of `exceptions` in sgwatch.config.json with `match`, every other field
 * filled in; `extra` replaces or adds fields (an id, an expiry, a stray key).
 */
export function exceptionJson(match: Json, extra: Json = {}): Json {
  return {
    id: 'ci-pipeline',
    reason: 'a documented, expected call',
    owner: 'platform-team@example.com',
    expires: '2027-06-30',
    match,
    ...extra,
  };
}
