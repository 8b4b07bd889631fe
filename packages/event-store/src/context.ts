import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventMetadata } from './types.js';

const storage = new AsyncLocalStorage<EventMetadata>();

/**
 * Runs `fn` with ambient event metadata: appends inside it fill `correlationId`, `causationId` and
 * `traceId` of events whose caller did not give them. Nested calls merge over the outer context.
 * @example await withEventContext({ correlationId: frame.id }, () => store.append(id, events))
 */
export function withEventContext<T>(metadata: EventMetadata, fn: () => T): T {
  const outer = storage.getStore();
  return storage.run(outer ? { ...outer, ...metadata } : { ...metadata }, fn);
}

/** The ambient event metadata set by {@link withEventContext}, if any. */
export function currentEventContext(): EventMetadata | undefined {
  return storage.getStore();
}
