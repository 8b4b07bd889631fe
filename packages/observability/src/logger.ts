import { hostname } from 'node:os';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { getContext } from './context.js';
import { ObservabilityConfigError } from './errors.js';
import { createKeyRedactor } from './internal/redact.js';

/** Log levels, lowest first. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Keys redacted wherever they appear (up to {@link RedactOptions.depth} levels deep): secrets,
 * credentials and personal data that must never reach a log store.
 */
export const defaultRedactKeys: readonly string[] = Object.freeze([
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
  'set-cookie',
  'email',
  'phone',
]);

/** Where and how secrets are removed from log lines. */
export interface RedactOptions {
  /** Exact pino paths to redact as well, e.g. `'game.seatToken'` or `'users[*].ip'`. */
  paths?: readonly string[];
  /** Keys (case-insensitive) redacted at any nesting level up to `depth`; replaces {@link defaultRedactKeys}. */
  keys?: readonly string[];
  /** Extra keys added to the defaults. */
  extraKeys?: readonly string[];
  /** How many object levels below the top the keys are searched (default 4; arrays do not count). */
  depth?: number;
  /** The replacement value (default `'[REDACTED]'`). */
  censor?: string;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Minimum level written (default `'info'`). */
  level?: LogLevel | (string & {});
  /** Written as `name` on every line (the service or package). */
  name?: string;
  /** Fields added to every line (e.g. `{ version, instance }`). */
  base?: Record<string, unknown>;
  /** Secret and personal-data redaction; defaults always apply unless `keys` replaces them. */
  redact?: RedactOptions;
  /** Where lines go (default stdout, synchronous). Any `{ write(line) }` works. */
  destination?: pino.DestinationStream;
  /** Add the {@link withContext} fields to every line (default true). */
  context?: boolean;
  /** Add `traceId`/`spanId` of the active OpenTelemetry span (default true). */
  traceIds?: boolean;
}

/** The logger {@link createLogger} returns: a pino logger (it satisfies the `Logger` interface). */
export type GameLogger = pino.Logger;

/** Validates the options and returns the keys, depth and exact paths to redact. */
function redaction(options: RedactOptions = {}): { keys: string[]; depth: number; paths: string[]; censor: string } {
  const depth = options.depth ?? 4;
  if (!Number.isInteger(depth) || depth < 0 || depth > 16) {
    throw new ObservabilityConfigError('redact.depth', `must be an integer from 0 to 16, got ${String(depth)}`);
  }
  const keys = [...(options.keys ?? defaultRedactKeys), ...(options.extraKeys ?? [])];
  for (const k of keys) {
    if (typeof k !== 'string' || k === '') throw new ObservabilityConfigError('redact.keys', 'keys must be non-empty strings');
  }
  return { keys, depth, paths: [...(options.paths ?? [])], censor: options.censor ?? '[REDACTED]' };
}

/**
 * A pino logger writing one JSON object per line: `level` (a name), `time` (ISO 8601), `msg`,
 * `name`, `pid`, `hostname`, the {@link withContext} fields, `traceId`/`spanId`, and the call's
 * fields, with secrets redacted. Child loggers (`logger.child({ roomId })`) add bindings.
 * @example const log = createLogger({ name: 'server', level: process.env.LOG_LEVEL ?? 'info' });
 */
export function createLogger(options: CreateLoggerOptions = {}): GameLogger {
  const level = options.level ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new ObservabilityConfigError('level', `must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const red = redaction(options.redact);
  const redactKeys = createKeyRedactor(red.keys, red.depth, red.censor);
  const withCtx = options.context ?? true;
  const withTrace = options.traceIds ?? true;
  const logger = pino(
    {
      level,
      ...(options.name === undefined ? {} : { name: options.name }),
      base: { pid: process.pid, hostname: hostname(), ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        // Keys are redacted here, in one walk per line (bindings once per child logger).
        bindings: redactKeys,
        log: redactKeys,
      },
      ...(red.paths.length > 0 ? { redact: { paths: red.paths, censor: red.censor } } : {}),
      ...(withCtx || withTrace
        ? {
            mixin: () => {
              // pino merges the call's fields into this object: always hand it a fresh one.
              const fields: Record<string, unknown> = withCtx ? { ...getContext() } : {};
              if (withTrace) {
                const span = trace.getActiveSpan()?.spanContext();
                if (span && isSpanContextValid(span)) {
                  fields['traceId'] = span.traceId;
                  fields['spanId'] = span.spanId;
                }
              }
              return fields;
            },
          }
        : {}),
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  // pino applies the bindings formatter to the root only; children inherit this wrapper, so every
  // level of child bindings is redacted once, when the child is made.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the child as `this`
  const pinoChild = logger.child as unknown as (this: unknown, bindings: pino.Bindings, options?: unknown) => GameLogger;
  const child = function (this: unknown, bindings: pino.Bindings, childOptions?: unknown): GameLogger {
    return pinoChild.call(this, redactKeys(bindings), childOptions);
  };
  logger.child = child as unknown as typeof logger.child;
  return logger;
}

