import { redisUrl, requireRedis, uniqueName } from '@game/test-services';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createMemoryStore,
  createRateLimiter,
  type PolicyDefinition,
  type RateLimitInput,
} from '../src/index.js';
import { createRedisStore } from '../src/redis/index.js';
import { createManualClock } from '../src/testing/index.js';

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

/** A small deterministic PRNG (mulberry32), so a failure names its seed and replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The Lua script is a twin of the memory store's arithmetic: random traffic must get the same answers.
it.each([1, 2, 3])('memory and Redis give identical results on random traffic (seed %i)', async (seed) => {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const policies: PolicyDefinition[] = [
    {
      name: 'player',
      key: 'player',
      capacity: 3 + Math.floor(random() * 8),
      refill: { tokens: 1 + Math.floor(random() * 3), intervalMs: 700 },
      costs: { play: 2, chat: 0 },
    },
    { name: 'room', key: 'room', capacity: 10, refillPerSecond: 7 / 3 },
    { name: 'shadow', key: ['player', 'messageType'], capacity: 2, refillPerSecond: 0.5, shadow: true },
  ];
  const clock = createManualClock();
  const memory = createRateLimiter({ policies, clock, store: createMemoryStore() });
  const redis = createRateLimiter({
    policies,
    clock,
    store: createRedisStore({ client, keyPrefix: `${keyPrefix}${seed}:`, time: 'caller' }),
    storeTimeoutMs: 0,
  });
  const strip = (r: Awaited<ReturnType<typeof memory.consume>>) => ({ ...r, degraded: undefined });
  const statuses = new Set<string>();
  for (let step = 0; step < 250; step++) {
    clock.advance(pick([0, 0, 0, 0, 1, 5, 13, 50, 100, 333, 2500]));
    const input: RateLimitInput = {
      player: pick(['a', 'b', 'c']),
      room: pick(['R1', 'R2']),
      messageType: pick(['play', 'ping', 'chat']),
    };
    const action = random();
    if (action < 0.8) {
      const m = await memory.consume(input);
      statuses.add(m.status);
      if (m.shadowLimited.length > 0) statuses.add('shadow');
      expect([step, strip(await redis.consume(input))]).toEqual([step, strip(m)]);
    } else if (action < 0.9) {
      expect([step, strip(await redis.peek(input))]).toEqual([step, strip(await memory.peek(input))]);
    } else {
      const tokens = Math.floor(random() * 4);
      const sel = { tokens, policy: 'player' };
      if (random() < 0.5) {
        await memory.penalize(input, sel);
        await redis.penalize(input, sel);
      } else {
        await memory.reward(input, sel);
        await redis.reward(input, sel);
      }
    }
  }
  // the traffic exercised both answers and the shadow policy
  expect([...statuses].sort()).toEqual(['allowed', 'limited', 'shadow']);
});
