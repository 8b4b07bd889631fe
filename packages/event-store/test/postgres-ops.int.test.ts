import { createDatabase, migrate, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, eventStoreMigrations, type RecordedEvent } from '../src/index.js';
import { until } from './support/child.js';

let schema: PgSchema;
let db: Database;

beforeAll(async () => {
  await requirePostgres();
  schema = await createPgSchema('es_ops');
  db = await createDatabase(schema.url);
  await migrate(db, [eventStoreMigrations]);
});

afterAll(async () => {
  await db?.close();
  await schema?.drop();
});

describe('PostgreSQL operations', () => {
  it('wakes a subscription through LISTEN/NOTIFY when another connection appends (no polling needed)', async () => {
    const other = await createDatabase(schema.url);
    const store = createEventStore({ db });
    try {
      let resolve!: (e: RecordedEvent) => void;
      const delivered = new Promise<RecordedEvent>((r) => (resolve = r));
      // Polling once an hour: only the notification can deliver this in the test's time.
      const sub = store.subscribe({
        name: 'notified',
        from: 'end',
        pollInterval: { min: 3_600_000, max: 3_600_000 },
        handler: (e) => resolve(e),
      });
      await sub.waitFor();
      await until(async () => {
        const r = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_stat_activity where query ilike 'listen %'`.execute(
          other.kysely,
        );
        return r.rows[0]!.n > 0;
      }, 'the LISTEN connection');
      const appended = await createEventStore({ db: other }).append('notify-me', [
        { type: 'ping', data: {} },
      ]);
      expect((await delivered).id).toBe(appended.events[0]!.id);
    } finally {
      await store.close();
      await other.close();
    }
  });
});

describe('PostgreSQL outage under a running subscription', () => {
  it('a cut connection stops delivery, health shows the error, and after the network returns it resumes from the checkpoint: nothing skipped, in order', async () => {
    const { startFaultProxy } = await import('@game/test-services');
    const direct = new URL(schema.url);
    const proxy = await startFaultProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(schema.url);
    viaProxy.port = String(proxy.port);
    const subDb = await createDatabase({
      url: viaProxy.toString(),
      pool: { max: 3, connectionTimeoutMs: 500 },
      breaker: { consecutiveFailures: 1000 },
    });
    const writer = createEventStore({ db });
    const store = createEventStore({ db: subDb });
    const seen: string[] = [];
    try {
      const sub = store.subscribe({
        name: 'outage',
        from: 'end',
        pollInterval: { min: 20, max: 100 },
        backoff: () => 20,
        handler: (e) => {
          if (e.streamId === 'outage') seen.push(String((e.data as { n: number }).n));
        },
      });
      await sub.waitFor();
      for (let n = 0; n < 5; n++) await writer.append('outage', [{ type: 'tick', data: { n } }]);
      await until(async () => seen.length === 5, 'the first five events');

      await proxy.cut();
      for (let n = 5; n < 10; n++) await writer.append('outage', [{ type: 'tick', data: { n } }]);
      await until(async () => (await sub.health()).lastError !== null, 'the subscription to notice the outage');
      expect(seen).toHaveLength(5);

      await proxy.restore();
      await until(async () => seen.includes('9'), 'delivery to resume');
      // At-least-once: the events after the last checkpoint that reached the database (the cut may take the
      // checkpoint of a whole batch with it) are delivered again -- a contiguous run from there on, in order,
      // nothing skipped.
      expect(seen.slice(0, 5)).toEqual(['0', '1', '2', '3', '4']);
      const after = seen.slice(5).map(Number);
      const from = after[0]!;
      expect(from).toBeLessThanOrEqual(5);
      expect(after).toEqual(Array.from({ length: 10 - from }, (_, i) => from + i));
      await sub.stop();
    } finally {
      await store.close();
      await subDb.close();
      await proxy.close();
    }
  });
});
