import type { AsyncLocalStorage } from 'node:async_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type pg from 'pg';
import type { MetricsOption } from './internal/metrics.js';
import type { Capabilities } from './capabilities.js';
import type { CheckpointStats } from './sqlite/checkpointer.js';
import { InvalidDatabaseConfigError } from './errors.js';
import type { Logger } from './logger.js';

/** Circuit-breaker state, for health checks. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** The underlying driver objects, for the few things Kysely does not cover (LISTEN/NOTIFY, backups). */
export type DriverHandle =
  | { readonly kind: 'sqlite'; readonly sqlite: BetterSqlite3.Database }
  | { readonly kind: 'postgres'; readonly pool: pg.Pool };

/** An open database: a typed Kysely instance plus what the rest of the package needs to know about it. */
export interface Database<DB = any> {
  /** The name given in the options (`main` by default); used in metrics, logs and errors. */
  readonly name: string;
  /** The typed query builder. Prefer {@link currentExecutor} inside units of work. */
  readonly kysely: Kysely<DB>;
  /** What this backend can do, as data. */
  readonly capabilities: Capabilities;
  /** The driver objects underneath. */
  readonly driver: DriverHandle;
  /** The URL that was opened, with any password hidden. */
  readonly target: string;
  /** The logger the database was given (a silent one by default). */
  readonly logger: Logger;
  /** Runs `select 1`; rejects when the database cannot answer. */
  ping(): Promise<void>;
  /** The circuit breaker's state (`closed` for backends without one). */
  breakerState(): BreakerState;
  /** Closes the connections. Idempotent. */
  close(): Promise<void>;
  /** SQLite with `checkpoint: 'background'`: what the checkpoint worker has done. Undefined otherwise. */
  checkpointStats?(): CheckpointStats;
}

/** Options every backend accepts. */
export interface CommonDatabaseOptions {
  /** A name for metrics labels, logs and errors; `main` by default. */
  name?: string;
  /** A pino-compatible logger; silent by default. */
  logger?: Logger;
  /** A prom-client registry for query, pool and breaker metrics, or `{ registry, prefix }` (the prefix goes in front of every name). */
  metrics?: MetricsOption | undefined;
}

/** Options for SQLite (better-sqlite3). */
export interface SqliteDatabaseOptions extends CommonDatabaseOptions {
  /** `sqlite:<file>` or `sqlite::memory:`; alternatively give `filename`. */
  url?: string;
  /** A file path or `:memory:`. */
  filename?: string;
  /** `PRAGMA synchronous`; NORMAL by default (safe with WAL: a crash loses no committed transaction, a power cut may lose the last ones). */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  /** How long a writer waits for another process's lock before SQLITE_BUSY; 5000 ms by default. */
  busyTimeoutMs?: number;
  /** Prepared statements kept per connection; 500 by default, 0 disables the cache. */
  statementCacheSize?: number;
  /**
   * Who copies the WAL back into the database file. `auto` (default): SQLite itself, inside the commit that
   * crosses 1,000 WAL pages (that commit takes milliseconds longer). `background`: a worker thread with its
   * own connection runs a PASSIVE checkpoint every `checkpointIntervalMs` (1 s by default) and the commits
   * never do; for latency-sensitive servers. Ignored for `:memory:`.
   */
  checkpoint?: 'auto' | 'background';
  /** Interval of background checkpoints; 1000 ms by default. */
  checkpointIntervalMs?: number;
}

/** Options for PostgreSQL (pg). */
export interface PostgresDatabaseOptions extends CommonDatabaseOptions {
  /** `postgres://user:password@host:port/database?...` */
  url: string;
  /** Pool settings. */
  pool?: {
    /** Most connections at once; 10 by default. */
    max?: number;
    /** Idle connections close after this long; 30 s by default. */
    idleTimeoutMs?: number;
    /** Waiting for a connection fails after this long; 5 s by default (never 0: a dead server would hang callers). */
    connectionTimeoutMs?: number;
  };
  /** Server-side `statement_timeout`; 30 s by default. */
  statementTimeoutMs?: number;
  /** Client-side timeout on every query (covers a dead network); `statementTimeoutMs + 5 s` by default. */
  queryTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity; `game` by default. */
  applicationName?: string;
  /** Start-up connection attempts with exponential backoff and jitter. */
  connectRetry?: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Circuit breaker: opens after this many consecutive connection failures, tries again after `halfOpenAfterMs`. */
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
}

