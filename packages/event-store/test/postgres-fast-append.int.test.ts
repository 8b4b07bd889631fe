import { createDatabase, migrate, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, EventIdConflictError, eventStoreMigrations, type EventStore } from '../src/index.js';
import { createPostgresEventStore } from '../src/postgres/index.js';

// The single-statement append (expected version > 0 or 'stream_exists', outside a unit of work): what it
// writes, and the cases it hands to the usual path (claim not held, id already stored) writing nothing.
describe('postgres single-statement append', () => {
  let schema: PgSchema;
  let db: Database;
  let store: EventStore;

  beforeAll(async () => {
    await requirePostgres();
    schema = await createPgSchema('es_fast');
    // One connection: the prepared-statement check below asks the connection the appends used.
    db = await createDatabase({ url: schema.url, pool: { max: 1 } });
    await migrate(db, [eventStoreMigrations]);
    store = createPostgresEventStore({ db });
  });
  afterAll(async () => {
    await db?.close();
    await schema?.drop();
  });

  const rowCount = async (stream: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from es_events where stream_id = ${stream}`.execute(db.kysely)).rows[0]!.n);

  it('writes every event with consecutive versions in one prepared statement', async () => {
    await store.append('s-1', [{ type: 'a', data: { n: 1 } }, { type: 'a', data: { n: 2 } }], { expectedVersion: 'no_stream' });
    const tricky = { text: `quote " backslash \\ brace } comma , unicode é ✓`, list: [1, null, { deep: true }] };
    const r = await store.append(
      's-1',
      [
        { type: 'b', data: tricky, metadata: { correlationId: 'c-1' } },
        { type: 'c', data: { n: 4 } },
        { type: 'd', data: {} },
      ],
      { expectedVersion: 2 },
    );
    expect(r.duplicate).toBe(false);
    expect(r.nextExpectedVersion).toBe(5);
    expect(r.events.map((e) => e.version)).toEqual([3, 4, 5]);
    const read = await store.readStream('s-1');
    expect(read.map((e) => [e.version, e.type])).toEqual([[1, 'a'], [2, 'a'], [3, 'b'], [4, 'c'], [5, 'd']]);
    expect(read[2]!.data).toEqual(tricky);
    expect(read[2]!.metadata).toMatchObject({ correlationId: 'c-1' });
    expect(read.slice(2).map((e) => e.position)).toEqual(r.events.map((e) => e.position));
    expect(r.lastPosition).toBe(read[4]!.position);
    expect(new Set(read.map((e) => e.position)).size).toBe(5);

    const statements = (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db.kysely)).rows;
    expect(statements.some((s) => s.statement.includes('with claim as'))).toBe(true);
  });

  it("appends with 'stream_exists', and refuses it for a stream that does not exist", async () => {
    await store.append('s-2', [{ type: 'a', data: {} }]);
    const r = await store.append('s-2', [{ type: 'b', data: {} }], { expectedVersion: 'stream_exists' });
    expect(r.nextExpectedVersion).toBe(2);
    await expect(store.append('s-missing', [{ type: 'b', data: {} }], { expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await rowCount('s-missing')).toBe(0);
  });

  it('a stale expected version writes nothing and reports the actual version', async () => {
    await store.append('s-3', [{ type: 'a', data: {} }, { type: 'a', data: {} }]);
    const e = await store.append('s-3', [{ type: 'b', data: {} }], { expectedVersion: 1 }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConcurrencyError);
    expect((e as ConcurrencyError).actualVersion).toBe(2);
    expect(await rowCount('s-3')).toBe(2);
    expect(await store.streamVersion('s-3')).toBe(2);
  });

  it('a retry with the same event ids is recognised as a duplicate, writing nothing', async () => {
    await store.append('s-4', [{ type: 'a', data: {} }]);
    const events = [{ id: 'cmd-1:0', type: 'b', data: { x: 1 } }, { id: 'cmd-1:1', type: 'c', data: { x: 2 } }];
    const first = await store.append('s-4', events, { expectedVersion: 1 });
    const again = await store.append('s-4', events, { expectedVersion: 1 });
    expect(again.duplicate).toBe(true);
    expect(again.events.map((e) => e.position)).toEqual(first.events.map((e) => e.position));
    expect(again.nextExpectedVersion).toBe(3);
    expect(await rowCount('s-4')).toBe(3);
  });

  it('an event id already in the stream fails the whole append and leaves the stream as it was', async () => {
    await store.append('s-5', [{ id: 'used', type: 'a', data: {} }]);
    const e = await store
      .append('s-5', [{ id: 'fresh', type: 'b', data: {} }, { id: 'used', type: 'b', data: {} }], { expectedVersion: 1 })
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(EventIdConflictError);
    expect(await rowCount('s-5')).toBe(1);
    expect(await store.streamVersion('s-5')).toBe(1);
    // The stream still takes the next append at the same version.
    expect((await store.append('s-5', [{ id: 'fresh', type: 'b', data: {} }], { expectedVersion: 1 })).nextExpectedVersion).toBe(2);
  });
});
