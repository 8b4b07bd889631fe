/**
 * `pnpm bench`: one-row insert transactions through @game/persistence vs the raw drivers doing the same
 * work, in the same run. Prints ops/s and the ratio (ours / raw; 1.0 = no overhead).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPgSchema, requirePostgres } from '@game/test-services';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { createDatabase, prepareQuery, transaction } from '../src/index.js';

interface Result {
  name: string;
  ours: number;
  raw: number;
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

async function timeIt(n: number, fn: (i: number) => Promise<void> | void): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return n / ((performance.now() - start) / 1000);
}

/** Alternates ours and raw a few rounds and keeps each side's best, to damp noise on a shared machine. */
async function compare(name: string, n: number, rounds: number, ours: (i: number) => Promise<void>, raw: (i: number) => Promise<void> | void): Promise<Result> {
  let bestOurs = 0;
  let bestRaw = 0;
  let offset = 0;
  for (let r = 0; r < rounds; r++) {
    const base = offset;
    bestRaw = Math.max(bestRaw, await timeIt(n, (i) => raw(base + i)));
    offset += n;
    const base2 = offset;
    bestOurs = Math.max(bestOurs, await timeIt(n, (i) => ours(base2 + i)));
    offset += n;
  }
  return { name, ours: bestOurs, raw: bestRaw };
}

async function sqliteBench(): Promise<Result[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'persistence-bench-'));
  try {
    const rawDb = new Sqlite(path.join(dir, 'raw.db'));
    rawDb.pragma('journal_mode = WAL');
    rawDb.pragma('synchronous = NORMAL');
    rawDb.exec('create table t (id integer primary key, name text not null)');
    const insert = rawDb.prepare('insert into t (id, name) values (?, ?)');
    const rawTx = rawDb.transaction((i: number) => insert.run(i, `n${i}`));

    const db = await createDatabase(`sqlite:${path.join(dir, 'ours.db')}`);
    await db.kysely.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull()).execute();
    const n = Number(process.env['BENCH_SQLITE_N'] ?? 20_000);
    const built = await compare('SQLite one-row insert transaction, query built per call', n, ROUNDS, async (i) => {
      await transaction(db, async (trx) => {
        await trx.insertInto('t').values({ id: i, name: `n${i}` }).execute();
      });
    }, (i) => void rawTx(i + 10_000_000));
    const insertT = prepareQuery(db, (q, p: { id: number; name: string }) => q.insertInto('t').values({ id: p.id, name: p.name }));
    const prepared = await compare('SQLite one-row insert transaction, prepared query', n, ROUNDS, async (i) => {
      await transaction(db, async () => {
        await insertT.run({ id: i + 10_000_000, name: `n${i}` });
      });
    }, (i) => void rawTx(i + 20_000_000));
    rawDb.close();
    await db.close();
    return [built, prepared];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresBench(): Promise<Result[]> {
  await requirePostgres();
  const schema = await createPgSchema('bench');
  const pool = new pg.Pool({ connectionString: schema.url, max: 1 });
  const db = await createDatabase({ url: schema.url, pool: { max: 1 } });
  try {
    await pool.query('create table t_raw (id integer primary key, name text not null)');
    await pool.query('create table t (id integer primary key, name text not null)');
    const n = Number(process.env['BENCH_PG_N'] ?? 2_000);
    const raw = async (i: number) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('insert into t_raw (id, name) values ($1, $2)', [i, `n${i}`]);
        await client.query('commit');
      } finally {
        client.release();
      }
    };
    const built = await compare('PostgreSQL one-row insert transaction, query built per call', n, ROUNDS, async (i) => {
      await transaction(db, async (trx) => {
        await trx.insertInto('t').values({ id: i, name: `n${i}` }).execute();
      });
    }, raw);
    const insertT = prepareQuery(db, (q, p: { id: number; name: string }) => q.insertInto('t').values({ id: p.id, name: p.name }));
    const prepared = await compare('PostgreSQL one-row insert transaction, prepared query', n, ROUNDS, async (i) => {
      await transaction(db, async () => {
        await insertT.run({ id: i + 10_000_000, name: `n${i}` });
      });
    }, (i) => raw(i + 10_000_000));
    return [built, prepared];
  } finally {
    await pool.end();
    await db.close();
    await schema.drop();
  }
}

const results = [...(await sqliteBench()), ...(await postgresBench())];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
process.stdout.write(`\n@game/persistence bench (${new Date().toISOString().slice(0, 10)}, node ${process.version})\n`);
process.stdout.write('| Benchmark | Ours (tx/s) | Raw driver (tx/s) | Ratio |\n|---|---|---|---|\n');
for (const r of results) process.stdout.write(`| ${r.name} | ${fmt(r.ours)} | ${fmt(r.raw)} | ${(r.ours / r.raw).toFixed(2)} |\n`);
