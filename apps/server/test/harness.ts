/** Starts a real server in-process on a free port for integration tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@game/persistence';
import { afterAll, beforeAll } from 'vitest';
import { createServer, type LiapServer } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { generousLimitsFile as generousLimits } from '../src/loadtest.js';
import { Browser, startGame } from './support/index.js';

/** Resolves once `cond` holds, re-checking on every macrotask; fails after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A running test server. */
export interface TestServer {
  readonly server: LiapServer;
  readonly baseUrl: string;
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/** A fresh SQLite file URL in a temp folder (removed by `cleanup`). */
export async function tempSqlite(): Promise<{ url: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'liap-server-'));
  return { url: `sqlite:${path.join(dir, 'game.db')}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The load tool's generous limits (the protocol's table, 100 times larger) in a fresh temp folder. */
export async function generousLimitsFile(): Promise<string> {
  return generousLimits(await mkdtemp(path.join(os.tmpdir(), 'liap-limits-')));
}

/**
 * Starts a server with test defaults (port 0, no delays, silent logs, generous limits) plus `overrides`;
 * `onListening` runs once the port is bound, before the rooms are rebuilt (see `LiapServer.listen`).
 */
export async function startTestServer(
  overrides: Record<string, unknown> = {},
  options: { onListening?: (port: number) => void | Promise<void> } = {},
): Promise<TestServer> {
  const config = loadConfig(
    {},
    {
      PORT: 0,
      HOST: '127.0.0.1',
      GAME_TIME_SCALE: 0,
      LOG_LEVEL: 'silent',
      SHUTDOWN_BUDGET_MS: 5_000,
      RATE_LIMITS_FILE: await generousLimitsFile(),
      // Legacy bots (the default) rarely reach 50 among themselves; strategic ones finish a game in ~11 rounds.
      BOT_LEVEL: 'strategic',
      ...overrides,
    },
  );
  const server = await createServer(config, { logger: silentLogger });
  const { port } = await server.listen(options);
  return {
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl: config.DATABASE_URL,
    stop: () => server.stop('test'),
  };
}

/**
 * Registers a test server on a fresh SQLite file for the enclosing `describe` (started in `beforeAll`,
 * stopped and removed in `afterAll`); `ref.t` is the running server inside the tests.
 */
export function useSqliteServer(
  overrides: Record<string, unknown> | (() => Promise<Record<string, unknown>>) = {},
): { readonly t: TestServer } {
  const ref: { t: TestServer | undefined } = { t: undefined };
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await tempSqlite();
    cleanup = db.cleanup;
    const extra = typeof overrides === 'function' ? await overrides() : overrides;
    ref.t = await startTestServer({ DATABASE_URL: db.url, ...extra });
  });
  afterAll(async () => {
    await ref.t?.stop();
    await cleanup?.();
  });
  return {
    get t(): TestServer {
      if (!ref.t) throw new Error('the test server is not started (use it inside a test)');
      return ref.t;
    },
  };
}

/** The usual two-human table: Alice hosts, Bob joins, bots fill the other seats, and the game is started. */
export async function startTwoHumanGame(t: TestServer) {
  const alice = new Browser('alice');
  const bob = new Browser('bob');
  const a = await alice.createRoom(t.baseUrl, 'Alice', { pingIntervalMs: 0 });
  const b = await bob.joinRoom(t.baseUrl, a.roomId, 'Bob', { pingIntervalMs: 0 });
  await startGame(a.socket);
  return { alice, bob, a, b, actor: t.server.rooms.get(a.roomId)! };
}
