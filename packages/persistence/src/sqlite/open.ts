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
import { registerInternals, type Database, type SqliteDatabaseOptions, parseDatabaseUrl } from '../database.js';
import { InvalidDatabaseConfigError, DatabaseConnectionError } from '../errors.js';
import { queryObserver } from '../internal/query-metrics.js';
import { silentLogger } from '../logger.js';
import { CachedSqliteDriver, type CachedSqliteConnection } from './driver.js';

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

  const observe = options.metrics ? queryObserver(options.metrics, name) : undefined;
  // Query metrics are taken in the connection itself: SQLite has no breaker or pool to guard.
  const driver = new CachedSqliteDriver(raw, options.statementCacheSize ?? 500, observe);
  const dialect: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
  const kysely = new Kysely<DB>({ dialect });
  const tx = new AsyncLocalStorage<Transaction<any>>();
  const runTransaction = sqliteUnitOfWork<DB>(driver, dialect, tx);

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
    tx,
    runTransaction,
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

/**
 * The unit of work on SQLite, without Kysely's asynchronous transaction machinery (about half the cost of
 * a small transaction, most of it promises, which cost more once AsyncLocalStorage is in use): take the
 * single connection (synchronously when it is free), `BEGIN IMMEDIATE` and `COMMIT` through cached
 * statements, and give `fn` a Transaction whose queries run straight on that connection. Queries on the
 * Transaction after the unit has ended are refused, as Kysely's own transactions do.
 */
function sqliteUnitOfWork<DB>(
  driver: CachedSqliteDriver,
  dialect: Dialect,
  store: AsyncLocalStorage<Transaction<any>>,
): <T>(fn: (trx: Transaction<DB>) => Promise<T>) => Promise<T> {
  const compiler = dialect.createQueryCompiler();
  const adapter = dialect.createAdapter();
  const connection = driver.connection;

  return async <T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> => {
    const wait = driver.lock();
    if (wait) await wait;
    const unit = new UnitExecutor(compiler, adapter, connection);
    try {
      connection.begin();
      const trx = new Transaction<DB>({ config: { dialect }, dialect, driver, executor: unit });
      const result = await store.run(trx, fn, trx);
      connection.commit();
      unit.end('committed');
      return result;
    } catch (err) {
      connection.rollback();
      unit.end('rolled back');
      throw err;
    } finally {
      driver.unlock();
    }
  };
}

/**
 * Runs one unit's queries synchronously on the held connection and answers with a settled promise (no
 * plugin hops: this executor has none; `withPlugin` falls back to Kysely's generic path on the same
 * connection). Refuses once the unit has ended.
 */
class UnitExecutor extends DefaultQueryExecutor {
  #ended: 'committed' | 'rolled back' | undefined;
  readonly #connection: CachedSqliteConnection;

  constructor(compiler: QueryCompiler, adapter: DialectAdapter, connection: CachedSqliteConnection) {
    const provider: ConnectionProvider = {
      provideConnection: <T>(consumer: (c: DatabaseConnection) => Promise<T>): Promise<T> =>
        this.#ended ? this.#refuse() : consumer(connection),
    };
    super(compiler, adapter, provider, []);
    this.#connection = connection;
  }

  end(outcome: 'committed' | 'rolled back'): void {
    this.#ended = outcome;
  }

  #refuse<T>(): Promise<T> {
    // Kysely's own wording, so callers see the same error on every backend.
    return Promise.reject(new Error(`Transaction is already ${this.#ended}; run its queries inside the unit of work`));
  }

  override executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#ended) return this.#refuse();
    try {
      return Promise.resolve(this.#connection.executeSync<R>(compiledQuery));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
