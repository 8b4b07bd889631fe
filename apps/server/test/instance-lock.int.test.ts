/**
 * One serving instance per database (src/instance-lock.ts). A second `serve` on the same database waits while
 * the first one runs (a deploy that starts the new process before the old one has drained), starts as soon as
 * the first stops, gives up with a clear error after INSTANCE_LOCK_WAIT_MS, and never waits after a crash.
 */
import { createPgSchema, requirePostgres } from '@game/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceLockedError } from '../src/instance-lock.js';
import { ensureServerEntry, startServerProcess } from './crash/server-process.js';
import { Browser } from './support/index.js';
import { generousLimitsFile, startTestServer, startTwoHumanGame, tempSqlite } from './harness.js';

interface Backend {
  name: string;
  before?: () => Promise<void>;
  url: () => Promise<{ url: string; cleanup: () => Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'sqlite', url: tempSqlite },
  {
    name: 'postgres',
    before: () => requirePostgres(),
    url: async () => {
      const s = await createPgSchema('instance_lock');
      return { url: s.url, cleanup: () => s.drop() };
    },
  },
];

for (const backend of backends) {
  describe(`one instance per database (${backend.name})`, () => {
    let db: { url: string; cleanup: () => Promise<void> };
    beforeAll(async () => {
      await backend.before?.();
      db = await backend.url();
    });
    afterAll(async () => {
      await db?.cleanup();
    });

    it('a second server gives up after the wait with an error naming the database, and changes nothing', async () => {
      const first = await startTestServer({ DATABASE_URL: db.url });
      try {
        const alice = new Browser('alice');
        const { roomId } = await alice.createRoom(first.baseUrl, 'Alice');
        const t0 = performance.now();
        const second = startTestServer({ DATABASE_URL: db.url, INSTANCE_LOCK_WAIT_MS: 600 });
        await expect(second).rejects.toBeInstanceOf(InstanceLockedError);
        await expect(second).rejects.toThrow(/another liap-tui-server instance is serving .*one instance per database/is);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(550);
        // The first one still serves its room.
        const bob = new Browser('bob');
        const joined = await bob.joinRoom(first.baseUrl, roomId, 'Bob');
        expect(joined.roomId).toBe(roomId);
        await bob.closeAll();
        await alice.closeAll();
      } finally {
        await first.stop();
      }
    });

    it('a second server waiting for the first starts as soon as it stops, with the rooms it left', async () => {
      const first = await startTestServer({ DATABASE_URL: db.url });
      let second: Awaited<ReturnType<typeof startTestServer>> | undefined;
      try {
        const game = await startTwoHumanGame(first);
        const roomId = game.a.roomId;
        const version = (await game.actor.whenIdle(), game.actor.version);
        let started = false;
        const pending = startTestServer({ DATABASE_URL: db.url, INSTANCE_LOCK_WAIT_MS: 30_000 }).then((s) => {
          started = true;
          second = s;
          return s;
        });
        // Still waiting while the first serves (it retries every 500 ms): a new room on the first meanwhile.
        const dave = new Browser('dave');
        await dave.createRoom(first.baseUrl, 'Dave');
        await dave.closeAll();
        expect(started).toBe(false);
        await first.stop();
        await Promise.all([game.alice.closeAll(), game.bob.closeAll()]);
        const s = await pending;
        // The game is back, at the version the first server left it.
        expect(s.server.rooms.get(roomId)?.version).toBeGreaterThanOrEqual(version);
      } finally {
        await first.stop();
        await second?.stop();
      }
    });

    it('a server killed with SIGKILL leaves no lock behind: the next one starts without waiting', async () => {
      await ensureServerEntry();
      const limits = await generousLimitsFile();
      const settings = { DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', GAME_TIME_SCALE: '0', RATE_LIMITS_FILE: limits };
      const killed = await startServerProcess(settings);
      await killed.kill();
      // With no wait allowed, a lock left behind would fail this start at once.
      const next = await startTestServer({ DATABASE_URL: db.url, INSTANCE_LOCK_WAIT_MS: 0 });
      await next.stop();
    });
  });
}
