// Checks per second of @game/rate-limit against raw rate-limiter-flexible, in the same run.
// Memory: sequential awaited checks (what a socket handler does). Redis: a fixed number of checks
// in flight on one ioredis client (what a busy server does), against the Redis at TEST_REDIS_URL.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createMemoryStore, createRateLimiter, protocolDefaultPolicies } from '../src/index.js';
import { createRedisStore } from '../src/redis/index.js';

const DURATION_MS = Number(process.env['BENCH_MS'] ?? 500);
// The machine is shared: ours and the baseline alternate for several rounds and the best round of
// each counts, so a burst of someone else's load does not decide the ratio.
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 4);
const KEYS = 1000;
const players = Array.from({ length: KEYS }, (_, i) => `player-${i}`);
const types = ['play', 'declare', 'ping', 'get_room_state', 'ack'];

interface Row {
  name: string;
  /** checks per second (wall clock) */
  ours: number;
  baseline: number;
  /** CPU µs per check (user + system time of this process): steadier than wall time on a shared machine */
  oursCpu: number;
  baselineCpu: number;
}

interface Sample {
  perSecond: number;
  cpuUs: number;
}

async function compare(
  ours: (i: number) => Promise<unknown>,
  baseline: (i: number) => Promise<unknown>,
  concurrency = 1,
): Promise<Omit<Row, 'name'>> {
  const best = { ours: 0, baseline: 0, oursCpu: Infinity, baselineCpu: Infinity };
  for (let r = 0; r < ROUNDS; r++) {
    const o = await measure(ours, concurrency);
    const b = await measure(baseline, concurrency);
    best.ours = Math.max(best.ours, o.perSecond);
    best.baseline = Math.max(best.baseline, b.perSecond);
    best.oursCpu = Math.min(best.oursCpu, o.cpuUs);
    best.baselineCpu = Math.min(best.baselineCpu, b.cpuUs);
  }
  return best;
}

async function measure(fn: (i: number) => Promise<unknown>, concurrency = 1): Promise<Sample> {
  // warm-up
  for (let i = 0; i < 2000; i++) await fn(i);
  let ops = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + DURATION_MS;
  const worker = async (w: number) => {
    let i = w;
    while (performance.now() < deadline) {
      for (let k = 0; k < 64; k++) {
        await fn(i);
        i += concurrency;
        ops++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: ops / seconds, cpuUs: (used.user + used.system) / ops };
}

const big = { capacity: 1e9, refill: { tokens: 1e9, intervalMs: 1000 } };

async function memoryRows(): Promise<Row[]> {
  const ours = createRateLimiter({
    policies: [{ name: 'bench', key: 'player', ...big }],
    store: createMemoryStore(),
  });
  const raw = new RateLimiterMemory({ points: 1e9, duration: 1 });
  const one = await compare(
    (i) => ours.consume({ player: players[i % KEYS] }),
    (i) => raw.consume(players[i % KEYS]!),
  );

  // The protocol's 19-policy table: the check has to find the message type's policy first.
  const table = createRateLimiter({
    policies: protocolDefaultPolicies.map((p) => ({ ...p, ...big })),
    store: createMemoryStore(),
  });
  const tab = await compare(
    (i) => table.consume({ connection: players[i % KEYS], messageType: types[i % types.length] }),
    (i) => raw.consume(`${players[i % KEYS]}|${types[i % types.length]}`),
  );
  return [
    { name: 'memory, 1 policy', ...one },
    { name: 'memory, protocol table (19 policies)', ...tab },
  ];
}

async function redisRows(): Promise<Row[]> {
  const url = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, { enableOfflineQueue: true });
  const prefix = `bench_${Date.now().toString(36)}`;
  try {
    const ours = createRateLimiter({
      policies: [{ name: 'bench', key: 'player', ...big }],
      store: createRedisStore({ client, keyPrefix: `${prefix}:ours:` }),
    });
    const raw = new RateLimiterRedis({
      storeClient: client,
      keyPrefix: `${prefix}:raw`,
      points: 1e9,
      duration: 1,
    });
    const concurrency = 32;
    const res = await compare(
      (i) => ours.consume({ player: players[i % KEYS] }),
      (i) => raw.consume(players[i % KEYS]!),
      concurrency,
    );
    return [{ name: `redis, 1 policy, ${concurrency} in flight`, ...res }];
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
    await client.quit();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const us = (n: number) => (1e6 / n).toFixed(2);

const rows = [...(await memoryRows()), ...(await redisRows())];
process.stdout.write(
  `@game/rate-limit bench, ${new Date().toISOString()}, node ${process.version}, best of ${ROUNDS} alternating rounds of ${DURATION_MS} ms\n\n`,
);
process.stdout.write(
  '| Case | Ours checks/s | Ours µs/check (wall / CPU) | rate-limiter-flexible checks/s | Raw µs/check (wall / CPU) | Ratio ours/raw (checks/s) |\n',
);
process.stdout.write('|---|---|---|---|---|---|\n');
for (const r of rows) {
  process.stdout.write(
    `| ${r.name} | ${fmt(r.ours)} | ${us(r.ours)} / ${r.oursCpu.toFixed(2)} | ${fmt(r.baseline)} | ` +
      `${us(r.baseline)} / ${r.baselineCpu.toFixed(2)} | ${(r.ours / r.baseline).toFixed(2)} |\n`,
  );
}
