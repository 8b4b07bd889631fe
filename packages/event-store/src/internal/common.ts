import { randomUUID } from 'node:crypto';
import { currentEventContext } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import type { UpcasterChain } from '../upcasting.js';
import type {
  AppendOptions,
  EventInput,
  EventMetadata,
  EventStoreOptions,
  ExpectedVersion,
  ExportedEvent,
  ReadStreamOptions,
} from '../types.js';

/** An event ready to be written: id, metadata and schema version resolved, payload checked. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: unknown;
  dataJson: string;
  metadata: EventMetadata;
  metadataJson: string;
  schemaVersion: number;
}

// PostgreSQL text and jsonb cannot hold U+0000 nor a lone surrogate (pg would fail, or silently store U+FFFD):
// every backend refuses them, so a store behaves the same on all three.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string) => text.includes('\u0000') || loneSurrogate.test(text);
// In JSON.stringify's output both appear only as escapes: \u0000, or \ud800-\udfff (pairs are written as is).
const unstorableEscape = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/i;

/** Throws unless `value` is a non-empty string PostgreSQL can store as text. */
export function validateText(value: unknown, what: string, maxLength = Infinity): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidArgumentError(
      what,
      `must be a non-empty string${maxLength < Infinity ? ` of at most ${maxLength} characters` : ''}, got ${JSON.stringify(value)}`,
    );
  }
  if (unstorable(value)) {
    throw new InvalidArgumentError(
      what,
      `must not contain U+0000 or a lone surrogate, got ${JSON.stringify(value)}`,
    );
  }
}

export function validateStreamId(streamId: unknown): asserts streamId is string {
  validateText(streamId, 'streamId', 500);
}

export function validateExpected(expected: unknown): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0) return;
  throw new InvalidArgumentError(
    'expectedVersion',
    `must be a version >= 0, 'no_stream', 'stream_exists' or 'any', got ${JSON.stringify(expected)}`,
  );
}

/** Does a stream at `actual` (0: none) satisfy `expected`? */
export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  if (expected === 'stream_exists') return actual > 0;
  return expected === actual;
}

const metadataKeys = ['correlationId', 'causationId', 'traceId'] as const;

export function prepareEvents(
  events: readonly EventInput[],
  options: AppendOptions | undefined,
  storeOptions: EventStoreOptions,
  upcasters: UpcasterChain,
): PreparedEvent[] {
  if (!(events instanceof Array) || events.length === 0) {
    throw new InvalidArgumentError('events', 'must be a non-empty array');
  }
  const ambient = (storeOptions.context ?? currentEventContext)();
  const seen = new Set<string>();
  return events.map((e, i) => {
    if (e === null || typeof e !== 'object')
      throw new InvalidArgumentError(`events[${i}]`, 'must be an object');
    validateText(e.type, `events[${i}].type`);
    if (e.id !== undefined) validateText(e.id, `events[${i}].id`);
    const id = e.id ?? randomUUID();
    if (seen.has(id)) throw new InvalidArgumentError(`events[${i}].id`, `duplicate id "${id}" in one batch`);
    seen.add(id);
    const dataJson = toJson(e.data, `events[${i}].data`);
    const metadata: EventMetadata = { ...(options?.metadata ?? {}), ...(e.metadata ?? {}) };
    if (ambient) {
      for (const key of metadataKeys) {
        const v = ambient[key];
        if (metadata[key] === undefined && typeof v === 'string') metadata[key] = v;
      }
    }
    const schemaVersion = e.schemaVersion ?? upcasters.currentVersion(e.type);
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1) {
      throw new InvalidArgumentError(`events[${i}].schemaVersion`, 'must be an integer >= 1');
    }
    const metadataJson = toJson(metadata, `events[${i}].metadata`);
    // The returned events share the caller's payload object: no copy on the hot path.
    return { id, type: e.type, data: e.data, dataJson, metadata, metadataJson, schemaVersion };
  });
}

/** JSON text of a payload, metadata or snapshot state, refused when JSON or PostgreSQL's jsonb cannot hold it. */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgumentError(what, `must be JSON-serialisable (${String(err)})`);
  }
  if (json === undefined)
    throw new InvalidArgumentError(what, 'must be JSON-serialisable (got undefined or a function)');
  // `includes` first: the regular expression runs only for the rare text with a \u escape.
  if (json.includes('\\u') && unstorableEscape.test(json)) {
    throw new InvalidArgumentError(what, 'strings must not contain U+0000 or a lone surrogate');
  }
  return json;
}

