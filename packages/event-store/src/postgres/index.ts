import { InvalidArgumentError } from '../errors.js';
import { createSqlEventStore, type SqlEventStoreOptions } from '../internal/sql-event-store.js';
import type { EventStore } from '../types.js';

/** Options of {@link createPostgresEventStore}. */
export type PostgresEventStoreOptions = SqlEventStoreOptions;

/**
 * An event store on a PostgreSQL database opened with `@game/persistence` (migrations applied):
 * gap-safe global order through transaction ids, LISTEN/NOTIFY wake-ups for subscriptions.
 */
export function createPostgresEventStore(options: PostgresEventStoreOptions): EventStore {
  if (options.db?.capabilities?.dialect !== 'postgres')
    throw new InvalidArgumentError('db', 'must be a PostgreSQL database');
  return createSqlEventStore(options);
}