/** Options for {@link createDatabase}: the backend is chosen by the URL. */
export type DatabaseOptions = SqliteDatabaseOptions | PostgresDatabaseOptions;

/** The ambient unit of work of an async flow: one object per unit (the Transaction itself may be reused). */
export interface UnitContext {
  readonly trx: Transaction<any>;
  /**
   * False once the unit has committed or rolled back. A flow started inside the unit (a timer, a callback)
   * keeps this context after that, and must then count as outside any unit, not inside the next one.
   */
  open: boolean;
  /** Set when the unit's function failed (it rolled back): queries from flows it started are refused. */
  failed?: boolean;
}


/** Internal per-database state shared by transaction() and friends. */
export interface DatabaseInternals {
  readonly tx: AsyncLocalStorage<UnitContext>;
  /**
   * A backend's own way to run a top-level unit of work (it must bind the Transaction in `tx` while `fn`
   * runs). Without it, `transaction()` uses Kysely's transaction builder.
   */
  readonly runTransaction?: <T>(fn: (trx: Transaction<any>) => Promise<T>) => Promise<T>;
  /** Errors worth retrying a whole unit of work for (serialization failure, deadlock, busy). */
  readonly isRetryableTxError: (err: unknown) => boolean;
  /** Errors that mean the connection or server failed (for idempotent-read retries). */
  readonly isConnectionError: (err: unknown) => boolean;
  /**
   * Marks a SQL text as worth a server-side prepared statement (PostgreSQL: parsed and planned once per
   * connection, then only bound and executed). Absent where the backend caches statements by itself.
   */
  readonly nameStatement?: (sql: string) => void;
}

const internals = new WeakMap<Database, DatabaseInternals>();

/** @internal */
export function registerInternals(db: Database, i: DatabaseInternals): void {
  internals.set(db, i);
}

/** @internal */
export function internalsOf(db: Database): DatabaseInternals {
  const i = internals.get(db);
  if (!i) throw new InvalidDatabaseConfigError('Not a database created by @game/persistence createDatabase()');
  return i;
}

/** Which backend a URL names, and its parts. */
export type ParsedDatabaseUrl =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; url: string };

/** Parses `sqlite:<file>`, `sqlite::memory:` and `postgres(ql)://...`; throws a clear error otherwise. */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new InvalidDatabaseConfigError('Database URL is empty: expected sqlite:<file>, sqlite::memory: or postgres://...');
  }
  const u = url.trim();
  if (u.startsWith('sqlite:')) {
    let filename = u.slice('sqlite:'.length);
    if (filename.startsWith('//')) filename = filename.slice(2);
    if (filename === '') throw new InvalidDatabaseConfigError(`Database URL "${u}" names no file: use sqlite:<file> or sqlite::memory:`);
    return { kind: 'sqlite', filename };
  }
  if (u.startsWith('postgres://') || u.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new InvalidDatabaseConfigError(`Database URL "${redactUrl(u)}" is not a valid URL`);
    }
    if (!parsed.hostname && !parsed.searchParams.get('host')) {
      throw new InvalidDatabaseConfigError(`Database URL "${redactUrl(u)}" names no host`);
    }
    return { kind: 'postgres', url: u };
  }
  const scheme = /^([a-z0-9+.-]+):/i.exec(u)?.[1];
  throw new InvalidDatabaseConfigError(
    `Unsupported database URL "${redactUrl(u)}"${scheme ? ` (scheme "${scheme}")` : ''}: expected sqlite:<file>, sqlite::memory: or postgres://...`,
  );
}

/** Query parameters that carry a secret (pg reads `?password=`; TLS keys and passphrases may be given too). */
const SECRET_PARAMS = /^(password|sslpassword|sslkey|passfile)$/i;

/** Hides the password in a URL for logs and messages (in the user info and in the query string). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(key)) u.searchParams.set(key, '***');
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@').replace(/([?&](?:password|sslpassword|sslkey|passfile)=)[^&#]*/gi, '$1***');
  }
}
