import type { Logger } from '@game/observability';

// @game/observability is used for its types only (architecture: "types only / optional"), so the
// default logger lives here and loading this package never loads the observability package.
const noop = (): void => undefined;

/** Drops everything: the default when no logger is given. */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};
