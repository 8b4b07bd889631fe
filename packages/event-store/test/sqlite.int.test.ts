import { createDatabase, migrate, transaction } from '@game/persistence';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../src/sqlite/index.js';
import { createEventStore, eventStoreMigrations } from '../src/index.js';
import { describeEventStoreConformance } from '../src/testing/index.js';

describeEventStoreConformance(
  'sqlite',
  async (options) => {
    const db = await createDatabase('sqlite::memory:');
    await migrate(db, [eventStoreMigrations]);
    return {
      store: createSqliteEventStore({ db, ...options }),
      transaction: (fn) => transaction(db, () => fn()),
      close: () => db.close(),
    };
  },
  { transactions: true },
);

describe('sqlite specifics', () => {
  it('a checkpoint row deleted by hand is created again where the subscription stands (before: it spun, freezing the process)', async () => {
    const db = await createDatabase('sqlite::memory:');
    try {
      await migrate(db, [eventStoreMigrations]);
      const store = createEventStore({ db });
      await store.append('s', [{ type: 't', data: 1 }]);
      const seen: unknown[] = [];
      const sub = store.subscribe({ name: 'reset-by-hand', pollInterval: { min: 5, max: 20 }, handler: (e) => void seen.push(e.data) });
      await sub.waitFor();
      await sql`delete from es_checkpoints`.execute(db.kysely);
      const r = await store.append('s', [{ type: 't', data: 2 }]);
      await sub.waitFor(r.lastPosition);
      expect(seen).toEqual([1, 2]);
      const row = await sql<{ position: number }>`select position from es_checkpoints where name = 'reset-by-hand'`.execute(db.kysely);
      expect(row.rows.map((x) => Number(x.position))).toEqual([r.lastPosition]);
      await sub.stop();
    } finally {
      await db.close();
    }
  });

  it('keeps upcast rows untouched in the table', async () => {
    const db = await createDatabase('sqlite::memory:');
    try {
      await migrate(db, [eventStoreMigrations]);
      const store = createEventStore({
        db,
        upcasters: [{ type: 't', fromVersion: 1, upcast: () => ({ v: 2 }) }],
      });
      await store.append('s', [{ type: 't', data: { v: 1 }, schemaVersion: 1 }]);
      expect((await store.readStream('s'))[0]!.data).toEqual({ v: 2 });
      const raw = await sql<{
        data: string;
        schema_version: number;
      }>`select data, schema_version from es_events`.execute(db.kysely);
      expect(raw.rows).toEqual([{ data: '{"v":1}', schema_version: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('an append from a flow that a finished unit of work started is its own write, not part of the unit running then', async () => {
    const db = await createDatabase('sqlite::memory:');
    try {
      await migrate(db, [eventStoreMigrations]);
      const store = createEventStore({ db });
      let openGate!: () => void;
      const gate = new Promise<void>((resolve) => (openGate = resolve));
      let late!: Promise<unknown>;
      await transaction(db, async () => {
        await store.append('a', [{ type: 'x', data: {} }]);
        late = gate.then(() => store.append('late', [{ type: 'acknowledged', data: {} }]));
      });
      const other = transaction(db, async () => {
        await store.append('b', [{ type: 'y', data: {} }]);
        openGate();
        // Give the late append every chance to run while this unit holds the connection.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        throw new Error('roll back');
      });
      await expect(other).rejects.toThrow('roll back');
      expect(await late).toMatchObject({ nextExpectedVersion: 1, duplicate: false });
      // Acknowledged, so it must still be there after the other unit rolled back.
      expect(await store.streamVersion('late')).toBe(1);
      expect(await store.streamVersion('b')).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('reports a corrupt payload as UnreadableEventError with its stream, version and position', async () => {
    const db = await createDatabase('sqlite::memory:');
    try {
      await migrate(db, [eventStoreMigrations]);
      const store = createEventStore({ db });
      await store.append('s', [
        { type: 't', data: 1 },
        { type: 't', data: 2 },
      ]);
      await sql`update es_events set data = '{broken' where version = 2`.execute(db.kysely);
      await expect(store.readStream('s')).rejects.toMatchObject({
        code: 'UNREADABLE_EVENT',
        streamId: 's',
        version: 2,
        position: 2,
      });
    } finally {
      await db.close();
    }
  });

  it('refuses a database of another dialect', async () => {
    const db = await createDatabase('sqlite::memory:');
    try {
      const { createPostgresEventStore } = await import('../src/postgres/index.js');
      expect(() => createPostgresEventStore({ db })).toThrow(/PostgreSQL/);
    } finally {
      await db.close();
    }
  });
});
