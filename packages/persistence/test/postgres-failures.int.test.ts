import { createPgSchema, freePort, startPrivatePostgres, type PrivateServer } from '@game/test-services';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DatabaseConnectionError,
  DatabaseUnavailableError,
  createDatabase,
  migrate,
  transaction,
  withRetry,
  type Database,
  type Logger,
} from '../src/index.js';

function recordingLogger(lines: Array<{ level: string; msg: string; obj?: object }>): Logger {
  const make = (level: string) => (a: unknown, b?: string) =>
    lines.push(typeof a === 'string' ? { level, msg: a } : { level, msg: b ?? '', obj: a as object });
  const logger: Logger = { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error'), child: () => logger };
  return logger;
}

describe('postgres refusing connections at start-up', () => {
  it('retries with backoff, then fails with an error naming the target and the attempts', async () => {
    const port = await freePort(); // nothing listens here
    const lines: Array<{ level: string; msg: string }> = [];
    const err = await createDatabase({
      url: `postgres://game:secret@127.0.0.1:${port}/game`,
      connectRetry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
      logger: recordingLogger(lines),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    const e = err as DatabaseConnectionError;
    expect(e.attempts).toBe(3);
    expect(e.target).toBe(`postgres://game:***@127.0.0.1:${port}/game`);
    expect(e.message).toMatch(new RegExp(`Could not connect to postgres://game:\\*\\*\\*@127.0.0.1:${port}/game after 3 attempts: .*ECONNREFUSED`));
    expect(e.message).not.toContain('secret');
    expect(lines.filter((l) => l.level === 'warn' && l.msg.includes('retrying'))).toHaveLength(2);
  });
});

describe('postgres restarted while in use', () => {
  let server: PrivateServer;
  let db: Database;
  const registry = new Registry();
  const lines: Array<{ level: string; msg: string }> = [];

  beforeAll(async () => {
    server = await startPrivatePostgres();
    db = await createDatabase({
      url: server.url,
      name: 'restart',
      metrics: registry,
      logger: recordingLogger(lines),
      pool: { max: 3, connectionTimeoutMs: 1_000 },
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
    });
    await migrate(db, [
      {
        name: 't',
        migrations: [{ name: '1', up: async (k) => void (await k.schema.createTable('kv').addColumn('k', 'text', (c) => c.primaryKey()).addColumn('v', 'integer').execute()) }],
      },
    ]);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await server?.destroy();
  });

  it('fails while down, opens the breaker (fast failures), then the pool recovers and the breaker closes', async () => {
    await db.kysely.insertInto('kv').values({ k: 'a', v: 1 }).execute();
    await server.stop();

    // Failures while the server is down: connection errors, then the breaker opens and calls fail fast.
    const errors: unknown[] = [];
    for (let i = 0; i < 6; i++) errors.push(await db.ping().catch((e: unknown) => e));
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expect(db.breakerState()).toBe('open');
    expect(errors.at(-1)).toBeInstanceOf(DatabaseUnavailableError);
    // No traffic: once halfOpenAfterMs has passed the next call is a trial, and the state says so (before: "open"
    // for ever, so a health check reading it never recovered without traffic).
    await vi.waitFor(() => expect(db.breakerState()).toBe('half-open'), { timeout: 5_000, interval: 20 });
    expect(await registry.metrics()).toContain('db_breaker_state{db="restart"} 1');
    expect(lines.some((l) => l.level === 'error' && l.msg.includes('circuit breaker opened'))).toBe(true);

    await server.start();
    // Half-open after 200 ms: withRetry's backoff carries the caller across it.
    const row = await withRetry(db, () => db.kysely.selectFrom('kv').selectAll().where('k', '=', 'a').executeTakeFirst(), {
      maxAttempts: 20,
      initialDelayMs: 50,
      maxDelayMs: 200,
    });
    expect(row).toEqual({ k: 'a', v: 1 });
    expect(db.breakerState()).toBe('closed');
    await transaction(db, async (trx) => {
      await trx.insertInto('kv').values({ k: 'b', v: 2 }).execute();
    });
    expect(await db.kysely.selectFrom('kv').select('k').orderBy('k').execute()).toEqual([{ k: 'a' }, { k: 'b' }]);

    const metrics = await registry.getMetricsAsJSON();
    const transitions = metrics.find((m) => m.name === 'db_breaker_transitions_total');
    const tos = (transitions?.values ?? []).filter((v) => v.value > 0).map((v) => v.labels['to']);
    expect(tos).toEqual(expect.arrayContaining(['open', 'half-open', 'closed']));
    const queries = metrics.find((m) => m.name === 'db_queries_total');
    expect(queries?.values.find((v) => v.labels['outcome'] === 'error')?.value).toBeGreaterThan(0);
    expect(queries?.values.find((v) => v.labels['outcome'] === 'ok')?.value).toBeGreaterThan(0);
  }, 60_000);
});

describe('unit-of-work retries on postgres', () => {
  it('retries a serialization failure and converges', async () => {
    const schema = await createPgSchema('retry');
    const db = await createDatabase({ url: schema.url, pool: { max: 6 } });
    try {
      await sql`create table counter (id int primary key, n int not null)`.execute(db.kysely);
      await sql`insert into counter values (1, 0)`.execute(db.kysely);
      let attempts = 0;
      const bump = () =>
        transaction(
          db,
          async (trx) => {
            attempts++;
            const { n } = (await sql<{ n: number }>`select n from counter where id = 1`.execute(trx)).rows[0]!;
            await sql`update counter set n = ${n + 1} where id = 1`.execute(trx);
          },
          { retry: { maxAttempts: 20 }, isolationLevel: 'serializable' },
        );
      await Promise.all(Array.from({ length: 5 }, bump));
      const { n } = (await sql<{ n: number }>`select n from counter where id = 1`.execute(db.kysely)).rows[0]!;
      expect(n).toBe(5); // no lost update
      expect(attempts).toBeGreaterThan(5); // some units ran again after a serialization failure
    } finally {
      await db.close();
      await schema.drop();
    }
  });

  it('does not retry when the unit is not declared retryable', async () => {
    const schema = await createPgSchema('noretry');
    const db = await createDatabase({ url: schema.url, pool: { max: 6 } });
    try {
      await sql`create table counter (id int primary key, n int not null)`.execute(db.kysely);
      await sql`insert into counter values (1, 0)`.execute(db.kysely);
      const bump = () =>
        transaction(
          db,
          async (trx) => {
            const { n } = (await sql<{ n: number }>`select n from counter where id = 1`.execute(trx)).rows[0]!;
            await sql`select pg_sleep(0.05)`.execute(trx);
            await sql`update counter set n = ${n + 1} where id = 1`.execute(trx);
          },
          { isolationLevel: 'serializable' },
        );
      const results = await Promise.allSettled(Array.from({ length: 4 }, bump));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((f) => (f.reason as { code?: string }).code === '40001')).toBe(true);
    } finally {
      await db.close();
      await schema.drop();
    }
  });
});

describe('concurrent migrators on postgres', () => {
  it('five processes migrating at once apply each migration exactly once', async () => {
    const schema = await createPgSchema('migrators');
    const dbs = await Promise.all(Array.from({ length: 5 }, () => createDatabase({ url: schema.url, pool: { max: 1 } })));
    try {
      const set = {
        name: 'race',
        migrations: [
          { name: '001', up: async (k: Database['kysely']) => void (await k.schema.createTable('a').addColumn('x', 'integer').execute()) },
          { name: '002', up: async (k: Database['kysely']) => void (await k.schema.createTable('b').addColumn('y', 'integer').execute()) },
        ],
      };
      const results = await Promise.all(dbs.map((d) => migrate(d, [set])));
      const appliedCounts = results.map((r) => r.applied.length).sort();
      expect(appliedCounts).toEqual([0, 0, 0, 0, 2]);
      const rows = await dbs[0]!.kysely.selectFrom('game_migrations').select(['set_name', 'name']).execute();
      expect(rows).toHaveLength(2);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
      await schema.drop();
    }
  });
});

describe('connection cut while a transaction holds it', () => {
  it('the unit of work fails with a connection error and the process survives; the pool recovers', async () => {
    const { startFaultProxy } = await import('@game/test-services');
    const target = new URL(process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(target);
    viaProxy.port = String(proxy.port);
    const db = await createDatabase({ url: viaProxy.toString(), pool: { max: 2, connectionTimeoutMs: 1_000 }, breaker: { consecutiveFailures: 50 } });
    try {
      let cut!: () => void;
      const cutDone = new Promise<void>((r) => (cut = r));
      const unit = transaction(db, async (trx) => {
        await sql`select 1`.execute(trx);
        await proxy.cut(); // the server side of this transaction's socket is reset
        cut();
        await sql`select 2`.execute(trx);
      });
      await cutDone;
      await expect(unit).rejects.toThrow();
      await proxy.restore();
      const row = await withRetry(db, () => sql<{ v: number }>`select 3 as v`.execute(db.kysely), { maxAttempts: 10, initialDelayMs: 20 });
      expect(row.rows[0]?.v).toBe(3);
    } finally {
      await db.close();
      await proxy.close();
    }
  });
});

describe('pool saturation is not an outage', () => {
  it('callers that time out waiting for a busy pool do not open the breaker', async () => {
    const schema = await createPgSchema('saturation');
    const db = await createDatabase({ url: schema.url, pool: { max: 1, connectionTimeoutMs: 100 }, breaker: { consecutiveFailures: 2 } });
    try {
      let release!: () => void;
      const held = transaction(db, async (trx) => {
        await sql`select 1`.execute(trx);
        await new Promise<void>((r) => (release = r));
      });
      while (release === undefined) await new Promise((r) => setImmediate(r));
      const waits = await Promise.allSettled([1, 2, 3].map(() => sql`select 1`.execute(db.kysely)));
      expect(waits.every((w) => w.status === 'rejected' && /timeout exceeded/.test(String(w.reason)))).toBe(true);
      expect(db.breakerState()).toBe('closed');
      release();
      await held;
      await db.ping();
    } finally {
      await db.close();
      await schema.drop();
    }
  });
});
