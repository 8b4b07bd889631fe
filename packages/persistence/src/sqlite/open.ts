import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import {
  DefaultQueryExecutor,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  Transaction,
  type CompiledQuery,
  type ConnectionProvider,
  type DatabaseConnection,
  type DialectAdapter,
  type QueryCompiler,
  type QueryResult,
  type Dialect,
} from 'kysely';
import { sqliteCapabilities } from '../capabilities.js';
import { registerInternals, type Database, type SqliteDatabaseOptions, type UnitContext, parseDatabaseUrl } from '../database.js';
import { InvalidDatabaseConfigError, DatabaseConnectionError, QueryOutsideUnitError } from '../errors.js';
import { metricsTarget } from '../internal/metrics.js';
import { checkpointCounter, queryObserver } from '../internal/query-metrics.js';
import { silentLogger } from '../logger.js';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { CachedSqliteDriver, type CachedSqliteConnection } from './driver.js';

const SYNC_MODES = new Set(['OFF', 'NORMAL', 'FULL', 'EXTRA']);

/** SQLite error codes worth retrying a whole unit of work for. */
export function isSqliteRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function loadDriver(): { Sqlite: typeof BetterSqlite3; path: string } {
  try {
    const require = createRequire(import.meta.url);
    return { Sqlite: require('better-sqlite3') as typeof BetterSqlite3, path: require.resolve('better-sqlite3') };
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
  const metrics = metricsTarget(options.metrics);
  const logger = (options.logger ?? silentLogger).child({ db: name });
  const memory = filename === ':memory:';
  const target = memory ? 'sqlite::memory:' : `sqlite:${filename}`;

  const checkpoint = options.checkpoint ?? 'auto';
  if (checkpoint !== 'auto' && checkpoint !== 'background') {
    throw new InvalidDatabaseConfigError(`checkpoint must be "auto" or "background" (got "${String(checkpoint)}")`);
  }
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
  if (!Number.isInteger(checkpointIntervalMs) || checkpointIntervalMs < 10) {
    throw new InvalidDatabaseConfigError(`checkpointIntervalMs must be an integer >= 10 (got ${checkpointIntervalMs})`);
  }
  const { Sqlite, path: driverPath } = loadDriver();
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
  let checkpointer: Checkpointer | undefined;
  if (checkpoint === 'background' && !memory) {
    const runs = checkpointCounter(metrics, name);
    try {
      checkpointer = await startCheckpointer({ filename, driverPath, intervalMs: checkpointIntervalMs, busyTimeoutMs, logger, onCheckpoint: runs });
    } catch (err) {
      raw.close();
      throw new DatabaseConnectionError(target, 1, err);
    }
    // Only now: without the worker, SQLite must keep checkpointing by itself.
    raw.pragma('wal_autocheckpoint = 0');
  }

  const observe = metrics ? queryObserver(metrics, name) : undefined;
  // Query metrics are taken in the connection itself: SQLite has no breaker or pool to guard.
  const driver = new CachedSqliteDriver(raw, options.statementCacheSize ?? 500, observe);
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const kysely = new Kysely<DB>({ dialect });
  const tx = new AsyncLocalStorage<UnitContext>();
  const runTransaction = sqliteUnitOfWork<DB>(driver, dialect, tx);
  // db.kysely's queries from inside a running unit are refused: on the one connection the unit holds, a
  // query the unit awaits would wait for the unit itself, and every later query behind it, for ever.
  driver.beforeAcquire = () => {
    if (tx.getStore()?.open === true) throw new QueryOutsideUnitError();
  };

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
      await checkpointer?.stop();
      await kysely.destroy();
    },
    ...(checkpointer ? { checkpointStats: () => checkpointer.stats() } : {}),
  };
  registerInternals(db, {
    tx,
    runTransaction,
    isRetryableTxError: isSqliteRetryable,
    isConnectionError: () => false,
  });
  logger.debug({ target, synchronous, busyTimeoutMs, checkpoint }, 'sqlite database opened');
  return db;
}

function sqliteFilename(url: string): string {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind !== 'sqlite') throw new InvalidDatabaseConfigError(`Not a SQLite URL: ${url}`);
  return parsed.filename;
}

/**
 * The unit of work on SQLite, without Kysely's asynchronous transaction machinery (about half the cost of
 * a small transaction, most of it promises, which cost more once AsyncLocalStorage is in use): take the
 * single connection (synchronously when it is free), `BEGIN IMMEDIATE` and `COMMIT` through cached
 * statements, and give `fn` a Transaction whose queries run straight on that connection.
 *
 * There is one connection, so one unit runs at a time and one Transaction object serves them all (building
 * a Kysely Transaction per unit was a tenth of the unit's cost). What makes a query belong to the running
 * unit is the async flow it comes from: each unit has its own context object in AsyncLocalStorage, and a
 * query whose flow does not carry the running unit's context is refused (a Transaction kept and used after
 * its unit ended, as Kysely's own transactions refuse it).
 */
function sqliteUnitOfWork<DB>(
  driver: CachedSqliteDriver,
  dialect: Dialect,
  store: AsyncLocalStorage<UnitContext>,
): <T>(fn: (trx: Transaction<DB>) => Promise<T>) => Promise<T> {
  const executor = new UnitExecutor(dialect.createQueryCompiler(), dialect.createAdapter(), driver.connection, store);
  const trx = new Transaction<DB>({ config: { dialect }, dialect, driver, executor });
  const connection = driver.connection;

  return async <T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> => {
    const wait = driver.lock();
    if (wait) await wait;
    const unit: UnitContext = { trx, open: true };
    try {
      connection.begin();
      executor.owner = unit;
      const result = await store.run(unit, fn, trx);
      connection.commit();
      return result;
    } catch (err) {
      connection.rollback();
      unit.failed = true;
      throw err;
    } finally {
      unit.open = false;
      executor.owner = undefined;
      driver.unlock();
    }
  };
}

const NOT_ACTIVE =
  'This transaction is not active here: its unit of work has committed or rolled back, or the query comes from outside the unit\'s async flow';

/**
 * Runs the running unit's queries synchronously on the held connection and answers with a settled promise
 * (no plugin hops: this executor has none; `withPlugin` falls back to Kysely's generic path, through the same
 * check). Refuses queries whose async flow does not belong to the running unit.
 */
class UnitExecutor extends DefaultQueryExecutor {
  /** The running unit's context, while one runs. */
  owner: UnitContext | undefined = undefined;
  readonly #connection: CachedSqliteConnection;
  readonly #store: AsyncLocalStorage<UnitContext>;

  constructor(compiler: QueryCompiler, adapter: DialectAdapter, connection: CachedSqliteConnection, store: AsyncLocalStorage<UnitContext>) {
    const provider: ConnectionProvider = {
      provideConnection: <T>(consumer: (c: DatabaseConnection) => Promise<T>): Promise<T> =>
        this.#active() ? consumer(connection) : Promise.reject(new Error(NOT_ACTIVE)),
    };
    super(compiler, adapter, provider, []);
    this.#connection = connection;
    this.#store = store;
  }

  #active(): boolean {
    return this.owner !== undefined && this.#store.getStore() === this.owner;
  }

  override executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.#active()) return Promise.reject(new Error(NOT_ACTIVE));
    try {
      return Promise.resolve(this.#connection.executeSync<R>(compiledQuery));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
