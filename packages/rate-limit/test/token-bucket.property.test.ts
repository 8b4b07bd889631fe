import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/index.js';
import { createManualClock } from '../src/testing/index.js';

/** mulberry32: deterministic, so a failing seed replays. */
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

const seeds = Array.from({ length: 25 }, (_, i) => i + 1);

describe('token bucket properties (random policies and traffic)', () => {
  it.each(seeds)(
    'never admits more than capacity + refill, and retryAfterMs is exact (seed %i)',
    async (seed) => {
      const random = rng(seed);
      const capacity = 1 + Math.floor(random() * 20);
      const tokens = 1 + Math.floor(random() * 5);
      const intervalMs = [1, 7, 100, 1000, 60_000][Math.floor(random() * 5)]!;
      const costs = { small: 1, big: Math.min(capacity, 1 + Math.floor(random() * 4)) };
      const clock = createManualClock(0);
      const rl = createRateLimiter({
        clock,
        policies: [{ name: 'p', key: 'player', capacity, refill: { tokens, intervalMs }, costs }],
      });
      const rate = tokens / intervalMs;
      let admittedCost = 0;
      for (let step = 0; step < 300; step++) {
        clock.advance(Math.floor(random() * random() * intervalMs * 2));
        const messageType = random() < 0.7 ? 'small' : 'big';
        const r = await rl.consume({ player: 'x', messageType });
        if (r.allowed) {
          admittedCost += costs[messageType];
          expect(admittedCost).toBeLessThanOrEqual(capacity + clock() * rate + 1e-6);
          expect(r.remaining).toBeGreaterThanOrEqual(0);
        } else {
          // exact wait: one millisecond earlier is still too early, at the wait it passes
          expect(r.retryAfterMs).toBeGreaterThan(0);
          if (r.retryAfterMs > 1) {
            clock.advance(r.retryAfterMs - 1);
            expect((await rl.peek({ player: 'x', messageType })).allowed).toBe(false);
            clock.advance(1);
          } else clock.advance(r.retryAfterMs);
          expect((await rl.peek({ player: 'x', messageType })).allowed).toBe(true);
        }
        expect(r.remaining).toBeLessThanOrEqual(capacity);
      }
    },
  );

  it.each(seeds.slice(0, 10))(
    'a steady sender at the refill rate is never refused (seed %i)',
    async (seed) => {
      const random = rng(seed);
      const capacity = 1 + Math.floor(random() * 10);
      const intervalMs = 1 + Math.floor(random() * 5000);
      const clock = createManualClock(0);
      const rl = createRateLimiter({
        clock,
        policies: [{ name: 'p', key: 'player', capacity, refill: { tokens: 1, intervalMs } }],
      });
      for (let i = 0; i < 200; i++) {
        expect((await rl.consume({ player: 'x' })).allowed).toBe(true);
        clock.advance(intervalMs);
      }
    },
  );
});
