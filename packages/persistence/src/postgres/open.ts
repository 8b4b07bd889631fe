import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleAll,
  handleWhen,
  retry,
} from 'cockatiel';
import { Kysely, sql, PostgresAdapter, PostgresDriver, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type pg from 'pg';
import { postgresCapabilities } from '../capabilities.js';
import {
  parseDatabaseUrl,
  redactUrl,
  registerInternals,
  type BreakerState,
  type Database,
  type PostgresDatabaseOptions,
  type UnitContext,
} from '../database.js';
import { DatabaseConnectionError, DatabaseUnavailableError, InvalidDatabaseConfigError, describe } from '../errors.js';
import { InstrumentedDriver } from '../internal/instrumented-driver.js';
import { counter, gauge, metricsTarget, type MetricsTarget } from '../internal/metrics.js';
import { queryObserver } from '../internal/query-metrics.js';
import { silentLogger } from '../logger.js';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** True for errors that mean the server or the network failed, not the query. */
export function isPostgresConnectionError(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (err instanceof AggregateError) return err.errors.some(isPostgresConnectionError);
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  const m = err.message;
  return (
    m.includes('Connection terminated') ||
    m.includes('timeout exceeded when trying to connect') ||
    m.includes('Query read timeout') ||
    m.includes('not queryable') ||
    m.includes('Client was closed') ||
    m.includes('connection error')
  );
}

/** Postgres errors worth retrying a whole unit of work for: serialization failure, deadlock. */
export function isPostgresRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

function loadPg(): typeof pg {
  try {
    return createRequire(import.meta.url)('pg') as typeof pg;
  } catch (err) {
    throw new InvalidDatabaseConfigError(
      `PostgreSQL needs the optional peer dependency pg (8.x); install it next to @game/persistence (${String(err)})`,
    );
  }
}

/** At most this many SQL texts get a server-side prepared statement per database (each connection holds them). */
const MAX_NAMED_STATEMENTS = 256;

/** The SQL texts `prepareQuery` marked, each with its statement name (`game_ps_<n>`). */
function namedStatements(): { names: Map<string, string>; add: (sql: string) => void } {
  const names = new Map<string, string>();
  return {
    names,
    add(sql) {
      if (names.has(sql) || names.size >= MAX_NAMED_STATEMENTS) return;
      names.set(sql, `game_ps_${names.size + 1}`);
    },
  };
}

/**
 * pg's Client, sending the marked SQL texts as named statements: node-postgres parses a named statement once
 * per connection and afterwards only binds and executes it, which saves PostgreSQL the parse and plan of
 * every call (about a third of a small statement's time on loopback). Everything else goes through as is.
 */
function preparingClient(pgModule: typeof pg, names: ReadonlyMap<string, string>): typeof pg.Client {
  type Query = (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) => unknown;
  const query = Reflect.get(pgModule.Client.prototype, 'query') as Query;
  class PreparingClient extends pgModule.Client {}
  (PreparingClient.prototype as unknown as { query: Query }).query = function (config, values, callback) {
    if (typeof config === 'string' && Array.isArray(values) && names.size > 0) {
      const name = names.get(config);
      if (name !== undefined) return query.call(this, { name, text: config, values }, callback);
    }
    return query.call(this, config, values, callback);
  };
  return PreparingClient;
}

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < min) throw new InvalidDatabaseConfigError(`${name} must be an integer >= ${min} (got ${v})`);
  return n;
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** Opens a PostgreSQL pool, connecting with retries; every query passes a circuit breaker and timeouts. */
export async function createPostgresDatabase<DB = any>(options: PostgresDatabaseOptions): Promise<Database<DB>> {
  const parsed = parseDatabaseUrl(options.url);
  if (parsed.kind !== 'postgres') throw new InvalidDatabaseConfigError(`Not a PostgreSQL URL: ${redactUrl(options.url)}`);
  const name = options.name ?? 'main';
  const metrics = metricsTarget(options.metrics);
  const logger = (options.logger ?? silentLogger).child({ db: name });
  const target = redactUrl(parsed.url);

  const max = positiveInt('pool.max', options.pool?.max, 10);
  const idleTimeoutMillis = positiveInt('pool.idleTimeoutMs', options.pool?.idleTimeoutMs, 30_000);
  const connectionTimeoutMillis = positiveInt('pool.connectionTimeoutMs', options.pool?.connectionTimeoutMs, 5_000);
  const statementTimeout = positiveInt('statementTimeoutMs', options.statementTimeoutMs, 30_000);
  const queryTimeout = positiveInt('queryTimeoutMs', options.queryTimeoutMs, statementTimeout + 5_000);
  const attempts = positiveInt('connectRetry.maxAttempts', options.connectRetry?.maxAttempts, 5);
  const threshold = positiveInt('breaker.consecutiveFailures', options.breaker?.consecutiveFailures, 5);
  const halfOpenAfter = positiveInt('breaker.halfOpenAfterMs', options.breaker?.halfOpenAfterMs, 5_000);

  const pgModule = loadPg();
  const statements = namedStatements();
  const pool = new pgModule.Pool({
    Client: preparingClient(pgModule, statements.names),
    connectionString: parsed.url,
    max,
    idleTimeoutMillis,
    connectionTimeoutMillis,
    statement_timeout: statementTimeout,
    query_timeout: queryTimeout,
    application_name: options.applicationName ?? 'game',
  });
  // A client losing its server emits 'error': idle ones on the pool, checked-out ones (inside a query or a
  // transaction) on the client itself. Without listeners either would crash the process; the failing
  // query still rejects and the breaker counts it.
  pool.on('error', (err) => logger.warn({ err: describe(err) }, 'idle postgres connection failed'));
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err: describe(err) }, 'postgres connection failed while in use'));
  });

  // Start-up: retry with exponential backoff and jitter, then fail with what was tried.
  const connectPolicy = retry(handleAll, {
    maxAttempts: attempts - 1,
    backoff: new ExponentialBackoff({
      initialDelay: options.connectRetry?.initialDelayMs ?? 100,
      maxDelay: options.connectRetry?.maxDelayMs ?? 2_000,
    }),
  });
  connectPolicy.onRetry((e) =>
    logger.warn({ attempt: e.attempt, delayMs: Math.round(e.delay), err: 'error' in e ? describe(e.error) : undefined }, `cannot reach ${target}, retrying`),
  );
  let tried = 0;
  try {
    await connectPolicy.execute(async () => {
      tried++;
      await pool.query('select 1');
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseConnectionError(target, tried, err);
  }

  // A wait for a pooled connection that times out while every connection is busy is saturation, not an
  // outage: it must not open the breaker (that would fail every caller for halfOpenAfter).
  const isOutage = (err: unknown) =>
    isPostgresConnectionError(err) && !(err instanceof Error && err.message.includes('timeout exceeded when trying to connect') && pool.totalCount >= max);
  const breaker = circuitBreaker(handleWhen(isOutage), {
    halfOpenAfter,
    breaker: new ConsecutiveBreaker(threshold),
  });
  const transitions = metrics
    ? counter(metrics, 'db_breaker_transitions_total', 'Circuit breaker state changes', ['db', 'to'])
    : undefined;
  // cockatiel moves to half-open only inside the next call: without traffic it would say "open" for ever.
  // Past halfOpenAfter the next call is a trial, so the state reported is half-open.
  let openedAt = 0;
  const breakerState = (): BreakerState => {
    const s = STATE_NAMES[breaker.state];
    return breaker.state === CircuitState.Open && Date.now() - openedAt >= halfOpenAfter ? 'half-open' : s;
  };
  breaker.onStateChange((s) => {
    if (s === CircuitState.Open) openedAt = Date.now();
    const to = STATE_NAMES[s];
    transitions?.inc({ db: name, to });
    if (to === 'open') logger.error({ breaker: to }, 'database circuit breaker opened: calls fail fast');
    else logger.warn({ breaker: to }, `database circuit breaker ${to}`);
  });

  const readers = metrics ? readersFor(metrics) : undefined;
  if (metrics && readers) {
    const { breakerReaders, poolReaders } = readers;
    gauge(metrics, 'db_breaker_state', 'Circuit breaker state (0 closed, 1 half-open, 2 open)', ['db'], function () {
      for (const [dbName, fn] of breakerReaders) this.set({ db: dbName }, fn());
    });
    gauge(metrics, 'db_pool_connections', 'Pool connections by state', ['db', 'state'], function () {
      for (const [dbName, p] of poolReaders) {
        this.set({ db: dbName, state: 'in_use' }, p.totalCount - p.idleCount);
        this.set({ db: dbName, state: 'idle' }, p.idleCount);
        this.set({ db: dbName, state: 'waiting' }, p.waitingCount);
      }
    });
    breakerReaders.set(name, () => ({ closed: 0, 'half-open': 1, open: 2 })[breakerState()]);
    poolReaders.set(name, pool);
  }

  const tx = new AsyncLocalStorage<UnitContext>();
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await breaker.execute(fn);
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) throw new DatabaseUnavailableError(name, err);
      throw err;
    }
  };
  const driver = new InstrumentedDriver(new PostgresDriver({ pool }), { guard, observe: queryObserver(metrics, name) });
  const kysely = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });

  let closed = false;
  const db: Database<DB> = {
    name,
    kysely,
    capabilities: postgresCapabilities,
    driver: { kind: 'postgres', pool },
    target,
    logger,
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    breakerState,
    async close() {
      if (closed) return;
      closed = true;
      readers?.breakerReaders.delete(name);
      readers?.poolReaders.delete(name);
      await kysely.destroy();
    },
  };
  registerInternals(db, {
    tx,
    isRetryableTxError: isPostgresRetryable,
    isConnectionError: isPostgresConnectionError,
    nameStatement: statements.add,
  });
  logger.debug({ target, max }, 'postgres database opened');
  return db;
}

// Gauges are registered once per registry and prefix; each open database adds its readers to their maps.
interface Readers {
  breakerReaders: Map<string, () => number>;
  poolReaders: Map<string, pg.Pool>;
}
const readersByRegistry = new WeakMap<object, Map<string, Readers>>();
function readersFor({ registry, prefix }: MetricsTarget): Readers {
  let byPrefix = readersByRegistry.get(registry);
  if (!byPrefix) {
    byPrefix = new Map();
    readersByRegistry.set(registry, byPrefix);
  }
  let r = byPrefix.get(prefix);
  if (!r) {
    r = { breakerReaders: new Map(), poolReaders: new Map() };
    byPrefix.set(prefix, r);
  }
  return r;
}
