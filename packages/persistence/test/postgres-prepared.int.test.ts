import { createPgSchema, type PgSchema } from '@game/test-services';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from 'kysely';
import { createDatabase, prepareQuery, transaction, type Database } from '../src/index.js';

interface Tables {
  counters: { id: string; n: number };
}

describe('postgres: prepared queries are server-side prepared statements', () => {
  let schema: PgSchema;
  let db: Database<Tables>;

  beforeAll(async () => {
    schema = await createPgSchema('prepared');
    db = await createDatabase<Tables>({ url: schema.url, pool: { max: 1 } });
    await sql`create table counters (id text primary key, n integer not null)`.execute(db.kysely);
  });
  afterAll(async () => {
    await db?.close();
    await schema?.drop();
  });

  // Run inside a unit of work: the unit's connection is the one asked.
  const preparedOn = async (trx: Transaction<Tables>) =>
    (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(trx)).rows;

  it('is parsed once per connection and then only executed', async () => {
    const add = prepareQuery(db, (q, p: { id: string; n: number }) =>
      q.insertInto('counters').values({ id: p.id, n: p.n }).onConflict((oc) => oc.column('id').doUpdateSet({ n: sql`counters.n + excluded.n` })).returning('n'),
    );
    const seen = await transaction(db, async (trx) => {
      expect(await preparedOn(trx)).toEqual([]);
      for (let i = 1; i <= 3; i++) expect(await add.executeTakeFirst({ id: 'a', n: i })).toEqual({ n: (i * (i + 1)) / 2 });
      return preparedOn(trx);
    });
    // One statement on the connection (named, with the query's text), however many calls.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.name).toMatch(/^game_ps_\d+$/);
    expect(seen[0]!.statement).toBe(add.sql);
  });

  it('leaves queries that were not prepared unnamed', async () => {
    const statements = await transaction(db, async (trx) => {
      await trx.selectFrom('counters').select('n').where('id', '=', 'b').execute();
      return (await preparedOn(trx)).map((r) => r.statement);
    });
    expect(statements.length).toBeLessThanOrEqual(1);
    expect(statements.some((s) => s.startsWith('select "n"'))).toBe(false);
  });

  it('a prepared query that fails inside a unit of work rolls it back and the statement stays usable', async () => {
    const setN = prepareQuery(db, (q, p: { id: string; n: number }) => q.insertInto('counters').values({ id: p.id, n: p.n }));
    await setN.run({ id: 'c', n: 1 });
    await expect(
      transaction(db, async () => {
        await setN.run({ id: 'd', n: 1 });
        await setN.run({ id: 'c', n: 2 }); // duplicate key
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const rows = await db.kysely.selectFrom('counters').select(['id', 'n']).where('id', 'in', ['c', 'd']).execute();
    expect(rows).toEqual([{ id: 'c', n: 1 }]);
    await setN.run({ id: 'd', n: 4 });
    expect(await db.kysely.selectFrom('counters').select('n').where('id', '=', 'd').executeTakeFirst()).toEqual({ n: 4 });
  });

  it('a statement whose first parse failed (aborted transaction) is parsed again on its next use', async () => {
    const count = prepareQuery(db, (q, p: { id: string }) => q.selectFrom('counters').select('n').where('id', '=', p.id));
    await expect(
      transaction(db, async (trx) => {
        await sql`select 1 / 0`.execute(trx).catch(() => undefined); // the transaction is now aborted
        await count.execute({ id: 'a' }); // its first Parse on this (only) connection fails
      }),
    ).rejects.toMatchObject({ code: '25P02' });
    expect(await count.executeTakeFirst({ id: 'a' })).toEqual({ n: 6 });
  });
});

