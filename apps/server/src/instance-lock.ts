/**
 * One serving instance per database. A room is single-writer and lives in one process (room-ownership leases
 * across instances are designed, not built: docs/architecture.md), so a second `serve` on the same database
 * (a rolling update, `--scale server=2`, a `pnpm start` beside the container on the same SQLite file) would
 * rebuild every live room too and split the players between two copies. The event store's expected-version
 * check keeps the streams intact, but the game would not be.
 *
 * The lock is held by the operating system or the database server for the life of the process, so a crash
 * (even SIGKILL) releases it at once, and a restart after a crash never waits:
 *   - SQLite: an exclusive transaction on a small side file `<database>.instance-lock` (an fcntl lock);
 *   - PostgreSQL: a session advisory lock on a connection of its own, keyed by database and schema.
 * The CLI's other commands (`rooms`, `replay`, `verify`, `migrate`) do not take it.
 */
import type { Logger } from '@game/observability';
import type { Database } from '@game/persistence';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

/** Another instance holds the database past the wait. */
export class InstanceLockedError extends Error {
  readonly code = 'INSTANCE_LOCKED';
  constructor(readonly target: string, waitedMs: number) {
    super(
      `another liap-tui-server instance is serving ${target} (waited ${Math.round(waitedMs / 1000)} s for it to stop). ` +
        'Run one instance per database: stop the other one first (docs/deployment.md#scaling).',
    );
    this.name = 'InstanceLockedError';
  }
}

export interface InstanceLock {
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

interface Attempt {
  /** Tries once: true when this process now holds the lock. */
  tryOnce(): Promise<boolean>;
  release(): Promise<void>;
}

function sqliteAttempt(filename: string): Attempt {
  let conn: BetterSqlite3.Database | undefined;
  return {
    async tryOnce() {
      conn ??= new BetterSqlite3(`${filename}.instance-lock`, { timeout: 0 });
      try {
        // Held (never committed) until the connection closes or the process ends.
        conn.exec('BEGIN EXCLUSIVE');
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
        throw err;
      }
    },
    async release() {
      conn?.close();
      conn = undefined;
    },
  };
}

function postgresAttempt(pool: pg.Pool, logger: Logger, target: string): Attempt {
  let client: pg.Client | undefined;
  return {
    async tryOnce() {
      if (!client) {
        // Not a pool connection: the pool would hand it back (and the lock with it) or reap it when idle.
        const c = new pg.Client((pool as unknown as { options: pg.ClientConfig }).options);
        // A lost connection loses the lock (Postgres restarted, network cut): say so, since a second instance
        // could then start; this one keeps serving, and its own next start takes the lock again.
        c.on('error', (err) => {
          if (client === c) logger.error({ db: target, err: err.message }, 'instance lock connection lost: another instance could now start on this database');
        });
        await c.connect();
        client = c;
      }
      const r = await client.query<{ locked: boolean }>(
        `select pg_try_advisory_lock(hashtextextended('liap-tui-server:' || current_database() || ':' || current_schema(), 0)) as locked`,
      );
      return r.rows[0]?.locked === true;
    },
    async release() {
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

/**
 * Takes the lock for `db`, waiting up to `waitMs` while another instance holds it (a deploy that starts the
 * new container while the old one drains), with a log line every few seconds. Throws InstanceLockedError
 * after the wait. An in-memory SQLite database needs no lock.
 */
export async function acquireInstanceLock(db: Database, options: { waitMs: number; logger: Logger; retryMs?: number }): Promise<InstanceLock> {
  const target = db.target;
  const driver = db.driver;
  if (driver.kind === 'sqlite' && (driver.sqlite.memory || driver.sqlite.name === '' || driver.sqlite.name === ':memory:')) {
    return { release: async () => undefined };
  }
  const attempt = driver.kind === 'sqlite' ? sqliteAttempt(driver.sqlite.name) : postgresAttempt(driver.pool, options.logger, target);
  const retryMs = options.retryMs ?? 500;
  const started = performance.now();
  let lastLog = -Infinity;
  try {
    for (;;) {
      if (await attempt.tryOnce()) break;
      const waited = performance.now() - started;
      if (waited >= options.waitMs) throw new InstanceLockedError(target, waited);
      if (waited - lastLog >= 5_000) {
        lastLog = waited;
        options.logger.warn({ db: target, waitedMs: Math.round(waited), waitMs: options.waitMs }, 'another instance serves this database; waiting for it to stop');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryMs, Math.max(1, options.waitMs - waited))));
    }
  } catch (err) {
    await attempt.release();
    throw err;
  }
  return { release: () => attempt.release() };
}
