/** Base class of every error this package throws; `code` is stable and safe to branch on. */
export class PersistenceError extends Error {
  /** A stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The database URL or options could not be understood; nothing was opened. */
export class InvalidDatabaseConfigError extends PersistenceError {
  constructor(message: string) {
    super('INVALID_DATABASE_CONFIG', message);
  }
}

/** The database could not be reached at start-up, after the configured retries. */
export class DatabaseConnectionError extends PersistenceError {
  /** The redacted URL (no password) that was tried. */
  readonly target: string;
  /** How many connection attempts were made. */
  readonly attempts: number;
  constructor(target: string, attempts: number, cause: unknown) {
    super(
      'DATABASE_CONNECTION_FAILED',
      `Could not connect to ${target} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describe(cause)}`,
      { cause },
    );
    this.target = target;
    this.attempts = attempts;
  }
}

/** The circuit breaker is open: the database failed repeatedly and calls fail fast until it recovers. */
export class DatabaseUnavailableError extends PersistenceError {
  /** The database name given in the options (`main` by default). */
  readonly database: string;
  constructor(database: string, cause?: unknown) {
    super(
      'DATABASE_UNAVAILABLE',
      `Database "${database}" is unavailable (circuit breaker open after repeated connection failures)`,
      { cause },
    );
    this.database = database;
  }
}

/** A compare-and-set on a version column found another version than expected. */
export class OptimisticLockError extends PersistenceError {
  /** The table that was updated. */
  readonly table: string;
  /** The key columns of the row. */
  readonly key: Readonly<Record<string, unknown>>;
  /** The version the caller expected. */
  readonly expectedVersion: number;
  /** The version found, or null when the row does not exist. */
  readonly actualVersion: number | null;
  constructor(table: string, key: Record<string, unknown>, expectedVersion: number, actualVersion: number | null) {
    super(
      'OPTIMISTIC_LOCK_CONFLICT',
      `Version conflict on ${table} ${JSON.stringify(key)}: expected version ${expectedVersion}, ` +
        (actualVersion === null ? 'but the row does not exist' : `found ${actualVersion}`),
    );
    this.table = table;
    this.key = key;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** A migration set is inconsistent with what the database has already applied. */
export class MigrationError extends PersistenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATION_FAILED', message, options);
  }
}

/** A short text for any thrown value. */
export function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describe).join('; ');
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const msg = err.message || err.name;
    return typeof code === 'string' && !msg.includes(code) ? `${code}: ${msg}` : msg;
  }
  return String(err);
}

/** A prepared query was built in a way that cannot be reused (a parameter was transformed, or a value is missing). */
export class InvalidPreparedQueryError extends PersistenceError {
  constructor(message: string) {
    super('INVALID_PREPARED_QUERY', message);
  }
}

/**
 * `currentExecutor(db)` called from work that a failed unit of work started (a branch of `Promise.all` still
 * running when another branch threw): that work meant to write in the unit, which rolled back.
 */
export class UnitOfWorkFailedError extends PersistenceError {
  constructor() {
    super(
      'UNIT_OF_WORK_FAILED',
      'This query comes from a unit of work that failed and was rolled back; its remaining work may not touch the database (await every branch before the unit ends, or start independent work outside transaction())',
    );
  }
}

/** SQLite: `db.kysely` used inside a running unit of work would wait for that unit's own connection for ever. */
export class QueryOutsideUnitError extends PersistenceError {
  constructor() {
    super(
      'QUERY_OUTSIDE_UNIT',
      'db.kysely was used inside transaction() on SQLite: the unit holds the only connection, so the query would wait for the unit itself. Use the unit\'s trx (or currentExecutor(db))',
    );
  }
}
