/**
 * The crash-recovery trial (used by crash-*.int.test.ts): the server runs as a child process and is killed with SIGKILL at chosen and random moments
 * of several games in progress (right after a client action, right after a redeal prompt, right after a
 * turn_complete, at random), then restarted on the same database. The frontend-like clients reconnect with
 * their browser cookies and finish their games. Afterwards:
 * - every phase_change / turn_complete any client saw is exactly what the stored stream replays to (so
 *   nothing a client was told is lost), and every action a client saw acknowledged is a stored event;
 * - `liap-tui-server verify` finds no problem and `replay` gives the scores and winners of the game_over frame;
 * - the kills hit mid-turn, mid-redeal and timer-pause moments (from the clients' last frames).
 */
import { randomInt } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { LiapState } from '@game/liap-tui';
import { silentLogger } from '@game/persistence';
import { createPgSchema, freePort, requirePostgres } from '@game/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_SCHEMA_VERSION } from '../../src/rooms/replay.js';
import { openStorage } from '../../src/storage.js';
import { contractViolations } from './moves.js';
import { auditActions, auditFrames, classify, replay, type KillCategory } from './audit.js';
import { ensureServerEntry, runCli, startServerProcess, type ServerProcess } from './server-process.js';
import { generousLimitsFile, tempSqlite } from '../harness.js';
import { botLike } from '../strategies.js';
import { Browser, ScriptedPlayer, WaitError, playUntilGameOver, startGame, type Decision, type FrontendSocket } from '../support/index.js';

const TIME_SCALE = 0.02;
const TABLES = 3;
const KILLS = 10; // per backend: 20 in the whole file
const TRIGGERS = ['after_action', 'redeal_prompt', 'turn_complete', 'random', 'after_action_delayed'] as const;
type Trigger = (typeof TRIGGERS)[number] | 'fallback';

interface Table {
  roomId: string;
  /** The humans of the room (the host first). */
  players: ScriptedPlayer[];
  browsers: Browser[];
  seats: Map<string, number>;
}

interface KillRecord {
  readonly kill: number;
  readonly trigger: Trigger;
  readonly rooms: Record<string, KillCategory>;
}

/** Human think time: redeal answers slow enough that a kill can land between prompt and answer. */
const thinkMs = (d: Decision): number => (d.event === 'declare' || d.event === 'play' ? randomInt(0, 40) : randomInt(20, 250));

/** A database for one trial. */
export interface CrashBackend {
  readonly name: string;
  url(): Promise<{ url: string; cleanup: () => Promise<void> }>;
  before?(): Promise<void>;
}

/** SQLite in a temp file. */
export const sqliteBackend: CrashBackend = { name: 'sqlite', url: tempSqlite };

/** A private Postgres schema on the shared server. */
export const postgresBackend: CrashBackend = {
  name: 'postgres',
  before: () => requirePostgres(),
  url: async () => {
    const s = await createPgSchema('crash');
    return { url: s.url, cleanup: () => s.drop() };
  },
};

