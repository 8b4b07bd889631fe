import type { RateLimitStoreUnavailableError } from './errors.js';

/** Milliseconds since the epoch; injected so tests drive time without sleeping. */
export type Clock = () => number;

/** A field of {@link RateLimitInput} a policy can key its buckets by. */
export type KeyField = 'player' | 'room' | 'connection' | 'ip' | 'messageType';

/** The facts about one request that policies key on; a policy whose key fields are missing does not apply. */
export interface RateLimitInput {
  /** The player (seat / session) the request acts for. */
  readonly player?: string | undefined;
  /** The room the request targets. */
  readonly room?: string | undefined;
  /** The connection (socket id) the request came in on. */
  readonly connection?: string | undefined;
  /** The client's IP address. */
  readonly ip?: string | undefined;
  /** The message (event) type, e.g. `play`; selects which policies apply and their cost. */
  readonly messageType?: string | undefined;
}

/** Derives a bucket key from a request; `undefined` means the policy does not apply to it. */
export type KeyFunction = (input: RateLimitInput) => string | undefined;

/** What a policy keys its buckets by: one field, several fields (combined), or a function. */
export type KeySpec = KeyField | readonly KeyField[] | KeyFunction;

/** Repeated violations within `withinMs` earn a block of `durationMs`, held in memory by each process. */
export interface BlockRule {
  /** How many limited requests within `withinMs` trigger the block (default 1: the first excess). */
  readonly afterViolations?: number | undefined;
  /** The window violations are counted in (default 60 000 ms). */
  readonly withinMs?: number | undefined;
  /** How long the block lasts. */
  readonly durationMs: number;
}

/** Refill as "`tokens` every `intervalMs`" (exact for rates such as 5 per minute). */
export interface RefillRate {
  /** Tokens added per interval. */
  readonly tokens: number;
  /** The interval, in milliseconds. */
  readonly intervalMs: number;
}

/**
 * One token-bucket policy: `capacity` tokens (the allowed burst) refilled steadily; each request costs
 * tokens by message type. Give exactly one of `refillPerSecond` and `refill`.
 */
export interface PolicyDefinition {
  /** Unique name; part of every bucket key and of metric labels. */
  readonly name: string;
  /** What the buckets are keyed by. */
  readonly key: KeySpec;
  /** A metric label for function keys (default: the fields joined with `+`, or `custom`). */
  readonly keyClass?: string | undefined;
  /** Bucket size: the largest burst. */
  readonly capacity: number;
  /** Steady refill in tokens per second. */
  readonly refillPerSecond?: number | undefined;
  /** Steady refill as tokens per interval. */
  readonly refill?: RefillRate | undefined;
  /** Only these message types are limited by this policy (default: every message type). */
  readonly messageTypes?: readonly string[] | undefined;
  /** Message types this policy ignores. */
  readonly exceptMessageTypes?: readonly string[] | undefined;
  /** Cost per message type; a cost of 0 exempts the type. */
  readonly costs?: Readonly<Record<string, number>> | undefined;
  /** Cost of message types without an entry in `costs` (default 1). */
  readonly defaultCost?: number | undefined;
  /** Temporary block after repeated violations. */
  readonly block?: BlockRule | undefined;
  /** Count and log what this policy would limit, without enforcing it. */
  readonly shadow?: boolean | undefined;
}

/** A whole limits configuration, as in a config file. */
export interface RateLimitConfig {
  /** Shadow mode for the whole limiter (overrides the limiter option when present). */
  readonly shadow?: boolean | undefined;
  /** The policies; a request passes only if every applicable one allows it. */
  readonly policies: readonly PolicyDefinition[];
}

/** How one request fared against one policy. */
export interface PolicyOutcome {
  /** The policy's name. */
  readonly policy: string;
  /** The bucket key (policy name and key values). */
  readonly key: string;
  /** Whether this policy alone would let the request through. */
  readonly allowed: boolean;
  /** The policy is in shadow mode: its denial is reported, not enforced. */
  readonly shadow: boolean;
  /** The key is blocked (repeated violations or a manual block). */
  readonly blocked: boolean;
  /** The tokens this request costs under this policy. */
  readonly cost: number;
  /** The bucket's capacity. */
  readonly limit: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until this request could pass this policy (0 when it passes). */
  readonly retryAfterMs: number;
  /** Milliseconds an empty bucket takes to fill: the policy's window for headers. */
  readonly windowMs: number;
}

/** `allowed`, or why not: a limit (`limited`), a block (`blocked`), or a failed store with `failClosed` (`unavailable`). */
export type RateLimitStatus = 'allowed' | 'limited' | 'blocked' | 'unavailable';

/** The decision for one request. */
export interface RateLimitResult {
  /** Let the request through? */
  readonly allowed: boolean;
  /** Why, in one word. */
  readonly status: RateLimitStatus;
  /** The request's message type, if given. */
  readonly messageType: string | undefined;
  /** The binding policy: the denying one with the longest wait, else the one with the fewest tokens left. */
  readonly policy: string | undefined;
  /** Capacity of the binding policy (`Infinity` when no policy applies). */
  readonly limit: number;
  /** Tokens left in the binding policy (`Infinity` when no policy applies). */
  readonly remaining: number;
  /** Milliseconds until the binding policy's bucket is full. */
  readonly resetMs: number;
  /** Milliseconds until the request could pass (0 when allowed). */
  readonly retryAfterMs: number;
  /** The binding policy's window (ms for an empty bucket to fill). */
  readonly windowMs: number;
  /** Shadow policies that would have limited this request. */
  readonly shadowLimited: readonly string[];
  /** Decided without the configured store (memory fallback or fail-open) because it failed. */
  readonly degraded: boolean;
  /** Set when `status` is `unavailable`. */
  readonly error: RateLimitStoreUnavailableError | undefined;
  /** Every applicable policy's outcome. */
  readonly policies: readonly PolicyOutcome[];
}

/** What the limiter does when its store fails; the default is `fallbackToMemory`. */
export type StoreFailurePolicy = 'fallbackToMemory' | 'failOpen' | 'failClosed';
