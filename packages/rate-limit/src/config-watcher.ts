import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '@game/observability';
import { loadRateLimitConfigFile } from './config.js';
import { RateLimitConfigError } from './errors.js';
import type { LimiterMetrics } from './internal/metrics.js';
import type { RateLimitConfig } from './types.js';

/** Options of `limiter.watchConfigFile`. */
export interface WatchConfigOptions {
  /** Reload when the file changes (default true); false leaves SIGHUP and `reload()` as the triggers. */
  readonly watch?: boolean | undefined;
  /** Reload on SIGHUP too (default true). */
  readonly sighup?: boolean | undefined;
  /** Wait this long after a change event before reading, so editors finish writing (default 50 ms). */
  readonly debounceMs?: number | undefined;
  /** Called after new limits were applied. */
  readonly onReload?: ((config: RateLimitConfig) => void) | undefined;
  /** Called when a reload was rejected; the previous limits stay in force. */
  readonly onError?: ((error: RateLimitConfigError) => void) | undefined;
}

/** A running watch on a limits file. */
export interface ConfigWatcher {
  /** The watched file (absolute). */
  readonly path: string;
  /** Settles after the initial load: true when applied, false when rejected (old limits kept). */
  readonly ready: Promise<boolean>;
  /** Reloads now (as on SIGHUP); true when the new limits were applied. */
  reload(): Promise<boolean>;
  /** Stops watching and removes the SIGHUP handler. */
  close(): void;
}

/** Internal wiring: how a loaded config is applied, and where outcomes are reported. */
export interface ConfigWatchWiring extends WatchConfigOptions {
  readonly apply: (config: RateLimitConfig) => void;
  readonly logger: Logger;
  readonly metrics: LimiterMetrics;
}

/** Watches a config file's directory (editors replace files by rename) and SIGHUP. */
export function watchConfigFile(file: string, wiring: ConfigWatchWiring): ConfigWatcher {
  const path = resolve(file);
  const name = basename(path);
  const debounceMs = wiring.debounceMs ?? 50;
  const { logger, metrics } = wiring;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const reloadOnce = async (): Promise<boolean> => {
    try {
      const config = await loadRateLimitConfigFile(path);
      if (closed) return false;
      wiring.apply(config);
      metrics.reload('ok');
      logger.info({ path, policies: config.policies.length }, 'rate limits reloaded');
      wiring.onReload?.(config);
      return true;
    } catch (err) {
      const error =
        err instanceof RateLimitConfigError
          ? err
          : new RateLimitConfigError(path, [(err as Error).message], { cause: err });
      metrics.reload('rejected');
      logger.error(
        { path, issues: error.issues },
        `rate-limit config rejected, previous limits kept: ${error.message}`,
      );
      wiring.onError?.(error);
      return false;
    }
  };

  // Reloads run one at a time, in order, so the last change always wins.
  const reload = (): Promise<boolean> => {
    const next = chain.then(reloadOnce, reloadOnce);
    chain = next;
    return next;
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  if (wiring.watch !== false)
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        if (filename === null || filename.toString() === name) schedule();
      });
      watcher.on('error', (err) =>
        logger.error({ err, path }, 'rate-limit config watch failed; SIGHUP still reloads'),
      );
    } catch (err) {
      logger.error({ err, path }, 'cannot watch the rate-limit config directory; SIGHUP still reloads');
    }

  const onSighup = (): void => {
    logger.info({ path }, 'SIGHUP: reloading rate limits');
    void reload();
  };
  if (wiring.sighup !== false) process.on('SIGHUP', onSighup);

  return {
    path,
    ready: reload(),
    reload,
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onSighup);
    },
  };
}
