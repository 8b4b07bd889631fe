/** What a backend can do, as data: shared code branches on these (`dialect` only for SQL text that has to differ). */
export interface Capabilities {
  /** The SQL dialect, for SQL text that has to differ. */
  readonly dialect: 'sqlite' | 'postgres';
  /** A network server: it can go away, so calls go through the circuit breaker and retries. */
  readonly remote: boolean;
  /** Several connections may write at the same time (false: writes are serialised). */
  readonly multipleWriters: boolean;
  /** `pg_advisory_lock` and friends. */
  readonly advisoryLocks: boolean;
  /** LISTEN / NOTIFY between connections. */
  readonly listenNotify: boolean;
  /** `SELECT ... FOR UPDATE SKIP LOCKED`. */
  readonly skipLocked: boolean;
  /** DDL runs inside transactions and rolls back with them. */
  readonly transactionalDdl: boolean;
  /** `INSERT/UPDATE ... RETURNING`. */
  readonly returning: boolean;
  /** A binary JSON column type (`jsonb`). */
  readonly jsonb: boolean;
  /** 64-bit transaction ids and snapshots (`pg_current_xact_id()`, `pg_current_snapshot()`). */
  readonly transactionIds: boolean;
}

/** Capabilities of the SQLite backend (better-sqlite3). */
export const sqliteCapabilities: Capabilities = Object.freeze({
  dialect: 'sqlite',
  remote: false,
  multipleWriters: false,
  advisoryLocks: false,
  listenNotify: false,
  skipLocked: false,
  transactionalDdl: true,
  returning: true,
  jsonb: false,
  transactionIds: false,
});

/** Capabilities of the PostgreSQL backend (pg). */
export const postgresCapabilities: Capabilities = Object.freeze({
  dialect: 'postgres',
  remote: true,
  multipleWriters: true,
  advisoryLocks: true,
  listenNotify: true,
  skipLocked: true,
  transactionalDdl: true,
  returning: true,
  jsonb: true,
  transactionIds: true,
});
