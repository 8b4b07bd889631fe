import type { Clock } from '../types.js';

/** A clock tests move by hand: call it for "now", `advance` to let time pass without sleeping. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`. */
  advance(ms: number): void;
  /** Sets the time. */
  set(ms: number): void;
}

/** Creates a {@link ManualClock} starting at `start` (ms since the epoch). */
export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}
