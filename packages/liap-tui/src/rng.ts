/** Seedable randomness, injected through `ctx.rng`. */
import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';

/** A source of uniform integers; `decide` and `botMove` draw only from this. */
export interface Rng {
  /** A uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
}

/** A deterministic Rng (xoroshiro128+) from a 32-bit integer seed. */
export function createRng(seed: number): Rng {
  const gen: RandomGenerator = xoroshiro128plus(seed | 0);
  return {
    int(min: number, max: number): number {
      return unsafeUniformIntDistribution(min, max, gen);
    },
  };
}

/** Fisher-Yates shuffle in place using the Rng. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
