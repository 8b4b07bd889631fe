/** One logging call, pino-style: a message, or an object of fields and an optional message. */
export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

/**
 * The logger this package accepts: structurally the `Logger` of `@game/observability`, so a pino
 * logger or that package's logger fits as it is, without a runtime dependency.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => undefined;

/** A logger that drops everything: the default. */
export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};
