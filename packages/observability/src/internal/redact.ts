/**
 * Key-based deep redaction, copy-on-write: walks plain objects (and arrays, which do not count as
 * a level) up to `depth` levels below the top and replaces the value of every matching key. Nothing is cloned unless a key
 * matches, and the caller's object is never changed. (pino's wildcard paths cost ~100x more per
 * line for the same coverage; see docs/perf/health.md.)
 *
 * Errors and other class instances are walked too (pino's serializers would write their enumerable
 * properties as they are, an axios error's `config.headers.authorization` included): an error with a
 * secret becomes a copy of the same class with the secret censored (message, stack and cause kept), another
 * instance a plain object of its own properties; one without a secret is left to the serializers. Values with `toJSON` (Date, Buffer, ...) are left alone. A cycle is written
 * `[Circular]` and a property whose getter throws `[Unreadable]`, as pino does, instead of throwing.
 */
export function createKeyRedactor(
  keys: readonly string[],
  depth: number,
  censor: string,
): (obj: Record<string, unknown>) => Record<string, unknown> {
  const set = new Set(keys.map((k) => k.toLowerCase()));
  if (set.size === 0) return (obj) => obj;
  // The objects being walked (ancestors of the current value): a value among them is a cycle.
  const path = new Set<object>();
  const walk = (value: unknown, level: number): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (path.has(value)) return '[Circular]';
    if (Array.isArray(value)) {
      if (level > depth) return value;
      path.add(value);
      let out: unknown[] | undefined;
      try {
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          const r = walk(v, level); // an array is not a level: its items sit where it sits
          if (r !== v) {
            out ??= value.slice();
            out[i] = r;
          }
        }
      } finally {
        path.delete(value);
      }
      return out ?? value;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return walkObject(value as Record<string, unknown>, level);
    if (value instanceof Error) return walkError(value, level);
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value; // Date, Buffer, ...
    return walkObject(value as Record<string, unknown>, level);
  };
  const walkObject = (obj: Record<string, unknown>, level: number): Record<string, unknown> => {
    if (level > depth) return obj;
    path.add(obj);
    let out: Record<string, unknown> | undefined;
    try {
      for (const key of Object.keys(obj)) {
        let v: unknown;
        let r: unknown;
        try {
          v = obj[key];
        } catch {
          r = '[Unreadable]';
        }
        if (r === undefined) {
          if (set.has(key.toLowerCase())) r = v === undefined ? v : censor;
          else r = walk(v, level + 1);
        }
        if (r !== v) {
          // A class instance becomes a plain object with its own enumerable properties (what JSON writes);
          // read one by one, so that a throwing getter cannot throw here.
          out ??= copyOwn(obj);
          out[key] = r;
        }
      }
    } finally {
      path.delete(obj);
    }
    return out ?? obj;
  };
  const walkError = (err: Error, level: number): unknown => {
    const own = walkObject(err as unknown as Record<string, unknown>, level);
    const cause: unknown = (err as { cause?: unknown }).cause;
    path.add(err);
    const causeOut = cause === undefined ? cause : walk(cause, level + 1);
    path.delete(err);
    if (own === (err as unknown) && causeOut === cause) return err;
    // A copy of the same class (pino's err serializer then writes the same type, message, stack and
    // causes), with the redacted properties instead of the originals.
    const copy = Object.create(Object.getPrototypeOf(err) as object) as Record<string, unknown>;
    const hidden = (key: string, value: unknown) => Object.defineProperty(copy, key, { value, writable: true, configurable: true, enumerable: false });
    hidden('message', err.message);
    hidden('stack', err.stack);
    if (causeOut !== undefined) hidden('cause', causeOut);
    Object.assign(copy, own === (err as unknown) ? copyOwn(err as unknown as Record<string, unknown>) : own);
    return copy;
  };
  return (obj) => {
    if (obj instanceof Error) return walkError(obj, 0) as Record<string, unknown>;
    return walkObject(obj, 0);
  };
}

/** Own enumerable properties, read safely (a throwing getter gives `[Unreadable]`). */
function copyOwn(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    try {
      out[key] = obj[key];
    } catch {
      out[key] = '[Unreadable]';
    }
  }
  return out;
}
