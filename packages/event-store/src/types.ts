import type { Upcaster } from './upcasting.js';
import type { Logger } from './logger.js';

/**
 * What an append expects of the stream: an exact version (0 means "no events yet"), `'no_stream'`,
 * `'stream_exists'` (at least one event) or `'any'` (no check).
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

/** Correlation, causation and trace ids plus any extra fields; stored with every event. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  traceId?: string;
  [key: string]: unknown;
}

/** An event to append. `id` makes retries idempotent; it is generated when missing. */
export interface EventInput<Type extends string = string, Data = unknown> {
  /** Unique within the stream; a retried append with the same ids is a no-op. */
  id?: string;
  type: Type;
  /** JSON-serialisable payload. */
  data: Data;
  metadata?: EventMetadata;
  /** The payload's schema version (default: the newest the store's upcasters know for the type, else 1). */
  schemaVersion?: number;
}

/** An event as stored and read back. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamId: string;
  /** 1, 2, ... within the stream. */
  version: number;
  /** Position in the global log (unique; see the README for the global order on PostgreSQL). */
  position: number;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** Schema version after upcasting. */
  schemaVersion: number;
  recordedAt: Date;
}

/** Options of {@link EventStore.append}. */
export interface AppendOptions {
  /** Default `'any'`. */
  expectedVersion?: ExpectedVersion;
  /** Metadata merged under each event's own metadata. */
  metadata?: EventMetadata;
}

/** What an append wrote (or, for an idempotent retry, what the original append wrote). */
export interface AppendResult {
  streamId: string;
  /** The stream's version after the append: pass it as the next `expectedVersion`. */
  nextExpectedVersion: number;
  /** The global position of the batch's last event. */
  lastPosition: number;
  events: RecordedEvent[];
  /** True when every event id was already stored: nothing was written. */
  duplicate: boolean;
}

/** Options of {@link EventStore.readStream}; bounds are inclusive. */
export interface ReadStreamOptions {
  fromVersion?: number;
  /** Point-in-time read: as of this version. */
  toVersion?: number;
  /** Point-in-time read: events recorded at or before this time. */
  untilTime?: Date;
  /** Newest first when `'backward'`. */
  direction?: 'forward' | 'backward';
  limit?: number;
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /** Return events after this position in global order (0 or missing: from the start). */
  after?: number;
  /** Default 1000. */
  limit?: number;
}

/** One stream of {@link EventStore.listStreams}. */
export interface StreamInfo {
  streamId: string;
  version: number;
  live: boolean;
}

/** A snapshot to save. */
export interface SnapshotInput<State = unknown> {
  streamId: string;
  /** The stream version the state includes. */
  version: number;
  /** The reducer's schema version: a snapshot with another one is ignored on load. */
  schemaVersion: number;
  state: State;
}

/** A stored snapshot. */
export interface Snapshot<State = unknown> extends SnapshotInput<State> {
  createdAt: Date;
}

/** Options of {@link EventStore.compact}. */
export interface CompactOptions<State = unknown> {
  /** Fold events 1..upToVersion (inclusive); default: the whole stream. */
  upToVersion?: number;
  /** Folds the removed events into the data of the one event that replaces them. */
  fold: (events: readonly RecordedEvent[]) => State;
  /** Receives the events before they are removed (e.g. writes an NDJSON file); a throw aborts compaction. */
  archive: (events: readonly RecordedEvent[]) => Promise<void> | void;
  /** Type of the replacing event; default `'$compacted'`. */
  type?: string;
}

/** What {@link EventStore.compact} did. */
export interface CompactResult {
  streamId: string;
  /** Events removed (the replacing event reuses the last one's version and position). */
  removed: number;
  /** The version now holding the folded state (0: nothing to compact). */
  compactedVersion: number;
}

/** Where a new subscription starts when it has no checkpoint yet. */
export type SubscriptionStart = 'start' | 'end' | number;

/** What a subscription handler receives besides the event. */
export interface HandlerContext {
  /** The subscription's name. */
  subscription: string;
  /** 1 on the first delivery, more on retries and re-driven dead letters. */
  attempt: number;
}

/** Options of {@link EventStore.subscribe}. */
export interface SubscribeOptions {
  /** Durable identity: the checkpoint and dead letters are stored under it. */
  name: string;
  /** Used only when the subscription has no checkpoint yet; default `'start'`. */
  from?: SubscriptionStart;
  /**
   * Called once per event, in global order, at least once. On SQL stores it runs inside a transaction
   * that also saves the checkpoint: writes through the same database commit with it.
   */
  handler: (event: RecordedEvent, ctx: HandlerContext) => Promise<void> | void;
  /** Only these event types are delivered (the checkpoint still advances). */
  eventTypes?: readonly string[];
  /** Events read per query; default 100. */
  batchSize?: number;
  /** Attempts per event before it goes to the dead-letter table; default 5. */
  maxAttempts?: number;
  /** Delay before retry n (1-based), ms; default 50·2^(n-1) capped at 5 s. */
  backoff?: (attempt: number) => number;
  /** Polling bounds (ms) when no notification arrives; default 20..1000, doubling while idle. */
  pollInterval?: { min: number; max: number };
  logger?: Logger;
}

