import { redisUrl, requireRedis, uniqueName } from '@game/test-services';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/index.js';
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
});
