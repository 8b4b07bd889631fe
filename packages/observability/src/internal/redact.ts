/**
 * Key-based deep redaction, copy-on-write: walks plain objects (and arrays, which do not count as
 * a level) up to `depth` levels below the top and replaces the value of every matching key. Nothing is cloned unless a key
 * matches, and the caller's object is never changed. (pino's wildcard paths cost ~100x more per
 * line for the same coverage; see docs/perf/health.md.)
 *
 * Errors and other class instances are walked too (pino's serializers would write their enumerable
 * properties as they are, an axios error's `config.headers.authorization` included): an error with a
 * secret becomes a serializer-ready copy with the secret censored (type, message, stack, cause and inner
 * errors kept), another instance a plain object of its own properties; one without a secret is left to
 * the serializers. Values with `toJSON` (Date, Buffer, ...) and typed arrays are left alone. A cycle
 * through arrays stops the walk (pino writes it `[Circular]`) and a property whose getter throws is written
 * `[Unreadable]`, instead of throwing.
 */
export function createKeyRedactor(
  keys: readonly string[],
  depth: number,
  censor: string,
): (obj: Record<string, unknown>) => Record<string, unknown> {
  const set = new Set(keys.map((k) => k.toLowerCase()));
  if (set.size === 0) return (obj) => obj;
  // Arrays do not count as a level, so arrays nested in arrays are bounded separately: a cycle through
  // arrays alone would otherwise never reach the depth limit (pino then writes it as [Circular]).
  let arrayNesting = 0;
  const walk = (value: unknown, level: number): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      if (level > depth || arrayNesting >= MAX_ARRAY_NESTING) return value;
      arrayNesting++;
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
        arrayNesting--;
      }
      return out ?? value;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return walkObject(value as Record<string, unknown>, level);
    // Typed arrays, Buffer, Date, ...: data, not records with keys to hide.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    if (value instanceof Error) return walkError(value, level);
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    return walkObject(value as Record<string, unknown>, level);
  };
  const walkObject = (obj: Record<string, unknown>, level: number): Record<string, unknown> => {
    if (level > depth) return obj;
    try {
      return walkKeys(obj, level, false);
    } catch {
      // A getter threw (rare): again, reading each property on its own.
      return walkKeys(obj, level, true);
    }
  };
  const walkKeys = (obj: Record<string, unknown>, level: number, guarded: boolean): Record<string, unknown> => {
    let out: Record<string, unknown> | undefined;
    for (const key of Object.keys(obj)) {
      let v: unknown;
      let r: unknown;
      if (guarded) {
        try {
          v = obj[key];
        } catch {
          r = '[Unreadable]';
        }
      } else v = obj[key];
      if (r === undefined) {
        if (set.has(key.toLowerCase())) r = v === undefined ? v : censor;
        else r = walk(v, level + 1);
      }
      if (r !== v) {
        // A class instance becomes a plain object with its own enumerable properties (what JSON writes); on
        // the guarded pass they are copied one by one, so that a throwing getter cannot throw here.
        out ??= guarded ? copyOwn(obj) : { ...obj };
        out[key] = r;
      }
    }
    return out ?? obj;
  };
  const walkError = (err: Error, level: number): unknown => {
    if (level > depth) return err;
    const own = walkObject(err as unknown as Record<string, unknown>, level);
    const cause: unknown = (err as { cause?: unknown }).cause;
    const causeOut = cause === undefined ? cause : walk(cause, level + 1);
    const inner: unknown = (err as { errors?: unknown }).errors; // AggregateError
    const innerOut = Array.isArray(inner) ? walk(inner, level + 1) : inner;
    if (own === (err as unknown) && causeOut === cause && innerOut === inner) return err;
    // What pino's err serializer reads, with the secrets out: a null-prototype object (no getters of the
    // original class to trip over, as DOMException's do) whose `name` gives the `type`; message, stack,
    // cause and inner errors are read by the serializer, the enumerable properties are copied as fields.
    const copy = Object.create(null) as Record<string, unknown>;
    const hidden = (key: string, value: unknown) => Object.defineProperty(copy, key, { value, writable: true, configurable: true, enumerable: false });
    hidden('name', typeof err.constructor === 'function' && err.constructor.name !== '' ? err.constructor.name : err.name);
    hidden('message', err.message);
    hidden('stack', err.stack);
    if (causeOut !== undefined) hidden('cause', causeOut);
    if (innerOut !== undefined) hidden('errors', innerOut);
    Object.assign(copy, own === (err as unknown) ? copyOwn(err as unknown as Record<string, unknown>) : own);
    return copy;
  };
  return (obj) => {
    if (obj instanceof Error) return walkError(obj, 0) as Record<string, unknown>;
    return walkObject(obj, 0);
  };
}

/** Arrays inside arrays walked at most this deep (a cycle through arrays ends here). */
const MAX_ARRAY_NESTING = 32;

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
