/**
 * Key-based deep redaction, copy-on-write: walks plain objects (and arrays, which do not count as
 * a level) up to `depth` levels below the top and replaces the value of every matching key. Nothing is cloned unless a key
 * matches, and the caller's object is never changed. (pino's wildcard paths cost ~100x more per
 * line for the same coverage; see docs/perf/health.md.)
 */
export function createKeyRedactor(
  keys: readonly string[],
  depth: number,
  censor: string,
): (obj: Record<string, unknown>) => Record<string, unknown> {
  const set = new Set(keys.map((k) => k.toLowerCase()));
  if (set.size === 0) return (obj) => obj;
  const walk = (value: unknown, level: number): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      if (level > depth) return value;
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        const r = walk(v, level); // an array is not a level: its items sit where it sits
        if (r !== v) {
          out ??= value.slice();
          out[i] = r;
        }
      }
      return out ?? value;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // Error, Date, Buffer...: left to serializers
    return walkObject(value as Record<string, unknown>, level);
  };
  const walkObject = (obj: Record<string, unknown>, level: number): Record<string, unknown> => {
    if (level > depth) return obj;
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      let r: unknown;
      if (set.has(key.toLowerCase())) r = v === undefined ? v : censor;
      else r = walk(v, level + 1);
      if (r !== v) {
        out ??= { ...obj };
        out[key] = r;
      }
    }
    return out ?? obj;
  };
  return (obj) => walkObject(obj, 0);
}
