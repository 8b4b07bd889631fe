import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRateLimiter, type RateLimiter, type RateLimiterOptions } from '../limiter.js';
import type { RateLimitStore } from '../store.js';
import type { PolicyDefinition } from '../types.js';
import { createManualClock, type ManualClock } from './manual-clock.js';

/** What the conformance suite needs from a backend, made fresh for every test. */
export interface RateLimitStoreHarness {
  /**
   * The store under test, with empty buckets. It must take "now" from the caller (for Redis:
   * `time: 'caller'`) so that the suite's manual clock drives refills.
   */
  readonly store: RateLimitStore;
  /** A second store over the same buckets (another connection), when `capabilities.shared`. */
  readonly peer?: RateLimitStore | undefined;
  /** Releases what the harness opened. */
  close(): void | Promise<void>;
}

const perSecond = (
  name: string,
  capacity: number,
  extra: Partial<PolicyDefinition> = {},
): PolicyDefinition => ({
  name,
  key: 'player',
  capacity,
  refill: { tokens: 1, intervalMs: 1000 },
  ...extra,
});

/**
 * The behaviour every {@link RateLimitStore} must show, run through a real limiter with a manual clock.
 *
 * @example
 * describeRateLimitStoreConformance('memory', () => ({ store: createMemoryStore(), close() {} }));
 */
