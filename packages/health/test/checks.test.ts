import { describe, expect, it } from 'vitest';
import {
  circuitBreakerCheck,
  createHealthRegistry,
  eventLoopDelayCheck,
  HealthConfigError,
  heapCheck,
  redisPingCheck,
  sqlPingCheck,
  subscriptionLagCheck,
  type CheckDefinition,
} from '../src/index.js';

async function runOnce(def: CheckDefinition) {
  const health = createHealthRegistry({ checks: [{ ...def, cacheMs: 0 }] });
  const [r] = await health.runChecks();
  return r!;
}

describe('built-in checks', () => {
  it('sqlPingCheck: critical datastore check with the round trip', async () => {
    const ok = await runOnce(sqlPingCheck({ ping: () => Promise.resolve([{ one: 1 }]) }));
    expect(ok).toMatchObject({ name: 'database', status: 'pass', critical: true, componentType: 'datastore', observedUnit: 'ms' });
    expect(typeof ok.observedValue).toBe('number');
    const down = await runOnce(sqlPingCheck({ name: 'postgres', ping: () => Promise.reject(new Error('ECONNREFUSED')) }));
    expect(down).toMatchObject({ name: 'postgres', status: 'fail', output: 'ECONNREFUSED' });
    const syncOk = await runOnce(sqlPingCheck({ ping: () => ({ one: 1 }) }));
    expect(syncOk.status).toBe('pass');
    const syncThrows = await runOnce(
      sqlPingCheck({
        ping: () => {
          throw new Error('SQLITE_BUSY');
        },
      }),
    );
    expect(syncThrows).toMatchObject({ status: 'fail', output: 'SQLITE_BUSY' });
  });

  it('redisPingCheck: non-critical, so a failure is a warning', async () => {
    expect(await runOnce(redisPingCheck({ client: { ping: () => Promise.resolve('PONG') } }))).toMatchObject({
      name: 'redis',
      status: 'pass',
      critical: false,
    });
    expect(
      await runOnce(redisPingCheck({ client: { ping: () => Promise.reject(new Error('Connection is closed.')) } })),
    ).toMatchObject({ status: 'warn', output: 'Connection is closed.' });
    expect(await runOnce(redisPingCheck({ critical: true, client: { ping: () => Promise.resolve('LOADING') } }))).toMatchObject(
      { status: 'fail', output: 'unexpected PING answer "LOADING"' },
    );
  });

  it('circuitBreakerCheck maps states, including cockatiel numbers', async () => {
    const results = [];
    for (const s of ['closed', 'half-open', 'open', 'isolated', 0, 1, 2, 7] as const) {
      results.push((await runOnce(circuitBreakerCheck({ critical: true, read: () => s }))).status);
    }
    expect(results).toEqual(['pass', 'warn', 'fail', 'fail', 'pass', 'fail', 'warn', 'fail']);
  });

  it('subscriptionLagCheck applies warn and fail thresholds', async () => {
    const at = async (lag: number) =>
      (await runOnce(subscriptionLagCheck({ critical: true, warnAt: 10, failAt: 100, read: () => Promise.resolve(lag) })))
        .status;
    expect([await at(0), await at(9), await at(10), await at(99), await at(100)]).toEqual([
      'pass',
      'pass',
      'warn',
      'warn',
      'fail',
    ]);
    expect((await runOnce(subscriptionLagCheck({ critical: true, read: () => NaN }))).status).toBe('fail');
    expect(() => subscriptionLagCheck({ read: () => 0, warnAt: 10, failAt: 5 })).toThrow(HealthConfigError);
  });

  it('eventLoopDelayCheck reports the delay in ms against thresholds', async () => {
    let ms = 5;
    const def = eventLoopDelayCheck({ warnAt: 50, failAt: 500, critical: true, read: () => ms });
    expect(await runOnce(def)).toMatchObject({ status: 'pass', observedValue: 5, observedUnit: 'ms' });
    ms = 60;
    expect((await runOnce(def)).status).toBe('warn');
    ms = 600;
    expect((await runOnce(def)).status).toBe('fail');
    def.stop();
  });

  it('eventLoopDelayCheck samples the real loop by default', async () => {
    const def = eventLoopDelayCheck({ resolutionMs: 10 });
    const r = await runOnce(def);
    def.stop();
    expect(typeof r.observedValue).toBe('number');
    expect(r.observedValue as number).toBeGreaterThanOrEqual(0);
  });

  it('heapCheck reports used/limit', async () => {
    const def = (used: number) => heapCheck({ warnAt: 0.8, failAt: 0.9, critical: true, read: () => ({ used, limit: 100 }) });
    expect(await runOnce(def(50))).toMatchObject({ status: 'pass', observedValue: 0.5, observedUnit: 'ratio' });
    expect((await runOnce(def(85))).status).toBe('warn');
    expect((await runOnce(def(95))).status).toBe('fail');
    const real = await runOnce(heapCheck());
    expect(real.observedValue as number).toBeGreaterThan(0);
    expect(real.observedValue as number).toBeLessThan(1);
  });

  it('rejects missing functions', () => {
    expect(() => sqlPingCheck({} as never)).toThrow(/ping/);
    expect(() => redisPingCheck({ client: {} } as never)).toThrow(/client/);
  });
});
