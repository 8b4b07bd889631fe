import { Registry, register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  createLatencyHistogram,
  createSlowOperationLog,
  latencyBuckets,
  ObservabilityConfigError,
  registerProcessMetrics,
  timed,
} from '../src/index.js';
import { capture } from './helpers.js';

async function histogramValues(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as Array<{ metricName?: string; value: number; labels: Record<string, string | number> }>;
}

function fakeClock(...readings: number[]) {
  return () => readings.shift() ?? 0;
}

describe('metrics helpers', () => {
  it('registers process metrics in the given registry only, once', async () => {
    const registry = new Registry();
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    registerProcessMetrics(registry, { prefix: 'game_' });
    registerProcessMetrics(registry, { prefix: 'game_' });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('game_process_cpu_user_seconds_total');
    expect(names).toContain('game_nodejs_eventloop_lag_seconds');
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);
  });

  it('latency buckets cover 100 µs to 10 s in increasing order', () => {
    expect(latencyBuckets[0]).toBe(0.0001);
    expect(latencyBuckets.at(-1)).toBe(10);
    expect([...latencyBuckets].sort((a, b) => a - b)).toEqual([...latencyBuckets]);
    expect(latencyBuckets.filter((b) => b < 0.001).length).toBeGreaterThanOrEqual(3);
  });

  it('createLatencyHistogram reuses a registered histogram and rejects bad buckets', () => {
    const registry = new Registry();
    const h = createLatencyHistogram(registry, { name: 'op_seconds', help: 'h', labelNames: ['op'] });
    expect(createLatencyHistogram(registry, { name: 'op_seconds', help: 'h' })).toBe(h);
    expect(() => createLatencyHistogram(registry, { name: 'x_seconds', help: 'h', buckets: [1, 0.5] })).toThrow(
      ObservabilityConfigError,
    );
  });

  it('timed observes a sync call in seconds and stays synchronous', async () => {
    const registry = new Registry();
    const h = createLatencyHistogram(registry, { name: 'sync_seconds', help: 'h', labelNames: ['op'] });
    const out = timed(h, () => 7, { labels: { op: 'add' }, now: fakeClock(1000, 1003) });
    expect(out).toBe(7);
    const values = await histogramValues(registry, 'sync_seconds');
    expect(values.find((v) => v.metricName === 'sync_seconds_sum')?.value).toBeCloseTo(0.003);
    expect(values.find((v) => v.metricName === 'sync_seconds_count')?.value).toBe(1);
    expect(values.find((v) => v.metricName === 'sync_seconds_bucket' && v.labels['le'] === 0.0025)?.value).toBe(0);
    expect(values.find((v) => v.metricName === 'sync_seconds_bucket' && v.labels['le'] === 0.005)?.value).toBe(1);
  });

  it('timed observes async success and failure with an outcome label', async () => {
    const registry = new Registry();
    const h = createLatencyHistogram(registry, { name: 'async_seconds', help: 'h', labelNames: ['op', 'outcome'] });
    await expect(timed(h, () => Promise.resolve('ok'), { labels: { op: 'a' }, outcomeLabel: 'outcome' })).resolves.toBe(
      'ok',
    );
    await expect(
      timed(h, () => Promise.reject(new Error('nope')), { labels: { op: 'a' }, outcomeLabel: 'outcome' }),
    ).rejects.toThrow('nope');
    expect(() =>
      timed(
        h,
        () => {
          throw new Error('sync nope');
        },
        { labels: { op: 'b' }, outcomeLabel: 'outcome' },
      ),
    ).toThrow('sync nope');
    const counts = (await histogramValues(registry, 'async_seconds')).filter(
      (v) => v.metricName === 'async_seconds_count',
    );
    const byKey = Object.fromEntries(counts.map((c) => [`${c.labels['op']}/${c.labels['outcome']}`, c.value]));
    expect(byKey).toEqual({ 'a/ok': 1, 'a/error': 1, 'b/error': 1 });
  });

  it('timed reports to a slow-operation log', () => {
    const registry = new Registry();
    const h = createLatencyHistogram(registry, { name: 'slow_seconds', help: 'h' });
    const { logger, lines } = capture();
    const slow = createSlowOperationLog({ logger, thresholdMs: 50 });
    timed(h, () => 1, { now: fakeClock(0, 80), slow: { log: slow, operation: 'append', fields: { roomId: 'R' } } });
    timed(h, () => 1, { now: fakeClock(0, 10), slow: { log: slow, operation: 'fast' } });
    expect(lines()).toEqual([
      expect.objectContaining({ msg: 'slow operation', operation: 'append', durationMs: 80, thresholdMs: 50, roomId: 'R' }),
    ]);
  });
});

describe('createSlowOperationLog', () => {
  it('logs at warn only at or above the threshold', async () => {
    const { logger, lines } = capture();
    const slow = createSlowOperationLog({ logger, thresholdMs: 100, now: fakeClock(0, 99, 0, 100, 0, 250) });
    expect(slow.measure('a', () => 'x')).toBe('x');
    expect(slow.measure('b', () => 'y')).toBe('y');
    await expect(slow.measure('c', () => Promise.reject(new Error('e')))).rejects.toThrow('e');
    expect(lines().map((l) => [l['operation'], l['durationMs'], l['level'], l['failed']])).toEqual([
      ['b', 100, 'warn', undefined],
      ['c', 250, 'warn', true],
    ]);
  });

  it('rejects a negative threshold', () => {
    const { logger } = capture();
    expect(() => createSlowOperationLog({ logger, thresholdMs: -1 })).toThrow(/thresholdMs/);
  });
});
