import type { Logger, MetricsOption } from '@game/observability';
import { silentLogger } from './internal/silent-logger.js';
import { loadRateLimitConfigFile, parseRateLimitConfig } from './config.js';
import { watchConfigFile, type ConfigWatcher, type WatchConfigOptions } from './config-watcher.js';
import {
  RateLimitConfigError,
  RateLimitStoreTimeoutError,
  RateLimitStoreUnavailableError,
  RateLimitUnknownPolicyError,
} from './errors.js';
import { BlockTable } from './internal/blocks.js';
import { createLimiterMetrics, metricsTarget, type LimiterMetrics, type PolicyCounters } from './internal/metrics.js';
import { compilePolicies, safeString, type CompiledPolicy, type PolicyIndex } from './internal/policies.js';
import { createMemoryStore } from './memory/memory-store.js';
import type { BucketOperation, BucketOutcome, BucketSpec, RateLimitStore } from './store.js';
import type {
  Clock,
  PolicyDefinition,
  PolicyOutcome,
  RateLimitConfig,
  RateLimitInput,
  RateLimitResult,
  StoreFailurePolicy,
} from './types.js';

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** The policies (default none: everything passes until a config is loaded). */
  readonly policies?: readonly PolicyDefinition[] | undefined;
  /** Where buckets live (default: a private memory store). */
  readonly store?: RateLimitStore | undefined;
  /** What to do when the store fails (default `fallbackToMemory`). Never treated as "limit reached". */
  readonly onStoreFailure?: StoreFailurePolicy | undefined;
  /** A remote store call slower than this counts as a failure (default 250 ms; 0 disables). */
  readonly storeTimeoutMs?: number | undefined;
  /** While degraded, how often one request tries the store again (default 1 000 ms of the clock). */
  readonly probeIntervalMs?: number | undefined;
  /** Shadow mode: count and log what would be limited, enforce nothing. */
  readonly shadow?: boolean | undefined;
  /** The time source for refills, blocks and probes (default `Date.now`). */
  readonly clock?: Clock | undefined;
  /** Where transitions, blocks and shadow decisions are logged (default silent). */
  readonly logger?: Logger | undefined;
  /**
   * A prom-client registry for the limiter's metrics (`rate_limit_decisions_total`, ...), or
   * `{ registry, prefix }` to put a prefix in front of those names (`prefix: 'game_'` gives
   * `game_rate_limit_decisions_total`). The same option as in @game/persistence and @game/health.
   */
  readonly metrics?: MetricsOption | undefined;
  /** At most one shadow-mode log line per policy per interval (default 10 000 ms). */
  readonly shadowLogIntervalMs?: number | undefined;
}

/** Selects one policy for an adjustment, or every applicable one when omitted. */
export interface PolicySelector {
  /**
   * The policy name; default every policy applying to the input: those of its `messageType`, or, when the
   * input has none, every policy whose key the input gives (`block({ connection })` blocks the connection
   * for every message type).
   */
  readonly policy?: string | undefined;
}

