import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import { internalsOf, type Database } from './database.js';
import { InvalidPreparedQueryError } from './errors.js';
import { currentExecutor } from './transaction.js';

/** A query compiled once; each execution only binds new parameter values. */
export interface PreparedQuery<P, O> {
  /** The SQL sent to the database. */
  readonly sql: string;
  /** The parameter names, in the order they were first used. */
  readonly params: readonly (keyof P & string)[];
  /** Runs the query (inside the current unit of work when there is one) and returns its rows. */
  execute(params: P): Promise<O[]>;
  /** Runs the query and returns its first row, if any. */
  executeTakeFirst(params: P): Promise<O | undefined>;
  /** Runs the query and returns the driver's result (rows, affected row count, insert id). */
  run(params: P): Promise<QueryResult<O>>;
}

const MARK = '\u0000@game/persistence:param:';

/**
 * Compiles a Kysely query once and returns a {@link PreparedQuery} that binds new values on every call:
 * building and compiling a small query costs about as much as running it on SQLite, so the hot queries of
 * a service (append an event, load a row by id) gain from skipping it.
 *
 * `build` receives a stand-in for the parameters; use each one as a whole value (`.where('id', '=', p.id)`,
 * `.values({ name: p.name })`, `.limit(p.n)`). A parameter that is transformed (`p.n + 1`), spread into a
 * list, or used as an identifier cannot be re-bound, and `prepareQuery` throws
 * {@link InvalidPreparedQueryError} naming it. Every parameter must be given on each call (`null`, not
 * `undefined`, for SQL NULL).
 *
 * On PostgreSQL the query also becomes a server-side prepared statement (parsed and planned once per pooled
 * connection; up to 256 per database). Prepare queries after the migrations that change the tables they
 * read: a statement prepared before a column was added or dropped fails with PostgreSQL's "cached plan must
 * not change result type" on the connections that had already prepared it.
 *
 * @example
 * const byId = prepareQuery(db, (q, p: { id: string }) => q.selectFrom('items').selectAll().where('id', '=', p.id));
 * const item = await byId.executeTakeFirst({ id: 'a' });
 */
export function prepareQuery<DB, P extends Record<string, unknown>, O>(
  db: Database<DB>,
  build: (query: Kysely<DB>, params: P) => Compilable<O>,
): PreparedQuery<P, O> {
  const used: string[] = [];
  const stand = new Proxy({} as P, {
    get(_target, key) {
      if (typeof key !== 'string') return undefined;
      if (!used.includes(key)) used.push(key);
      return MARK + key;
    },
  });
  const compiled = build(db.kysely, stand).compile();
  if (compiled.sql.includes(MARK)) {
    throw new InvalidPreparedQueryError(`A parameter was written into the SQL text instead of being bound: ${compiled.sql.replaceAll(MARK, ':')}`);
  }
  internalsOf(db).nameStatement?.(compiled.sql);
  const template = compiled.parameters.slice();
  const slots: number[] = [];
  const keys: string[] = [];
  template.forEach((value, index) => {
    if (typeof value !== 'string' || !value.includes(MARK)) return;
    const key = value.startsWith(MARK) ? value.slice(MARK.length) : '';
    if (!key || !used.includes(key)) {
      throw new InvalidPreparedQueryError(`A parameter was transformed before it was bound (bound value ${JSON.stringify(value.replaceAll(MARK, ':'))}); use each parameter as a whole value`);
    }
    slots.push(index);
    keys.push(key);
  });
  const unbound = used.filter((key) => !keys.includes(key));
  if (unbound.length > 0) {
    throw new InvalidPreparedQueryError(`Parameter${unbound.length > 1 ? 's' : ''} ${unbound.join(', ')} did not reach the query as a bound value (transformed, or used as an identifier?)`);
  }

  const run = (params: P): Promise<QueryResult<O>> => {
    const parameters = template.slice();
    for (let i = 0; i < slots.length; i++) {
      const key = keys[i]!;
      const value = params[key];
      if (value === undefined) return Promise.reject(new InvalidPreparedQueryError(`Parameter ${key} is missing (use null for SQL NULL)`));
      parameters[slots[i]!] = value;
    }
    const query: CompiledQuery<O> = { query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters };
    return currentExecutor(db).executeQuery(query);
  };

  return {
    sql: compiled.sql,
    params: used,
    run,
    execute: async (params) => (await run(params)).rows,
    executeTakeFirst: async (params) => (await run(params)).rows[0],
  };
}
