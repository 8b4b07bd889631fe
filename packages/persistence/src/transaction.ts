import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { IsolationLevel, Kysely, Transaction } from 'kysely';
import { internalsOf, type Database, type UnitContext } from './database.js';
import { UnitOfWorkFailedError } from './errors.js';

/** Options for {@link transaction}. */
export interface TransactionOptions {
  /**
   * Retry the whole unit on serialization failure, deadlock or SQLITE_BUSY. Only declare this when `fn`
   * can run again safely (it has no side effects outside the database). Off by default.
   */
  retry?: boolean | { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Isolation level where the backend supports choosing one (Postgres). */
  isolationLevel?: IsolationLevel;
}

/** Throws when `n` is not a positive integer. */
function attemptsOf(opt: TransactionOptions['retry']): number {
  if (!opt) return 1;
  const n = opt === true ? 5 : (opt.maxAttempts ?? 5);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`retry.maxAttempts must be a positive integer (got ${n})`);
  return n;
}

/**
 * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. A call made inside
 * another `transaction(db, ...)` (in the same async flow) joins the outer one instead of opening a new
 * one, so repositories can each declare a unit of work and still compose.
 *
 * @example
 * await transaction(db, async (trx) => {
 *   await trx.insertInto('events').values(row).execute();
 *   await trx.updateTable('directory').set(update).where('id', '=', id).execute();
 * }, { retry: true });
 */
export function transaction<DB, T>(
  db: Database<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  try {
    return unitOfWork(db, fn, options);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

// Not an async function: on the hot path (SQLite, no retry) the backend's promise is returned as is.
function unitOfWork<DB, T>(db: Database<DB>, fn: (trx: Transaction<DB>) => Promise<T>, options: TransactionOptions): Promise<T> {
  const internals = internalsOf(db);
  const outer = openUnit(db)?.trx as Transaction<DB> | undefined;
  if (outer) return fn(outer);

  const fast = internals.runTransaction;
  const maxAttempts = attemptsOf(options.retry);
  if (fast && maxAttempts === 1) return fast(fn as (trx: Transaction<unknown>) => Promise<T>);
  const run = fast ? () => fast(fn as (trx: Transaction<unknown>) => Promise<T>) : () => {
    let builder = db.kysely.transaction();
    // Isolation levels matter only where writers run concurrently; SQLite's single writer is serializable already.
    if (options.isolationLevel && db.capabilities.multipleWriters) builder = builder.setIsolationLevel(options.isolationLevel);
    return builder.execute((trx) => {
      const unit: UnitContext = { trx, open: true };
      // async: a callback that throws synchronously still ends its unit (the flag below is always reset).
      return internals.tx.run(unit, async () => fn(trx)).then(
        (result) => {
          unit.open = false;
          return result;
        },
        (err: unknown) => {
          unit.open = false;
          unit.failed = true;
          throw err;
        },
      );
    });
  };
  if (maxAttempts === 1) return run();

  const cfg = typeof options.retry === 'object' ? options.retry : {};
  const policy = retry(handleWhen(internals.isRetryableTxError), {
    maxAttempts: maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: cfg.initialDelayMs ?? 5, maxDelay: cfg.maxDelayMs ?? 250 }),
  });
  policy.onRetry((e) => db.logger.debug({ attempt: e.attempt, err: 'error' in e ? String(e.error) : undefined }, 'retrying transaction'));
  return policy.execute(run);
}

/** The unit of work the current async flow is inside, if it is still running. */
function openUnit(db: Database<any>): UnitContext | undefined {
  const unit = internalsOf(db).tx.getStore();
  return unit?.open ? unit : undefined;
}

/**
 * The Kysely instance to run statements on: the ambient transaction if inside {@link transaction}, else the
 * database. From work that a failed unit started (a `Promise.all` branch still running when another threw)
 * it throws {@link UnitOfWorkFailedError}: such work meant to write in the unit, which rolled back. Work
 * that says it is independent (`db.kysely`, a new `transaction()`) runs.
 */
export function currentExecutor<DB>(db: Database<DB>): Kysely<DB> {
  const unit = internalsOf(db).tx.getStore();
  if (unit?.open) return unit.trx as Transaction<DB>;
  if (unit?.failed === true) throw new UnitOfWorkFailedError();
  return db.kysely;
}

/**
 * True while the current async flow is inside a running {@link transaction} on this database (not for a
 * flow that a finished unit started, such as a timer set inside it).
 */
export function inTransaction(db: Database): boolean {
  return openUnit(db) !== undefined;
}

/**
 * Runs an idempotent operation (a read, or a write keyed so that repeating it is harmless) with retries
 * on connection failures: exponential backoff with jitter, 3 attempts by default. Inside a transaction
 * it runs once: a broken connection ends the transaction, so only the whole unit can be retried.
 */
export async function withRetry<T>(
  db: Database,
  fn: () => Promise<T>,
  options: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number } = {},
): Promise<T> {
  const internals = internalsOf(db);
  if (openUnit(db)) return fn();
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer (got ${maxAttempts})`);
  if (maxAttempts === 1) return fn();
  const policy = retry(handleWhen(internals.isConnectionError), {
    maxAttempts: maxAttempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 50, maxDelay: options.maxDelayMs ?? 1_000 }),
  });
  policy.onRetry((e) => db.logger.warn({ attempt: e.attempt, err: 'error' in e ? String(e.error) : undefined }, 'retrying idempotent call'));
  return policy.execute(fn);
}