/** Token-bucket rate limiting over a set of policies; see {@link createRateLimiter}. */
export interface RateLimiter {
  /** Takes the request's cost from every applicable bucket if all allow it (all-or-nothing). */
  consume(input: RateLimitInput): Promise<RateLimitResult>;
  /** The decision `consume` would make now, without taking tokens or counting violations. */
  peek(input: RateLimitInput): Promise<RateLimitResult>;
  /** Removes tokens (e.g. for an invalid move); a bucket can go down to minus its capacity. */
  penalize(input: RateLimitInput, options: PolicySelector & { readonly tokens: number }): Promise<void>;
  /** Gives tokens back, up to capacity. */
  reward(input: RateLimitInput, options: PolicySelector & { readonly tokens: number }): Promise<void>;
  /** Blocks the input's keys for `durationMs` (held in this process's memory). */
  block(input: RateLimitInput, options: PolicySelector & { readonly durationMs: number }): void;
  /** Lifts blocks and forgets violations for the input's keys. */
  unblock(input: RateLimitInput, options?: PolicySelector): void;
  /** Refills the input's buckets completely. */
  reset(input: RateLimitInput, options?: PolicySelector): Promise<void>;
  /** Replaces the limits; throws {@link RateLimitConfigError} and keeps the old ones when invalid. */
  setPolicies(config: RateLimitConfig | readonly PolicyDefinition[]): void;
  /** Reads, validates and applies a JSON/YAML limits file; on error throws and keeps the old limits. */
  loadConfigFile(path: string): Promise<RateLimitConfig>;
  /** Applies the file now and again whenever it changes or the process gets SIGHUP. */
  watchConfigFile(path: string, options?: WatchConfigOptions): ConfigWatcher;
  /** The policies in force. */
  readonly policies: readonly PolicyDefinition[];
  /** Whether the whole limiter runs in shadow mode. */
  readonly shadow: boolean;
  /** False while the store is failing and the failure policy is in effect. */
  readonly storeHealthy: boolean;
  /** Stops config watchers; the store stays open (its owner closes it). */
  close(): void;
}

type Failed = { readonly failed: true; readonly error: unknown };

const SHADOW_NONE: readonly string[] = Object.freeze([]);

