import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type {
  BucketOperation,
  BucketOutcome,
  BucketSpec,
  RateLimitStore,
  StoreCapabilities,
} from '../store.js';
import { TOKEN_BUCKET_SCRIPT } from './token-bucket-script.js';

/** Where the Redis script takes "now" from. */
export type RedisTimeSource = 'redis' | 'caller';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** An ioredis client the application owns (its lifecycle stays with the caller). */
  readonly client: Redis | Cluster;
  /** Prefix of every key (default `rl:`); use one per application and per test. */
  readonly keyPrefix?: string | undefined;
  /**
   * `redis` (default): the script reads Redis `TIME`, so instances with skewed clocks agree on refills.
   * `caller`: the limiter's clock is passed in (deterministic tests with an injected clock).
   */
  readonly time?: RedisTimeSource | undefined;
}

/** The shared store: buckets live in Redis hashes, updated by one atomic Lua script per request. */
export interface RedisStore extends RateLimitStore {
  /** The key prefix in use. */
  readonly keyPrefix: string;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({ shared: true, remote: true });
const SHA = createHash('sha1').update(TOKEN_BUCKET_SCRIPT).digest('hex');
const OPS: Record<BucketOperation | 'adjust', string> = { peek: '0', consume: '1', adjust: '2' };

/**
 * Creates a Redis-backed token-bucket store. Keys of one request go to one script call; with Redis
 * Cluster, give the policies keys that hash to one slot (e.g. a `{tag}` in the prefix).
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { client } = options;
  const prefix = options.keyPrefix ?? 'rl:';
  const callerTime = options.time === 'caller';

  const run = async (op: string, specs: readonly BucketSpec[], now: number): Promise<BucketOutcome[]> => {
    const n = specs.length;
    const args: (string | number)[] = new Array<string | number>(n + 2 + n * 4);
    for (let i = 0; i < n; i++) args[i] = prefix + specs[i]!.key;
    args[n] = callerTime ? String(now) : '-1';
    args[n + 1] = op;
    for (let i = 0; i < n; i++) {
      const s = specs[i]!;
      const b = n + 2 + i * 4;
      args[b] = String(s.capacity);
      args[b + 1] = String(s.refillPerMs);
      args[b + 2] = String(s.cost);
      args[b + 3] = s.enforced ? '1' : '0';
    }
    let reply: unknown;
    try {
      reply = await client.evalsha(SHA, n, ...args);
    } catch (err) {
      // After a restart or SCRIPT FLUSH the script is gone: send it again (EVAL caches it).
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      reply = await client.eval(TOKEN_BUCKET_SCRIPT, n, ...args);
    }
    return decode(reply, n);
  };

  return {
    name: 'redis',
    capabilities: CAPABILITIES,
    keyPrefix: prefix,
    take(op, specs, now) {
      if (specs.length === 0) return [];
      return run(OPS[op], specs, now);
    },
    async adjust(spec, now) {
      const [out] = await run(OPS.adjust, [spec], now);
      return out!;
    },
    async delete(keys) {
      if (keys.length === 0) return;
      await client.del(...keys.map((k) => prefix + k));
    },
  };
}

function decode(reply: unknown, n: number): BucketOutcome[] {
  if (!Array.isArray(reply) || reply.length !== n * 4) {
    throw new Error(`Unexpected reply from the rate-limit script: ${JSON.stringify(reply)}`);
  }
  const r = reply as number[];
  const out: BucketOutcome[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      allowed: r[i * 4] === 1,
      remaining: r[i * 4 + 1]!,
      retryAfterMs: r[i * 4 + 2]!,
      resetMs: r[i * 4 + 3]!,
    });
  }
  return out;
}
