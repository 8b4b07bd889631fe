import { createDatabase, migrate, transaction, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { sql } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { eventStoreMigrations } from '../src/index.js';
import { createPostgresEventStore } from '../src/postgres/index.js';
import { describeEventStoreConformance } from '../src/testing/index.js';

let schema: PgSchema;
let db: Database;

beforeAll(async () => {
  await requirePostgres();
  schema = await createPgSchema('es_conf');
  db = await createDatabase(schema.url);
  await migrate(db, [eventStoreMigrations]);
});

afterAll(async () => {
  await db?.close();
  await schema?.drop();
});

describeEventStoreConformance(
  'postgres',
  async (options) => {
    await sql`truncate es_events, es_streams, es_snapshots, es_checkpoints, es_dead_letters, es_compacted_positions restart identity`.execute(
      db.kysely,
    );
    return {
      store: createPostgresEventStore({ db, ...options }),
      transaction: (fn) => transaction(db, () => fn()),
      close: () => Promise.resolve(),
    };
  },
  { transactions: true },
);