/**
 * Creates a rate limiter. A request passes only if every applicable policy allows it.
 *
 * @example
 * const limiter = createRateLimiter({ policies: protocolDefaultPolicies, store: createRedisStore({ client }) });
 * const r = await limiter.consume({ connection: socketId, player, messageType: 'play' });
 * if (!r.allowed) ws.send(JSON.stringify(rateLimitErrorFrame(r)));
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  checkOptions(options);
  const store = options.store ?? createMemoryStore();
  const clock = options.clock ?? Date.now;
  const logger = (options.logger ?? silentLogger).child({ component: 'rate-limit' });
  const failurePolicy: StoreFailurePolicy = options.onStoreFailure ?? 'fallbackToMemory';
  const timeoutMs = options.storeTimeoutMs ?? 250;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const shadowLogIntervalMs = options.shadowLogIntervalMs ?? 10_000;
  const target = options.metrics === undefined ? undefined : metricsTarget(options.metrics);
  const metrics: LimiterMetrics = createLimiterMetrics(target?.registry, `${target?.prefix ?? ''}rate_limit_`);
  const remote = store.capabilities.remote;
  const blocks = new BlockTable();
  const watchers = new Set<ConfigWatcher>();

  const shadowOption = options.shadow === true;
  let definitions: readonly PolicyDefinition[] = [];
  let configShadow: boolean | undefined;
  const counters = new Map<string, PolicyCounters>();
  const countersFor = (name: string, keyClass: string): PolicyCounters => {
    const id = `${name}\u0000${keyClass}`;
    let c = counters.get(id);
    if (!c) {
      c = {
        allowed: metrics.decision(name, keyClass, 'allowed'),
        limited: metrics.decision(name, keyClass, 'limited'),
        blocked: metrics.decision(name, keyClass, 'blocked'),
        shadow: metrics.decision(name, keyClass, 'shadow_limited'),
      };
      counters.set(id, c);
    }
    return c;
  };
  let index: PolicyIndex = compilePolicies([], shadowOption, countersFor);
  const shadowLog = new Map<string, { at: number; suppressed: number }>();

  // Store health: while degraded, requests use the failure policy; one probe per interval retries the store.
  let degraded = false;
  let epoch = 0;
  let nextProbeAt = 0;
  let probing = false;
  let fallback = createMemoryStore();

  const apply = (config: RateLimitConfig, source: string): RateLimitConfig => {
    const parsed = parseRateLimitConfig(config, source);
    const shadowAll = parsed.shadow ?? shadowOption;
    const next = compilePolicies(parsed.policies, shadowAll, countersFor);
    definitions = parsed.policies;
    configShadow = parsed.shadow;
    index = next;
    return parsed;
  };
  apply({ policies: options.policies ?? [] }, 'code');

  const guard = <T>(call: () => T | Promise<T>): Promise<T> => {
    let p: Promise<T>;
    try {
      p = Promise.resolve(call());
    } catch (err) {
      return Promise.reject(asError(err));
    }
    if (timeoutMs <= 0) return p;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RateLimitStoreTimeoutError(store.name, timeoutMs)),
        timeoutMs,
      );
      timer.unref();
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(asError(e));
        },
      );
    });
  };

  const failed = (err: unknown, now: number, startEpoch: number): void => {
    metrics.storeError(store.name);
    nextProbeAt = now + probeIntervalMs;
    if (degraded || startEpoch !== epoch) return;
    degraded = true;
    epoch++;
    fallback = createMemoryStore();
    metrics.storeState(store.name, true);
    logger.warn(
      { err, store: store.name, onStoreFailure: failurePolicy },
      `rate-limit store "${store.name}" failed; using ${failurePolicy} until it recovers`,
    );
  };

  const succeeded = (startEpoch: number): void => {
    if (!degraded || startEpoch !== epoch) return;
    degraded = false;
    epoch++;
    metrics.storeState(store.name, false);
    logger.info({ store: store.name }, `rate-limit store "${store.name}" recovered; limits are shared again`);
  };

  /** Runs a store call under the failure policy: the store's answer, or `Failed` to handle. */
  const viaStore = <T>(
    call: (s: RateLimitStore) => T | Promise<T>,
    now: number,
  ): T | Failed | Promise<T | Failed> => {
    if (!remote) return call(store);
    if (degraded) {
      if (probing || now < nextProbeAt) return { failed: true, error: undefined };
      probing = true;
    }
    const startEpoch = epoch;
    const wasProbe = degraded;
    return guard(() => call(store)).then(
      (v) => {
        if (wasProbe) probing = false;
        succeeded(startEpoch);
        return v;
      },
      (error: unknown) => {
        if (wasProbe) probing = false;
        failed(error, now, startEpoch);
        return { failed: true, error };
      },
    );
  };

  const take = async (
    op: BucketOperation,
    specs: readonly BucketSpec[],
    now: number,
  ): Promise<{
    outcomes: readonly BucketOutcome[];
    degraded: boolean;
    error: RateLimitStoreUnavailableError | undefined;
  }> => {
    const r = await viaStore((s) => s.take(op, specs, now), now);
    if (!isFailed(r)) return { outcomes: r, degraded: false, error: undefined };
    if (failurePolicy === 'fallbackToMemory') {
      return { outcomes: fallback.take(op, specs, now), degraded: true, error: undefined };
    }
    const outcomes = specs.map((s) => ({
      allowed: true,
      remaining: Math.floor(s.capacity),
      retryAfterMs: 0,
      resetMs: 0,
    }));
    if (failurePolicy === 'failOpen') return { outcomes, degraded: true, error: undefined };
    return {
      outcomes,
      degraded: true,
      error: new RateLimitStoreUnavailableError(store.name, r.error ?? 'store marked unavailable'),
    };
  };

  const logShadow = (p: CompiledPolicy, key: string, input: RateLimitInput, now: number): void => {
    const s = shadowLog.get(p.name);
    if (s && now - s.at < shadowLogIntervalMs) {
      s.suppressed++;
      return;
    }
    logger.info(
      { policy: p.name, key, messageType: input.messageType, suppressed: s?.suppressed ?? 0 },
      `shadow mode: policy "${p.name}" would have limited this request`,
    );
    shadowLog.set(p.name, { at: now, suppressed: 0 });
  };

  const decide = (op: BucketOperation, raw: RateLimitInput): Promise<RateLimitResult> => {
    const now = clock();
    const t: unknown = raw.messageType;
    const input = t === undefined || typeof t === 'string' ? raw : { ...raw, messageType: safeString(t) };
    const list = index.forType(input.messageType);
    const pols: CompiledPolicy[] = [];
    const specs: BucketSpec[] = [];
    let blockedUntil = 0;
    let blockedPolicy: CompiledPolicy | undefined;
    let blockedKey = '';
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      const key = p.keyOf(input);
      if (key === undefined) continue;
      if (!p.shadow && !blocks.empty) {
        const until = blocks.blockedUntil(key, now);
        if (until > blockedUntil) {
          blockedUntil = until;
          blockedPolicy = p;
          blockedKey = key;
        }
      }
      pols.push(p);
      specs.push({
        key,
        capacity: p.capacity,
        refillPerMs: p.refillPerMs,
        cost: p.costOf(input.messageType),
        enforced: !p.shadow,
      });
    }
    if (specs.length === 0) return Promise.resolve(unlimited(input.messageType));
    if (blockedPolicy !== undefined) {
      if (op === 'consume') blockedPolicy.counters.blocked.inc();
      return Promise.resolve(blockedResult(blockedPolicy, blockedKey, blockedUntil - now, input.messageType));
    }

    if (!remote) {
      // Local store: decide synchronously, one resolved promise (the hot path of a single-process server).
      try {
        const r = store.take(op, specs, now);
        if (Array.isArray(r)) return Promise.resolve(finish(op, input, now, pols, specs, r, false));
        return r.then((o) => finish(op, input, now, pols, specs, o, false));
      } catch (err) {
        return Promise.reject(asError(err));
      }
    }
    // Failing closed refuses what an enforced policy cannot check; shadow policies never refuse anything.
    return take(op, specs, now).then(({ outcomes, degraded: wasDegraded, error }) =>
      error && pols.some((p) => !p.shadow)
        ? unavailable(pols, specs, input.messageType, error, probeIntervalMs)
        : finish(op, input, now, pols, specs, outcomes, wasDegraded),
    );
  };

  const finish = (
    op: BucketOperation,
    input: RateLimitInput,
    now: number,
    pols: readonly CompiledPolicy[],
    specs: readonly BucketSpec[],
    outcomes: readonly BucketOutcome[],
    wasDegraded: boolean,
  ): RateLimitResult => {
    let allowed = true;
    for (let i = 0; i < outcomes.length; i++) if (!outcomes[i]!.allowed && !pols[i]!.shadow) allowed = false;

    const details: PolicyOutcome[] = [];
    let shadowLimited: string[] | undefined;
    let binding = -1;
    let retryAfterMs = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      const p = pols[i]!;
      const s = specs[i]!;
      let retry = o.retryAfterMs;
      let until = 0;
      if (op === 'consume') {
        const c = p.counters;
        if (p.shadow) {
          if (!o.allowed) {
            c.shadow.inc();
            (shadowLimited ??= []).push(p.name);
            logShadow(p, s.key, input, now);
          } else if (allowed) c.allowed.inc();
        } else if (!o.allowed) {
          c.limited.inc();
          until = p.block ? blocks.violation(s.key, p, now) : 0;
          if (until > 0) {
            retry = Math.max(retry, until - now);
            metrics.block(p.name, p.keyClass).inc();
            logger.warn(
              { policy: p.name, key: s.key, messageType: input.messageType, durationMs: p.block!.durationMs },
              `rate-limit block: "${s.key}" exceeded policy "${p.name}" repeatedly`,
            );
          }
        } else if (allowed) c.allowed.inc();
      } else if (p.shadow && !o.allowed) (shadowLimited ??= []).push(p.name);
      details.push({
        policy: p.name,
        key: s.key,
        allowed: o.allowed,
        shadow: p.shadow,
        blocked: until > 0,
        cost: s.cost,
        limit: p.capacity,
        remaining: o.remaining,
        resetMs: o.resetMs,
        retryAfterMs: retry,
        windowMs: p.windowMs,
      });
      // Binding policy: the denying enforced one with the longest wait; else the fewest tokens left.
      if (!allowed) {
        if (!p.shadow && !o.allowed && (binding < 0 || retry > retryAfterMs)) {
          binding = i;
          retryAfterMs = retry;
        }
      } else if (
        binding < 0 ||
        (!p.shadow && (pols[binding]!.shadow || o.remaining < outcomes[binding]!.remaining))
      ) {
        binding = i;
      }
    }
    const b = details[binding]!;
    return {
      allowed,
      status: allowed ? 'allowed' : 'limited',
      messageType: input.messageType,
      policy: b.policy,
      limit: b.limit,
      remaining: b.remaining,
      resetMs: b.resetMs,
      retryAfterMs: allowed ? 0 : retryAfterMs,
      windowMs: b.windowMs,
      shadowLimited: shadowLimited ?? SHADOW_NONE,
      degraded: wasDegraded,
      error: undefined,
      policies: details,
    };
  };

  const selected = (
    input: RateLimitInput,
    sel: PolicySelector | undefined,
  ): { p: CompiledPolicy; key: string }[] => {
    let list: readonly CompiledPolicy[];
    if (sel?.policy !== undefined) {
      const named = index.byName.get(sel.policy);
      if (!named) throw new RateLimitUnknownPolicyError(sel.policy, [...index.byName.keys()]);
      list = [named];
    } else if (input.messageType === undefined) {
      // No message type: the key's buckets for every message type (block a connection, not one event of it).
      list = index.policies;
    } else list = index.forType(input.messageType);
    const out: { p: CompiledPolicy; key: string }[] = [];
    for (const p of list) {
      const key = p.keyOf(input);
      if (key !== undefined) out.push({ p, key });
    }
    return out;
  };

  const adjust = async (
    input: RateLimitInput,
    sel: PolicySelector & { readonly tokens: number },
    sign: 1 | -1,
  ): Promise<void> => {
    if (!(sel.tokens >= 0) || !Number.isFinite(sel.tokens)) {
      throw new RangeError(`tokens must be a finite number >= 0, got ${sel.tokens}`);
    }
    const now = clock();
    for (const { p, key } of selected(input, sel)) {
      const spec: BucketSpec = {
        key,
        capacity: p.capacity,
        refillPerMs: p.refillPerMs,
        cost: sign * sel.tokens,
        enforced: true,
      };
      const r = await viaStore((s) => s.adjust(spec, now), now);
      if (!isFailed(r)) continue;
      if (failurePolicy === 'failClosed') throw new RateLimitStoreUnavailableError(store.name, r.error);
      fallback.adjust(spec, now);
    }
  };

  const limiter: RateLimiter = {
    consume: (input) => decide('consume', input),
    peek: (input) => decide('peek', input),
    penalize: (input, sel) => adjust(input, sel, -1),
    reward: (input, sel) => adjust(input, sel, 1),
    block(input, sel) {
      if (!(sel.durationMs >= 0) || !Number.isFinite(sel.durationMs)) {
        throw new RangeError(`durationMs must be a finite number >= 0, got ${sel.durationMs}`);
      }
      const now = clock();
      for (const { key } of selected(input, sel)) blocks.block(key, now + sel.durationMs, now);
    },
    unblock(input, sel) {
      for (const { key } of selected(input, sel)) blocks.unblock(key);
    },
    async reset(input, sel) {
      const keys = selected(input, sel).map((s) => s.key);
      fallback.delete(keys);
      const r = await viaStore((s) => s.delete(keys), clock());
      if (isFailed(r) && failurePolicy === 'failClosed')
        throw new RateLimitStoreUnavailableError(store.name, r.error);
    },
    setPolicies(config) {
      const c: RateLimitConfig = isPolicyList(config) ? { policies: config } : config;
      apply(c, 'code');
    },
    async loadConfigFile(path) {
      const config = await loadRateLimitConfigFile(path);
      return apply(config, path);
    },
    watchConfigFile(path, watchOptions) {
      const w = watchConfigFile(path, {
        ...watchOptions,
        apply: (c) => {
          apply(c, path);
        },
        logger,
        metrics,
      });
      watchers.add(w);
      const close = w.close.bind(w);
      return Object.assign(w, {
        close: () => {
          watchers.delete(w);
          close();
        },
      });
    },
    get policies() {
      return definitions;
    },
    get shadow() {
      return configShadow ?? shadowOption;
    },
    get storeHealthy() {
      return !degraded;
    },
    close() {
      for (const w of [...watchers]) w.close();
      watchers.clear();
    },
  };
  return limiter;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function isFailed(v: unknown): v is Failed {
  return typeof v === 'object' && v !== null && (v as Partial<Failed>).failed === true;
}

