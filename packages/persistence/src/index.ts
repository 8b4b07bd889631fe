export { createDatabase } from './create.js';
export {
  parseDatabaseUrl,
  redactUrl,
  type BreakerState,
  type CommonDatabaseOptions,
  type Database,
  type DatabaseOptions,
  type DriverHandle,
  type ParsedDatabaseUrl,
  type PostgresDatabaseOptions,
  type SqliteDatabaseOptions,
} from './database.js';
export { postgresCapabilities, sqliteCapabilities, type Capabilities } from './capabilities.js';
export { transaction, currentExecutor, inTransaction, withRetry, type TransactionOptions } from './transaction.js';
export { prepareQuery, type PreparedQuery } from './prepared.js';
export { compareAndSet, type CompareAndSetArgs } from './optimistic.js';
export { migrate, appliedMigrations, MIGRATIONS_TABLE, type Migration, type MigrationSet, type MigrationResult, type MigrateOptions } from './migrate.js';
export { createCache, cached, type Cache, type CacheOptions, type CacheStats } from './cache.js';
export type { MetricsOption } from './internal/metrics.js';
export {
  PersistenceError,
  InvalidDatabaseConfigError,
  DatabaseConnectionError,
  DatabaseUnavailableError,
  OptimisticLockError,
  InvalidPreparedQueryError,
  MigrationError,
  UnitOfWorkFailedError,
  QueryOutsideUnitError,
} from './errors.js';
export { silentLogger, type Logger, type LogFn } from './logger.js';
