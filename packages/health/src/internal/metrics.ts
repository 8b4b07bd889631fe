import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Gauge, Histogram, Registry } from 'prom-client';
import { metricsTarget as sharedMetricsTarget, type MetricsOption } from '@game/observability/metrics-option';
import { HealthConfigError } from '../errors.js';
import type { CheckStatus } from '../types.js';

/** The metrics a health registry keeps when given a prom-client registry. */
export interface HealthMetrics {
  record(check: string, status: CheckStatus, durationMs: number): void;
  setReady(ready: boolean, draining: boolean): void;
}

const STATUSES: readonly CheckStatus[] = ['pass', 'warn', 'fail'];

// prom-client is an optional peer: load it only when the app hands us a registry.
const requireOptional = createRequire(import.meta.url);

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The registry and name prefix of a `metrics` option, or this package's configuration error. */
export function metricsTarget(option: MetricsOption): { registry: Registry; prefix: string } {
  return sharedMetricsTarget(option, (problem) => new HealthConfigError('metrics', problem));
}

/**
 * `refresh` runs at every scrape before the status gauges are read (a readiness evaluation, cached checks
 * reused): the gauges say what the probes would answer now, not what the last probe request saw.
 */
export function createHealthMetrics(registry: Registry, prefix: string, refresh?: () => Promise<void>): HealthMetrics {
  const prom = requireOptional('prom-client') as typeof PromClient;
  const collect = refresh === undefined ? {} : { collect: refresh };
  const status = getOrCreate<Gauge<'check' | 'status'>>(
    registry,
    `${prefix}health_check_status`,
    () =>
      new prom.Gauge({
        name: `${prefix}health_check_status`,
        ...collect,
        help: 'Current status of each health check: 1 for the status it is in, 0 for the others',
        labelNames: ['check', 'status'],
        registers: [registry],
      }),
  );
  const duration = getOrCreate<Histogram<'check'>>(
    registry,
    `${prefix}health_check_duration_seconds`,
    () =>
      new prom.Histogram({
        name: `${prefix}health_check_duration_seconds`,
        ...collect,
        help: 'Duration of health check runs',
        labelNames: ['check'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
  );
  const ready = getOrCreate<Gauge>(
    registry,
    `${prefix}health_ready`,
    () =>
      new prom.Gauge({
        name: `${prefix}health_ready`,
        ...collect,
        help: '1 when the readiness probe passes, 0 otherwise',
        registers: [registry],
      }),
  );
  const draining = getOrCreate<Gauge>(
    registry,
    `${prefix}health_draining`,
    () =>
      new prom.Gauge({
        name: `${prefix}health_draining`,
        ...collect,
        help: '1 once shutdown has started',
        registers: [registry],
      }),
  );
  return {
    record(check, s, durationMs) {
      for (const candidate of STATUSES) status.set({ check, status: candidate }, candidate === s ? 1 : 0);
      duration.observe({ check }, durationMs / 1000);
    },
    setReady(isReady, isDraining) {
      ready.set(isReady ? 1 : 0);
      draining.set(isDraining ? 1 : 0);
    },
  };
}
