import type { PolicyCounters } from './metrics.js';
import type { KeyField, PolicyDefinition, RateLimitInput } from '../types.js';

/** A validated policy, ready for the hot path. */
export interface CompiledPolicy {
  readonly name: string;
  readonly keyClass: string;
  readonly capacity: number;
  readonly refillPerMs: number;
  /** Milliseconds for an empty bucket to fill. */
  readonly windowMs: number;
  readonly shadow: boolean;
  readonly block:
    { readonly afterViolations: number; readonly withinMs: number; readonly durationMs: number } | undefined;
  /** The bucket key for a request, or undefined when the policy does not apply to it. */
  keyOf(input: RateLimitInput): string | undefined;
  /** Cost of a message type (0 exempts it). */
  costOf(messageType: string | undefined): number;
  /** Decision counters for this policy's labels. */
  readonly counters: PolicyCounters;
}

/** Policies indexed by message type. */
export interface PolicyIndex {
  readonly policies: readonly CompiledPolicy[];
  readonly byName: ReadonlyMap<string, CompiledPolicy>;
  /** Policies applying to a message type. */
  forType(messageType: string | undefined): readonly CompiledPolicy[];
}

// Inputs can come straight from untrusted frames (rate limiting runs before schema validation), so a
// non-string value is stringified instead of crashing the check.
function escape(value: unknown): string {
  const v = typeof value === 'string' ? value : safeString(value);
  return v.includes('|') || v.includes('%') ? encodeURIComponent(v) : v;
}

/** A string for any value, even a hostile object (`{"toString": 1}` makes `String(x)` throw). */
export function safeString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return `<${value === null ? 'null' : typeof value}>`;
}

function keyFunction(p: PolicyDefinition): (input: RateLimitInput) => string | undefined {
  const prefix = `${p.name}|`;
  const spec = p.key;
  if (typeof spec === 'function') {
    return (input) => {
      const k = spec(input);
      return k === undefined ? undefined : prefix + escape(k);
    };
  }
  const fields: readonly KeyField[] = typeof spec === 'string' ? [spec] : spec;
  if (fields.length === 1) {
    const f = fields[0]!;
    return (input) => {
      const v = input[f];
      return v === undefined ? undefined : prefix + escape(v);
    };
  }
  return (input) => {
    let k = prefix;
    for (let i = 0; i < fields.length; i++) {
      const v = input[fields[i]!];
      if (v === undefined) return undefined;
      k += i === 0 ? escape(v) : `|${escape(v)}`;
    }
    return k;
  };
}

function compile(
  p: PolicyDefinition,
  shadowAll: boolean,
  countersFor: (name: string, keyClass: string) => PolicyCounters,
): CompiledPolicy {
  const refillPerMs = p.refill ? p.refill.tokens / p.refill.intervalMs : (p.refillPerSecond ?? 1) / 1000;
  const costs = new Map(Object.entries(p.costs ?? {}));
  const defaultCost = p.defaultCost ?? 1;
  const keyClass =
    p.keyClass ??
    (typeof p.key === 'function'
      ? 'custom'
      : typeof p.key === 'string'
        ? p.key
        : (p.key as readonly string[]).join('+'));
  return {
    name: p.name,
    keyClass,
    capacity: p.capacity,
    refillPerMs,
    windowMs: Math.ceil(p.capacity / refillPerMs),
    shadow: shadowAll || p.shadow === true,
    block: p.block
      ? {
          afterViolations: p.block.afterViolations ?? 1,
          withinMs: p.block.withinMs ?? 60_000,
          durationMs: p.block.durationMs,
        }
      : undefined,
    keyOf: keyFunction(p),
    costOf: (t) => (t === undefined ? defaultCost : (costs.get(t) ?? defaultCost)),
    counters: countersFor(p.name, keyClass),
  };
}

function applies(p: PolicyDefinition, messageType: string | undefined): boolean {
  if (p.messageTypes) return messageType !== undefined && p.messageTypes.includes(messageType);
  if (p.exceptMessageTypes && messageType !== undefined) return !p.exceptMessageTypes.includes(messageType);
  return true;
}

/** Compiles validated definitions; `shadowAll` puts every policy in shadow mode. */
export function compilePolicies(
  defs: readonly PolicyDefinition[],
  shadowAll: boolean,
  countersFor: (name: string, keyClass: string) => PolicyCounters,
): PolicyIndex {
  const compiled = defs.map((d) => compile(d, shadowAll, countersFor));
  const byName = new Map(compiled.map((c) => [c.name, c]));
  const select = (t: string | undefined) =>
    compiled.filter((c, i) => applies(defs[i]!, t) && c.costOf(t) > 0);
  const named = new Set<string>();
  for (const d of defs) {
    for (const t of d.messageTypes ?? []) named.add(t);
    for (const t of d.exceptMessageTypes ?? []) named.add(t);
    for (const t of Object.keys(d.costs ?? {})) named.add(t);
  }
  const byType = new Map<string, readonly CompiledPolicy[]>();
  for (const t of named) byType.set(t, select(t));
  // Any other type: the policies without a message-type filter, at their default cost.
  const other = compiled.filter((c, i) => !defs[i]!.messageTypes && c.costOf(undefined) > 0);
  const none = select(undefined);
  return {
    policies: compiled,
    byName,
    forType: (t) => (t === undefined ? none : typeof t === 'string' ? (byType.get(t) ?? other) : other),
  };
}
