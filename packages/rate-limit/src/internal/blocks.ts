import type { CompiledPolicy } from './policies.js';

interface Entry {
  violations: number;
  windowStart: number;
  blockedUntil: number;
  /** When neither the block nor the violation window matters any more. */
  expiresAt: number;
}

/**
 * Violations and blocks, held in this process's memory so that a flood from a blocked key never
 * reaches a shared store.
 */
export class BlockTable {
  private readonly entries = new Map<string, Entry>();
  private ops = 0;

  /** True when there is nothing to look up: the hot path skips the table. */
  get empty(): boolean {
    return this.entries.size === 0;
  }

  /** The block's end for a bucket key, or 0 when it is not blocked. */
  blockedUntil(key: string, now: number): number {
    const e = this.entries.get(key);
    if (e === undefined || e.blockedUntil <= now) return 0;
    return e.blockedUntil;
  }

  /** Counts a violation; returns the block's end when this one triggers a block, else 0. */
  violation(key: string, policy: CompiledPolicy, now: number): number {
    const rule = policy.block;
    if (!rule) return 0;
    this.maybeSweep(now);
    let e = this.entries.get(key);
    if (e === undefined || now - e.windowStart >= rule.withinMs) {
      const blockedUntil = e?.blockedUntil ?? 0;
      e = {
        violations: 0,
        windowStart: now,
        blockedUntil,
        expiresAt: Math.max(blockedUntil, now + rule.withinMs),
      };
      this.entries.set(key, e);
    }
    e.violations++;
    if (e.violations >= rule.afterViolations) {
      e.violations = 0;
      e.windowStart = now;
      e.blockedUntil = now + rule.durationMs;
      e.expiresAt = Math.max(e.blockedUntil, now + rule.withinMs);
      return e.blockedUntil;
    }
    return 0;
  }

  /** Blocks a key until `until`. */
  block(key: string, until: number, now: number): void {
    this.entries.set(key, { violations: 0, windowStart: now, blockedUntil: until, expiresAt: until });
  }

  /** Lifts a block and forgets violations. */
  unblock(key: string): boolean {
    return this.entries.delete(key);
  }

  private maybeSweep(now: number): void {
    if (++this.ops < 10_000 || this.ops < this.entries.size) return;
    this.ops = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt <= now) this.entries.delete(k);
    }
  }
}
