import type { CompiledQuery, DatabaseConnection, Driver, QueryCompiler, QueryResult, TransactionSettings } from 'kysely';

/** What the database adds around every driver call: a guard (breaker, error translation) and timing. */
export interface DriverHooks {
  /** Runs one driver call; may fail fast (open breaker) or translate errors. */
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** Called after every query with its duration and outcome. */
  observe(seconds: number, ok: boolean): void;
}

const inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
const unwrap = (c: DatabaseConnection): DatabaseConnection => inner.get(c) ?? c;

class InstrumentedConnection implements DatabaseConnection {
  constructor(
    private readonly conn: DatabaseConnection,
    private readonly hooks: DriverHooks,
  ) {
    inner.set(this, conn);
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const start = performance.now();
    let ok = false;
    try {
      const result = await this.hooks.guard(() => this.conn.executeQuery<R>(compiledQuery));
      ok = true;
      return result;
    } finally {
      this.hooks.observe((performance.now() - start) / 1000, ok);
    }
  }

  streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.conn.streamQuery<R>(compiledQuery, chunkSize);
  }
}

/** Decorates a Kysely driver so every connection acquisition and query passes the hooks. */
export class InstrumentedDriver implements Driver {
  constructor(
    private readonly driver: Driver,
    private readonly hooks: DriverHooks,
  ) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const start = performance.now();
    try {
      const conn = await this.hooks.guard(() => this.driver.acquireConnection());
      return new InstrumentedConnection(conn, this.hooks);
    } catch (err) {
      // A query that could not get a connection failed too.
      this.hooks.observe((performance.now() - start) / 1000, false);
      throw err;
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.hooks.guard(() => this.driver.beginTransaction(unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.commitTransaction(unwrap(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.driver.rollbackTransaction(unwrap(connection));
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.driver.savepoint?.(unwrap(connection), name, compileQuery);
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.driver.rollbackToSavepoint?.(unwrap(connection), name, compileQuery);
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await this.driver.releaseSavepoint?.(unwrap(connection), name, compileQuery);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}
