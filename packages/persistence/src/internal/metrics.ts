import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type * as PromClientModule from 'prom-client';

type PromClient = typeof PromClientModule;
let promClient: PromClient | undefined;

/** prom-client is an optional peer: loaded only when the caller passes a registry. */
function prom(): PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as PromClient;
  return promClient;
}

/** Buckets from 50 µs to 5 s: SQLite queries take microseconds, Postgres milliseconds. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new (prom().Counter)({ name, help, labelNames, registers: [registry] });
}

export function gauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  collect?: (this: Gauge<string>) => void,
): Gauge<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new (prom().Gauge)({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogram(registry: Registry, name: string, help: string, labelNames: string[]): Histogram<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<string>;
  return new (prom().Histogram)({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] });
}