/** A subscription's health: lag and errors, for a readiness or status probe. */
export interface SubscriptionHealth {
  name: string;
  state: 'running' | 'stopped' | 'failed';
  /** Position of the last processed event (checkpoint). */
  position: number;
  /** Newest position in the store (null: the database did not answer). */
  head: number | null;
  /** Events after the checkpoint still to process (null: the database did not answer). */
  lag: number | null;
  lastError: { message: string; at: Date; position: number } | null;
  lastProgressAt: Date | null;
  /** Dead letters of this subscription (null: the database did not answer). */
  deadLetters: number | null;
}

/** A running catch-up subscription. */
export interface Subscription {
  readonly name: string;
  /**
   * Resolves once every event up to `position` in the global order (e.g. an append's `lastPosition`) has
   * been processed, waiting for it to be written if need be; without a position, once every event committed
   * before the call has. Rejects when the subscription stops first.
   */
  waitFor(position?: number): Promise<void>;
  health(): Promise<SubscriptionHealth>;
  /** Stops after the event in hand; resolves when stopped. */
  stop(): Promise<void>;
}

/** An event that kept failing in a subscription handler. */
export interface DeadLetter {
  id: number;
  subscription: string;
  position: number;
  streamId: string;
  version: number;
  eventId: string;
  eventType: string;
  error: string;
  attempts: number;
  failedAt: Date;
  /** `'failed'`; `'retry'` once re-driven (the running subscription picks it up); resolved ones are removed. */
  status: 'failed' | 'retry';
}

/** An event in an export/import (NDJSON) file: everything but the global position. */
export interface ExportedEvent {
  id: string;
  streamId: string;
  version: number;
  position?: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  schemaVersion: number;
  recordedAt: string;
}

/** Options every backend factory accepts. */
export interface EventStoreOptions {
  /** The clock stamping `recordedAt`; default `() => new Date()`. */
  clock?: () => Date;
  /** Upcaster chains applied on read. */
  upcasters?: readonly Upcaster[];
  /**
   * Ambient metadata (correlation/causation/trace ids) for events whose caller gave none;
   * default: {@link withEventContext}'s context.
   */
  context?: () => EventMetadata | undefined;
  logger?: Logger;
}

/** The event store: one interface over memory, SQLite and PostgreSQL. */
export interface EventStore {
  /** Which backend this is. */
  readonly backend: EventStoreBackend;
  /** Appends a batch atomically; see {@link ExpectedVersion} and idempotency in the README. */
  append(streamId: string, events: readonly EventInput[], options?: AppendOptions): Promise<AppendResult>;
  /** A stream's events in version order (upcast). */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of every stream in global order, never skipping one that commits late. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The stream's current version (0: no stream). */
  streamVersion(streamId: string): Promise<number>;
  /** Streams ordered by id. */
  listStreams(options?: { after?: string; limit?: number; prefix?: string }): Promise<StreamInfo[]>;
  /** The highest global position written (0: empty store). */
  headPosition(): Promise<number>;
  /** Saves (replaces) the stream's snapshot; refuses a version above the stream's. */
  saveSnapshot(snapshot: SnapshotInput): Promise<void>;
  /** The stream's snapshot, or null when there is none or its schema version differs. */
  loadSnapshot<State = unknown>(
    streamId: string,
    options: { schemaVersion: number },
  ): Promise<Snapshot<State> | null>;
  /** Marks a stream live (compaction refuses it) or not. */
  setStreamLive(streamId: string, live: boolean): Promise<void>;
  /** Folds history up to a version into one event after handing the removed events to `archive`. */
  compact<State = unknown>(streamId: string, options: CompactOptions<State>): Promise<CompactResult>;
  /** Starts a catch-up subscription (history, then new events). */
  subscribe(options: SubscribeOptions): Subscription;
  /** Dead letters, oldest first. */
  listDeadLetters(options?: { subscription?: string }): Promise<DeadLetter[]>;
  /** Marks dead letters for redelivery by their running subscription; returns how many. */
  retryDeadLetters(options?: { subscription?: string; ids?: readonly number[] }): Promise<number>;
  /** Writes exported events as they are (ids, versions, times); for `import` and restores. */
  importEvents(events: readonly ExportedEvent[]): Promise<number>;
  /** Stops this store's subscriptions and listeners (the database stays open: the caller owns it). */
  close(): Promise<void>;
}

/** The backends this package exports. */
export type EventStoreBackend = 'memory' | 'sqlite' | 'postgres';
