/**
 * `pnpm bench`: @game/event-store against the raw drivers doing the same work, in the same run.
 * Append: our append (expected-version check on the stream row + event inserts in one transaction)
 * vs a hand-written transaction with the same statements on the raw driver, event ids generated the same
 * way (random UUIDs, which land scattered in the (stream_id, event_id) index). Read: a 1,000-event
 * stream through readStream vs a raw select + JSON decoding. Replay: events folded per second by
 * loadState vs folding an in-memory array. Ratio = ours / raw (1.0 = no overhead).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, migrate, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres } from '@game/test-services';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import {
  createEventStore,
  eventStoreMigrations,
  loadState,
  type Decider,
  type EventStore,
} from '../src/index.js';

interface Result {
  name: string;
  unit: string;
  ours: number;
  raw: number;
}

const budgetMs = Number(process.env['BENCH_MS'] ?? 700);

/** Runs `fn` repeatedly for about `budgetMs`; returns ops per second. */
async function rate(fn: (i: number) => Promise<void> | void, start: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < budgetMs) await fn(start + n++);
  return n / ((performance.now() - t0) / 1000);
}

/** Alternates raw and ours for a few rounds and keeps each side's best, to damp noise on a shared machine. */
async function compare(
  name: string,
  unit: string,
  ours: (i: number) => Promise<void>,
  raw: (i: number) => Promise<void> | void,
): Promise<Result> {
  let bestOurs = 0;
  let bestRaw = 0;
  for (let r = 0; r < 3; r++) {
    bestRaw = Math.max(bestRaw, await rate(raw, r * 1_000_000));
    bestOurs = Math.max(bestOurs, await rate(ours, r * 1_000_000 + 500_000));
  }
  return { name, unit, ours: bestOurs, raw: bestRaw };
}

const payload = (i: number) => JSON.stringify({ seat: i % 4, card: `c${i}`, note: 'x'.repeat(64) });
const events = (n: number, i: number) =>
  Array.from({ length: n }, (_, k) => ({
    type: 'played',
    data: { seat: (i + k) % 4, card: `c${k}`, note: 'x'.repeat(64) },
  }));

type Fold = { count: number; seats: number[] };
const decider: Decider<Fold, never, { seat: number }> = {
  initialState: { count: 0, seats: [0, 0, 0, 0] },
  decide: () => [],
  evolve: (s, e) => {
    s.seats[e.seat] = (s.seats[e.seat] ?? 0) + 1;
    s.count++;
    return s;
  },
};

async function storeCases(label: string, db: Database, store: EventStore, raw: RawDriver): Promise<Result[]> {
  const out: Result[] = [];
  const versions = new Map<string, number>();
  const rawVersions = new Map<string, number>();
  const stream = (prefix: string, i: number) => `${prefix}-${i % 50}`;
  for (const size of [1, 100]) {
    out.push(
      await compare(
        `${label}: append ${size} event(s)`,
        'appends/s',
        async (i) => {
          const id = stream(`ours${size}`, i);
          const v = versions.get(id) ?? 0;
          const r = await store.append(id, events(size, i), { expectedVersion: v });
          versions.set(id, r.nextExpectedVersion);
        },
        async (i) => {
          const id = stream(`raw${size}`, i);
          const v = rawVersions.get(id) ?? 0;
          await raw.append(id, v, size, i);
          rawVersions.set(id, v + size);
        },
      ),
    );
  }
  await store.append('read-1000', events(1000, 0));
  await raw.append('raw-read-1000', 0, 1000, 0);
  out.push(
    await compare(
      `${label}: read a 1,000-event stream`,
      'reads/s',
      async () => {
        const e = await store.readStream('read-1000');
        if (e.length !== 1000) throw new Error('short read');
      },
      async () => {
        const rows = await raw.read('raw-read-1000');
        if (rows.length !== 1000) throw new Error('short read');
      },
    ),
  );
  // Replay: events folded per second; loadState (read + decode + fold) vs raw select + JSON.parse + the same fold.
  const r = await compare(
    `${label}: replay (fold) 1,000 events`,
    'events/s',
    async () => {
      const { state } = await loadState({ store, streamId: 'read-1000', decider, useSnapshots: false });
      if (state.count !== 1000) throw new Error('bad fold');
    },
    async () => {
      let s: Fold = { count: 0, seats: [0, 0, 0, 0] };
      for (const e of await raw.read('raw-read-1000')) s = decider.evolve(s, e as { seat: number });
      if (s.count !== 1000) throw new Error('bad fold');
    },
  );
  out.push({ ...r, ours: r.ours * 1000, raw: r.raw * 1000 });
  void db;
  return out;
}

interface RawDriver {
  append(streamId: string, expected: number, size: number, i: number): Promise<void>;
  /** The stream's payloads, decoded. */
  read(streamId: string): Promise<unknown[]>;
}

