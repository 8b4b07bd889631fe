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
