// The token-bucket arithmetic, shared by the memory store; the Redis Lua script mirrors it line by line.

/** Float slack so that 0.999999999 tokens count as 1 and waits are not rounded up by a millisecond. */
export const EPSILON = 1e-9;

/** Tokens in a bucket last written as (`tokens`, `at`), refilled up to `capacity` at `now`. */
export function refilled(
  tokens: number,
  at: number,
  now: number,
  capacity: number,
  refillPerMs: number,
): number {
  const elapsed = now > at ? now - at : 0;
  const t = tokens + elapsed * refillPerMs;
  return t > capacity ? capacity : t;
}

/** Milliseconds until `tokens` reaches `target` (0 if already there). */
export function msUntil(tokens: number, target: number, refillPerMs: number): number {
  const deficit = target - tokens;
  if (deficit <= EPSILON) return 0;
  return Math.ceil(deficit / refillPerMs - EPSILON);
}

/** Whole tokens, tolerant of float error. */
export function whole(tokens: number): number {
  return Math.floor(tokens + EPSILON);
}