export function describeRateLimitStoreConformance(
  name: string,
  factory: () => RateLimitStoreHarness | Promise<RateLimitStoreHarness>,
): void {
  describe(`rate-limit store conformance: ${name}`, () => {
    let h: RateLimitStoreHarness;
    let clock: ManualClock;
    const limiter = (
      policies: readonly PolicyDefinition[],
      extra: Partial<RateLimiterOptions> = {},
    ): RateLimiter => createRateLimiter({ policies, store: h.store, clock, storeTimeoutMs: 0, ...extra });

    beforeEach(async () => {
      h = await factory();
      clock = createManualClock();
    });
    afterEach(async () => {
      await h.close();
    });

    it('allows a burst up to capacity, then refuses with the exact wait', async () => {
      const rl = limiter([perSecond('burst', 5)]);
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await rl.consume({ player: 'p1' });
        expect(r.allowed).toBe(true);
        remaining.push(r.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const denied = await rl.consume({ player: 'p1' });
      expect(denied).toMatchObject({
        allowed: false,
        status: 'limited',
        policy: 'burst',
        remaining: 0,
        retryAfterMs: 1000,
        resetMs: 5000,
      });
      clock.advance(999);
      expect((await rl.consume({ player: 'p1' })).retryAfterMs).toBe(1);
      clock.advance(1);
      expect((await rl.consume({ player: 'p1' })).allowed).toBe(true);
    });

    it('a clock that steps back and forward again mints no tokens', async () => {
      const rl = limiter([perSecond('steps', 2)]);
      const t0 = clock();
      expect((await rl.consume({ player: 'p' })).remaining).toBe(1);
      clock.set(t0 - 5000); // an NTP step back, or an instance whose clock is behind
      expect((await rl.consume({ player: 'p' })).remaining).toBe(0);
      clock.set(t0);
      // No time has passed since the first request: nothing refilled.
      expect((await rl.consume({ player: 'p' })).allowed).toBe(false);
      clock.set(t0 + 1000);
      expect(await rl.consume({ player: 'p' })).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('admits exactly the steady rate after the burst', async () => {
      const rl = limiter([perSecond('steady', 3)]);
      for (let i = 0; i < 3; i++) await rl.consume({ player: 'p' });
      let admitted = 0;
      for (let step = 0; step < 40; step++) {
        clock.advance(250);
        if ((await rl.consume({ player: 'p' })).allowed) admitted++;
      }
      // 40 x 250 ms = 10 s at 1 token/s
      expect(admitted).toBe(10);
    });

    it('refills exactly for per-minute rates (5 per 60 s)', async () => {
      const rl = limiter([
        { name: 'minute', key: 'connection', capacity: 5, refill: { tokens: 5, intervalMs: 60_000 } },
      ]);
      for (let i = 0; i < 5; i++) expect((await rl.consume({ connection: 'c' })).allowed).toBe(true);
      const r = await rl.consume({ connection: 'c' });
      expect(r.retryAfterMs).toBe(12_000);
      expect(r.resetMs).toBe(60_000);
      clock.advance(12_000);
      expect((await rl.consume({ connection: 'c' })).allowed).toBe(true);
      expect((await rl.consume({ connection: 'c' })).allowed).toBe(false);
    });

    it('charges the cost of each message type', async () => {
      const rl = limiter([perSecond('costs', 10, { costs: { play: 3, chat: 0 }, defaultCost: 1 })]);
      for (let i = 0; i < 3; i++)
        expect((await rl.consume({ player: 'p', messageType: 'play' })).allowed).toBe(true);
      const denied = await rl.consume({ player: 'p', messageType: 'play' });
      expect(denied).toMatchObject({ allowed: false, remaining: 1, retryAfterMs: 2000 });
      expect((await rl.consume({ player: 'p', messageType: 'ping' })).allowed).toBe(true);
      expect((await rl.consume({ player: 'p', messageType: 'ping' })).allowed).toBe(false);
      // cost 0: exempt, always passes
      expect((await rl.consume({ player: 'p', messageType: 'chat' })).allowed).toBe(true);
    });

    it('peek reports without consuming', async () => {
      const rl = limiter([perSecond('peek', 2)]);
      // peek reports the tokens available now
      for (let i = 0; i < 5; i++) expect((await rl.peek({ player: 'p' })).remaining).toBe(2);
      await rl.consume({ player: 'p' });
      await rl.consume({ player: 'p' });
      const r = await rl.peek({ player: 'p' });
      expect(r).toMatchObject({ allowed: false, retryAfterMs: 1000 });
      clock.advance(1000);
      expect((await rl.peek({ player: 'p' })).allowed).toBe(true);
    });

    it('passes a request only if every applicable policy allows it, and then charges all or nothing', async () => {
      const rl = limiter([
        perSecond('per-player', 10),
        { name: 'per-room', key: 'room', capacity: 2, refill: { tokens: 1, intervalMs: 1000 } },
      ]);
      expect((await rl.consume({ player: 'a', room: 'R' })).allowed).toBe(true);
      expect((await rl.consume({ player: 'b', room: 'R' })).allowed).toBe(true);
      const denied = await rl.consume({ player: 'a', room: 'R' });
      expect(denied).toMatchObject({ allowed: false, policy: 'per-room' });
      // the refused request took nothing from the player's bucket
      const peek = await rl.peek({ player: 'a' });
      expect(peek.policies.find((p) => p.policy === 'per-player')?.remaining).toBe(9);
      // a policy whose key field is missing does not apply
      expect((await rl.consume({ player: 'a' })).allowed).toBe(true);
    });

    it('keeps keys apart', async () => {
      const rl = limiter([perSecond('apart', 1)]);
      expect((await rl.consume({ player: 'x' })).allowed).toBe(true);
      expect((await rl.consume({ player: 'x' })).allowed).toBe(false);
      expect((await rl.consume({ player: 'y' })).allowed).toBe(true);
      expect((await rl.consume({ player: 'x|y' })).allowed).toBe(true);
    });

    it('admits exactly the capacity out of 1,000 parallel consumes on one key', async () => {
      const rl = limiter([
        { name: 'flood', key: 'player', capacity: 50, refill: { tokens: 1, intervalMs: 60_000 } },
      ]);
      const results = await Promise.all(Array.from({ length: 1000 }, () => rl.consume({ player: 'hot' })));
      expect(results.filter((r) => r.allowed)).toHaveLength(50);
      expect(results.filter((r) => r.status === 'limited')).toHaveLength(950);
    });

    it('applies penalties and rewards', async () => {
      const rl = limiter([perSecond('adjust', 5)]);
      await rl.penalize({ player: 'p' }, { tokens: 3 });
      expect((await rl.peek({ player: 'p' })).remaining).toBe(2);
      await rl.penalize({ player: 'p' }, { tokens: 20 });
      // a penalty can go into debt down to minus the capacity
      const inDebt = await rl.peek({ player: 'p' });
      expect(inDebt.remaining).toBe(-5);
      expect(inDebt.retryAfterMs).toBe(6000);
      await rl.reward({ player: 'p' }, { tokens: 7 });
      expect((await rl.peek({ player: 'p' })).remaining).toBe(2);
      await rl.reward({ player: 'p' }, { tokens: 100 });
      expect((await rl.peek({ player: 'p' })).remaining).toBe(5);
    });

    it('resets buckets', async () => {
      const rl = limiter([perSecond('reset', 2)]);
      await rl.consume({ player: 'p' });
      await rl.consume({ player: 'p' });
      await rl.reset({ player: 'p' });
      expect((await rl.peek({ player: 'p' })).remaining).toBe(2);
    });

    it('shadow policies report what they would limit without enforcing it', async () => {
      const rl = limiter([
        perSecond('shadowed', 2, { shadow: true }),
        { ...perSecond('real', 10), name: 'real' },
      ]);
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await rl.consume({ player: 'p' }));
      expect(results.every((r) => r.allowed)).toBe(true);
      expect(results.map((r) => r.shadowLimited)).toEqual([[], [], ['shadowed'], ['shadowed']]);
      expect(results[3]!.remaining).toBe(6);
    });

    it('applies new limits to the next check after setPolicies', async () => {
      const rl = limiter([perSecond('reload', 10)]);
      await rl.consume({ player: 'p' });
      rl.setPolicies([perSecond('reload', 3)]);
      const r = await rl.consume({ player: 'p' });
      expect(r).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
    });

    it('blocks a key after repeated violations without asking the store', async () => {
      let calls = 0;
      const counting: RateLimitStore = {
        name: h.store.name,
        capabilities: h.store.capabilities,
        take: (op, b, now) => {
          calls++;
          return h.store.take(op, b, now);
        },
        adjust: (b, now) => h.store.adjust(b, now),
        delete: (k) => h.store.delete(k),
      };
      const rl = createRateLimiter({
        policies: [
          perSecond('abuse', 1, { block: { afterViolations: 2, withinMs: 10_000, durationMs: 30_000 } }),
        ],
        store: counting,
        clock,
        storeTimeoutMs: 0,
      });
      expect((await rl.consume({ player: 'p' })).allowed).toBe(true);
      expect((await rl.consume({ player: 'p' })).status).toBe('limited');
      const second = await rl.consume({ player: 'p' });
      expect(second).toMatchObject({ status: 'limited', retryAfterMs: 30_000 });
      const before = calls;
      clock.advance(5_000);
      for (let i = 0; i < 100; i++) {
        const r = await rl.consume({ player: 'p' });
        expect(r).toMatchObject({ allowed: false, status: 'blocked', retryAfterMs: 25_000 });
      }
      expect(calls).toBe(before);
      clock.advance(25_000);
      expect((await rl.consume({ player: 'p' })).allowed).toBe(true);
    });

    it('shares buckets between limiters when the store is shared', async () => {
      if (!h.store.capabilities.shared) {
        // A private store: a second limiter over another instance starts full.
        expect(h.peer).toBeUndefined();
        return;
      }
      expect(h.peer).toBeDefined();
      const a = limiter([perSecond('shared', 4)]);
      const b = createRateLimiter({
        policies: [perSecond('shared', 4)],
        store: h.peer!,
        clock,
        storeTimeoutMs: 0,
      });
      const results = await Promise.all([
        a.consume({ player: 'p' }),
        b.consume({ player: 'p' }),
        a.consume({ player: 'p' }),
        b.consume({ player: 'p' }),
        a.consume({ player: 'p' }),
        b.consume({ player: 'p' }),
      ]);
      expect(results.filter((r) => r.allowed)).toHaveLength(4);
    });
  });
}
