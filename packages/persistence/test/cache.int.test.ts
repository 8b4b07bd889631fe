import { redisUrl, requireRedis, startPrivateRedis, uniqueName, type PrivateServer } from '@game/test-services';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type Logger } from '../src/index.js';
import { describeCacheConformance } from '../src/testing/index.js';

describeCacheConformance('memory', () => ({ prefix: uniqueName('cache') + ':' }));

let shared: Redis;
beforeAll(async () => {
  await requireRedis();
  shared = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  await shared.ping();
});
afterAll(() => shared?.disconnect());
describeCacheConformance('memory + redis', () => ({ redis: shared, prefix: uniqueName('cache') + ':' }));

describe('cache with redis', () => {
  it('writes entries to redis with the TTL less jitter', async () => {
    const prefix = uniqueName('ttl') + ':';
    const cache = createCache<number>({ name: 'ttl', redis: shared, redisPrefix: prefix, ttlMs: 10_000, jitter: 0.2 });
    await cache.set('k', 1);
    const pttl = await shared.pttl(`${prefix}ttl:k`);
    expect(pttl).toBeGreaterThan(7_900);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });

  it('counts hits, misses and evictions in the registry', async () => {
    const registry = new Registry();
    const cache = createCache<number>({ name: 'metrics', max: 1, metrics: registry });
    await cache.getOrLoad('a', async () => 1);
    await cache.getOrLoad('a', async () => 1);
    await cache.getOrLoad('b', async () => 2);
    const text = await registry.metrics();
    expect(text).toMatch(/cache_requests_total\{cache="metrics",result="hit"\} 1/);
    expect(text).toMatch(/cache_requests_total\{cache="metrics",result="miss"\} 2/);
    expect(text).toMatch(/cache_evictions_total\{cache="metrics"\} 1/);
  });
});

describe('redis stopped mid-test', () => {
  let server: PrivateServer;
  let client: Redis;
  beforeAll(async () => {
    server = await startPrivateRedis();
    client = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => 20, enableOfflineQueue: false });
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.destroy();
  });

  it('falls back to memory (logged once), keeps serving, and uses redis again when it returns', async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (a: unknown, b?: string) => void infos.push(typeof a === 'string' ? a : (b ?? '')),
      warn: (a: unknown, b?: string) => void warnings.push(typeof a === 'string' ? a : (b ?? '')),
      error: () => undefined,
      child: () => logger,
    };
    const cache = createCache<string>({ name: 'outage', redis: client, logger, redisRecheckMs: 0, memoryTtlMs: 60_000 });
    let loads = 0;
    const loader = async () => `v${++loads}`;
    expect(await cache.getOrLoad('x', loader)).toBe('v1');
    expect(await client.exists('cache:outage:x')).toBe(1);

    await server.stop();
    // Served from memory while Redis is down; new keys load and are cached in memory.
    expect(await cache.getOrLoad('x', loader)).toBe('v1');
    expect(await cache.getOrLoad('y', loader)).toBe('v2');
    expect(await cache.getOrLoad('y', loader)).toBe('v2');
    expect(await cache.getOrLoad('z', loader)).toBe('v3');
    expect(cache.degraded()).toBe(true);
    expect(warnings.filter((w) => w.includes('degrading to memory'))).toHaveLength(1);

    await server.start();
    await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
    await cache.set('w', 'back');
    expect(cache.degraded()).toBe(false);
    expect(infos.some((i) => i.includes('Redis is back'))).toBe(true);
    expect(await client.get('cache:outage:w')).toBe('"back"');
  }, 30_000);
});
