import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, migrate, transaction, type Logger } from '../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'persistence-sqlite-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite settings', () => {
  it('opens files in WAL with foreign keys, synchronous NORMAL by default and configurable', async () => {
    const file = path.join(dir, 'settings.db');
    const db = await createDatabase(`sqlite:${file}`);
    if (db.driver.kind !== 'sqlite') throw new Error('expected sqlite');
    expect(db.driver.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.driver.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.driver.sqlite.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.driver.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
    await db.close();
    const full = await createDatabase({ url: `sqlite:${file}`, synchronous: 'FULL', busyTimeoutMs: 100 });
    if (full.driver.kind !== 'sqlite') throw new Error('expected sqlite');
    expect(full.driver.sqlite.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.driver.sqlite.pragma('busy_timeout', { simple: true })).toBe(100);
    await full.close();
  });

  it('creates the parent folder of a new file', async () => {
    const db = await createDatabase(`sqlite:${path.join(dir, 'nested', 'deeper', 'x.db')}`);
    await db.ping();
    await db.close();
  });

  it('records query metrics in the given registry', async () => {
    const registry = new Registry();
    const db = await createDatabase({ url: 'sqlite::memory:', name: 'm', metrics: registry });
    await db.kysely.selectNoFrom((eb) => eb.val(1).as('x')).execute();
    const text = await registry.metrics();
    expect(text).toMatch(/db_queries_total\{db="m",outcome="ok"\} 1/);
    expect(text).toMatch(/db_query_duration_seconds_count\{db="m"\} 1/);
    await db.close();
  });
});

describe('sqlite background checkpoints', () => {
  const until = async (cond: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('copies the WAL back from a worker thread, never inside a commit, and loses nothing', async () => {
    const file = path.join(dir, 'checkpoint.db');
    const registry = new Registry();
    const db = await createDatabase({ url: `sqlite:${file}`, name: 'cp', metrics: registry, checkpoint: 'background', checkpointIntervalMs: 20 });
    if (db.driver.kind !== 'sqlite') throw new Error('expected sqlite');
    expect(db.driver.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await db.kysely.schema.createTable('t').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('v', 'text').execute();
    for (let i = 0; i < 300; i++) {
      await transaction(db, async (trx) => {
        await trx.insertInto('t').values({ id: i, v: 'x'.repeat(200) }).execute();
      });
    }
    await until(() => (db.checkpointStats?.().lastCheckpointedFrames ?? 0) > 0, 'a checkpoint that copied frames');
    expect(db.checkpointStats!().failures).toBe(0);
    expect(await registry.metrics()).toMatch(/db_sqlite_checkpoints_total\{db="cp",outcome="ok"\} [1-9]/);
    await db.close();
    const again = await createDatabase(`sqlite:${file}`);
    const rows = await again.kysely.selectFrom('t').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(300);
    await again.close();
  });

  it('refuses bad checkpoint settings before opening anything, and ignores background for :memory:', async () => {
    await expect(createDatabase({ url: `sqlite:${path.join(dir, 'bad-cp.db')}`, checkpoint: 'sometimes' as 'auto' })).rejects.toThrow(/checkpoint must be "auto" or "background"/);
    await expect(createDatabase({ url: `sqlite:${path.join(dir, 'bad-cp.db')}`, checkpoint: 'background', checkpointIntervalMs: 0 })).rejects.toThrow(/checkpointIntervalMs/);
    const mem = await createDatabase({ url: 'sqlite::memory:', checkpoint: 'background' });
    expect(mem.checkpointStats).toBeUndefined();
    await mem.close();
  });
});

describe('sqlite across processes', () => {
  it('retries a unit of work that meets SQLITE_BUSY from another process holding the write lock', async () => {
    const file = path.join(dir, 'busy.db');
    const holder: { child?: ChildProcess } = {};
    let retries = 0;
    const onRetry = () => {
      // The first retry is the moment to let the other process go: the unit must then get through.
      if (retries++ === 0) holder.child?.send('release');
    };
    const logger: Logger = {
      debug: (a: unknown, b?: string) => (typeof a === 'string' ? a : b ?? '').includes('retrying transaction') && onRetry(),
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: () => logger,
    };
    const db = await createDatabase({ url: `sqlite:${file}`, busyTimeoutMs: 10, logger });
    await migrate(db, [
      { name: 'b', migrations: [{ name: '1', up: async (k) => void (await k.schema.createTable('t').addColumn('x', 'integer').execute()) }] },
    ]);
    const script = path.join(dir, 'holder.cjs');
    await writeFile(
      script,
      `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
       const db = new D(process.argv[2]); db.exec('begin immediate'); db.exec('insert into t values (1)');
       process.send('locked'); process.on('message', () => { db.exec('commit'); db.close(); process.exit(0); });`,
    );
    const child = fork(script, [file], { stdio: 'ignore' });
    holder.child = child;
    await new Promise<void>((resolve) => child.once('message', () => resolve()));

    // Not declared retryable: the busy error surfaces at once.
    const err = await transaction(db, (trx) => trx.insertInto('t').values({ x: 9 }).execute()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(retries).toBe(0);

    const exited = new Promise((r) => child.once('exit', r));
    await transaction(db, (trx) => trx.insertInto('t').values({ x: 2 }).execute(), {
      retry: { maxAttempts: 200, initialDelayMs: 2, maxDelayMs: 10 },
    });
    await exited;
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(await db.kysely.selectFrom('t').select('x').orderBy('x').execute()).toEqual([{ x: 1 }, { x: 2 }]);
    await db.close();
  });

  it('migrate waits for another process that holds the write lock longer than the busy timeout (a slow migrator), then applies', async () => {
    const file = path.join(dir, 'migrate-wait.db');
    const holder: { child?: ChildProcess } = {};
    let waits = 0;
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      // The first "waiting" line is the moment to let the other process go.
      warn: (a: unknown, b?: string) => {
        if ((typeof a === 'string' ? a : (b ?? '')).includes('holds the database write lock') && waits++ === 0) holder.child?.send('release');
      },
      error: () => undefined,
      child: () => logger,
    };
    const script = path.join(dir, 'migrator.cjs');
    await writeFile(
      script,
      `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
       const db = new D(process.argv[2]); db.pragma('journal_mode = WAL'); db.exec('begin immediate'); db.exec('create table other_migrator (x integer)');
       process.send('locked'); process.on('message', () => { db.exec('commit'); db.close(); process.exit(0); });`,
    );
    const child = fork(script, [file], { stdio: 'ignore' });
    holder.child = child;
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    const exited = new Promise((r) => child.once('exit', r));
    const db = await createDatabase({ url: `sqlite:${file}`, busyTimeoutMs: 20, logger });
    // Before: SQLITE_BUSY after busyTimeoutMs, and the second instance failed to start.
    const result = await migrate(db, [
      { name: 'w', migrations: [{ name: '1', up: async (k) => void (await k.schema.createTable('w').addColumn('x', 'integer').execute()) }] },
    ]);
    await exited;
    expect(waits).toBe(1);
    expect(result.applied).toEqual([{ set: 'w', name: '1' }]);
    await expect(migrate(db, [], { lockWaitMs: -1 })).rejects.toThrow(/lockWaitMs/);
    await db.close();
  });
});
