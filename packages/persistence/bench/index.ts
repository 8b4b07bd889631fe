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
  ratio: number;
  minRatio: number;
  maxRatio: number;
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);

async function timeIt(n: number, fn: (i: number) => Promise<void> | void): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return n / ((performance.now() - start) / 1000);
}

/** Ids for warm-up rounds: far above the measured ones and distinct per comparison (tables are shared). */
let warmIds = 1_000_000_000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Runs ours and raw back to back for several rounds (alternating which goes first) and reports the medians:
 * of each side's rate, and of the per-round ratios. Pairing each round damps the drift of a shared machine.
 */
async function compare(name: string, n: number, rounds: number, ours: (i: number) => Promise<void>, raw: (i: number) => Promise<void> | void): Promise<Result> {
  const oursRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  let offset = 0;
  // One short unmeasured round of each warms up both paths (JIT, statement caches, pool).
  const warm = warmIds;
  warmIds += 10_000;
  await timeIt(Math.min(n, 500), (i) => raw(warm + i));
  await timeIt(Math.min(n, 500), (i) => ours(warm + i));
  for (let r = 0; r < rounds; r++) {
    const base = offset;
    offset += n;
    let rawRate: number;
    let oursRate: number;
    if (r % 2 === 0) {
      rawRate = await timeIt(n, (i) => raw(base + i));
      oursRate = await timeIt(n, (i) => ours(base + i));
    } else {
      oursRate = await timeIt(n, (i) => ours(base + i));
      rawRate = await timeIt(n, (i) => raw(base + i));
    }
    rawRates.push(rawRate);
    oursRates.push(oursRate);
    ratios.push(oursRate / rawRate);
    process.stderr.write(`  ${name}: round ${r + 1}/${rounds} ours ${Math.round(oursRate)} raw ${Math.round(rawRate)} ratio ${(oursRate / rawRate).toFixed(2)}\n`);
  }
  return { name, ours: median(oursRates), raw: median(rawRates), ratio: median(ratios), minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios) };
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
process.stdout.write(`${ROUNDS} paired rounds each; medians. Load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
process.stdout.write('| Benchmark | Ours (tx/s) | Raw driver (tx/s) | Ratio (median) | Ratio range |\n|---|---|---|---|---|\n');
for (const r of results) process.stdout.write(`| ${r.name} | ${fmt(r.ours)} | ${fmt(r.raw)} | ${r.ratio.toFixed(2)} | ${r.minRatio.toFixed(2)}–${r.maxRatio.toFixed(2)} |\n`);
