import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  requirePostgres,
  requireRedis,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivateServer,
} from '@game/test-services';
import {
  createHealthRegistry,
  redisPingCheck,
  sqlPingCheck,
  startHealthServer,
  type HealthJson,
  type HealthRegistry,
  type HealthServer,
} from '../src/index.js';

interface Probe {
  status: number;
  contentType: string | null;
  body: HealthJson;
}

let postgres: PrivateServer;
let redisServer: PrivateServer;
let pool: pg.Pool;
let redis: Redis;
let health: HealthRegistry;
let server: HealthServer;

async function probe(path: string): Promise<Probe> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as HealthJson };
}

/** Polls a probe until `done` holds (a condition, not a fixed sleep); fails with the last answer. */
async function until(path: string, done: (p: Probe) => boolean, timeoutMs = 20_000): Promise<Probe> {
  const deadline = Date.now() + timeoutMs;
  let last: Probe | undefined;
  while (Date.now() < deadline) {
    last = await probe(path);
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition on ${path} not met; last answer ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  [postgres, redisServer] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
  await requirePostgres(postgres.url);
  await requireRedis(redisServer.url);
  pool = new pg.Pool({ connectionString: postgres.url, connectionTimeoutMillis: 1000, max: 2 });
  pool.on('error', () => undefined); // idle clients die with the server; the check reports it
  redis = new Redis(redisServer.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  redis.on('error', () => undefined);
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  health = createHealthRegistry({
    serviceId: 'probe-test',
    checks: [
      sqlPingCheck({ name: 'postgres', ping: () => pool.query('select 1'), timeoutMs: 3000, cacheMs: 0 }),
      redisPingCheck({ client: redis, timeoutMs: 1000, cacheMs: 0 }),
    ],
  });
  health.markStarted();
  server = await startHealthServer({ health, host: '127.0.0.1' });
});

afterAll(async () => {
  await server?.close();
  redis?.disconnect();
  await pool?.end().catch(() => undefined);
  await Promise.all([postgres?.destroy(), redisServer?.destroy()]);
});

describe('probes against real dependencies (private Postgres and Redis)', () => {
  it('all up: ready 200 pass, live 200, health+json', async () => {
    const ready = await probe('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.contentType).toBe('application/health+json');
    expect(ready.body.status).toBe('pass');
    expect(ready.body.checks?.['postgres']?.[0]?.status).toBe('pass');
    expect(ready.body.checks?.['redis']?.[0]?.status).toBe('pass');
    expect((await probe('/health/live')).status).toBe(200);
    expect((await probe('/health/startup')).status).toBe(200);
  });

  it('Postgres stopped: readiness 503 with the postgres check failed, liveness 200; back: ready again', async () => {
    await postgres.stop();
    const down = await probe('/health/ready');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('fail');
    expect(down.body.output).toBe('failing: postgres');
    expect(down.body.checks?.['postgres']?.[0]).toMatchObject({ status: 'fail', critical: true });
    expect(down.body.checks?.['postgres']?.[0]?.output).toBeTruthy();
    expect(down.body.checks?.['redis']?.[0]?.status).toBe('pass');

    const live = await probe('/health/live');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('pass');

    const details = await probe('/health');
    expect(details.status).toBe(503);
    expect(details.body.checks?.['postgres']?.[0]?.history?.some((h) => h.status === 'pass')).toBe(true);

    await postgres.start();
    const back = await until('/health/ready', (p) => p.status === 200);
    expect(back.body.checks?.['postgres']?.[0]?.status).toBe('pass');
  });

  it('Redis (non-critical) stopped: its check warns and the service stays ready', async () => {
    await redisServer.stop();
    const ready = await probe('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('warn');
    expect(ready.body.checks?.['redis']?.[0]).toMatchObject({ status: 'warn', critical: false });
    expect(ready.body.checks?.['postgres']?.[0]?.status).toBe('pass');
    expect((await probe('/health/live')).status).toBe(200);

    await redisServer.start();
    const back = await until('/health/ready', (p) => p.body.status === 'pass');
    expect(back.body.checks?.['redis']?.[0]?.status).toBe('pass');
  });

  it('draining: readiness 503 at once while liveness stays 200', async () => {
    health.setDraining('test');
    const ready = await probe('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.output).toBe('draining: test');
    expect((await probe('/health/live')).status).toBe(200);
  });
});
