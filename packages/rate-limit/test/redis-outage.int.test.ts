import { startPrivateRedis, uniqueName, type PrivateServer } from '@game/test-services';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, RateLimitStoreUnavailableError, type StoreFailurePolicy } from '../src/index.js';
import { createRedisStore } from '../src/redis/index.js';
import { createManualClock } from '../src/testing/index.js';
import { recordingLogger } from './helpers.js';

// A private redis-server that this file really stops and starts; the shared one is never touched.
let server: PrivateServer;
let client: Redis;

beforeAll(async () => {
  server = await startPrivateRedis();
  client = new Redis(server.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
    lazyConnect: true,
  });
  client.on('error', () => undefined);
  await client.connect();
});

afterAll(async () => {
  client.disconnect();
  await server.destroy();
});

// events.once would reject on the reconnect attempts' 'error' events, so wait for the one event alone.
function next(event: 'close' | 'ready'): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

async function stopRedis(): Promise<void> {
  const closed = next('close');
  await server.stop();
  await closed;
}

async function startRedis(): Promise<void> {
  const ready = next('ready');
  await server.start();
  await ready;
}

function setup(onStoreFailure: StoreFailurePolicy) {
  const clock = createManualClock();
  const logger = recordingLogger();
  const limiter = createRateLimiter({
    policies: [{ name: 'moves', key: 'player', capacity: 3, refill: { tokens: 1, intervalMs: 1000 } }],
    store: createRedisStore({ client, keyPrefix: `${uniqueName('rl')}:`, time: 'caller' }),
    onStoreFailure,
    clock,
    logger,
    probeIntervalMs: 1000,
    storeTimeoutMs: 2000,
  });
  return { clock, logger, limiter };
}

describe('Redis stopped mid-test (private instance)', () => {
  it('fallbackToMemory: play continues, limits still hold per process, shared limits return with Redis', async () => {
    const { clock, logger, limiter } = setup('fallbackToMemory');
    expect(await limiter.consume({ player: 'alice' })).toMatchObject({
      allowed: true,
      degraded: false,
      remaining: 2,
    });

    await stopRedis();
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await limiter.consume({ player: 'bob' }));
    expect(during.map((r) => r.status)).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
    expect(during.every((r) => r.degraded)).toBe(true);
    expect(during[3]!.retryAfterMs).toBe(1000);
    expect(limiter.storeHealthy).toBe(false);

    await startRedis();
    clock.advance(1000);
    const after = await limiter.consume({ player: 'alice' });
    expect(after).toMatchObject({ allowed: true, degraded: false });
    expect(limiter.storeHealthy).toBe(true);
    // the bucket lives in Redis again (the restarted server lost its data, and the script: NOSCRIPT is handled)
    expect(await client.keys('*moves|alice')).toHaveLength(1);

    const warn = logger.lines.filter((l) => l.level === 'warn' && l.msg?.includes('failed'));
    const info = logger.lines.filter((l) => l.msg?.includes('recovered'));
    expect(warn).toHaveLength(1);
    expect(info).toHaveLength(1);
  });

  it('failClosed: requests are refused with a distinct error while Redis is down', async () => {
    const { clock, limiter } = setup('failClosed');
    expect((await limiter.consume({ player: 'carol' })).allowed).toBe(true);

    await stopRedis();
    const refused = await limiter.consume({ player: 'carol' });
    expect(refused.allowed).toBe(false);
    expect(refused.status).toBe('unavailable');
    expect(refused.error).toBeInstanceOf(RateLimitStoreUnavailableError);
    // later requests before the next probe fail fast, the same way
    expect((await limiter.consume({ player: 'dave' })).status).toBe('unavailable');

    await startRedis();
    clock.advance(1000);
    expect(await limiter.consume({ player: 'carol' })).toMatchObject({
      allowed: true,
      status: 'allowed',
      degraded: false,
    });
  });

  it('failOpen: requests pass unchecked while Redis is down, and are checked again after', async () => {
    const { clock, limiter } = setup('failOpen');
    for (let i = 0; i < 3; i++) await limiter.consume({ player: 'erin' });
    expect((await limiter.consume({ player: 'erin' })).allowed).toBe(false);

    await stopRedis();
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await limiter.consume({ player: 'erin' }));
    expect(open.every((r) => r.allowed && r.degraded)).toBe(true);

    await startRedis();
    clock.advance(1000);
    // the restarted Redis lost the bucket: full again, and limits apply once more
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await limiter.consume({ player: 'erin' })).status);
    expect(after).toEqual(['allowed', 'allowed', 'allowed', 'limited']);
  });
});
