import { TimeoutStrategy, timeout } from 'cockatiel';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { describe } from './errors.js';
import { counter, metricsTarget, type MetricsOption } from './internal/metrics.js';
import { silentLogger, type Logger } from './logger.js';

/** Options for {@link createCache}. */
export interface CacheOptions {
  /** Names the cache in metrics, logs and Redis keys. */
  name: string;
  /** Most entries kept in memory; 10,000 by default. */
  max?: number;
  /** Time to live of an entry; 60 s by default. */
  ttlMs?: number;
  /** Random fraction taken off each TTL (0..1) so entries loaded together do not expire together; 0.1 by default. */
  jitter?: number;
  /**
   * A shared second level. Entries are written to Redis with the TTL; memory then keeps them for at most
   * `memoryTtlMs` so an invalidation on another instance is seen soon. Redis failures never fail a call:
   * the cache degrades to memory only (logged once) and uses Redis again when it is back.
   */
  redis?: Redis;
  /** Key prefix in Redis; `cache:` by default (the cache name is appended). */
  redisPrefix?: string;
  /** How long memory may keep an entry when Redis is configured; 5 s by default. */
  memoryTtlMs?: number;
  /** Bound on one Redis call before it counts as failed; 250 ms by default. */
  redisTimeoutMs?: number;
  /** While degraded, how often to try Redis again; 1 s by default. */
  redisRecheckMs?: number;
  /** A prom-client registry for hit/miss/eviction counters, or `{ registry, prefix }` (the prefix goes in front of every name). */
  metrics?: MetricsOption | undefined;
  /** A pino-compatible logger. */
  logger?: Logger;
  /** The random source for TTL jitter (tests pass a fixed one). */
  random?: () => number;
  /** The clock for memory TTLs (tests inject one); `performance` by default. */
  clock?: { now(): number };
}

/** Counters since the cache was created. */
export interface CacheStats {
  hits: number;
  misses: number;
  loads: number;
  evictions: number;
  redisErrors: number;
}

/** A read-through cache over an in-memory LRU and optionally Redis. Values must be JSON-serialisable when Redis is used. */
export interface Cache<V> {
  /** The value for `key`, calling `loader` once on a miss (concurrent callers share that one call). */
  getOrLoad(key: string, loader: () => Promise<V>, options?: { ttlMs?: number }): Promise<V>;
  /** The cached value, or undefined. */
  get(key: string): Promise<V | undefined>;
  /** Stores a value. */
  set(key: string, value: V, options?: { ttlMs?: number }): Promise<void>;
  /** Drops one key everywhere (call it after writing the data it caches). */
  invalidate(key: string): Promise<void>;
  /** Drops every key of this cache in memory (and in Redis, under this cache's prefix). */
  clear(): Promise<void>;
  /** True while Redis is configured but failing (memory only). */
  degraded(): boolean;
  stats(): CacheStats;
}

/**
 * Creates a read-through cache.
 *
 * @example
 * const rooms = createCache<RoomSummary>({ name: 'rooms', ttlMs: 30_000, redis });
 * const room = await rooms.getOrLoad(id, () => repo.load(id));
 * await rooms.invalidate(id); // after a write
 */
