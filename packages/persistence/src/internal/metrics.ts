import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type * as PromClientModule from 'prom-client';
import { InvalidDatabaseConfigError } from '../errors.js';

type PromClient = typeof PromClientModule;
let promClient: PromClient | undefined;

/** prom-client is an optional peer: loaded only when the caller passes a registry. */
function prom(): PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as PromClient;
  return promClient;
}

/**
 * The `metrics` option: a prom-client registry, or a registry and a prefix put in front of every metric name
 * (`{ registry, prefix: 'game_' }` makes `game_db_queries_total`). The same option as @game/rate-limit and
 * @game/health take; they share `metricsTarget` from @game/observability/metrics-option, and this package keeps
 * its own copy of it because it does not depend on @game/observability.
 */
export type MetricsOption = Registry | { readonly registry: Registry; readonly prefix?: string | undefined };

/** Where metrics go: the registry, and the prefix of every name. */
export interface MetricsTarget {
  readonly registry: Registry;
  readonly prefix: string;
}

/** The registry and prefix of a `metrics` option (a bare registry has no prefix); undefined without one. */
export function metricsTarget(option: MetricsOption | undefined): MetricsTarget | undefined {
  if (option === undefined) return undefined;
  const bad = (msg: string) => new InvalidDatabaseConfigError(`metrics: ${msg}`);
  if (option === null || typeof option !== 'object') throw bad('must be a prom-client Registry or { registry: Registry, prefix?: string }');
  if (typeof (option as Registry).getSingleMetric === 'function') return { registry: option as Registry, prefix: '' };
  const { registry, prefix } = option as { registry: Registry; prefix?: string | undefined };
  if (typeof registry?.getSingleMetric !== 'function') throw bad('must be a prom-client Registry or { registry: Registry, prefix?: string }');
  // Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]*
  if (prefix !== undefined && !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) throw bad(`prefix ${JSON.stringify(prefix)} is not the start of a Prometheus metric name`);
  return { registry, prefix: prefix ?? '' };
}

/** Buckets from 50 µs to 5 s: SQLite queries take microseconds, Postgres milliseconds. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function counter({ registry, prefix }: MetricsTarget, base: string, help: string, labelNames: string[]): Counter<string> {
  const name = prefix + base;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new (prom().Counter)({ name, help, labelNames, registers: [registry] });
}

export function gauge(
  { registry, prefix }: MetricsTarget,
  base: string,
  help: string,
  labelNames: string[],
  collect?: (this: Gauge<string>) => void,
): Gauge<string> {
  const name = prefix + base;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new (prom().Gauge)({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogram({ registry, prefix }: MetricsTarget, base: string, help: string, labelNames: string[]): Histogram<string> {
  const name = prefix + base;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<string>;
  return new (prom().Histogram)({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] });
}
