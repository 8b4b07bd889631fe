import { InvalidArgumentError } from '../errors.js';
import { createSqlEventStore, type SqlEventStoreOptions } from '../internal/sql-event-store.js';
import type { EventStore } from '../types.js';

/** Options of {@link createSqliteEventStore}. */
export type SqliteEventStoreOptions = SqlEventStoreOptions;

/** An event store on a SQLite database opened with `@game/persistence` (migrations applied). */
export function createSqliteEventStore(options: SqliteEventStoreOptions): EventStore {
  if (options.db?.capabilities?.dialect !== 'sqlite')
    throw new InvalidArgumentError('db', 'must be a SQLite database');
  return createSqlEventStore(options);
}
