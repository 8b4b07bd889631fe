import { redisUrl, requireRedis, uniqueName } from '@game/test-services';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/index.js';
import { createManualClock } from '../src/testing/index.js';
import { createRedisStore } from '../src/redis/index.js';

let client: Redis;
const keyPrefix = `${uniqueName('rl')}:`;

beforeAll(async () => {
  await requireRedis();
  client = new Redis(redisUrl());
});

afterAll(async () => {
  const keys = await client.keys(`${keyPrefix}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
});

describe('Redis store with Redis TIME (the default)', () => {
  it('limits with the server clock and expires idle buckets', async () => {
    const rl = createRateLimiter({
      policies: [
        { name: 'server-time', key: 'player', capacity: 3, refill: { tokens: 1, intervalMs: 60_000 } },
      ],
      store: createRedisStore({ client, keyPrefix }),
    });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await rl.consume({ player: 'p' }));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    // a minute per token: the wait is within one interval whatever the elapsed microseconds
    expect(results[3]!.retryAfterMs).toBeGreaterThan(59_000);
    expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(60_000);
    const ttl = await client.pttl(`${keyPrefix}server-time|p`);
    // the key expires about when the bucket would be full again (3 min) plus a second
    expect(ttl).toBeGreaterThan(170_000);
    expect(ttl).toBeLessThanOrEqual(181_000);
  });

  it('keeps instances with skewed clocks consistent (why Redis TIME is the default)', async () => {
    const policies = [
      { name: 'skew', key: 'player' as const, capacity: 2, refill: { tokens: 1, intervalMs: 60_000 } },
    ];
    const behind = createManualClock(Date.now() - 3_600_000);
    const ahead = createManualClock(Date.now() + 3_600_000);
    const a = createRateLimiter({ policies, clock: behind, store: createRedisStore({ client, keyPrefix }) });
    const b = createRateLimiter({ policies, clock: ahead, store: createRedisStore({ client, keyPrefix }) });
    expect((await a.consume({ player: 'p' })).allowed).toBe(true);
    expect((await a.consume({ player: 'p' })).allowed).toBe(true);
    // an instance whose clock runs an hour ahead sees no phantom refill
    expect((await b.consume({ player: 'p' })).allowed).toBe(false);

    // with the callers' clocks, the same skew hands out an hour of refills
    const c = createRateLimiter({
      policies,
      clock: behind,
      store: createRedisStore({ client, keyPrefix: `${keyPrefix}caller:`, time: 'caller' }),
    });
    const d = createRateLimiter({
      policies,
      clock: ahead,
      store: createRedisStore({ client, keyPrefix: `${keyPrefix}caller:`, time: 'caller' }),
    });
    await c.consume({ player: 'p' });
    await c.consume({ player: 'p' });
    expect((await d.consume({ player: 'p' })).allowed).toBe(true);
  });
});
