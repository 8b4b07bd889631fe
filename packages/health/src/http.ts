import type { HealthRegistry } from './registry.js';
import type { ProbeReport } from './types.js';

/** A framework-neutral HTTP answer. */
export interface HealthHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Answers a health path, or `undefined` when the path is not one of ours (let the app route it). */
export type HealthHttpHandler = (path: string, method?: string) => Promise<HealthHttpResponse | undefined>;

/** Options of {@link createHealthHttpHandler}. */
export interface HealthHttpOptions {
  /** Base path (default `'/health'`): serves `<base>`, `<base>/live`, `<base>/ready`, `<base>/startup`. */
  basePath?: string;
  /** Serve the detailed `<base>` document (default true); turn off if it must not be public. */
  details?: boolean;
}

/** The media type of every body (draft-inadarei-api-health-check). */
export const HEALTH_CONTENT_TYPE = 'application/health+json';

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  405: 'Method Not Allowed',
  503: 'Service Unavailable',
};

/** The reason phrase of an HTTP status this package sends (for servers that write status lines). */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown';
}

/**
 * The probes as a function `(path, method) -> { status, headers, body }`, for any HTTP server
 * (node:http, uWebSockets.js, a framework's route).
 * @example const res = await handler('/health/ready'); // { status: 503, headers: {...}, body: '{"status":"fail",...}' }
 */
export function createHealthHttpHandler(health: HealthRegistry, options: HealthHttpOptions = {}): HealthHttpHandler {
  const base = normaliseBase(options.basePath ?? '/health');
  const withDetails = options.details ?? true;
  const routes = new Map<string, () => ProbeReport | Promise<ProbeReport>>([
    [`${base}/live`, () => health.liveness()],
    [`${base}/ready`, () => health.readiness()],
    [`${base}/startup`, () => health.startup()],
  ]);
  if (withDetails) routes.set(base === '' ? '/' : base, () => health.details());

  return async (rawPath, method = 'GET') => {
    const q = rawPath.indexOf('?');
    let path = q === -1 ? rawPath : rawPath.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route = routes.get(path);
    if (!route) return undefined;
    const m = method.toUpperCase();
    if (m !== 'GET' && m !== 'HEAD') {
      return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'method not allowed' };
    }
    const report = await route();
    return {
      status: report.httpStatus,
      headers: { 'content-type': HEALTH_CONTENT_TYPE, 'cache-control': 'no-store' },
      body: m === 'HEAD' ? '' : JSON.stringify(report.body),
    };
  };
}

/** `basePath` as routes use it: a leading slash, no trailing one, '' for the root. @internal */
export function normaliseBase(base: string): string {
  if (base === '' || base === '/') return '';
  const withSlash = base.startsWith('/') ? base : `/${base}`;
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}
