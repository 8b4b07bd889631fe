/**
 * One serving instance per database (src/instance-lock.ts). A second `serve` on the same database waits while
 * the first one runs (a deploy that starts the new process before the old one has drained), starts as soon as
 * the first stops, gives up with a clear error after INSTANCE_LOCK_WAIT_MS, and never waits after a crash.
 */
import { createPgSchema, requirePostgres } from '@game/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceLockedError } from '../src/instance-lock.js';
import { ensureServerEntry, startServerProcess } from './crash/server-process.js';
import { Browser } from './support/index.js';
import { generousLimitsFile, startTestServer, startTwoHumanGame, tempSqlite, until } from './harness.js';

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

    it('a second server gives up after the wait with an error naming the database; the first keeps serving', async () => {
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
        let secondPort: number | undefined;
        const pending = startTestServer({ DATABASE_URL: db.url, INSTANCE_LOCK_WAIT_MS: 30_000 }, { onListening: (p) => void (secondPort = p) }).then((s) => {
          started = true;
          second = s;
          return s;
        });
        // The second has bound its port and is waiting: its startup probe fails, the first keeps serving.
        await until(() => secondPort !== undefined, 'the second server binds its port');
        const startup = await fetch(`http://127.0.0.1:${secondPort}/health/startup`);
        expect(startup.status).toBe(503);
        const dave = new Browser('dave');
        await dave.createRoom(first.baseUrl, 'Dave');
        await dave.closeAll();
        expect((await fetch(`http://127.0.0.1:${secondPort}/health/startup`)).status).toBe(503);
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

    it('holds across processes; a server killed with SIGKILL leaves no lock behind', async () => {
      await ensureServerEntry();
      const limits = await generousLimitsFile();
      const settings = { DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', GAME_TIME_SCALE: '0', RATE_LIMITS_FILE: limits };
      const child = await startServerProcess(settings);
      try {
        await expect(startTestServer({ DATABASE_URL: db.url, INSTANCE_LOCK_WAIT_MS: 600 })).rejects.toBeInstanceOf(InstanceLockedError);
      } finally {
        await child.kill();
      }
      // A lock left behind would fail this start: SQLite's goes with the process at once; Postgres notices the
      // closed session within moments (the retries run every 500 ms).
      const t0 = performance.now();
      const next = await startTestServer({ DATABASE_URL: db.url, INSTANCE_LOCK_WAIT_MS: backend.name === 'sqlite' ? 0 : 2_000 });
      expect(performance.now() - t0).toBeLessThan(2_000);
      await next.stop();
    });
  });
}

describe('one instance per database (postgres): a lost lock connection', () => {
  let schema: Awaited<ReturnType<typeof createPgSchema>>;
  let admin: pg.Client;
  beforeAll(async () => {
    await requirePostgres();
    schema = await createPgSchema('instance_lock_lost');
    admin = new pg.Client({ connectionString: schema.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await schema?.drop();
  });

  // The key the server locks (src/instance-lock.ts), and the session holding it.
  const KEY = `hashtextextended('liap-tui-server:' || current_database() || ':' || current_schema(), 0)`;
  const holder = async (): Promise<number | null> => {
    const r = await admin.query<{ pid: number }>(
      `select l.pid from pg_locks l where l.locktype = 'advisory' and l.granted and l.objsubid = 1
         and l.classid = ((${KEY} >> 32) & 4294967295)::bigint::text::oid and l.objid = (${KEY} & 4294967295)::bigint::text::oid`,
    );
    return r.rows[0]?.pid ?? null;
  };
  /** Polls an outside state (Postgres, the HTTP probe) until `cond` holds; fails after `ms`. */
  const eventually = async (cond: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const instanceLockCheck = async (baseUrl: string): Promise<{ http: number; status: string | undefined }> => {
    const res = await fetch(`${baseUrl}/health/ready`);
    const body = (await res.json()) as { checks?: Record<string, Array<{ status: string }>> };
    return { http: res.status, status: body.checks?.['instance-lock']?.[0]?.status };
  };

  it('takes the lock again after its connection is cut, and fails readiness while another instance holds it', async () => {
    const t = await startTestServer({ DATABASE_URL: schema.url });
    try {
      const first = await holder();
      expect(first).not.toBeNull();
      expect(await instanceLockCheck(t.baseUrl)).toEqual({ http: 200, status: 'pass' });

      // Cut the lock's connection (as a Postgres restart would): the server takes the lock again.
      await admin.query('select pg_terminate_backend($1)', [first]);
      let again: number | null = null;
      await eventually(async () => {
        again = await holder();
        return again !== null && again !== first;
      }, 'the server takes the lock again');
      expect(await instanceLockCheck(t.baseUrl)).toEqual({ http: 200, status: 'pass' });

      // Cut it again, and let "another instance" (this test's session) take the lock first: readiness fails.
      await admin.query('select pg_terminate_backend($1)', [again]);
      await eventually(async () => (await holder()) === null, 'the cut session lets go');
      const took = await admin.query<{ locked: boolean }>(`select pg_try_advisory_lock(${KEY}) as locked`);
      expect(took.rows[0]?.locked).toBe(true);
      let seen: { http: number; status: string | undefined } | undefined;
      await eventually(async () => (seen = await instanceLockCheck(t.baseUrl)).status === 'fail', 'readiness fails on the lost lock');
      expect(seen).toEqual({ http: 503, status: 'fail' });

      // The other lets go: the server is whole again.
      await admin.query(`select pg_advisory_unlock(${KEY})`);
      await eventually(async () => (seen = await instanceLockCheck(t.baseUrl)).status === 'pass', 'the server takes the lock back');
      expect(seen?.http).toBe(200);
    } finally {
      await t.stop();
    }
  }, 60_000);
});
