/** One logging call, pino-style. */
export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

/** A pino-compatible logger; a pino instance fits as it is. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => undefined;

/** The default logger: drops everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
