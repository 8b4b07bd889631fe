import { ObservabilityConfigError } from './errors.js';
import type { Logger } from './logger-types.js';

/** Options of {@link createSlowOperationLog}. */
export interface SlowOperationLogOptions {
  logger: Logger;
  /** Operations taking at least this many milliseconds are logged (default 100). */
  thresholdMs?: number;
  /** The level of the line (default `'warn'`). */
  level?: 'info' | 'warn' | 'error';
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** Logs operations slower than a threshold, with their name, duration and fields. */
export interface SlowOperationLog {
  readonly thresholdMs: number;
  /** Reports an operation that took `durationMs`; logs it when at or above the threshold. */
  observe(operation: string, durationMs: number, fields?: Record<string, unknown>): boolean;
  /** Runs `fn` (sync or async) and reports its duration, whatever its outcome. */
  measure<T>(operation: string, fn: () => T, fields?: Record<string, unknown>): T;
}

/**
 * A slow-operation log: `{ msg: 'slow operation', operation, durationMs, thresholdMs, ...fields }`
 * at `warn` when an operation takes at least `thresholdMs`.
 * @example const slow = createSlowOperationLog({ logger, thresholdMs: 50 }); await slow.measure('append', () => store.append(...));
 */
export function createSlowOperationLog(options: SlowOperationLogOptions): SlowOperationLog {
  const thresholdMs = options.thresholdMs ?? 100;
  if (!(thresholdMs >= 0) || !Number.isFinite(thresholdMs)) {
    throw new ObservabilityConfigError('thresholdMs', `must be a finite number >= 0, got ${String(thresholdMs)}`);
  }
  const level = options.level ?? 'warn';
  const now = options.now ?? (() => performance.now());
  const observe = (operation: string, durationMs: number, fields?: Record<string, unknown>): boolean => {
    if (durationMs < thresholdMs) return false;
    options.logger[level](
      { ...fields, operation, durationMs: Math.round(durationMs * 1000) / 1000, thresholdMs },
      'slow operation',
    );
    return true;
  };
  return {
    thresholdMs,
    observe,
    measure<T>(operation: string, fn: () => T, fields?: Record<string, unknown>): T {
      const start = now();
      let result: T;
      try {
        result = fn();
      } catch (err) {
        observe(operation, now() - start, { ...fields, failed: true });
        throw err;
      }
      if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
        return Promise.resolve(result).then(
          (v) => {
            observe(operation, now() - start, fields);
            return v;
          },
          (err: unknown) => {
            observe(operation, now() - start, { ...fields, failed: true });
            throw err;
          },
        ) as T;
      }
      observe(operation, now() - start, fields);
      return result;
    },
  };
}
