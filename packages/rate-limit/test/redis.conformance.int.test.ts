import { redisUrl, requireRedis, uniqueName } from '@game/test-services';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createRedisStore } from '../src/redis/index.js';
import { describeRateLimitStoreConformance } from '../src/testing/index.js';

let client: Redis;
let peerClient: Redis;

beforeAll(async () => {
  await requireRedis();
  client = new Redis(redisUrl());
  peerClient = new Redis(redisUrl());
});

afterAll(async () => {
  await client.quit();
  await peerClient.quit();
});

describeRateLimitStoreConformance('redis', () => {
  const keyPrefix = `${uniqueName('rl')}:`;
  return {
    store: createRedisStore({ client, keyPrefix, time: 'caller' }),
    peer: createRedisStore({ client: peerClient, keyPrefix, time: 'caller' }),
    async close() {
      const keys = await client.keys(`${keyPrefix}*`);
      if (keys.length > 0) await client.del(...keys);
    },
  };
});
