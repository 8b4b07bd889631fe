export type {
  AppendOptions,
  AppendResult,
  CompactOptions,
  CompactResult,
  DeadLetter,
  EventInput,
  EventMetadata,
  EventStore,
  EventStoreBackend,
  EventStoreOptions,
  ExpectedVersion,
  ExportedEvent,
  HandlerContext,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  Snapshot,
  SnapshotInput,
  StreamInfo,
  SubscribeOptions,
  Subscription,
  SubscriptionHealth,
  SubscriptionStart,
} from './types.js';
export {
  ConcurrencyError,
  EventIdConflictError,
  EventStoreError,
  InvalidArgumentError,
  RetriesExhaustedError,
  StreamLiveError,
  UnreadableEventError,
} from './errors.js';
export { withEventContext, currentEventContext } from './context.js';
export { createUpcasterChain } from './upcasting.js';
export type { Upcaster, UpcasterChain } from './upcasting.js';
export { handleCommand, loadState, defaultCodec } from './decider.js';
export type {
  Decider,
  EventCodec,
  HandleCommandOptions,
  HandleCommandResult,
  LoadStateOptions,
  LoadedState,
} from './decider.js';
export { createMemoryEventStore } from './memory/index.js';
export type { MemoryEventStoreOptions } from './memory/index.js';
export { silentLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';

/** Every backend this package exports (the conformance tests assert they all run the suite). */
export const eventStoreBackends = ['memory', 'sqlite', 'postgres'] as const;
export { createEventStore } from './create.js';
export type { CreateEventStoreOptions } from './create.js';
export { eventStoreMigrations, eventStoreTables } from './migrations.js';
