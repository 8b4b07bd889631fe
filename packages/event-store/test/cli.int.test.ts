import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database } from '@game/persistence';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStore, type EventStore } from '../src/index.js';
import { runCli } from '../src/internal/cli/run.js';

const reducer = fileURLToPath(new URL('./fixtures/counter-reducer.mjs', import.meta.url));

let dir: string;
let url: string;
let db: Database;
let store: EventStore;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { DATABASE_URL: url },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'es-cli-'));
  url = `sqlite:${path.join(dir, 'events.db')}`;
  expect((await cli('migrate')).stdout).toBe(
    'applied event-store/001_init\napplied event-store/002_compacted_positions\n',
  );
  db = await createDatabase(url);
  store = createEventStore({ db });
  await store.append(
    'room-1',
    [1, 2, 3, 4].map((n) => ({ type: 'scored', data: { n } })),
  );
  await store.append('room-2', [{ type: 'scored', data: { n: 10 } }]);
});

afterEach(async () => {
  await store.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('game-events CLI', () => {
  it('migrate is idempotent; streams lists ids, versions and live flags', async () => {
    expect((await cli('migrate')).stdout).toBe('up to date\n');
    await store.setStreamLive('room-2', true);
    const r = await cli('streams');
    expect(r).toMatchObject({ code: 0, stdout: 'room-1\t4\t\nroom-2\t1\tlive\n' });
    expect((await cli('streams', '--prefix', 'room-2', '--json')).stdout).toBe(
      '{"streamId":"room-2","version":1,"live":true}\n',
    );
  });

  it('read prints NDJSON, as of a version; replay folds with a reducer module, as of a version', async () => {
    const r = await cli('read', 'room-1', '--until', '2');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { version: number; data: unknown });
    expect(lines.map((l) => [l.version, l.data])).toEqual([
      [1, { n: 1 }],
      [2, { n: 2 }],
    ]);
    const replay = await cli('replay', 'room-1', '--reducer', reducer, '--until', '3');
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({ count: 3, sum: 6 });
    expect(JSON.parse((await cli('--db', url, 'replay', 'room-1', '--reducer', reducer)).stdout)).toEqual({
      count: 4,
      sum: 10,
    });
    const future = await cli('replay', 'room-1', '--reducer', reducer, '--until', '2999-01-01T00:00:00Z');
    expect(JSON.parse(future.stdout)).toEqual({ count: 4, sum: 10 });
  });

  it('verify passes a healthy store and reports gaps, duplicates and unreadable payloads with exit code 1', async () => {
    expect(await cli('verify')).toMatchObject({ code: 0, stdout: 'ok\n' });
    await sql`update es_events set data = '{oops' where stream_id = 'room-1' and version = 2`.execute(
      db.kysely,
    );
    await sql`delete from es_events where stream_id = 'room-1' and version = 3`.execute(db.kysely);
    const r = await cli('verify');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('unreadable\troom-1\tversion 2');
    expect(r.stdout).toContain('version_gap\troom-1\tversion 2 is followed by 4');
    expect(r.stderr).toContain('2 problem(s)');
  });

  it('export then import into an empty database is lossless', async () => {
    await store.append('room-1', [{ type: 'meta', data: { s: 'é"\n' }, metadata: { correlationId: 'c1' } }]);
    expect((await cli('export', '--out', 'dump.ndjson')).code).toBe(0);
    const dump = readFileSync(path.join(dir, 'dump.ndjson'), 'utf8');
    expect(dump.trim().split('\n')).toHaveLength(6);
    expect((await cli('export', '--out', 'dump.ndjson')).stderr).toContain('already exists'); // never overwrites
    const otherUrl = `sqlite:${path.join(dir, 'other.db')}`;
    const run = (...a: string[]) =>
      runCli(['--db', otherUrl, ...a], {
        stdout: () => undefined,
        stderr: () => undefined,
        env: {},
        cwd: dir,
      });
    expect(await run('migrate')).toBe(0);
    expect(await run('import', 'dump.ndjson')).toBe(0);
    let again = '';
    await runCli(['--db', otherUrl, 'export'], {
      stdout: (t) => void (again += t),
      stderr: () => undefined,
      env: {},
      cwd: dir,
    });
    expect(again).toBe(dump);
    // Importing the same file again conflicts and writes nothing.
    expect(await run('import', 'dump.ndjson')).toBe(2);
  });

  it('compact archives to NDJSON and folds; it refuses live streams', async () => {
    const r = await cli(
      'compact',
      'room-1',
      '--reducer',
      reducer,
      '--archive',
      'room-1.ndjson',
      '--up-to',
      '3',
    );
    expect(r).toMatchObject({ code: 0, stdout: 'compacted room-1: 2 events removed, state at version 3\n' });
    const archived = readFileSync(path.join(dir, 'room-1.ndjson'), 'utf8').trim().split('\n');
    expect(archived.map((l) => (JSON.parse(l) as { version: number }).version)).toEqual([1, 2, 3]);
    expect((await store.readStream('room-1')).map((e) => [e.version, e.type, e.data])).toEqual([
      [3, '$compacted', { count: 3, sum: 6 }],
      [4, 'scored', { n: 4 }],
    ]);
    expect(await cli('verify')).toMatchObject({ code: 0 });
    await store.setStreamLive('room-2', true);
    const live = await cli('compact', 'room-2', '--reducer', reducer, '--archive', 'room-2.ndjson');
    expect(live.code).toBe(1);
    expect(live.stderr).toContain('STREAM_LIVE');
  });

  it('dlq list and retry', async () => {
    const sub = store.subscribe({
      name: 'mailer',
      maxAttempts: 1,
      handler: () => Promise.reject(new Error('smtp down')),
      pollInterval: { min: 5, max: 20 },
    });
    await sub.waitFor();
    await sub.stop();
    const list = await cli('dlq', 'list');
    expect(list.stdout.trim().split('\n')).toHaveLength(5);
    expect(list.stdout).toContain('mailer\troom-1@1\tscored\tfailed\t1\tError: smtp down');
    expect((await cli('dlq', 'retry', '--subscription', 'mailer', '--id', '1', '2')).stdout).toBe(
      '2 dead letter(s) marked for retry\n',
    );
    expect((await store.listDeadLetters()).map((d) => d.status)).toEqual([
      'retry',
      'retry',
      'failed',
      'failed',
      'failed',
    ]);
  });

  it('fails clearly: no database (exit 2), bad arguments (exit 2), --help (exit 0)', async () => {
    let noDbErr = '';
    const noDb = await runCli(['streams'], {
      stdout: () => undefined,
      stderr: (t) => void (noDbErr += t),
      env: {},
      cwd: dir,
    });
    const again = await runCli(['streams'], {
      stdout: () => undefined,
      stderr: (t) => void (noDbErr += t),
      env: {},
      cwd: dir,
    });
    expect([noDb, again]).toEqual([2, 2]);
    expect(noDbErr).toContain('pass --db <url> or set DATABASE_URL');
    expect((await cli('nope')).code).toBe(2);
    expect((await cli('read', 'room-1', '--until', 'yesterday-ish')).stderr).toContain(
      '--until must be a version number or an ISO time',
    );
    expect((await cli('replay', 'room-1')).code).toBe(2);
    expect((await cli('replay', 'room-1', '--reducer', 'missing.mjs')).stderr).toContain(
      'cannot load reducer module',
    );
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('replay');
    expect((await cli('dlq', '--help')).stdout).toContain('retry');
    expect(existsSync(path.join(dir, 'events.db'))).toBe(true);
  });

  it('read-only commands on a mistyped sqlite: path create nothing (exit 2); an unsupported URL is bad usage', async () => {
    const typo = path.join(dir, 'typo', 'evnets.db');
    for (const argv of [['read', 'room-1'], ['verify'], ['streams'], ['export']]) {
      const r = await cli('--db', `sqlite:${typo}`, ...argv);
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr).toContain(`no database at ${typo}`);
    }
    expect(existsSync(path.join(dir, 'typo'))).toBe(false);
    const mysql = await cli('--db', 'mysql://x', 'streams');
    expect(mysql.code).toBe(2);
    expect(mysql.stderr).toContain('Unsupported database URL');
  });

  it('import names the line that is not an event', async () => {
    writeFileSync(path.join(dir, 'bad.ndjson'), '\nnull\n');
    const r = await cli('import', 'bad.ndjson');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.ndjson:2: not an event object (got null)');
    expect(await store.headPosition()).toBe(5);
  });
});
