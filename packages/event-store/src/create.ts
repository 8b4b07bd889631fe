import { createSqlEventStore, type SqlEventStoreOptions } from './internal/sql-event-store.js';
import type { EventStore } from './types.js';

/** Options of {@link createEventStore}. */
export type CreateEventStoreOptions = SqlEventStoreOptions;

/**
 * An event store on a `@game/persistence` database (SQLite or PostgreSQL, chosen by its
 * capabilities). Run {@link eventStoreMigrations} first.
 * @example const store = createEventStore({ db }); await store.append('room-1', [{ type: 'created', data: {} }]);
 */
export function createEventStore(options: CreateEventStoreOptions): EventStore {
  return createSqlEventStore(options);
}
