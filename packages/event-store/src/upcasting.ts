import { InvalidArgumentError } from './errors.js';
import type { RecordedEvent } from './types.js';

/**
 * Turns one stored schema version of an event type into the next. Chains run on read, one step at a
 * time (v1 -> v2 -> v3); stored rows are never rewritten.
 * @example { type: 'player_joined', fromVersion: 1, upcast: (d) => ({ ...d, seat: null }) }
 */
export interface Upcaster {
  type: string;
  fromVersion: number;
  /** Default `fromVersion + 1`. */
  toVersion?: number;
  /** Renames the event type at this step. */
  newType?: string;
  upcast: (data: unknown, event: RecordedEvent) => unknown;
}

/** A compiled set of upcaster chains. */
export interface UpcasterChain {
  /** The schema version new events of `type` are written with. */
  currentVersion(type: string): number;
  /** Applies every step that matches, returning a new event (or the same one when nothing applies). */
  apply(event: RecordedEvent): RecordedEvent;
}

/** Checks and indexes upcasters: at most one per (type, fromVersion), versions increasing. */
export function createUpcasterChain(upcasters: readonly Upcaster[] = []): UpcasterChain {
  const steps = new Map<string, Upcaster>();
  const latest = new Map<string, number>();
  for (const u of upcasters) {
    const to = u.toVersion ?? u.fromVersion + 1;
    if (
      !Number.isInteger(u.fromVersion) ||
      u.fromVersion < 1 ||
      !Number.isInteger(to) ||
      to <= u.fromVersion
    ) {
      throw new InvalidArgumentError(
        'upcasters',
        `upcaster for "${u.type}" must go from an integer version >= 1 to a higher one`,
      );
    }
    const key = `${u.type}\u0000${u.fromVersion}`;
    if (steps.has(key))
      throw new InvalidArgumentError('upcasters', `two upcasters for "${u.type}" v${u.fromVersion}`);
    steps.set(key, u);
  }
  // The current version of a type follows its chain, including renames.
  const resolveLatest = (type: string, version: number, seen = 0): { type: string; version: number } => {
    const step = steps.get(`${type}\u0000${version}`);
    if (!step || seen > 1000) return { type, version };
    return resolveLatest(step.newType ?? type, step.toVersion ?? step.fromVersion + 1, seen + 1);
  };
  for (const u of upcasters) {
    const end = resolveLatest(u.type, u.fromVersion);
    latest.set(end.type, Math.max(latest.get(end.type) ?? 1, end.version));
  }
  return {
    currentVersion: (type) => latest.get(type) ?? 1,
    apply(event) {
      if (steps.size === 0) return event;
      let out = event;
      for (let i = 0; i < 1000; i++) {
        const step = steps.get(`${out.type}\u0000${out.schemaVersion}`);
        if (!step) return out;
        out = {
          ...out,
          type: step.newType ?? out.type,
          data: step.upcast(out.data, out),
          schemaVersion: step.toVersion ?? step.fromVersion + 1,
        };
      }
      return out;
    },
  };
}
