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

export function validateStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 500) {
    throw new InvalidArgumentError(
      'streamId',
      `must be a non-empty string of at most 500 characters, got ${JSON.stringify(streamId)}`,
    );
  }
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
    if (typeof e.type !== 'string' || e.type.length === 0) {
      throw new InvalidArgumentError(`events[${i}].type`, 'must be a non-empty string');
    }
    if (e.id !== undefined && (typeof e.id !== 'string' || e.id.length === 0)) {
      throw new InvalidArgumentError(`events[${i}].id`, 'must be a non-empty string when given');
    }
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

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new InvalidArgumentError(what, `must be JSON-serialisable (${String(err)})`);
  }
  if (json === undefined)
    throw new InvalidArgumentError(what, 'must be JSON-serialisable (got undefined or a function)');
  return json;
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

export function defaultBackoff(attempt: number): number {
  return Math.min(5000, 50 * 2 ** (attempt - 1));
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
