import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Driver } from 'kysely';
import { sqliteCapabilities } from '../capabilities.js';
import { registerInternals, type Database, type SqliteDatabaseOptions, parseDatabaseUrl } from '../database.js';
import { InvalidDatabaseConfigError, DatabaseConnectionError } from '../errors.js';
import { InstrumentedDriver } from '../internal/instrumented-driver.js';
import { queryObserver } from '../internal/query-metrics.js';
import { silentLogger } from '../logger.js';
import { CachedSqliteDriver } from './driver.js';

const SYNC_MODES = new Set(['OFF', 'NORMAL', 'FULL', 'EXTRA']);

/** SQLite error codes worth retrying a whole unit of work for. */
export function isSqliteRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function loadDriver(): typeof BetterSqlite3 {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (err) {
    throw new InvalidDatabaseConfigError(
      `SQLite needs the optional peer dependency better-sqlite3 (12.x); install it next to @game/persistence (${String(err)})`,
    );
  }
}

/** Opens a SQLite database (better-sqlite3): WAL, busy timeout, foreign keys, synchronous NORMAL by default. */
export async function createSqliteDatabase<DB = any>(options: SqliteDatabaseOptions): Promise<Database<DB>> {
  const filename = options.filename ?? (options.url ? sqliteFilename(options.url) : undefined);
  if (!filename) throw new InvalidDatabaseConfigError('SQLite needs a url (sqlite:<file>) or a filename');
  const synchronous = (options.synchronous ?? 'NORMAL').toUpperCase();
  if (!SYNC_MODES.has(synchronous)) {
    throw new InvalidDatabaseConfigError(`synchronous must be one of OFF, NORMAL, FULL, EXTRA (got "${options.synchronous}")`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidDatabaseConfigError(`busyTimeoutMs must be a non-negative integer (got ${busyTimeoutMs})`);
  }
  const name = options.name ?? 'main';
  const logger = (options.logger ?? silentLogger).child({ db: name });
  const memory = filename === ':memory:';
  const target = memory ? 'sqlite::memory:' : `sqlite:${filename}`;

  const Sqlite = loadDriver();
  let raw: BetterSqlite3.Database;
  try {
    if (!memory) mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    raw = new Sqlite(filename, { timeout: busyTimeoutMs });
    if (!memory) raw.pragma('journal_mode = WAL');
    raw.pragma(`synchronous = ${synchronous}`);
    raw.pragma('foreign_keys = ON');
  } catch (err) {
    throw new DatabaseConnectionError(target, 1, err);
  }

  const observe = queryObserver(options.metrics, name);
  let driver: Driver = new CachedSqliteDriver(raw, options.statementCacheSize ?? 500);
  if (options.metrics) driver = new InstrumentedDriver(driver, { guard: (fn) => fn(), observe });

  const kysely = new Kysely<DB>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });

  let closed = false;
  const db: Database<DB> = {
    name,
    kysely,
    capabilities: sqliteCapabilities,
    driver: { kind: 'sqlite', sqlite: raw },
    target,
    logger,
    async ping() {
      raw.prepare('select 1').get();
    },
    breakerState: () => 'closed',
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
  registerInternals(db, {
    tx: new AsyncLocalStorage(),
    isRetryableTxError: isSqliteRetryable,
    isConnectionError: () => false,
  });
  logger.debug({ target, synchronous, busyTimeoutMs }, 'sqlite database opened');
  return db;
}

function sqliteFilename(url: string): string {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind !== 'sqlite') throw new InvalidDatabaseConfigError(`Not a SQLite URL: ${url}`);
  return parsed.filename;
}
