import { createDatabase, migrate, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  createEventStore,
  eventStoreMigrations,
  handleCommand,
  loadState,
  type Decider,
  type EventStore,
} from '../src/index.js';

const counter: Decider<{ total: number; seen: number[] }, { n: number }, { type: 'added'; n: number }> = {
  initialState: { total: 0, seen: [] },
  decide: (_s, c) => [{ type: 'added', n: c.n }],
  evolve: (s, e) => ({ total: s.total + e.n, seen: [...s.seen, e.n] }),
};

const backends: Array<{ name: string; open(): Promise<{ db: Database; cleanup(): Promise<void> }> }> = [
  {
    name: 'sqlite',
    async open() {
      const db = await createDatabase('sqlite::memory:');
      return { db, cleanup: () => db.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      await requirePostgres();
      const schema: PgSchema = await createPgSchema('es_contention');
      const db = await createDatabase({ url: schema.url, pool: { max: 20 } });
      return {
        db,
        async cleanup() {
          await db.close();
          await schema.drop();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`50 concurrent writers on one stream (${backend.name})`, () => {
    let env: Awaited<ReturnType<(typeof backends)[number]['open']>>;
    let store: EventStore;
    beforeAll(async () => {
      env = await backend.open();
      await migrate(env.db, [eventStoreMigrations]);
      store = createEventStore({ db: env.db });
    });
    afterAll(async () => {
      await store?.close();
      await env?.cleanup();
    });

    it('50 writers appending at the same expected version: exactly one wins, the 49 losers get ConcurrencyError', async () => {
      await store.append('contended', [{ type: 'created', data: {} }], { expectedVersion: 'no_stream' });
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, w) =>
          store.append(
            'contended',
            [
              { type: 'w', data: { w } },
              { type: 'w2', data: { w } },
            ],
            { expectedVersion: 1 },
          ),
        ),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(49);
      for (const l of losers) {
        expect(l.reason).toBeInstanceOf(ConcurrencyError);
        expect(l.reason).toMatchObject({ streamId: 'contended', expectedVersion: 1, actualVersion: 3 });
      }
      const events = await store.readStream('contended');
      expect(events.map((e) => e.version)).toEqual([1, 2, 3]);
      expect(events[2]!.data).toEqual(events[1]!.data);
    });

    it('50 concurrent commands through the decider runner converge: every version written exactly once, no gaps', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          handleCommand({
            store,
            streamId: 'counter',
            decider: counter,
            command: { n: i + 1 },
            maxAttempts: 200,
            snapshotEvery: 10,
          }),
        ),
      );
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const { state, version } = await loadState({
        store,
        streamId: 'counter',
        decider: counter,
        useSnapshots: false,
      });
      expect(version).toBe(50);
      expect((await store.readStream('counter')).map((e) => e.version)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      expect(state.total).toBe((50 * 51) / 2);
      expect([...state.seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const fromSnapshot = await loadState({ store, streamId: 'counter', decider: counter });
      expect(fromSnapshot.fromSnapshot).toBe(true);
      expect(fromSnapshot.state).toEqual(state);
      if (backend.name === 'postgres') expect(results.some((r) => r.attempts > 1)).toBe(true);
    });
  });
}
