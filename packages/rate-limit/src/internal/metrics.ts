import { createRequire } from 'node:module';
import type * as PromClientModule from 'prom-client';
import { metricsTarget as sharedMetricsTarget, type MetricsOption } from '@game/observability/metrics-option';
import type { Counter, Gauge, Registry } from 'prom-client';
import { RateLimitConfigError } from '../errors.js';

type PromClient = typeof PromClientModule;
let promClient: PromClient | undefined;

/** prom-client is an optional peer: loaded only when the caller passes a registry. */
function prom(): PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as PromClient;
  return promClient;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new (prom().Counter)({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]): Gauge<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new (prom().Gauge)({ name, help, labelNames, registers: [registry] });
}

/** A decision outcome as counted per policy. */
export type DecisionOutcome = 'allowed' | 'limited' | 'blocked' | 'shadow_limited';

/** A counter child bound to its labels, cheap to increment on the hot path. */
export interface Inc {
  inc(): void;
}

const NOOP: Inc = { inc: () => undefined };

/** One policy's decision counters, bound once so the hot path only increments. */
export interface PolicyCounters {
  readonly allowed: Inc;
  readonly limited: Inc;
  readonly blocked: Inc;
  readonly shadow: Inc;
}

/** The limiter's metrics; every method is a no-op without a registry. */
export interface LimiterMetrics {
  decision(policy: string, keyClass: string, outcome: DecisionOutcome): Inc;
  block(policy: string, keyClass: string): Inc;
  storeError(store: string): void;
  storeState(store: string, degraded: boolean): void;
  reload(result: 'ok' | 'rejected'): void;
}

/** The registry and name prefix of a `metrics` option, or this package's configuration error. */
export function metricsTarget(option: MetricsOption): { registry: Registry; prefix: string } {
  return sharedMetricsTarget(option, (problem) => new RateLimitConfigError('code', [`metrics: ${problem}`]));
}

/** Creates the metrics in `registry` (names start with `prefix`), or no-ops when there is none. */
export function createLimiterMetrics(registry: Registry | undefined, prefix: string): LimiterMetrics {
  if (!registry) {
    return {
      decision: () => NOOP,
      block: () => NOOP,
      storeError: () => undefined,
      storeState: () => undefined,
      reload: () => undefined,
    };
  }
  const decisions = counter(
    registry,
    `${prefix}decisions_total`,
    'Rate-limit decisions per policy, key class and outcome.',
    ['policy', 'key_class', 'outcome'],
  );
  const blocks = counter(
    registry,
    `${prefix}blocks_total`,
    'Temporary blocks imposed after repeated violations.',
    ['policy', 'key_class'],
  );
  const storeErrors = counter(
    registry,
    `${prefix}store_errors_total`,
    'Failed or timed-out rate-limit store calls.',
    ['store'],
  );
  const transitions = counter(
    registry,
    `${prefix}store_transitions_total`,
    'Store health transitions (to degraded / to healthy).',
    ['store', 'to'],
  );
  const degraded = gauge(
    registry,
    `${prefix}store_degraded`,
    '1 while the limiter runs on its store-failure policy.',
    ['store'],
  );
  const reloads = counter(
    registry,
    `${prefix}config_reloads_total`,
    'Limits reloads from a config file, by result.',
    ['result'],
  );
  return {
    decision: (policy, keyClass, outcome) => decisions.labels(policy, keyClass, outcome),
    block: (policy, keyClass) => blocks.labels(policy, keyClass),
    storeError: (store) => storeErrors.labels(store).inc(),
    storeState: (store, isDegraded) => {
      transitions.labels(store, isDegraded ? 'degraded' : 'healthy').inc();
      degraded.labels(store).set(isDegraded ? 1 : 0);
    },
    reload: (result) => reloads.labels(result).inc(),
  };
}
