import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Histogram, Registry } from 'prom-client';
import { ObservabilityConfigError } from './errors.js';
import type { SlowOperationLog } from './slow.js';

/**
 * Histogram buckets in seconds from 100 µs to 10 s: fine below a millisecond (in-memory work,
 * frame handling), coarse up to the seconds a database stall takes.
 */
export const latencyBuckets: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const withProcessMetrics = new WeakSet<Registry>();

/**
 * prom-client, loaded when a metrics helper is first called: it is an optional peer, so the logger, the
 * context and the tracing helpers (and the packages that only use this package's types) work without it.
 */
let promClient: typeof PromClient | undefined;
function prom(): typeof PromClient {
  if (promClient) return promClient;
  try {
    promClient = createRequire(import.meta.url)('prom-client') as typeof PromClient;
  } catch (err) {
    throw new ObservabilityConfigError('prom-client', `the metrics helpers need the prom-client package (pnpm add prom-client): ${(err as Error).message}`);
  }
  return promClient;
}

/** Options of {@link registerProcessMetrics}. */
export interface ProcessMetricsOptions {
  /** Prefix for every metric name, e.g. `'game_'`. */
  prefix?: string;
  /** Extra labels on every default metric. */
  labels?: Record<string, string>;
}

/**
 * Registers prom-client's default process metrics (CPU, memory, event-loop lag, GC, handles) in
 * `registry`; calling it again for the same registry does nothing.
 */
export function registerProcessMetrics(registry: Registry, options: ProcessMetricsOptions = {}): void {
  if (withProcessMetrics.has(registry)) return;
  prom().collectDefaultMetrics({
    register: registry,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
  });
  withProcessMetrics.add(registry);
}

/** Options of {@link createLatencyHistogram}. */
export interface LatencyHistogramOptions<L extends string> {
  /** The metric name; should end in `_seconds`. */
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Bucket bounds in seconds (default {@link latencyBuckets}). */
  buckets?: readonly number[];
}

/**
 * A histogram of durations in seconds registered in `registry` (returns the existing one when the
 * name is already registered there as a histogram).
 */
export function createLatencyHistogram<L extends string = string>(
  registry: Registry,
  options: LatencyHistogramOptions<L>,
): Histogram<L> {
  const existing = registry.getSingleMetric(options.name);
  if (existing) {
    if (existing instanceof prom().Histogram) return existing;
    throw new ObservabilityConfigError('name', `${options.name} is already registered as another metric type`);
  }
  const buckets = [...(options.buckets ?? latencyBuckets)];
  if (buckets.length === 0 || buckets.some((b, i) => !(b > 0) || (i > 0 && b <= buckets[i - 1]!))) {
    throw new ObservabilityConfigError('buckets', 'must be a non-empty list of increasing positive numbers');
  }
  const { Histogram: HistogramClass } = prom();
  return new HistogramClass<L>({
    name: options.name,
    help: options.help,
    labelNames: [...(options.labelNames ?? [])],
    buckets,
    registers: [registry],
  });
}

/** Options of {@link timed}. */
export interface TimedOptions<L extends string> {
  /** Labels of the observation. */
  labels?: Partial<Record<L, string | number>>;
  /** A label set to `'ok'` or `'error'` by the outcome (must be one of the histogram's labels). */
  outcomeLabel?: L;
  /** Also report the call to a slow-operation log under this operation name. */
  slow?: { log: SlowOperationLog; operation: string; fields?: Record<string, unknown> };
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/**
 * Runs `fn` and observes its duration in `histogram` (seconds), whether it returns, resolves,
 * throws or rejects. A synchronous `fn` stays synchronous.
 * @example const rows = await timed(dbLatency, () => db.selectFrom('x').execute(), { labels: { op: 'select' } });
 */
export function timed<T, L extends string = string>(
  histogram: Histogram<L>,
  fn: () => T,
  options: TimedOptions<L> = {},
): T {
  const now = options.now ?? (() => performance.now());
  const start = now();
  const done = (ok: boolean) => {
    const ms = now() - start;
    const labels: Partial<Record<L, string | number>> = { ...options.labels };
    if (options.outcomeLabel !== undefined) labels[options.outcomeLabel] = ok ? 'ok' : 'error';
    histogram.observe(labels, ms / 1000);
    if (options.slow) options.slow.log.observe(options.slow.operation, ms, options.slow.fields);
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    done(false);
    throw err;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (v) => {
        done(true);
        return v;
      },
      (err: unknown) => {
        done(false);
        throw err;
      },
    ) as T;
  }
  done(true);
  return result;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
