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
import { accessSync, constants, realpathSync } from 'node:fs';
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

/** `held`; `retaking`: its connection was lost, taking it again; `lost`: another instance holds it now. */
export type InstanceLockState = 'held' | 'retaking' | 'lost';

export interface InstanceLock {
  /** After acquisition (the readiness check reads it). Only a Postgres lock can leave `held`. */
  state(): InstanceLockState;
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

interface Attempt {
  /** Tries once: true when this process now holds the lock. */
  tryOnce(): Promise<boolean>;
  state(): InstanceLockState;
  release(): Promise<void>;
}

function sqliteAttempt(filename: string): Attempt {
  // The real path: two instances naming the same database through a symlink lock the same file.
  const lockPath = `${realpathSync(filename)}.instance-lock`;
  let conn: BetterSqlite3.Database | undefined;
  return {
    async tryOnce() {
      if (!conn) {
        conn = new BetterSqlite3(lockPath, { timeout: 0 });
        // SQLite opens a file it cannot write read-only without a word, and a read-only BEGIN EXCLUSIVE is
        // a shared lock that two instances can both hold: refuse that instead of locking nothing.
        try {
          accessSync(lockPath, constants.W_OK);
        } catch {
          conn.close();
          conn = undefined;
          throw new Error(`the instance lock file ${lockPath} is not writable by this process (uid ${process.getuid?.() ?? '?'}); give it to the server's user or delete it while no server runs`);
        }
      }
      try {
        // Held (never committed) until the connection closes or the process ends.
        conn.exec('BEGIN EXCLUSIVE');
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
        throw err;
      }
    },
    // An fcntl lock is the process's until it ends.
    state: () => 'held',
    async release() {
      conn?.close();
      conn = undefined;
    },
  };
}

const LOCK_SQL = `select pg_try_advisory_lock(hashtextextended('liap-tui-server:' || current_database() || ':' || current_schema(), 0)) as locked`;

function postgresAttempt(pool: pg.Pool, logger: Logger, target: string): Attempt {
  let client: pg.Client | undefined;
  let released = false;
  let retake: NodeJS.Timeout | undefined;
  let state: InstanceLockState = 'held';

  const connect = async (): Promise<pg.Client> => {
    // Not a pool connection: the pool would hand it back (and the lock with it) or reap it when idle.
    const c = new pg.Client({
      ...(pool as unknown as { options: pg.ClientConfig }).options,
      application_name: 'liap-tui-server instance-lock',
      keepAlive: true,
    });
    c.on('error', (err) => {
      if (client !== c || released) return;
      client = undefined;
      state = 'retaking';
      logger.error({ db: target, err: err.message }, 'instance lock connection lost: taking the lock again');
      scheduleRetake(2_000);
    });
    await c.connect();
    // An idle session that nothing ends: a dead peer is noticed within ~30 s (so a crashed host's lock goes
    // away), and no idle_session_timeout (PostgreSQL 14+) takes the lock with it.
    await c.query('set tcp_keepalives_idle = 10; set tcp_keepalives_interval = 5; set tcp_keepalives_count = 3');
    await c.query('set idle_session_timeout = 0').catch(() => undefined); // older servers do not have it
    return c;
  };

  // After a lost connection (Postgres restarted, network cut): take the lock again. If another instance took it
  // meanwhile, say so loudly (readiness fails: state `lost`) and keep trying, so that this one is whole again
  // once the other stops.
  const scheduleRetake = (delayMs: number) => {
    if (released || retake) return;
    retake = setTimeout(() => {
      retake = undefined;
      void (async () => {
        try {
          if (!client) {
            const c = await connect();
            if (released) return void (await c.end().catch(() => undefined));
            client = c;
          }
          const r = await client.query<{ locked: boolean }>(LOCK_SQL);
          if (r.rows[0]?.locked === true) {
            state = 'held';
            logger.warn({ db: target }, 'instance lock taken again');
          } else {
            if (state !== 'lost') logger.error({ db: target }, 'another instance took the instance lock while this one was cut off from the database: two instances may now serve it; stop one');
            state = 'lost';
            scheduleRetake(5_000);
          }
        } catch (err) {
          logger.warn({ db: target, err: err instanceof Error ? err.message : String(err) }, 'instance lock: database not reachable yet; trying again');
          scheduleRetake(2_000);
        }
      })();
    }, delayMs);
    retake.unref();
  };

  return {
    async tryOnce() {
      client ??= await connect();
      const r = await client.query<{ locked: boolean }>(LOCK_SQL);
      return r.rows[0]?.locked === true;
    },
    state: () => state,
    async release() {
      released = true;
      if (retake) clearTimeout(retake);
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
    return { state: () => 'held', release: async () => undefined };
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
  return { state: () => attempt.state(), release: () => attempt.release() };
}
