import type { Registry } from 'prom-client';

/**
 * The `metrics` option of the @game packages that register prom-client metrics (persistence, rate-limit,
 * health): a registry, or a registry and a prefix put in front of every metric name the package registers
 * (`{ registry, prefix: 'game_' }` makes `game_health_ready`).
 *
 * This module imports nothing at run time, so that packages which use this package only for its types can
 * load it (`@game/observability/metrics-option`) without pino or OpenTelemetry.
 */
export type MetricsOption = Registry | { readonly registry: Registry; readonly prefix?: string | undefined };

/**
 * The registry and name prefix of a `metrics` option (a bare registry has no prefix). Anything else, or a
 * prefix that cannot start a Prometheus metric name, throws what `configError` makes of the problem, so that
 * each package reports it with its own configuration error.
 */
export function metricsTarget(option: MetricsOption, configError: (problem: string) => Error): { registry: Registry; prefix: string } {
  const shape = 'must be a prom-client Registry or { registry: Registry, prefix?: string }';
  if (option === null || typeof option !== 'object') throw configError(shape);
  if (typeof (option as Registry).getSingleMetric === 'function') return { registry: option as Registry, prefix: '' };
  const { registry, prefix } = option as { registry: Registry; prefix?: string | undefined };
  if (typeof registry?.getSingleMetric !== 'function') throw configError(shape);
  // Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]*
  if (prefix !== undefined && !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw configError(`prefix ${JSON.stringify(prefix)} is not the start of a Prometheus metric name`);
  }
  return { registry, prefix: prefix ?? '' };
}
