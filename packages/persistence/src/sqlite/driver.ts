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

/**
 * A better-sqlite3 driver for Kysely with a prepared-statement cache (preparing is most of the cost of a
 * small query) and `BEGIN IMMEDIATE` write transactions, which take the write lock up front so two
 * processes on one file wait on `busy_timeout` instead of failing on a lock upgrade.
 */
export class CachedSqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #connection: CachedSqliteConnection;
  #locked: Promise<void> | undefined;
  #unlock: (() => void) | undefined;

  constructor(db: BetterSqlite3.Database, statementCacheSize: number) {
    this.#db = db;
    this.#connection = new CachedSqliteConnection(db, statementCacheSize);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // One connection: callers queue until the current holder releases it.
    while (this.#locked) await this.#locked;
    this.#locked = new Promise((resolve) => (this.#unlock = resolve));
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const begin = settings.accessMode === 'read only' ? 'begin deferred' : 'begin immediate';
    await connection.executeQuery(CompiledQuery.raw(begin));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // A failed COMMIT (e.g. SQLITE_BUSY) may already have ended the transaction.
    if (this.#db.inTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
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
    const unlock = this.#unlock;
    this.#locked = undefined;
    this.#unlock = undefined;
    unlock?.();
  }

  async destroy(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

class CachedSqliteConnection implements DatabaseConnection {
  readonly #statements = new Map<string, Statement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly cacheSize: number,
  ) {}

  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.cacheSize > 0) {
        if (this.#statements.size >= this.cacheSize) {
          const oldest = this.#statements.keys().next().value;
          if (oldest !== undefined) this.#statements.delete(oldest);
        }
        this.#statements.set(sql, stmt);
      }
    }
    return stmt;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    try {
      const stmt = this.#prepare(compiledQuery.sql);
      const params = compiledQuery.parameters as unknown[];
      if (stmt.reader) return Promise.resolve({ rows: stmt.all(...params) as R[] });
      const { changes, lastInsertRowid } = stmt.run(...params);
      return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('SQLite streams only SELECT queries');
    // A fresh statement: a cached one could be re-entered while this iterator is open.
    const stmt = this.db.prepare(compiledQuery.sql);
    for (const row of stmt.iterate(...(compiledQuery.parameters as unknown[]))) yield { rows: [row as R] };
  }
}
