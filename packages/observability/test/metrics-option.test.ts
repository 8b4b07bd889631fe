import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsTarget, type MetricsOption } from '../src/metrics-option.js';

class Bad extends Error {}
const bad = (problem: string) => new Bad(problem);

describe('metricsTarget (the `metrics` option of persistence, rate-limit and health)', () => {
  it('takes a registry, or a registry and a prefix', () => {
    const registry = new Registry();
    expect(metricsTarget(registry, bad)).toEqual({ registry, prefix: '' });
    expect(metricsTarget({ registry }, bad)).toEqual({ registry, prefix: '' });
    expect(metricsTarget({ registry, prefix: 'game_' }, bad)).toEqual({ registry, prefix: 'game_' });
    expect(metricsTarget({ registry, prefix: '' }, bad)).toEqual({ registry, prefix: '' });
  });

  it("refuses anything else, and prefixes that cannot start a metric name, with the caller's error", () => {
    const registry = new Registry();
    for (const option of [null, 'registry', {}, { registry: {} }, Registry] as unknown as MetricsOption[]) {
      expect(() => metricsTarget(option, bad), JSON.stringify(option) ?? typeof option).toThrow(Bad);
    }
    for (const prefix of ['game-', '1st_', 'a b', 'é_']) {
      expect(() => metricsTarget({ registry, prefix }, bad)).toThrow(/is not the start of a Prometheus metric name/);
    }
  });

  it('loads nothing at run time (packages that use this package only for types may import it)', async () => {
    const source = await import('node:fs/promises').then((fs) => fs.readFile(new URL('../src/metrics-option.ts', import.meta.url), 'utf8'));
    expect(source.match(/^import (?!type ).*$/gm) ?? []).toEqual([]);
  });
});
