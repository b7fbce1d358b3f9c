import type { Handler } from './handler';
import { createHandler, handlerDepsFromEnvironment } from './handler';

/**
 * The deployed detector. Its dependencies are read from the environment once per process,
 * at cold start: a missing or malformed setting fails the function's init with the
 * setting's name, before any event is taken.
 */
export const handler: Handler = createHandler(handlerDepsFromEnvironment(process.env));
