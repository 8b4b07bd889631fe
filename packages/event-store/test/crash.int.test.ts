import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, migrate, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStore, eventStoreMigrations } from '../src/index.js';
import { startChild, until } from './support/child.js';

interface Target {
  name: string;
  setup(): Promise<{ url: string; db: Database; cleanup(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'sqlite',
    async setup() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'es-crash-'));
      const url = `sqlite:${path.join(dir, 'events.db')}`;
      const db = await createDatabase(url);
      return {
        url,
        db,
        async cleanup() {
          await db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async setup() {
      await requirePostgres();
      const schema: PgSchema = await createPgSchema('es_crash');
      const db = await createDatabase(schema.url);
      return {
        url: schema.url,
        db,
        async cleanup() {
          await db.close();
          await schema.drop();
        },
      };
    },
  },
];

for (const target of targets) {
  describe(`crash safety on ${target.name} (real child processes, SIGKILL)`, () => {
    // A fresh database per test, so one test's events never reach the other's subscription.
    let env: Awaited<ReturnType<Target['setup']>>;
    beforeEach(async () => {
      env = await target.setup();
      await migrate(env.db, [eventStoreMigrations]);
      await sql`create table proj (id ${sql.raw(target.name === 'postgres' ? 'bigserial primary key' : 'integer primary key autoincrement')}, event_id text not null, position bigint not null, pid integer not null)`.execute(
        env.db.kysely,
      );
    });
    afterEach(async () => {
      await env?.cleanup();
    });

    it('a writer killed in the middle of a batch append leaves each batch whole or absent', async () => {
      const size = 500;
      let interrupted = 0;
      for (let round = 0; round < 2; round++) {
        const child = startChild('batch-writer.ts', {
          DB_URL: env.url,
          BATCH_SIZE: String(size),
          ROUND: String(round),
        });
        const line = await child.waitForLine(/^appending [1-9]$/);
        await child.kill();
        const inFlight = Number(line.split(' ')[1]);
        const rows = await sql<{ data: unknown }>`select data from es_events`.execute(env.db.kysely);
        const counts = new Map<string, number>();
        for (const r of rows.rows) {
          const d = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as {
            round: number;
            b: number;
          };
          const key = `${d.round}/${d.b}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        for (const [key, n] of counts) expect(n, `batch ${key}`).toBe(size);
        if (!counts.has(`${round}/${inFlight}`)) interrupted++;
        for (let b = 0; b < inFlight; b++)
          expect(counts.get(`${round}/${b}`), `acknowledged batch ${round}/${b}`).toBe(size);
      }
      // The kill really landed inside an append at least once (the batch being written is absent).
      expect(interrupted).toBeGreaterThan(0);
      const store = createEventStore({ db: env.db });
      for (const s of await store.listStreams({ prefix: 'batch-' })) {
        const versions = (await store.readStream(s.streamId)).map((e) => e.version);
        expect(versions).toEqual(Array.from({ length: s.version }, (_, i) => i + 1));
      }
    });

    it('a subscription killed and restarted resumes from its checkpoint: nothing skipped, nothing repeated', async () => {
      const store = createEventStore({ db: env.db });
      const total = 400;
      for (let i = 0; i < total; i += 100) {
        await store.append(
          `sub-${i % 7}`,
          Array.from({ length: 100 }, (_, j) => ({ type: 'e', data: { n: i + j } })),
        );
      }
      const count = async () =>
        Number((await sql<{ n: number }>`select count(*) as n from proj`.execute(env.db.kysely)).rows[0]!.n);
      const first = startChild('subscriber.ts', { DB_URL: env.url });
      await first.waitForLine(/^handled ([5-9]\d|\d\d\d)$/);
      await first.kill();
      const afterKill = await count();
      expect(afterKill).toBeGreaterThan(0);
      expect(afterKill).toBeLessThan(total);
      const second = startChild('subscriber.ts', { DB_URL: env.url });
      await second.waitForLine(/^started$/);
      await store.append(
        'sub-live',
        Array.from({ length: 50 }, (_, j) => ({ type: 'e', data: { n: total + j } })),
      );
      await until(async () => (await count()) >= total + 50, 'the projection to catch up');
      await second.kill();
      const proj = await sql<{
        event_id: string;
        position: number | string;
      }>`select event_id, position from proj order by id`.execute(env.db.kysely);
      const all = [];
      for (let after = 0; ;) {
        const page = await store.readAll({ after, limit: 500 });
        if (page.length === 0) break;
        all.push(...page);
        after = page[page.length - 1]!.position;
      }
      expect(proj.rows.map((r) => r.event_id)).toEqual(all.map((e) => e.id));
      expect(new Set(proj.rows.map((r) => r.event_id)).size).toBe(total + 50);
    });
  });
}
