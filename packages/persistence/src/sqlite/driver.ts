import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** Called after every query with its duration in seconds and whether it succeeded. */
export type QueryObserver = (seconds: number, ok: boolean) => void;

/**
 * A better-sqlite3 driver for Kysely with a prepared-statement cache (preparing is most of the cost of a
 * small query) and `BEGIN IMMEDIATE` write transactions, which take the write lock up front so two
 * processes on one file wait on `busy_timeout` instead of failing on a lock upgrade.
 *
 * There is one connection. Callers take it in turn (first come, first served); {@link lock} and
 * {@link unlock} expose that turn-taking so a unit of work can hold the connection without going through
 * Kysely's asynchronous transaction machinery (see `transaction()`).
 */
export class CachedSqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #connection: CachedSqliteConnection;
  #held = false;
  readonly #waiters: (() => void)[] = [];

  constructor(db: BetterSqlite3.Database, statementCacheSize: number, observe?: QueryObserver) {
    this.#db = db;
    this.#connection = new CachedSqliteConnection(db, statementCacheSize, observe);
  }

  /** The single connection. Use it only while holding the lock. */
  get connection(): CachedSqliteConnection {
    return this.#connection;
  }

  /**
   * Takes the connection: returns `undefined` when it was free (taken synchronously, no promise made),
   * else a promise that resolves when it is this caller's turn.
   */
  lock(): Promise<void> | undefined {
    if (!this.#held) {
      this.#held = true;
      return undefined;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Gives the connection to the next waiter, or frees it. */
  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }

  async init(): Promise<void> {}

  /** Runs before a caller waits for the connection; throws to refuse it (see the SQLite database). */
  beforeAcquire: () => void = () => undefined;

  async acquireConnection(): Promise<DatabaseConnection> {
    this.beforeAcquire();
    const wait = this.lock();
    if (wait) await wait;
    return this.#connection;
  }

  // Kysely's own transactions (e.g. `db.kysely.transaction()`) use the same cached statements as the
  // unit-of-work path; there is only the one connection.
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.accessMode === 'read only') await connection.executeQuery(CompiledQuery.raw('begin deferred'));
    else this.#connection.begin();
  }

  async commitTransaction(): Promise<void> {
    this.#connection.commit();
  }

  async rollbackTransaction(): Promise<void> {
    this.#connection.rollback();
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release "${name}"`));
  }

  async releaseConnection(): Promise<void> {
    this.unlock();
  }

  async destroy(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

/** The driver's one connection: cached prepared statements, synchronous execution behind Kysely's promise API. */
export class CachedSqliteConnection implements DatabaseConnection {
  readonly #statements = new Map<string, Statement>();
  readonly #db: BetterSqlite3.Database;
  readonly #cacheSize: number;
  readonly #observe: QueryObserver | undefined;
  #begin: Statement | undefined;
  #commit: Statement | undefined;
  #rollback: Statement | undefined;

  constructor(db: BetterSqlite3.Database, cacheSize: number, observe?: QueryObserver) {
    this.#db = db;
    this.#cacheSize = cacheSize;
    this.#observe = observe;
  }

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql);
      if (this.#cacheSize > 0) {
        if (this.#statements.size >= this.#cacheSize) {
          const oldest = this.#statements.keys().next().value;
          if (oldest !== undefined) this.#statements.delete(oldest);
        }
        this.#statements.set(sql, stmt);
      }
    }
    return stmt;
  }

  /** Runs a query synchronously (throws on failure). */
  executeSync<R>(compiledQuery: CompiledQuery): QueryResult<R> {
    if (!this.#observe) return this.#run(compiledQuery);
    const start = performance.now();
    let ok = false;
    try {
      const result = this.#run<R>(compiledQuery);
      ok = true;
      return result;
    } finally {
      this.#observe((performance.now() - start) / 1000, ok);
    }
  }

  #run<R>(compiledQuery: CompiledQuery): QueryResult<R> {
    const stmt = this.#prepare(compiledQuery.sql);
    const params = compiledQuery.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(...params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(...params);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return Promise.resolve(this.executeSync<R>(compiledQuery));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** `BEGIN IMMEDIATE`, synchronously (waits up to the busy timeout for another process's write lock). */
  begin(): void {
    (this.#begin ??= this.#db.prepare('begin immediate')).run();
  }

  /** `COMMIT`, synchronously. */
  commit(): void {
    (this.#commit ??= this.#db.prepare('commit')).run();
  }

  /** `ROLLBACK` if a transaction is open (a failed COMMIT may already have ended it). */
  rollback(): void {
    if (this.#db.inTransaction) (this.#rollback ??= this.#db.prepare('rollback')).run();
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('SQLite streams only SELECT queries');
    // A fresh statement: a cached one could be re-entered while this iterator is open.
    const stmt = this.#db.prepare(compiledQuery.sql);
    for (const row of stmt.iterate(...(compiledQuery.parameters as unknown[]))) yield { rows: [row as R] };
  }
}
