import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { statusFor, thresholds } from '../internal/thresholds.js';
import type { CheckDefinition } from '../types.js';
import { base, type BuiltinCheckOptions } from './common.js';

/** Options of {@link eventLoopDelayCheck}. */
export interface EventLoopDelayCheckOptions extends BuiltinCheckOptions {
  /** p99 delay in ms at which the check warns (default 100). */
  warnAt?: number;
  /** p99 delay in ms at which the check fails (default: never fails). */
  failAt?: number;
  /** Sampling resolution in ms (default 20). */
  resolutionMs?: number;
  /** Reads the delay in ms instead of sampling the real loop (tests, custom monitors). */
  read?: () => number;
}

/** A check plus the sampler it owns. */
export interface SamplingCheck extends CheckDefinition {
  /** Stops the sampler (call on shutdown). */
  stop(): void;
}

/**
 * The event loop's p99 delay since the previous run, from `monitorEventLoopDelay`. Non-critical
 * by default: a busy loop is a symptom to see, and failing readiness under load can cascade.
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): SamplingCheck {
  const warnAt = options.warnAt ?? 100;
  thresholds('eventLoopDelay', warnAt, options.failAt);
  let histogram: IntervalHistogram | undefined;
  if (!options.read) {
    histogram = monitorEventLoopDelay({ resolution: options.resolutionMs ?? 20 });
    histogram.enable();
  }
  const read =
    options.read ??
    (() => {
      const h = histogram!;
      const ms = h.count > 0 ? h.percentile(99) / 1e6 : 0;
      h.reset();
      return ms;
    });
  return {
    ...base(options, { name: 'event-loop-delay', critical: false, componentType: 'system' }),
    check() {
      const ms = Math.round(read() * 1000) / 1000;
      const status = statusFor(ms, warnAt, options.failAt);
      return {
        status,
        observedValue: ms,
        observedUnit: 'ms',
        ...(status === 'pass' ? {} : { output: `p99 event-loop delay ${ms} ms` }),
      };
    },
    stop() {
      histogram?.disable();
    },
  };
}

/** Options of {@link heapCheck}. */
export interface HeapCheckOptions extends BuiltinCheckOptions {
  /** Used/limit ratio at which the check warns (default 0.85). */
  warnAt?: number;
  /** Used/limit ratio at which the check fails (default: never fails). */
  failAt?: number;
  /** Reads `{ used, limit }` in bytes instead of V8's heap statistics. */
  read?: () => { used: number; limit: number };
}

/** Heap use as a share of V8's heap limit. Non-critical by default. */
export function heapCheck(options: HeapCheckOptions = {}): CheckDefinition {
  const warnAt = options.warnAt ?? 0.85;
  thresholds('heap', warnAt, options.failAt);
  const read =
    options.read ??
    (() => {
      const s = getHeapStatistics();
      return { used: s.used_heap_size, limit: s.heap_size_limit };
    });
  return {
    ...base(options, { name: 'heap', critical: false, componentType: 'system' }),
    check() {
      const { used, limit } = read();
      const ratio = limit > 0 ? used / limit : 0;
      const status = statusFor(ratio, warnAt, options.failAt);
      return {
        status,
        observedValue: Math.round(ratio * 10000) / 10000,
        observedUnit: 'ratio',
        ...(status === 'pass'
          ? {}
          : { output: `heap ${Math.round(used / 1048576)} MiB of ${Math.round(limit / 1048576)} MiB` }),
      };
    },
  };
}