function rawSqlite(sqlite: BetterSqlite3.Database): RawDriver {
  const upsertNew = sqlite.prepare(
    `insert into es_streams (stream_id, version, live, created_at, updated_at) values (?, ?, 0, ?, ?)
     on conflict (stream_id) do update set version = excluded.version, updated_at = excluded.updated_at where es_streams.version = 0 returning version`,
  );
  const bump = sqlite.prepare(
    `update es_streams set version = version + ?, updated_at = ? where stream_id = ? and version = ? returning version`,
  );
  const insert = sqlite.prepare(
    `insert into es_events (stream_id, version, event_id, type, data, metadata, schema_version, recorded_at) values (?, ?, ?, 'played', ?, '{}', 1, ?)`,
  );
  const select = sqlite.prepare(
    `select position, stream_id, version, event_id, type, data, metadata, schema_version, recorded_at from es_events where stream_id = ? order by version`,
  );
  const tx = sqlite.transaction((streamId: string, expected: number, size: number, i: number) => {
    const now = new Date().toISOString();
    const row =
      expected === 0 ? upsertNew.get(streamId, size, now, now) : bump.get(size, now, streamId, expected);
    if (!row) throw new Error('conflict');
    for (let k = 0; k < size; k++)
      insert.run(streamId, expected + k + 1, randomUUID(), payload(i + k), now);
  });
  return {
    append: (streamId, expected, size, i) => {
      tx.immediate(streamId, expected, size, i);
      return Promise.resolve();
    },
    read: (streamId) => {
      const rows = select.all(streamId) as Array<{ data: string; metadata: string; recorded_at: string }>;
      return Promise.resolve(
        rows.map((r) => {
          JSON.parse(r.metadata);
          void new Date(r.recorded_at);
          return JSON.parse(r.data) as unknown;
        }),
      );
    },
  };
}

function rawPostgres(pool: pg.Pool): RawDriver {
  return {
    async append(streamId, expected, size, i) {
      const c = await pool.connect();
      try {
        await c.query('begin');
        const now = new Date();
        const r =
          expected === 0
            ? await c.query(
                `insert into es_streams (stream_id, version, live, created_at, updated_at) values ($1, $2, 0, $3, $3)
                 on conflict (stream_id) do update set version = excluded.version where es_streams.version = 0 returning version`,
                [streamId, size, now],
              )
            : await c.query(
                `update es_streams set version = version + $1, updated_at = $2 where stream_id = $3 and version = $4 returning version`,
                [size, now, streamId, expected],
              );
        if (r.rowCount !== 1) throw new Error('conflict');
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let k = 0; k < size; k++) {
          const b = values.length;
          tuples.push(`($${b + 1}, $${b + 2}, $${b + 3}, 'played', $${b + 4}, '{}', 1, $${b + 5})`);
          values.push(streamId, expected + k + 1, randomUUID(), payload(i + k), now);
        }
        await c.query(
          `insert into es_events (stream_id, version, event_id, type, data, metadata, schema_version, recorded_at) values ${tuples.join(', ')} returning position, version`,
          values,
        );
        await c.query('commit');
      } catch (err) {
        await c.query('rollback');
        throw err;
      } finally {
        c.release();
      }
    },
    async read(streamId) {
      const r = await pool.query(
        `select position, stream_id, version, event_id, type, data, metadata, schema_version, recorded_at from es_events where stream_id = $1 order by version`,
        [streamId],
      );
      return r.rows.map((row: { data: unknown }) => row.data);
    },
  };
}

async function main() {
  const results: Result[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'es-bench-'));
  try {
    const ours = await createDatabase(`sqlite:${path.join(dir, 'ours.db')}`);
    const rawDb = await createDatabase(`sqlite:${path.join(dir, 'raw.db')}`);
    await migrate(ours, [eventStoreMigrations]);
    await migrate(rawDb, [eventStoreMigrations]);
    if (rawDb.driver.kind !== 'sqlite') throw new Error('expected sqlite');
    results.push(
      ...(await storeCases('SQLite', ours, createEventStore({ db: ours }), rawSqlite(rawDb.driver.sqlite))),
    );
    await ours.close();
    await rawDb.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await requirePostgres();
  const schema = await createPgSchema('es_bench');
  try {
    const db = await createDatabase(schema.url);
    await migrate(db, [eventStoreMigrations]);
    if (db.driver.kind !== 'postgres') throw new Error('expected postgres');
    results.push(
      ...(await storeCases('PostgreSQL', db, createEventStore({ db }), rawPostgres(db.driver.pool))),
    );
    await db.close();
  } finally {
    await schema.drop();
  }
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${fmt(r.ours)} ${r.unit} | ${fmt(r.raw)} ${r.unit} | ${(r.ours / r.raw).toFixed(2)}x |`,
  );
  process.stdout.write(
    `\n${new Date().toISOString()} node ${process.version} ${os.cpus().length} CPU(s), load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n\n` +
      `| case | @game/event-store | baseline | ratio |\n|---|---|---|---|\n${rows.join('\n')}\n`,
  );
}

await main();