/** An imported event's checked fields (the version is checked by the backend against the stream). */
export interface CheckedImport {
  dataJson: string;
  metadataJson: string;
  recordedAt: Date;
}

/**
 * Checks a batch of exported events as every backend stores them: an object, stream id, id, type,
 * integer schema version, JSON data and metadata, an ISO time, no id twice in one stream.
 */
export function checkImport(events: readonly ExportedEvent[]): CheckedImport[] {
  if (!(events instanceof Array)) throw new InvalidArgumentError('events', 'must be an array');
  const ids = new Map<string, Set<string>>();
  return events.map((e: unknown, i) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e))
      throw new InvalidArgumentError(`events[${i}]`, `must be an event object, got ${JSON.stringify(e)}`);
    const ex = e as ExportedEvent;
    validateStreamId(ex.streamId);
    validateText(ex.id, `events[${i}].id`);
    validateText(ex.type, `events[${i}].type`);
    if (!Number.isSafeInteger(ex.schemaVersion) || ex.schemaVersion < 1)
      throw new InvalidArgumentError(`events[${i}].schemaVersion`, 'must be an integer >= 1');
    if (ex.data === undefined) throw new InvalidArgumentError(`events[${i}].data`, 'missing');
    const dataJson = toJson(ex.data, `events[${i}].data`);
    const metadataJson = toJson(ex.metadata ?? {}, `events[${i}].metadata`);
    const recordedAt = new Date(typeof ex.recordedAt === 'string' ? ex.recordedAt : Number.NaN);
    if (Number.isNaN(recordedAt.getTime()))
      throw new InvalidArgumentError(`events[${i}].recordedAt`, 'must be an ISO time');
    const seen = ids.get(ex.streamId) ?? new Set<string>();
    ids.set(ex.streamId, seen);
    if (seen.has(ex.id))
      throw new InvalidArgumentError(`events[${i}].id`, `duplicate id "${ex.id}" in stream "${ex.streamId}"`);
    seen.add(ex.id);
    return { dataJson, metadataJson, recordedAt };
  });
}

export function validateReadStream(options: ReadStreamOptions | undefined): void {
  if (!options) return;
  for (const k of ['fromVersion', 'toVersion', 'limit'] as const) {
    const v = options[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new InvalidArgumentError(k, `must be an integer >= 0, got ${JSON.stringify(v)}`);
    }
  }
  if (
    options.untilTime !== undefined &&
    !(options.untilTime instanceof Date && !Number.isNaN(options.untilTime.getTime()))
  ) {
    throw new InvalidArgumentError('untilTime', 'must be a valid Date');
  }
}

export function validatePositionAndLimit(after: unknown, limit: unknown): void {
  if (after !== undefined && (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0)) {
    throw new InvalidArgumentError('after', `must be a position >= 0, got ${JSON.stringify(after)}`);
  }
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1)) {
    throw new InvalidArgumentError('limit', `must be an integer >= 1, got ${JSON.stringify(limit)}`);
  }
}

export function validateListStreams(
  options: { after?: unknown; limit?: unknown; prefix?: unknown } | undefined,
): void {
  if (!options) return;
  if (
    options.limit !== undefined &&
    (typeof options.limit !== 'number' || !Number.isSafeInteger(options.limit) || options.limit < 0)
  ) {
    throw new InvalidArgumentError('limit', `must be an integer >= 0, got ${JSON.stringify(options.limit)}`);
  }
  for (const k of ['after', 'prefix'] as const) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'string' || unstorable(v)))
      throw new InvalidArgumentError(
        k,
        `must be a string without U+0000 or a lone surrogate, got ${JSON.stringify(v)}`,
      );
  }
}

export function validateUpToVersion(upToVersion: unknown): void {
  if (
    upToVersion !== undefined &&
    (typeof upToVersion !== 'number' || !Number.isSafeInteger(upToVersion) || upToVersion < 0)
  ) {
    throw new InvalidArgumentError(
      'upToVersion',
      `must be a version >= 0, got ${JSON.stringify(upToVersion)}`,
    );
  }
}

/** Splits `items` into runs of at most `size` (a statement's bind parameters are limited: 65,535 on PostgreSQL). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The largest of `values` (no spread: a batch may hold more values than a call takes arguments). */
export function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}

export function defaultBackoff(attempt: number): number {
  return Math.min(5000, 50 * 2 ** (attempt - 1));
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
