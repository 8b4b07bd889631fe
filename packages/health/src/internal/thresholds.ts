import { HealthConfigError } from '../errors.js';
import type { CheckStatus } from '../types.js';

/** Validates a warn/fail threshold pair (fail may be omitted: the check then only warns). */
export function thresholds(name: string, warnAt: number, failAt: number | undefined): void {
  if (!Number.isFinite(warnAt) || warnAt < 0) throw new HealthConfigError(`${name}.warnAt`, `must be >= 0, got ${warnAt}`);
  if (failAt !== undefined && (!Number.isFinite(failAt) || failAt < warnAt)) {
    throw new HealthConfigError(`${name}.failAt`, `must be >= warnAt (${warnAt}), got ${failAt}`);
  }
}

export function statusFor(value: number, warnAt: number, failAt: number | undefined): CheckStatus {
  if (failAt !== undefined && value >= failAt) return 'fail';
  return value >= warnAt ? 'warn' : 'pass';
}