/** Registers the crash-recovery trial for one backend. */
export function describeCrashRecovery(backend: CrashBackend): void {
  describe(`crash recovery with SIGKILL (${backend.name})`, () => {
    let db: { url: string; cleanup: () => Promise<void> };
    let srv: ServerProcess | undefined;
    let settings: Record<string, string>;
    beforeAll(async () => {
      await ensureServerEntry();
      await backend.before?.();
      db = await backend.url();
      settings = {
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        GAME_TIME_SCALE: String(TIME_SCALE),
        GAME_DEALING: 'forced_weak',
        BOT_LEVEL: 'strategic',
        RATE_LIMITS_FILE: await generousLimitsFile(),
        LOG_LEVEL: 'warn',
        SNAPSHOT_EVERY: '20',
        ROOM_ABANDON_MS: '600000',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
      };
    }, 180_000);
    afterAll(async () => {
      await srv?.kill();
      await db?.cleanup();
    });

    it(`${KILLS} kills at chosen moments of ${TABLES} games; clients reconnect and finish; nothing told is lost; state == replay`, { timeout: 240_000 }, async () => {
      srv = await startServerProcess(settings);
      const tables: Table[] = [];
      // The pending kill: actions and frames call `fire` when they match its trigger.
      let armed: { trigger: Trigger; fire: () => void } | null = null;
      const onAction = (_d: Decision, p: ScriptedPlayer): void => {
        if (!p.socket.isOpen || armed === null) return;
        if (armed.trigger === 'after_action') armed.fire();
        else if (armed.trigger === 'after_action_delayed') {
          const a = armed;
          setTimeout(() => a.fire(), randomInt(0, 60));
        }
      };
      const watch = (socket: FrontendSocket): void => {
        socket.onFrame((f) => {
          const a = armed;
          if (a === null) return;
          if (a.trigger === 'turn_complete' && f.event === 'turn_complete') a.fire();
          else if (a.trigger === 'redeal_prompt' && f.event === 'phase_change' && classify([f]) === 'mid_redeal') a.fire();
        });
      };
      const newPlayer = (socket: FrontendSocket, redeal: 'accept' | 'decline' | { acceptFirst: number }) => {
        watch(socket);
        return new ScriptedPlayer(socket, { redeal, ...botLike, delayMs: thinkMs, onAction });
      };

      const openTables = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          const k = tables.length;
          const host = new Browser(`host-${k}`);
          const entry = await host.createRoom(srv!.baseUrl, `Host${k}`, { pingIntervalMs: 0 });
          const table: Table = { roomId: entry.roomId, players: [], browsers: [host], seats: new Map([[`Host${k}`, 0]]) };
          const sockets: FrontendSocket[] = [entry.socket];
          if (k === 0) {
            // One table with a second human, so one room has two clients reconnecting at once.
            const guest = new Browser(`guest-${k}`);
            const g = await guest.joinRoom(srv!.baseUrl, entry.roomId, `Guest${k}`, { pingIntervalMs: 0 });
            table.browsers.push(guest);
            table.seats.set(`Guest${k}`, Number(g.reply.data['seat_position']));
            sockets.push(g.socket);
          }
          await startGame(entry.socket);
          table.players = sockets.map((s, j) => newPlayer(s, j === 0 ? { acceptFirst: 3 + k } : 'decline').start());
          tables.push(table);
        }
      };
      await openTables(TABLES);
      const players = () => tables.flatMap((t) => t.players);
      const live = () => players().filter((p) => !p.isDone);

      const kills: KillRecord[] = [];
      for (let k = 0; k < KILLS; k++) {
        // Keep games running: a finished set of tables is replaced by fresh ones.
        if (live().length === 0) await openTables(TABLES);
        const trigger: Trigger = TRIGGERS[k % TRIGGERS.length]!;
        const victim = srv;
        await new Promise<void>((resolve) => {
          const fallback = setTimeout(() => fire(trigger === 'random' ? 'random' : 'fallback'), trigger === 'random' ? randomInt(0, 400) : 8_000);
          const fire = (how: Trigger = trigger) => {
            if (armed === null) return;
            armed = null;
            clearTimeout(fallback);
            victim.child.kill('SIGKILL');
            // The moment each room was at, by the last frames its clients had received.
            const rooms: Record<string, KillCategory> = {};
            for (const t of tables) if (t.players.some((p) => !p.isDone)) rooms[t.roomId] = classify(t.players[0]!.socket.frames());
            kills.push({ kill: k + 1, trigger: how, rooms });
            resolve();
          };
          armed = { trigger, fire: () => fire() };
        });
        await victim.kill();
        srv = await startServerProcess(settings);
        // The frontend reconnects with the same browser (cookie) and client_ready {player_name}.
        await Promise.all(
          live().map(async (p) => {
            const socket = await p.reconnect(srv!.baseUrl);
            watch(socket);
            await socket.waitFor("phase_change", { timeoutMs: 20_000 });
          }),
        );
      }

      // Let every game finish on the last server.
      await playUntilGameOver(players(), { timeoutMs: 150_000 }).catch((err: unknown) => {
        throw new Error(`${err instanceof WaitError ? err.message : String(err)}\nserver output:\n${srv!.output().slice(-3000)}`);
      });
      expect(await srv.stop()).toBe(0);

      // The kills hit the moments that matter.
      const hit = new Set(kills.flatMap((k) => Object.values(k.rooms)));
      const summary = JSON.stringify(kills);
      expect(kills).toHaveLength(KILLS);
      expect(hit.has('mid_turn'), summary).toBe(true);
      expect(hit.has('mid_redeal'), summary).toBe(true);
      expect(hit.has('timer_pause'), summary).toBe(true);
      console.info(`[crash ${backend.name}] kills: ${summary}`);

      // A clean replay of each stream: the CLI's verify (asserted last, after the checks below).
      const verify = await runCli(['verify'], settings);

      const storage = await openStorage({ url: db.url, logger: silentLogger });
      try {
        let acknowledged = 0;
        for (const t of tables) {
          const events = await storage.events.readStream(`room-${t.roomId}`);
          const r = replay(events, { timeScale: TIME_SCALE, dealing: { mode: 'forced_weak' } });
          expect(r.final.status).toBe('over');
          // The latest snapshot (taken at round ends and every SNAPSHOT_EVERY events, some just before a
          // kill) is structurally the replay at its version (the configuration aside, which is the server's).
          const snap = await storage.events.loadSnapshot<LiapState>(`room-${t.roomId}`, { schemaVersion: STATE_SCHEMA_VERSION });
          expect(snap, `room ${t.roomId} has a snapshot`).toBeDefined();
          if (snap) {
            const { config: _c1, ...fromSnapshot } = snap.state;
            const { config: _c2, ...fromEvents } = r.states[snap.version]!;
            expect(isDeepStrictEqual(fromSnapshot, fromEvents), `snapshot of ${t.roomId} at v${snap.version} equals the replay`).toBe(true);
          }
          const problems: string[] = [];
          for (const p of t.players) {
            const seat = t.seats.get(p.name)!;
            const frames = p.browser.sockets().filter((s) => s.roomId === t.roomId).flatMap((s) => s.frames());
            problems.push(...p.browser.sockets().filter((s) => s.roomId === t.roomId).flatMap((s, i) => auditFrames(s.frames(), r, seat, `${p.name} socket ${i}`)));
            const a = auditActions(p.actions(), frames, r, seat, p.name);
            acknowledged += a.acknowledged;
            problems.push(...a.problems);
            const sockets = p.browser.sockets().filter((x) => x.roomId === t.roomId);
            expect(sockets.flatMap((x) => contractViolations(x))).toEqual([]);
          }
          expect(problems).toEqual([]);

          // The CLI's replay gives the final scores and winners the clients saw in game_over.
          const over = await t.players[0]!.finished;
          const cli = await runCli(['replay', t.roomId, '--full'], settings);
          expect(cli.code, cli.stderr).toBe(0);
          const replayed = JSON.parse(cli.stdout) as { version: number; state: { rankings: Array<{ name: string; score: number; rank: number }>; winners: number[]; seats: Array<{ name: string } | null> } };
          expect(replayed.version).toBe(events.length);
          const pd = over.data['phase_data'] as { final_rankings: Array<{ name: string; score: number; rank: number }>; winners: string[] };
          expect(replayed.state.rankings.map((x) => ({ name: x.name, score: x.score, rank: x.rank }))).toEqual(pd.final_rankings.map((x) => ({ name: x.name, score: x.score, rank: x.rank })));
          expect(replayed.state.winners.map((w) => replayed.state.seats[w]?.name)).toEqual(pd.winners);
          expect(Math.max(...pd.final_rankings.map((x) => x.score))).toBeGreaterThanOrEqual(50);
        }
        // Scripted humans act often enough that many actions were acknowledged before some kill.
        expect(acknowledged).toBeGreaterThan(20);
      } finally {
        await storage.close();
      }
      await Promise.all(tables.flatMap((t) => t.browsers.map((b) => b.closeAll())));
      expect(verify.stdout + verify.stderr).toMatch(/verify: no problems found/);
      expect(verify.code).toBe(0);
    });
  });
}
