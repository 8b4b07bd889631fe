import { EPSILON, msUntil, refilled, whole } from '../internal/token-bucket.js';
import type {
  BucketOperation,
  BucketOutcome,
  BucketSpec,
  RateLimitStore,
  StoreCapabilities,
} from '../store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Sweep full (idle) buckets after this many operations, at the least (default 10 000). */
  readonly sweepEvery?: number | undefined;
}

/** The in-process store: exact, synchronous, one process's view only. */
export interface MemoryStore extends RateLimitStore {
  /** Buckets currently held (full buckets are dropped by periodic sweeps). */
  readonly size: number;
  take(op: BucketOperation, buckets: readonly BucketSpec[], now: number): BucketOutcome[];
  adjust(bucket: BucketSpec, now: number): BucketOutcome;
  delete(keys: readonly string[]): void;
}

interface Bucket {
  tokens: number;
  at: number;
  capacity: number;
  refillPerMs: number;
}

const CAPABILITIES: StoreCapabilities = Object.freeze({ shared: false, remote: false });

/** Creates an in-memory token-bucket store (also the limiter's fallback when its store fails). */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const buckets = new Map<string, Bucket>();
  const sweepEvery = options.sweepEvery ?? 10_000;
  let ops = 0;

  const sweep = (now: number): void => {
    ops = 0;
    for (const [key, b] of buckets) {
      if (refilled(b.tokens, b.at, now, b.capacity, b.refillPerMs) >= b.capacity - EPSILON)
        buckets.delete(key);
    }
  };

  // Scratch space for one call (take is synchronous, so never re-entered): no per-call arrays.
  let tokens = new Float64Array(8);
  let found: (Bucket | undefined)[] = new Array<Bucket | undefined>(8);

  const take = (op: BucketOperation, specs: readonly BucketSpec[], now: number): BucketOutcome[] => {
    if (++ops >= sweepEvery && ops >= buckets.size) sweep(now);
    const n = specs.length;
    if (n > tokens.length) {
      tokens = new Float64Array(n * 2);
      found = new Array<Bucket | undefined>(n * 2);
    }
    let enforcedOk = true;
    for (let i = 0; i < n; i++) {
      const s = specs[i]!;
      const b = buckets.get(s.key);
      found[i] = b;
      const t = b === undefined ? s.capacity : refilled(b.tokens, b.at, now, s.capacity, s.refillPerMs);
      tokens[i] = t;
      if (s.enforced && t + EPSILON < s.cost) enforcedOk = false;
    }
    const out: BucketOutcome[] = [];
    for (let i = 0; i < n; i++) {
      const s = specs[i]!;
      let t = tokens[i]!;
      const allowed = t + EPSILON >= s.cost;
      if (op === 'consume' && enforcedOk && allowed && s.cost > 0) {
        t -= s.cost;
        const b = found[i];
        if (b === undefined) {
          buckets.set(s.key, { tokens: t, at: now, capacity: s.capacity, refillPerMs: s.refillPerMs });
        } else {
          b.tokens = t;
          if (now > b.at) b.at = now; // a clock that stepped back keeps the later stamp
          b.capacity = s.capacity;
          b.refillPerMs = s.refillPerMs;
        }
      }
      found[i] = undefined;
      out.push({
        allowed,
        remaining: whole(t),
        retryAfterMs: allowed ? 0 : msUntil(t, s.cost, s.refillPerMs),
        resetMs: msUntil(t, s.capacity, s.refillPerMs),
      });
    }
    return out;
  };

  const adjust = (s: BucketSpec, now: number): BucketOutcome => {
    const b = buckets.get(s.key);
    let t = b === undefined ? s.capacity : refilled(b.tokens, b.at, now, s.capacity, s.refillPerMs);
    t = Math.max(-s.capacity, Math.min(s.capacity, t + s.cost));
    if (b === undefined)
      buckets.set(s.key, { tokens: t, at: now, capacity: s.capacity, refillPerMs: s.refillPerMs });
    else {
      b.tokens = t;
      if (now > b.at) b.at = now;
      b.capacity = s.capacity;
      b.refillPerMs = s.refillPerMs;
    }
    return {
      allowed: t + EPSILON >= 0,
      remaining: whole(t),
      retryAfterMs: 0,
      resetMs: msUntil(t, s.capacity, s.refillPerMs),
    };
  };

  return {
    name: 'memory',
    capabilities: CAPABILITIES,
    get size() {
      return buckets.size;
    },
    take,
    adjust,
    delete(keys) {
      for (const k of keys) buckets.delete(k);
    },
  };
}