export function createCache<V>(options: CacheOptions): Cache<V> {
  const name = options.name;
  if (!name || typeof name !== 'string') throw new RangeError('createCache needs a name');
  // The name goes into Redis keys (`<prefix><name>:<key>`) and clear()'s SCAN pattern: a `:` would let cache
  // `a:b` and cache `a` share keys, a glob character would let clear() reach other caches.
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new RangeError(`cache name must be 1-100 of [A-Za-z0-9_.-] (got ${JSON.stringify(name)})`);
  const ttlMs = options.ttlMs ?? 60_000;
  const jitter = options.jitter ?? 0.1;
  if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be > 0 (got ${ttlMs})`);
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`jitter must be in [0, 1) (got ${jitter})`);
  const random = options.random ?? Math.random;
  const logger = (options.logger ?? silentLogger).child({ cache: name });
  const redis = options.redis;
  const prefix = `${options.redisPrefix ?? 'cache:'}${name}:`;
  const memoryTtlMs = redis ? Math.min(options.memoryTtlMs ?? 5_000, ttlMs) : ttlMs;
  const redisTimeout = timeout(options.redisTimeoutMs ?? 250, TimeoutStrategy.Aggressive);

  const stats: CacheStats = { hits: 0, misses: 0, loads: 0, evictions: 0, redisErrors: 0 };
  const m = metricsTarget(options.metrics);
  const requests = m ? counter(m, 'cache_requests_total', 'Cache lookups by result', ['cache', 'result']) : undefined;
  const evictions = m ? counter(m, 'cache_evictions_total', 'Entries evicted from memory for space', ['cache']) : undefined;
  const redisFailures = m ? counter(m, 'cache_redis_errors_total', 'Redis calls that failed or timed out', ['cache']) : undefined;
  const hit = requests?.labels(name, 'hit');
  const miss = requests?.labels(name, 'miss');

  const withJitter = (ms: number) => Math.max(1, Math.round(ms * (1 - jitter * random())));
  const memory = new LRUCache<string, { v: V }>({
    max: options.max ?? 10_000,
    ttlAutopurge: false,
    // An injected clock must be read on every lookup, not cached per millisecond of real time.
    ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
    dispose: (_value, _key, reason) => {
      if (reason === 'evict') {
        stats.evictions++;
        evictions?.inc({ cache: name });
      }
    },
  });
  const inflight = new Map<string, Promise<V>>();

  // Degradation: any Redis failure switches to memory only, logged once. While degraded, Redis is
  // tried again at most every `redisRecheckMs`, and only when the client reports it is connected.
  const recheckMs = options.redisRecheckMs ?? 1_000;
  let redisDown = false;
  let lastFailureAt = 0;
  const markDown = (err: unknown) => {
    stats.redisErrors++;
    redisFailures?.inc({ cache: name });
    lastFailureAt = Date.now();
    if (!redisDown) {
      redisDown = true;
      logger.warn({ err: describe(err) }, 'cache: Redis unavailable, degrading to memory only');
    }
  };
  const redisCall = async <T>(fn: (r: Redis) => Promise<T>): Promise<T | undefined> => {
    if (!redis) return undefined;
    if (redisDown && (redis.status !== 'ready' || Date.now() - lastFailureAt < recheckMs)) return undefined;
    if (redis.status !== 'ready') {
      markDown(new Error(`Redis client is ${redis.status}`));
      return undefined;
    }
    try {
      const result = await redisTimeout.execute(() => fn(redis));
      if (redisDown) {
        redisDown = false;
        logger.info('cache: Redis is back, using it again');
      }
      return result;
    } catch (err) {
      markDown(err);
      return undefined;
    }
  };

  const lookup = async (key: string): Promise<{ v: V } | undefined> => {
    const local = memory.get(key);
    if (local) return local;
    const raw = await redisCall((r) => r.get(prefix + key));
    if (raw === undefined || raw === null) return undefined;
    try {
      const entry = { v: JSON.parse(raw) as V };
      memory.set(key, entry, { ttl: withJitter(memoryTtlMs) });
      return entry;
    } catch {
      return undefined; // an unreadable entry is a miss; the loader overwrites it
    }
  };

  const store = async (key: string, value: V, ttl: number) => {
    // Serialized first: a value JSON cannot carry is the caller's problem, not a Redis failure (it would
    // switch the cache to memory only and skip the next invalidations).
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new TypeError(`cache ${name}: the value for "${key}" cannot be stored as JSON (${describe(err)})`, { cause: err });
    }
    if (text === undefined) throw new TypeError(`cache ${name}: the value for "${key}" is undefined (JSON has no undefined; cache null instead)`);
    memory.set(key, { v: value }, { ttl: withJitter(Math.min(ttl, memoryTtlMs)) });
    await redisCall((r) => r.set(prefix + key, text, 'PX', withJitter(ttl)));
  };

  return {
    async getOrLoad(key, loader, opts) {
      const found = await lookup(key);
      if (found) {
        stats.hits++;
        hit?.inc();
        return found.v;
      }
      stats.misses++;
      miss?.inc();
      const pending = inflight.get(key);
      if (pending) return pending;
      // Started after it is registered in `inflight` (a loader that throws at once must find it there).
      const load: Promise<V> = Promise.resolve().then(async () => {
        try {
          stats.loads++;
          const value = await loader();
          // An invalidate() or clear() while the loader ran removed this load from `inflight`: what it read
          // may predate the write that invalidated, so it is returned but not cached.
          if (inflight.get(key) !== load) return value;
          try {
            await store(key, value, opts?.ttlMs ?? ttlMs);
          } catch (err) {
            if (!(err instanceof TypeError)) throw err;
            logger.warn({ key, err: err.message }, 'cache: loaded value not cached');
          }
          return value;
        } finally {
          if (inflight.get(key) === load) inflight.delete(key);
        }
      });
      inflight.set(key, load);
      return load;
    },
    async get(key) {
      return (await lookup(key))?.v;
    },
    async set(key, value, opts) {
      await store(key, value, opts?.ttlMs ?? ttlMs);
    },
    async invalidate(key) {
      memory.delete(key);
      inflight.delete(key);
      await redisCall((r) => r.del(prefix + key));
    },
    async clear() {
      memory.clear();
      inflight.clear();
      await redisCall(async (r) => {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await r.del(...keys);
        } while (cursor !== '0');
      });
    },
    degraded: () => redis !== undefined && redisDown,
    stats: () => ({ ...stats }),
  };
}

/**
 * Wraps a loader function in a cache: `cached(repo.findRoom, { cache, key: (id) => id })`.
 * Pair it with `cache.invalidate(key)` in the write path.
 */
export function cached<A extends unknown[], V>(
  fn: (...args: A) => Promise<V>,
  options: { cache: Cache<V>; key: (...args: A) => string; ttlMs?: number },
): (...args: A) => Promise<V> {
  return (...args: A) =>
    options.cache.getOrLoad(options.key(...args), () => fn(...args), options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs });
}
