/**
 * The shared conformance suites: every backend runs the same tests. Use them from a vitest file:
 *
 * @example
 * describePersistenceConformance('sqlite memory', () => ({ open: () => createDatabase('sqlite::memory:') }));
 */
import type { Redis } from 'ioredis';
import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../cache.js';
import type { Database } from '../database.js';
import { InvalidPreparedQueryError, MigrationError, OptimisticLockError, QueryOutsideUnitError, UnitOfWorkFailedError } from '../errors.js';
import { appliedMigrations, migrate, type MigrationSet } from '../migrate.js';
import { compareAndSet } from '../optimistic.js';
import { prepareQuery } from '../prepared.js';
import { currentExecutor, inTransaction, transaction, withRetry } from '../transaction.js';

/** What a backend gives the persistence suite. */
export interface PersistenceHarness {
  /** Opens a database on an empty schema. Called more than once: later calls must see the same data. */
  open(): Promise<Database>;
  /** Removes what the suite created (drop a schema, delete a file). */
  cleanup?(): Promise<void>;
  /** False when a second open() cannot see the first one's data (`sqlite::memory:`): the race then runs on one handle. */
  sharedAcrossOpens?: boolean;
}

interface Row {
  id: string;
  name: string;
  version: number;
}

const itemsSet = (extra: MigrationSet['migrations'] = []): MigrationSet => ({
  name: 'conformance',
  migrations: [
    {
      name: '001_items',
      up: async (db) => {
        await db.schema
          .createTable('items')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
          .execute();
      },
    },
    ...extra,
  ],
});

