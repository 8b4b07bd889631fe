/** What a backend can do, as data: shared code branches on these, never on a store's name. */
export interface StoreCapabilities {
  /** Several processes (limiters) see the same buckets. */
  readonly shared: boolean;
  /** Calls leave the process and can fail or hang: the limiter applies its timeout and failure policy. */
  readonly remote: boolean;
}

/** One bucket touched by a request. */
export interface BucketSpec {
  /** The bucket key (policy name and key values), without any store prefix. */
  readonly key: string;
  /** Bucket size. */
  readonly capacity: number;
  /** Tokens added per millisecond. */
  readonly refillPerMs: number;
  /** Tokens the request costs; for `adjust`, the signed change (negative = penalty). */
  readonly cost: number;
  /** Takes part in the all-or-nothing decision (false for shadow policies, which are evaluated alone). */
  readonly enforced: boolean;
}

/** A bucket after an operation. */
export interface BucketOutcome {
  /** The bucket alone had enough tokens for the cost. */
  readonly allowed: boolean;
  /** Whole tokens left (negative after penalties). */
  readonly remaining: number;
  /** Milliseconds until the request's cost would be available (0 when allowed). */
  readonly retryAfterMs: number;
  /** Milliseconds until the bucket is full. */
  readonly resetMs: number;
}

/** `consume` takes tokens (all-or-nothing over enforced buckets); `peek` only looks. */
export type BucketOperation = 'consume' | 'peek';

/**
 * A token-bucket backend. `take` must be atomic over all the buckets of one call: tokens are taken
 * only when every enforced bucket has enough, and a shadow bucket is charged only then and when it
 * has enough itself. `now` is the limiter's clock; a store may use its own time source instead.
 */
export interface RateLimitStore {
  /** A short name for logs and metrics (`memory`, `redis`). */
  readonly name: string;
  /** What this backend can do. */
  readonly capabilities: StoreCapabilities;
  /** Consume or peek several buckets atomically. */
  take(
    op: BucketOperation,
    buckets: readonly BucketSpec[],
    now: number,
  ): BucketOutcome[] | Promise<BucketOutcome[]>;
  /** Adds `cost` tokens (negative: removes), keeping the bucket within [-capacity, capacity]. */
  adjust(bucket: BucketSpec, now: number): BucketOutcome | Promise<BucketOutcome>;
  /** Forgets buckets: they start full again. */
  delete(keys: readonly string[]): void | Promise<void>;
}