function isPolicyList(c: RateLimitConfig | readonly PolicyDefinition[]): c is readonly PolicyDefinition[] {
  return Array.isArray(c);
}

function unlimited(messageType: string | undefined): RateLimitResult {
  return {
    allowed: true,
    status: 'allowed',
    messageType,
    policy: undefined,
    limit: Number.POSITIVE_INFINITY,
    remaining: Number.POSITIVE_INFINITY,
    resetMs: 0,
    retryAfterMs: 0,
    windowMs: 0,
    shadowLimited: SHADOW_NONE,
    degraded: false,
    error: undefined,
    policies: [],
  };
}

function blockedResult(
  p: CompiledPolicy,
  key: string,
  waitMs: number,
  messageType: string | undefined,
): RateLimitResult {
  const outcome: PolicyOutcome = {
    policy: p.name,
    key,
    allowed: false,
    shadow: false,
    blocked: true,
    cost: p.costOf(messageType),
    limit: p.capacity,
    remaining: 0,
    resetMs: waitMs,
    retryAfterMs: waitMs,
    windowMs: p.windowMs,
  };
  return {
    allowed: false,
    status: 'blocked',
    messageType,
    policy: p.name,
    limit: p.capacity,
    remaining: 0,
    resetMs: waitMs,
    retryAfterMs: waitMs,
    windowMs: p.windowMs,
    shadowLimited: SHADOW_NONE,
    degraded: false,
    error: undefined,
    policies: [outcome],
  };
}