/** Runs the persistence conformance suite against one backend. */
export function describePersistenceConformance(name: string, harnessFactory: () => PersistenceHarness): void {
  describe(`persistence conformance: ${name}`, () => {
    let harness: PersistenceHarness;
    let db: Database;

    beforeAll(async () => {
      harness = harnessFactory();
      db = await harness.open();
      await migrate(db, [itemsSet()]);
    });
    afterAll(async () => {
      await db?.close();
      await harness?.cleanup?.();
    });

    const items = () => db.kysely.selectFrom('items').selectAll().orderBy('id').execute() as Promise<Row[]>;

    it('answers ping and states its capabilities as data', async () => {
      await db.ping();
      expect(['sqlite', 'postgres']).toContain(db.capabilities.dialect);
      for (const key of ['remote', 'multipleWriters', 'advisoryLocks', 'listenNotify', 'transactionalDdl', 'returning'] as const) {
        expect(typeof db.capabilities[key]).toBe('boolean');
      }
      expect(db.breakerState()).toBe('closed');
      expect(db.target).not.toMatch(/:[^:@/]+@/);
    });

    it('applies migrations once and records them', async () => {
      const again = await migrate(db, [itemsSet()]);
      expect(again.applied).toEqual([]);
      const more = await migrate(db, [
        itemsSet([
          {
            name: '002_label',
            up: async (k) => {
              await k.schema.alterTable('items').addColumn('label', 'text').execute();
            },
          },
        ]),
      ]);
      expect(more.applied).toEqual([{ set: 'conformance', name: '002_label' }]);
      const applied = await appliedMigrations(db);
      expect(applied.filter((a) => a.set === 'conformance').map((a) => a.name)).toEqual(['001_items', '002_label']);
    });

    it('refuses a database that applied a migration the code does not know', async () => {
      await expect(migrate(db, [itemsSet()])).rejects.toBeInstanceOf(MigrationError);
      await expect(migrate(db, [itemsSet()])).rejects.toThrow(/002_label.*does not know/);
    });

    it('rolls back a failed migration entirely', async () => {
      const set: MigrationSet = {
        name: 'conformance-broken',
        migrations: [
          { name: '001_ok', up: async (k) => void (await k.schema.createTable('broken_a').addColumn('x', 'integer').execute()) },
          { name: '002_fails', up: async (k) => void (await sql`select * from no_such_table_here`.execute(k)) },
        ],
      };
      await expect(migrate(db, [set])).rejects.toThrow(/conformance-broken\/002_fails/);
      const applied = await appliedMigrations(db);
      expect(applied.some((a) => a.set === 'conformance-broken')).toBe(false);
      const tables = await db.kysely.introspection.getTables();
      expect(tables.some((t) => t.name === 'broken_a')).toBe(false);
    });

    it('rejects malformed migration sets before touching the database', async () => {
      const dup: MigrationSet = { name: 'x', migrations: [{ name: 'a', up: async () => {} }, { name: 'a', up: async () => {} }] };
      await expect(migrate(db, [dup])).rejects.toThrow(/names "a" twice/);
      await expect(migrate(db, [{ name: '', migrations: [] }])).rejects.toBeInstanceOf(MigrationError);
    });

    it('commits a transaction and rolls it back on error', async () => {
      await transaction(db, async (trx) => {
        await trx.insertInto('items').values({ id: 'c1', name: 'one' }).execute();
      });
      await expect(
        transaction(db, async (trx) => {
          await trx.insertInto('items').values({ id: 'c2', name: 'two' }).execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const rows = await items();
      expect(rows.map((r) => r.id)).toContain('c1');
      expect(rows.map((r) => r.id)).not.toContain('c2');
    });

    it('joins nested transactions into the outer one', async () => {
      await expect(
        transaction(db, async (outer) => {
          await outer.insertInto('items').values({ id: 'n1', name: 'outer' }).execute();
          await transaction(db, async (inner) => {
            expect(inner).toBe(outer);
            expect(currentExecutor(db)).toBe(outer);
            expect(inTransaction(db)).toBe(true);
            await currentExecutor(db).insertInto('items').values({ id: 'n2', name: 'inner' }).execute();
          });
          throw new Error('abort all');
        }),
      ).rejects.toThrow('abort all');
      const ids = (await items()).map((r) => r.id);
      expect(ids).not.toContain('n1');
      expect(ids).not.toContain('n2');
      expect(inTransaction(db)).toBe(false);
      expect(currentExecutor(db)).toBe(db.kysely);
    });

    it('refuses queries on a transaction after it has ended', async () => {
      let leaked: Transaction<any> | undefined;
      await transaction(db, async (trx) => {
        leaked = trx;
        await trx.insertInto('items').values({ id: 'e1', name: 'in' }).execute();
      });
      await expect(leaked!.insertInto('items').values({ id: 'e2', name: 'late' }).execute()).rejects.toThrow(/already committed|not active/);
      expect((await items()).map((r) => r.id)).not.toContain('e2');
    });

    it('refuses a query from a finished unit even while another unit runs', async () => {
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      let late!: Promise<unknown>;
      await transaction(db, async (trx) => {
        late = gate.then(() => trx.insertInto('items').values({ id: 'e3', name: 'late' }).execute());
      });
      await transaction(db, async (trx) => {
        openGate();
        await expect(late).rejects.toThrow(/already committed|not active/);
        await trx.insertInto('items').values({ id: 'e4', name: 'current' }).execute();
      });
      const ids = (await items()).map((r) => r.id);
      expect(ids).toContain('e4');
      expect(ids).not.toContain('e3');
    });

    it('a flow that outlives its unit (a timer set inside it) is outside any unit, even while another one runs', async () => {
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      let seen!: (v: { inside: boolean; executorIsDb: boolean }) => void;
      const checked = new Promise<{ inside: boolean; executorIsDb: boolean }>((resolve) => (seen = resolve));
      let late!: Promise<void>;
      await transaction(db, async () => {
        late = gate.then(async () => {
          seen({ inside: inTransaction(db), executorIsDb: currentExecutor(db) === db.kysely });
          // Its own unit of work: not joined to the one that runs meanwhile (and rolls back).
          await transaction(db, (trx) => trx.insertInto('items').values({ id: 'o1', name: 'own unit' }).execute());
        });
      });
      const other = transaction(db, async (trx) => {
        await trx.insertInto('items').values({ id: 'o2', name: 'rolled back' }).execute();
        openGate();
        await checked;
        throw new Error('the other unit fails');
      });
      await expect(other).rejects.toThrow('the other unit fails');
      await late;
      expect(await checked).toEqual({ inside: false, executorIsDb: true });
      const ids = (await items()).map((r) => r.id);
      expect(ids).toContain('o1');
      expect(ids).not.toContain('o2');
    });

    it('a failed unit\'s stragglers cannot write through currentExecutor (a Promise.all branch still running when another threw); explicitly independent work runs', async () => {
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      const attempts: Record<string, unknown> = {};
      const straggle = (label: string, write: () => Promise<unknown>) =>
        gate.then(write).then(
          () => (attempts[label] = 'written'),
          (err: unknown) => (attempts[label] = err),
        );
      let stragglers!: Promise<unknown>;
      const failing = transaction(db, async (trx) => {
        await trx.insertInto('items').values({ id: 's1', name: 'in the unit' }).execute();
        stragglers = Promise.all([
          straggle('executor', () => currentExecutor(db).insertInto('items').values({ id: 's2', name: 'late' }).execute()),
          straggle('kysely', () => db.kysely.insertInto('items').values({ id: 's3', name: 'late' }).execute()),
          straggle('transaction', () => transaction(db, (t) => t.insertInto('items').values({ id: 's4', name: 'late' }).execute())),
        ]);
        throw new Error('the other branch failed');
      });
      await expect(failing).rejects.toThrow('the other branch failed');
      openGate();
      await stragglers;
      expect(attempts['executor']).toBeInstanceOf(UnitOfWorkFailedError);
      // db.kysely and a new transaction() say they are outside the unit: a retry set up in a catch block, say.
      expect(attempts['kysely']).toBe('written');
      expect(attempts['transaction']).toBe('written');
      const ids = (await items()).map((r) => r.id);
      for (const id of ['s1', 's2']) expect(ids).not.toContain(id);
      for (const id of ['s3', 's4']) expect(ids).toContain(id);
      // Work outside it is unaffected.
      await transaction(db, (trx) => trx.insertInto('items').values({ id: 's5', name: 'fresh unit' }).execute());
      expect((await items()).map((r) => r.id)).toContain('s5');
    });

    it('db.kysely inside a unit of work: on SQLite a clear error (the unit holds the one connection), never a hang', async () => {
      const outcome = await transaction(db, async () => db.kysely.selectFrom('items').select('id').execute().then(
        () => 'ran',
        (err: unknown) => err,
      ));
      if (db.capabilities.multipleWriters) expect(outcome).toBe('ran');
      else expect(outcome).toBeInstanceOf(QueryOutsideUnitError);
      await db.ping(); // and the database is not wedged
    });

    it('keeps concurrent units of work apart (one rolls back, the other commits)', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const failing = transaction(db, async (trx) => {
        await trx.insertInto('items').values({ id: 'k1', name: 'failing' }).execute();
        await gate;
        throw new Error('first unit fails');
      });
      const committing = transaction(db, async (trx) => {
        await trx.insertInto('items').values({ id: 'k2', name: 'committing' }).execute();
      });
      release();
      await expect(failing).rejects.toThrow('first unit fails');
      await committing;
      const ids = (await items()).map((r) => r.id);
      expect(ids).not.toContain('k1');
      expect(ids).toContain('k2');
    });

    it('prepared queries bind new values on every call and join the current unit of work', async () => {
      const insert = prepareQuery(db, (q, p: { id: string; name: string }) => q.insertInto('items').values({ id: p.id, name: p.name }));
      const byId = prepareQuery(db, (q, p: { id: string }) => q.selectFrom('items').select(['id', 'name']).where('id', '=', p.id));
      expect(insert.params).toEqual(['id', 'name']);
      expect(byId.sql).toBe(db.kysely.selectFrom('items').select(['id', 'name']).where('id', '=', 'x').compile().sql);
      await insert.run({ id: 'p1', name: 'first' });
      await insert.run({ id: 'p2', name: 'second' });
      expect(await byId.executeTakeFirst({ id: 'p2' })).toEqual({ id: 'p2', name: 'second' });
      expect(await byId.execute({ id: 'nope' })).toEqual([]);
      await expect(
        transaction(db, async () => {
          await insert.run({ id: 'p3', name: 'rolled back' });
          expect(await byId.executeTakeFirst({ id: 'p3' })).toEqual({ id: 'p3', name: 'rolled back' });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect(await byId.executeTakeFirst({ id: 'p3' })).toBeUndefined();
      await expect(insert.run({ id: 'p4' } as { id: string; name: string })).rejects.toThrow(InvalidPreparedQueryError);
      expect(await byId.executeTakeFirst({ id: 'p4' })).toBeUndefined();
    });

    it('prepared queries refuse parameters that cannot be re-bound', () => {
      expect(() => prepareQuery(db, (q, p: { n: number }) => q.selectFrom('items').selectAll().limit(p.n + 1))).toThrow(InvalidPreparedQueryError);
      expect(() => prepareQuery(db, (q, p: { name: string }) => q.selectFrom('items').selectAll().where('name', 'like', `${p.name}%`))).toThrow(/transformed/);
      expect(() => prepareQuery(db, (q, p: { col: 'id' }) => q.selectFrom('items').select(p.col))).toThrow(InvalidPreparedQueryError);
    });

    it('compare-and-set bumps the version and reports conflicts with the version found', async () => {
      await db.kysely.insertInto('items').values({ id: 'v1', name: 'a', version: 1 }).execute();
      const v = await compareAndSet(db.kysely, { table: 'items', key: { id: 'v1' }, expectedVersion: 1, set: { name: 'b' } });
      expect(v).toBe(2);
      const err = await compareAndSet(db.kysely, { table: 'items', key: { id: 'v1' }, expectedVersion: 1, set: { name: 'c' } }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OptimisticLockError);
      expect(err).toMatchObject({ code: 'OPTIMISTIC_LOCK_CONFLICT', table: 'items', expectedVersion: 1, actualVersion: 2 });
      const missing = await compareAndSet(db.kysely, { table: 'items', key: { id: 'nope' }, expectedVersion: 1, set: { name: 'x' } }).catch(
        (e: unknown) => e,
      );
      expect(missing).toMatchObject({ actualVersion: null });
      const row = (await items()).find((r) => r.id === 'v1');
      expect(row).toMatchObject({ name: 'b', version: 2 });
    });

    it('two connections racing on one version: exactly one wins, the other gets the typed conflict', async () => {
      await db.kysely.insertInto('items').values({ id: 'race', name: 'start', version: 1 }).execute();
      const shared = harness.sharedAcrossOpens !== false;
      const other = shared ? await harness.open() : db;
      try {
        // A single-writer backend serialises units of work; two handles in one process would block each other
        // inside the driver (SQLite's busy wait is synchronous), so its race runs on one handle.
        const racer = db.capabilities.multipleWriters ? other : db;
        const results = await Promise.allSettled(
          [db, racer].map((d, i) =>
            transaction(d, async (trx) => {
              const row = (await trx.selectFrom('items').select('version').where('id', '=', 'race').executeTakeFirstOrThrow());
              return compareAndSet(trx, { table: 'items', key: { id: 'race' }, expectedVersion: Number(row.version), set: { name: `w${i}` } });
            }),
          ),
        );
        // Same read, then racing writes: if both read 1, one wins and one conflicts. If the backend serialised
        // the two units (SQLite), the second read 2 and also succeeds; run an explicit stale write for that case.
        const fulfilled = results.filter((r) => r.status === 'fulfilled');
        const rejected = results.filter((r) => r.status === 'rejected');
        if (rejected.length === 1) {
          expect(fulfilled).toHaveLength(1);
          expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(OptimisticLockError);
        } else {
          expect(fulfilled.map((f) => (f).value).sort()).toEqual([2, 3]);
        }
        const stale = await Promise.allSettled([
          compareAndSet(db.kysely, { table: 'items', key: { id: 'race' }, expectedVersion: 1, set: { name: 'x' } }),
          compareAndSet(other.kysely, { table: 'items', key: { id: 'race' }, expectedVersion: 1, set: { name: 'y' } }),
        ]);
        expect(stale.every((s) => s.status === 'rejected' && s.reason instanceof OptimisticLockError)).toBe(true);
      } finally {
        if (shared) await other.close();
      }
    });

    it('withRetry does not repeat a failure that is not a connection failure', async () => {
      let calls = 0;
      await expect(
        withRetry(db, async () => {
          calls++;
          await sql`select * from no_such_table_at_all`.execute(db.kysely);
        }),
      ).rejects.toThrow();
      expect(calls).toBe(1);
    });

    it('close is idempotent', async () => {
      const extra = await harness.open();
      await extra.close();
      await extra.close();
    });
  });
}

/** What a backend gives the cache suite: a Redis client, or none for memory only. */
export interface CacheHarness {
  redis?: Redis;
  /** A prefix unique to this run, so parallel suites never share keys. */
  prefix: string;
}

/** Runs the cache conformance suite (memory only, or memory + Redis). */
export function describeCacheConformance(name: string, harnessFactory: () => CacheHarness): void {
  describe(`cache conformance: ${name}`, () => {
    let h: CacheHarness;
    beforeAll(() => {
      h = harnessFactory();
    });
    const make = <V>(extra: Record<string, unknown> = {}) =>
      createCache<V>({ name: 'c', redisPrefix: h.prefix, ...(h.redis ? { redis: h.redis } : {}), ...extra });

    it('loads once on a miss, then hits', async () => {
      const cache = make<number>();
      let loads = 0;
      const loader = async () => ++loads * 10;
      expect(await cache.getOrLoad('k', loader)).toBe(10);
      expect(await cache.getOrLoad('k', loader)).toBe(10);
      expect(loads).toBe(1);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 });
    });

    it('single-flight: concurrent misses share one load', async () => {
      const cache = make<string>();
      let loads = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const loader = async () => {
        loads++;
        await gate;
        return 'v';
      };
      const all = Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad('sf', loader)));
      release();
      expect(await all).toEqual(Array(20).fill('v'));
      expect(loads).toBe(1);
    });

    it('a failed load is not cached and the next call loads again', async () => {
      const cache = make<string>();
      await expect(cache.getOrLoad('f', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
      expect(await cache.getOrLoad('f', async () => 'ok')).toBe('ok');
    });

    it('invalidate drops the entry everywhere', async () => {
      const cache = make<number>();
      await cache.set('i', 1);
      await cache.invalidate('i');
      expect(await cache.get('i')).toBeUndefined();
      if (h.redis) {
        const fresh = make<number>();
        expect(await fresh.get('i')).toBeUndefined();
      }
    });

    it('an invalidate while a load runs wins: the load answers its caller but caches nothing', async () => {
      const cache = make<string>();
      let release: (v: string) => void = () => undefined;
      let started: () => void = () => undefined;
      const began = new Promise<void>((r) => (started = r));
      const loading = cache.getOrLoad(
        'race',
        () =>
          new Promise<string>((r) => {
            release = r;
            started();
          }),
      );
      await began;
      await cache.invalidate('race'); // a write happened after the loader read
      release('old');
      expect(await loading).toBe('old');
      expect(await cache.get('race')).toBeUndefined();
      if (h.redis) expect(await make<string>().get('race')).toBeUndefined();
      expect(await cache.getOrLoad('race', async () => 'new')).toBe('new');
    });

    it('refuses a value JSON cannot carry without taking Redis out of use; a loader returning one is not cached', async () => {
      const cache = make<unknown>();
      await expect(cache.set('big', 10n)).rejects.toThrow(/cannot be stored as JSON/);
      await expect(cache.set('u', undefined)).rejects.toThrow(/undefined/);
      expect(await cache.getOrLoad('big', async () => 10n)).toBe(10n);
      expect(await cache.get('big')).toBeUndefined();
      expect(cache.degraded()).toBe(false);
      expect(() => make({ name: 'a:b' })).toThrow(/cache name/);
      expect(() => make({ name: 'rooms*' })).toThrow(/cache name/);
    });

    it('entries expire after their TTL (memory clock injected)', async () => {
      let now = 1_000;
      const cache = make<number>({ ttlMs: 1_000, memoryTtlMs: 1_000, jitter: 0, clock: { now: () => now } });
      await cache.set('t', 5);
      now += 999;
      expect(await cache.get('t')).toBe(5);
      now += 2;
      if (!h.redis) expect(await cache.get('t')).toBeUndefined();
    });

    it('evicts the least recently used entry beyond max and counts it', async () => {
      const cache = make<number>({ max: 2 });
      await cache.set('a', 1);
      await cache.set('b', 2);
      await cache.get('a');
      await cache.set('c', 3);
      expect(cache.stats().evictions).toBe(1);
    });

    it('cached() decorates a loader', async () => {
      const { cached } = await import('../cache.js');
      const cache = make<string>();
      let calls = 0;
      const find = cached(async (id: string) => `room-${id}-${++calls}`, { cache, key: (id) => `room:${id}` });
      expect(await find('1')).toBe('room-1-1');
      expect(await find('1')).toBe('room-1-1');
      expect(await find('2')).toBe('room-2-2');
    });

    it('shares entries between two caches through Redis when configured', async () => {
        const a = make<{ n: number }>();
        const b = make<{ n: number }>();
        await a.set('shared', { n: 42 });
        const seen = await b.get('shared');
        if (h.redis) expect(seen).toEqual({ n: 42 });
        else expect(seen).toBeUndefined();
      });
  });
}
