export { createMemoryEventStore } from './memory-event-store.js';
export type { MemoryEventStoreOptions } from './memory-event-store.js';
