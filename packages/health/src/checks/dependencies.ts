import { HealthConfigError } from '../errors.js';
import { statusFor, thresholds } from '../internal/thresholds.js';
import type { CheckDefinition } from '../types.js';
import { base, type BuiltinCheckOptions } from './common.js';

/** Options of {@link sqlPingCheck}. */
export interface SqlPingCheckOptions extends BuiltinCheckOptions {
  /** Runs a trivial query (`select 1`), sync (better-sqlite3) or async; throwing or rejecting fails the check. */
  ping: (signal: AbortSignal) => unknown;
}

/**
 * A SQL database ping (SQLite, Postgres, anything): critical by default, reports the round trip
 * in ms. Name defaults to `'database'`.
 * @example sqlPingCheck({ ping: () => sql`select 1`.execute(db) })
 */
export function sqlPingCheck(options: SqlPingCheckOptions): CheckDefinition {
  if (typeof options.ping !== 'function') throw new HealthConfigError('ping', 'must be a function');
  return {
    ...base(options, { name: 'database', critical: true, componentType: 'datastore' }),
    async check(signal) {
      const start = performance.now();
      await options.ping(signal);
      return { observedValue: Math.round((performance.now() - start) * 1000) / 1000, observedUnit: 'ms' };
    },
  };
}

/** The part of a Redis client (ioredis, node-redis) the check uses. */
export interface RedisPingable {
  ping(): Promise<string>;
}

/** Options of {@link redisPingCheck}. */
export interface RedisPingCheckOptions extends BuiltinCheckOptions {
  client: RedisPingable;
}

/**
 * A Redis `PING`: non-critical by default (a rate-limit store can fail open), so an outage shows
 * as `warn` and readiness holds. Give ioredis `enableOfflineQueue: false` so a ping fails at once
 * while disconnected instead of waiting for the timeout.
 */
export function redisPingCheck(options: RedisPingCheckOptions): CheckDefinition {
  if (typeof options.client?.ping !== 'function') throw new HealthConfigError('client', 'must have a ping() method');
  return {
    ...base(options, { name: 'redis', critical: false, componentType: 'datastore' }),
    async check() {
      const start = performance.now();
      const answer = await options.client.ping();
      const ms = Math.round((performance.now() - start) * 1000) / 1000;
      if (answer !== 'PONG') return { status: 'fail', output: `unexpected PING answer ${JSON.stringify(answer)}` };
      return { observedValue: ms, observedUnit: 'ms' };
    },
  };
}

/** Circuit-breaker states; cockatiel's `CircuitState` maps 0 closed, 1 open, 2 half-open, 3 isolated. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Options of {@link circuitBreakerCheck}. */
export interface CircuitBreakerCheckOptions extends BuiltinCheckOptions {
  /** Reads the breaker's current state (a name, or cockatiel's numeric `CircuitState`). */
  read: () => BreakerState | number;
}

const CKT: readonly BreakerState[] = ['closed', 'open', 'half-open', 'isolated'];

/**
 * Reports a circuit breaker: closed passes, half-open warns, open or isolated fails. Non-critical
 * by default: an open breaker already sheds load; pulling the instance from rotation rarely helps.
 */
export function circuitBreakerCheck(options: CircuitBreakerCheckOptions): CheckDefinition {
  if (typeof options.read !== 'function') throw new HealthConfigError('read', 'must be a function');
  return {
    ...base(options, { name: 'circuit-breaker', critical: false, componentType: 'component' }),
    cacheMs: options.cacheMs ?? 0,
    check() {
      const raw = options.read();
      const state = typeof raw === 'number' ? CKT[raw] : raw;
      if (state === 'closed') return { observedValue: state };
      if (state === 'half-open') return { status: 'warn', observedValue: state, output: 'breaker is half-open' };
      if (state === 'open' || state === 'isolated') {
        return { status: 'fail', observedValue: state, output: `breaker is ${state}` };
      }
      return { status: 'fail', output: `unknown breaker state ${JSON.stringify(raw)}` };
    },
  };
}

/** Options of {@link subscriptionLagCheck}. */
export interface SubscriptionLagCheckOptions extends BuiltinCheckOptions {
  /** Reads the lag: events (or ms) between the log head and the subscription's checkpoint. */
  read: () => number | Promise<number>;
  /** Lag at which the check warns (default 1000). */
  warnAt?: number;
  /** Lag at which the check fails (default: never fails, only warns). */
  failAt?: number;
  /** Unit of the lag (default `'events'`). */
  unit?: string;
}

/** An event-store subscription's lag against thresholds. Non-critical by default. */
export function subscriptionLagCheck(options: SubscriptionLagCheckOptions): CheckDefinition {
  if (typeof options.read !== 'function') throw new HealthConfigError('read', 'must be a function');
  const warnAt = options.warnAt ?? 1000;
  thresholds('subscriptionLag', warnAt, options.failAt);
  return {
    ...base(options, { name: 'subscription-lag', critical: false, componentType: 'component' }),
    async check() {
      const lag = await options.read();
      if (!Number.isFinite(lag)) return { status: 'fail', output: `lag reader returned ${String(lag)}` };
      const status = statusFor(lag, warnAt, options.failAt);
      return {
        status,
        observedValue: lag,
        observedUnit: options.unit ?? 'events',
        ...(status === 'pass' ? {} : { output: `lag ${lag} >= ${status === 'fail' ? options.failAt : warnAt}` }),
      };
    },
  };
}
