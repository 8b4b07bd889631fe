import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHealthRegistry, HealthConfigError, type CheckOutcome, type CheckStatus } from '../src/index.js';

function clock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A check whose outcome the test sets, counting its runs. */
function controllable(initial: CheckOutcome | Error = {}) {
  let next: CheckOutcome | Error = initial;
  let runs = 0;
  return {
    set(o: CheckOutcome | Error) {
      next = o;
    },
    get runs() {
      return runs;
    },
    check: () => {
      runs++;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('health registry', () => {
  it('readiness passes when started and every critical check passes', async () => {
    const db = controllable();
    const health = createHealthRegistry({ checks: [{ name: 'db', check: db.check }], started: true });
    const r = await health.readiness();
    expect(r.httpStatus).toBe(200);
    expect(r.body.status).toBe('pass');
    expect(r.body.checks?.['db']?.[0]).toMatchObject({ status: 'pass', critical: true });
  });

  it('readiness fails before markStarted and the startup probe follows markStarted', async () => {
    const health = createHealthRegistry();
    expect((await health.readiness()).httpStatus).toBe(503);
    expect((await health.readiness()).body.output).toBe('starting');
    expect(health.startup().httpStatus).toBe(503);
    health.markStarted();
    expect(health.startup()).toEqual({ httpStatus: 200, body: { status: 'pass' } });
    expect((await health.readiness()).httpStatus).toBe(200);
  });

  it('a failing critical check fails readiness but never liveness', async () => {
    const db = controllable(new Error('connection refused'));
    const health = createHealthRegistry({ checks: [{ name: 'db', check: db.check }], started: true });
    const ready = await health.readiness();
    expect(ready.httpStatus).toBe(503);
    expect(ready.body.status).toBe('fail');
    expect(ready.body.output).toBe('failing: db');
    expect(ready.body.checks?.['db']?.[0]).toMatchObject({ status: 'fail', output: 'connection refused' });
    expect(health.liveness().httpStatus).toBe(200);
    expect(health.liveness().body.status).toBe('pass');
  });

  it('a failing non-critical check is reported as warn and readiness holds', async () => {
    const redis = controllable(new Error('ECONNREFUSED'));
    const health = createHealthRegistry({
      checks: [{ name: 'redis', critical: false, check: redis.check }],
      started: true,
    });
    const ready = await health.readiness();
    expect(ready.httpStatus).toBe(200);
    expect(ready.body.status).toBe('warn');
    expect(ready.body.checks?.['redis']?.[0]).toMatchObject({ status: 'warn', critical: false, output: 'ECONNREFUSED' });
  });

  it('draining fails readiness at once without running checks; liveness stays 200', async () => {
    const db = controllable();
    const health = createHealthRegistry({ checks: [{ name: 'db', check: db.check, cacheMs: 0 }], started: true });
    await health.readiness();
    const runsBefore = db.runs;
    health.setDraining('SIGTERM');
    const ready = await health.readiness();
    expect(ready.httpStatus).toBe(503);
    expect(ready.body.output).toBe('draining: SIGTERM');
    expect(db.runs).toBe(runsBefore);
    expect(health.liveness().httpStatus).toBe(200);
    expect(health.liveness().body.output).toBe('draining');
    expect(health.draining).toBe(true);
  });

  it('reuses results younger than cacheMs and runs again after', async () => {
    const c = clock();
    const db = controllable();
    const health = createHealthRegistry({ checks: [{ name: 'db', check: db.check, cacheMs: 1000 }], now: c.now });
    await health.runChecks();
    await health.runChecks();
    expect(db.runs).toBe(1);
    c.advance(999);
    await health.runChecks();
    expect(db.runs).toBe(1);
    c.advance(1);
    await health.runChecks();
    expect(db.runs).toBe(2);
    await health.runChecks({ force: true });
    expect(db.runs).toBe(3);
  });

  it('concurrent runs share one in-flight call', async () => {
    let release!: () => void;
    let called!: () => void;
    const started = new Promise<void>((r) => (called = r));
    let runs = 0;
    const health = createHealthRegistry({
      checks: [
        {
          name: 'slow',
          cacheMs: 0,
          check: () => {
            runs++;
            called();
            return new Promise<void>((r) => (release = r));
          },
        },
      ],
    });
    const all = Promise.all([health.runChecks(), health.runChecks(), health.readiness()]);
    await started;
    release();
    await all;
    expect(runs).toBe(1);
  });

  it('a check that does not settle in time fails with a timeout and its signal aborts', async () => {
    vi.useFakeTimers();
    let aborted: unknown;
    const health = createHealthRegistry({
      started: true,
      checks: [
        {
          name: 'hangs',
          timeoutMs: 500,
          check: (signal) =>
            new Promise<void>(() => {
              signal.addEventListener('abort', () => {
                aborted = signal.reason;
              });
            }),
        },
      ],
    });
    const pending = health.readiness();
    await vi.advanceTimersByTimeAsync(499);
    expect(aborted).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const ready = await pending;
    expect(ready.httpStatus).toBe(503);
    expect(ready.body.checks?.['hangs']?.[0]?.output).toBe('check hangs timed out after 500 ms');
    expect((aborted as { code?: string }).code).toBe('HEALTH_CHECK_TIMEOUT');
  });

  it('a check that ignores its abort signal is not started again while its timed-out run is still going', async () => {
    vi.useFakeTimers();
    let calls = 0;
    let finish: () => void = () => undefined;
    const health = createHealthRegistry({
      started: true,
      checks: [
        {
          name: 'stuck',
          timeoutMs: 100,
          cacheMs: 0,
          check: () => {
            calls++;
            return new Promise<void>((resolve) => {
              finish = resolve; // like pool.query: the signal is not looked at
            });
          },
        },
      ],
    });
    const first = health.readiness();
    await vi.advanceTimersByTimeAsync(100);
    expect((await first).httpStatus).toBe(503);
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      const again = await health.readiness();
      expect(again.httpStatus).toBe(503);
      expect(again.body.checks?.['stuck']?.[0]?.output).toMatch(/timed out after 100 ms and has not finished since/);
    }
    expect(calls).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    const after = health.readiness();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2); // the next probe runs the check again
    finish();
    expect((await after).httpStatus).toBe(200);
  });

  it('records duration, observed values, last change and a bounded history', async () => {
    const c = clock();
    const db = controllable({ observedValue: 3, observedUnit: 'ms' });
    const health = createHealthRegistry({ checks: [{ name: 'db', check: db.check, cacheMs: 0 }], now: c.now, historySize: 3 });
    const statuses: CheckStatus[] = ['pass', 'pass', 'warn', 'warn', 'fail'];
    const changes: string[] = [];
    for (const s of statuses) {
      db.set({ status: s, observedValue: 3, observedUnit: 'ms' });
      c.advance(1000);
      const [r] = await health.runChecks();
      changes.push(r!.lastChange);
    }
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
    expect(changes).toEqual([t(1), t(1), t(3), t(3), t(5)]);
    const [last] = health.lastResults();
    expect(last).toMatchObject({ status: 'fail', observedValue: 3, observedUnit: 'ms', time: t(5), durationMs: 0 });
    expect(last!.history.map((h) => [h.status, h.time])).toEqual([
      ['warn', t(3)],
      ['warn', t(4)],
      ['fail', t(5)],
    ]);
    const details = await health.details();
    expect(details.body.checks?.['db']?.[0]?.history).toHaveLength(3);
    const ready = await health.readiness();
    expect(ready.body.checks?.['db']?.[0]).not.toHaveProperty('history');
  });

  it('treats an unknown returned status as a failure with a clear output', async () => {
    const health = createHealthRegistry({
      started: true,
      checks: [{ name: 'odd', check: () => ({ status: 'ok' as CheckStatus }) }],
    });
    const ready = await health.readiness();
    expect(ready.httpStatus).toBe(503);
    expect(ready.body.checks?.['odd']?.[0]?.output).toBe('check returned an unknown status "ok"');
  });

  it('rejects bad registrations with a config error naming the option', () => {
    const health = createHealthRegistry();
    health.register({ name: 'db', check: () => undefined });
    const codes = [
      () => health.register({ name: 'db', check: () => undefined }),
      () => health.register({ name: 'has space', check: () => undefined }),
      () => health.register({ name: 'x', check: () => undefined, timeoutMs: 0 }),
      () => health.register({ name: 'y', check: () => undefined, cacheMs: -1 }),
      // Node would fire such a timer after 1 ms: every check would time out at once.
      () => health.register({ name: 'z', check: () => undefined, timeoutMs: 3e9 }),
      () => createHealthRegistry({ historySize: 0 }),
    ].map((f) => {
      try {
        f();
        return 'no error';
      } catch (err) {
        expect(err).toBeInstanceOf(HealthConfigError);
        return (err as HealthConfigError).option;
      }
    });
    expect(codes).toEqual(['db', 'name', 'x.timeoutMs', 'y.cacheMs', 'z.timeoutMs', 'historySize']);
  });

  it('unregister removes a check from the probes', async () => {
    const health = createHealthRegistry({ started: true });
    const off = health.register({ name: 'gone', check: () => ({ status: 'fail' }) });
    expect((await health.readiness()).httpStatus).toBe(503);
    off();
    expect(health.checkNames).toEqual([]);
    expect((await health.readiness()).httpStatus).toBe(200);
  });

  it('carries service metadata in every body', async () => {
    const health = createHealthRegistry({ serviceId: 'liap-tui', version: '1', releaseId: '1.0.3', started: true });
    expect((await health.readiness()).body).toMatchObject({ serviceId: 'liap-tui', version: '1', releaseId: '1.0.3' });
    expect(health.liveness().body).toMatchObject({ serviceId: 'liap-tui' });
  });

  it('logs status changes only', async () => {
    const lines: Array<[string, Record<string, unknown>, string | undefined]> = [];
    const log =
      (level: string) =>
      (obj: object | string, msg?: string): void => {
        lines.push(typeof obj === 'string' ? [level, {}, obj] : [level, obj as Record<string, unknown>, msg]);
      };
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
    const db = controllable();
    const health = createHealthRegistry({ logger, checks: [{ name: 'db', check: db.check, cacheMs: 0 }] });
    await health.runChecks();
    await health.runChecks();
    db.set(new Error('down'));
    await health.runChecks();
    await health.runChecks();
    expect(lines.map(([level, f, m]) => [level, f['check'], f['previous'], m])).toEqual([
      ['info', 'db', null, 'health check passes'],
      ['error', 'db', 'pass', 'health check fails'],
    ]);
  });
});

describe('health metrics', () => {
  it('exports check status and duration per check, and readiness', async () => {
    const registry = new Registry();
    const db = controllable();
    const health = createHealthRegistry({
      metrics: { registry, prefix: 'game_' },
      started: true,
      checks: [
        { name: 'db', check: db.check, cacheMs: 0 },
        { name: 'redis', critical: false, check: () => ({ status: 'fail' }) },
      ],
    });
    await health.readiness();
    db.set(new Error('down'));
    await health.readiness();
    const text = await registry.metrics();
    expect(text).toContain('game_health_check_status{check="db",status="fail"} 1');
    expect(text).toContain('game_health_check_status{check="db",status="pass"} 0');
    expect(text).toContain('game_health_check_status{check="redis",status="warn"} 1');
    // Two probes, and the scrape's own evaluation (cacheMs 0 runs the check again).
    expect(text).toContain('game_health_check_duration_seconds_count{check="db"} 3');
    expect(text).toContain('game_health_ready 0');
    expect(text).toContain('game_health_draining 0');
    health.setDraining();
    expect(await registry.metrics()).toContain('game_health_draining 1');
  });

  it('a scrape reads the state as of now, with no probe requested (a plain docker run only probes liveness)', async () => {
    const registry = new Registry();
    const db = controllable();
    const health = createHealthRegistry({ metrics: registry, checks: [{ name: 'db', check: db.check, cacheMs: 0 }] });
    expect(await registry.metrics()).toContain('health_ready 0'); // not started yet
    health.markStarted();
    let text = await registry.metrics();
    expect(text).toContain('health_ready 1');
    expect(text).toContain('health_check_status{check="db",status="pass"} 1');
    db.set(new Error('down'));
    text = await registry.metrics();
    expect(text).toContain('health_ready 0');
    expect(text).toContain('health_check_status{check="db",status="fail"} 1');
    db.set({});
    expect(await registry.metrics()).toContain('health_ready 1');
  });

  it('a check that scrapes the registry itself does not wait for the evaluation it is part of', async () => {
    const registry = new Registry();
    const health = createHealthRegistry({
      metrics: registry,
      started: true,
      checks: [{ name: 'reads-metrics', timeoutMs: 5_000, cacheMs: 0, check: async () => void (await registry.getMetricsAsJSON()) }],
    });
    // Before: the check waited on the scrape, which waited on the check, until the timeout (503 after 5 s).
    expect((await health.readiness()).httpStatus).toBe(200);
    expect(await registry.metrics()).toContain('health_ready 1');
  });

  it('two registries can share one prom-client registry', () => {
    const registry = new Registry();
    createHealthRegistry({ metrics: registry });
    expect(() => createHealthRegistry({ metrics: registry })).not.toThrow();
    expect(registry.getSingleMetric('health_check_status')).toBeDefined();
  });

  it('still takes the deprecated registry + metricsPrefix, but not together with metrics', async () => {
    const registry = new Registry();
    const health = createHealthRegistry({ registry, metricsPrefix: 'old_', started: true });
    await health.readiness();
    expect(await registry.metrics()).toContain('old_health_ready 1');
    expect(() => createHealthRegistry({ metrics: registry, registry })).toThrow(HealthConfigError);
    expect(() => createHealthRegistry({ metrics: registry, metricsPrefix: 'x_' })).toThrow(/not both/);
    expect(() => createHealthRegistry({ metrics: { registry: {} as Registry } })).toThrow(/prom-client Registry/);
    expect(() => createHealthRegistry({ metrics: null as unknown as Registry })).toThrow(HealthConfigError);
    expect(() => createHealthRegistry({ metrics: { registry, prefix: '1st' } })).toThrow(HealthConfigError);
  });
});

describe('identity fields', () => {
  it('takes an unset environment variable as "left out" (the README quick start type-checks under exactOptionalPropertyTypes)', async () => {
    const env: Record<string, string | undefined> = { SERVICE: 'svc' };
    const health = createHealthRegistry({ serviceId: env['SERVICE'], releaseId: env['RELEASE'], started: true });
    const report = await health.readiness();
    expect(report.body).toMatchObject({ serviceId: 'svc' });
    expect('releaseId' in (report.body as object)).toBe(false);
  });
});
