import { HealthConfigError } from '../errors.js';

/** Node fires a timer of more than 2^31 - 1 ms after 1 ms: such durations are refused, not shortened. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `value` (or `fallback`) checked as a finite number from 0 to `max`; a {@link HealthConfigError} naming `option` otherwise. */
export function nonNegative(option: string, value: number | undefined, fallback: number, max = Number.MAX_VALUE): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new HealthConfigError(option, `must be a finite number >= 0, got ${String(v)}`);
  if (v > max) throw new HealthConfigError(option, `must be at most ${max} ms (the longest timer Node runs), got ${v}`);
  return v;
}