function unavailable(
  pols: readonly CompiledPolicy[],
  specs: readonly BucketSpec[],
  messageType: string | undefined,
  error: RateLimitStoreUnavailableError,
  retryAfterMs: number,
): RateLimitResult {
  const p = pols[0]!;
  return {
    allowed: false,
    status: 'unavailable',
    messageType,
    policy: p.name,
    limit: p.capacity,
    remaining: 0,
    resetMs: 0,
    retryAfterMs,
    windowMs: p.windowMs,
    shadowLimited: SHADOW_NONE,
    degraded: true,
    error,
    policies: pols.map((q, i) => ({
      policy: q.name,
      key: specs[i]!.key,
      allowed: false,
      shadow: q.shadow,
      blocked: false,
      cost: specs[i]!.cost,
      limit: q.capacity,
      remaining: 0,
      resetMs: 0,
      retryAfterMs: 0,
      windowMs: q.windowMs,
    })),
  };
}

/** Node runs a timer of more than 2^31 - 1 ms after 1 ms: longer durations are refused, not shortened. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const FAILURE_POLICIES: readonly StoreFailurePolicy[] = ['fallbackToMemory', 'failOpen', 'failClosed'];

/** Refuses options that would misbehave quietly (a timeout Node would fire at once, an unknown policy). */
function checkOptions(options: RateLimiterOptions): void {
  const issues: string[] = [];
  const ms = (name: 'storeTimeoutMs' | 'probeIntervalMs' | 'shadowLogIntervalMs'): void => {
    const v: unknown = options[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_TIMER_MS) {
      issues.push(`${name}: must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${safeString(v)}`);
    }
  };
  ms('storeTimeoutMs');
  ms('probeIntervalMs');
  ms('shadowLogIntervalMs');
  const f: unknown = options.onStoreFailure;
  if (f !== undefined && !FAILURE_POLICIES.includes(f as StoreFailurePolicy)) {
    issues.push(`onStoreFailure: must be one of ${FAILURE_POLICIES.join(', ')}, got ${safeString(f)}`);
  }
  if (issues.length > 0) throw new RateLimitConfigError('options', issues);
}
