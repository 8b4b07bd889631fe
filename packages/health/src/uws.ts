import type { Logger } from '@game/observability';
import { createHealthHttpHandler, normaliseBase, statusText, type HealthHttpHandler, type HealthHttpOptions } from './http.js';
import { silentLogger } from './internal/silent-logger.js';
import type { HealthRegistry } from './registry.js';

/** The part of a uWebSockets.js `HttpResponse` the adapter uses (typed structurally: no uWS import). */
export interface UwsResponseLike {
  onAborted(handler: () => void): unknown;
  cork(cb: () => void): unknown;
  writeStatus(status: string): unknown;
  writeHeader(key: string, value: string): unknown;
  end(body?: string): unknown;
}

/** The part of a uWebSockets.js `HttpRequest` the adapter uses. */
export interface UwsRequestLike {
  getUrl(): string;
  getMethod(): string;
}

/** The part of a uWebSockets.js `TemplatedApp` the adapter uses. */
export interface UwsAppLike {
  get(pattern: string, handler: (res: UwsResponseLike, req: UwsRequestLike) => void): unknown;
  head?(pattern: string, handler: (res: UwsResponseLike, req: UwsRequestLike) => void): unknown;
  /** Every other method (answered 405 with `allow: GET, HEAD`, as by the node:http listener). */
  any?(pattern: string, handler: (res: UwsResponseLike, req: UwsRequestLike) => void): unknown;
}

/** Options of {@link registerUwsHealthRoutes}. */
export interface UwsHealthOptions extends HealthHttpOptions {
  logger?: Logger;
}

/**
 * Adds the probe routes to a uWebSockets.js app (`/health`, `/health/live`, `/health/ready`,
 * `/health/startup` under `basePath`). Handles aborts and corks the write as uWS requires.
 * @example registerUwsHealthRoutes(app, health); app.listen(port, cb);
 */
export function registerUwsHealthRoutes(
  app: UwsAppLike,
  health: HealthRegistry,
  options: UwsHealthOptions = {},
): void {
  const handler: HealthHttpHandler = createHealthHttpHandler(health, options);
  const logger = options.logger ?? silentLogger;
  const base = normaliseBase(options.basePath ?? '/health');
  const paths = [`${base}/live`, `${base}/ready`, `${base}/startup`];
  if (options.details ?? true) paths.push(base === '' ? '/' : base);
  const route = (res: UwsResponseLike, req: UwsRequestLike) => {
    // uWS invalidates req after this synchronous call returns: read it first.
    const url = req.getUrl();
    const method = req.getMethod();
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    handler(url, method).then(
      (answer) => {
        if (aborted) return;
        res.cork(() => {
          if (!answer) {
            res.writeStatus('404 Not Found');
            res.end('not found');
            return;
          }
          res.writeStatus(`${answer.status} ${statusText(answer.status)}`);
          for (const [k, v] of Object.entries(answer.headers)) res.writeHeader(k, v);
          res.end(answer.body);
        });
      },
      (err: unknown) => {
        logger.error({ err, path: url }, 'health handler failed');
        if (aborted) return;
        res.cork(() => {
          res.writeStatus('500 Internal Server Error');
          res.end('internal error');
        });
      },
    );
  };
  for (const p of paths) {
    app.get(p, route);
    app.head?.(p, route);
    // Other methods on a probe path get 405 here rather than the app's catch-all (uWS prefers the
    // method-specific routes above for GET and HEAD).
    app.any?.(p, route);
  }
}
