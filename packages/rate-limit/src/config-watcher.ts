import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '@game/observability';
import { parseRateLimitConfigText } from './config.js';
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

/**
 * Watches a config file's directory (editors replace files by rename; Kubernetes swaps a symlink) and
 * SIGHUP. A change in the directory reloads the file if its contents changed; SIGHUP and `reload()`
 * always reload.
 */
export function watchConfigFile(file: string, wiring: ConfigWatchWiring): ConfigWatcher {
  const path = resolve(file);
  const name = basename(path);
  const debounceMs = wiring.debounceMs ?? 50;
  const { logger, metrics } = wiring;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  // What the last reload read (the text, or why it could not): a directory event that leaves the file
  // as it was does not reload it again.
  let lastRead: string | undefined;
  const read = async (): Promise<{ text?: string; seen: string; error?: unknown }> => {
    try {
      const text = await readFile(path, 'utf8');
      return { text, seen: `text:${text}` };
    } catch (error) {
      return { error, seen: `error:${(error as NodeJS.ErrnoException).code ?? String(error)}` };
    }
  };

  const reloadOnce = async (onlyIfChanged = false): Promise<boolean> => {
    try {
      const got = await read();
      if (onlyIfChanged && got.seen === lastRead) return false;
      lastRead = got.seen;
      if (got.text === undefined) {
        throw new RateLimitConfigError(path, [`cannot read the file: ${(got.error as Error).message}`], { cause: got.error });
      }
      const config = parseRateLimitConfigText(got.text, path);
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
  const reload = (onlyIfChanged = false): Promise<boolean> => {
    const run = () => reloadOnce(onlyIfChanged);
    const next = chain.then(run, run);
    chain = next;
    return next;
  };

  // Trailing debounce, but never postponed for longer than maxWaitMs: a neighbour written all the time (a
  // log, a database's WAL) must not keep a change of the limits file from being read.
  const maxWaitMs = Math.max(debounceMs * 10, 500);
  let firstEventAt = 0;
  const schedule = (): void => {
    if (closed) return;
    const now = Date.now();
    if (timer) {
      if (now - firstEventAt >= maxWaitMs) return; // already waited long enough: let the pending read fire
      clearTimeout(timer);
    } else firstEventAt = now;
    timer = setTimeout(() => {
      timer = undefined;
      void reload(true);
    }, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  if (wiring.watch !== false)
    try {
      // Not only the file's own name: a Kubernetes ConfigMap volume updates by swapping a `..data` symlink,
      // and the file's name never appears in an event. The file is read again and applied only if it changed.
      watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        // The file itself, a Kubernetes `..data` swap (`..`-names), or an event without a name.
        const n = filename?.toString();
        if (n === undefined || n === name || n.startsWith('..')) schedule();
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
    reload: () => reload(),
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onSighup);
    },
  };
}
