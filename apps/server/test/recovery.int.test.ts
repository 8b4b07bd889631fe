import { describe, expect, it } from 'vitest';
import { foldRoomStream } from '../src/rooms/replay.js';
import { startTestServer, tempSqlite, until } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, playUntilGameOver, startGame, waitForPhase } from './support/index.js';

describe('restart recovery', () => {
  it('rebuilds a running room after a restart; a player who does not come back within the grace gets a bot, and one who does gets the snapshot', async () => {
    const db = await tempSqlite();
    const first = await startTestServer({ DATABASE_URL: db.url });
    const alice = new Browser('alice');
    const entry = await alice.createRoom(first.baseUrl, 'Alice');
    const bob = new Browser('bob');
    const b = await bob.joinRoom(first.baseUrl, entry.roomId, 'Bob');
    await startGame(entry.socket);
    await waitForPhase(entry.socket, 'preparation');
    const before = first.server.rooms.get(entry.roomId)!;
    await before.whenIdle();
    await first.stop();

    const second = await startTestServer({ DATABASE_URL: db.url, RECONNECT_GRACE_MS: 300 });
    try {
      const actor = second.server.rooms.get(entry.roomId);
      expect(actor, 'the room is rebuilt at start').toBeDefined();
      expect(actor!.state.status).toBe('in_game');
      // Bob comes back at once (same browser): snapshot with his hand.
      const back = await bob.connect(second.baseUrl, entry.roomId, { playerName: 'Bob' });
      const snap = await back.waitFor('phase_change');
      const players = snap.data['players'] as Record<string, { hand: unknown[] }>;
      expect(players['Bob']!.hand.length).toBeGreaterThan(0);
      expect(players['Alice']!.hand).toEqual([]);
      // Alice never returns: after the grace her seat is played by a bot.
      await until(() => actor!.state.seats[0]?.isBot === true, "Alice's seat to be handed to a bot");
      expect(actor!.state.seats[1]?.isBot).toBe(false);
      await back.waitFor((f) => f.event === 'player_disconnected' && f.data['player_name'] === 'Alice');
      await back.close();
      await b.socket.close().catch(() => undefined);
    } finally {
      await second.stop();
      await db.cleanup();
    }
  });

  it('binds the port before rebuilding the rooms: meanwhile startup/ready fail, live passes, admin routes get 503 + retry-after and a socket handshake is held; then all answer and the held socket gets its snapshot', async () => {
    const db = await tempSqlite();
    const TOKEN = 'startup-probe-admin-token';
    const first = await startTestServer({ DATABASE_URL: db.url });
    const alice = new Browser('alice');
    const entry = await alice.createRoom(first.baseUrl, 'Alice');
    await startGame(entry.socket);
    await waitForPhase(entry.socket, 'preparation');
    await first.server.rooms.get(entry.roomId)!.whenIdle();
    await first.stop();

    const admin = { headers: { authorization: `Bearer ${TOKEN}` } };
    const during: Record<string, number> = {};
    let adminDuring: { status: number; retryAfter: string | null } | undefined;
    let held: ReturnType<typeof alice.connect> | undefined;
    let startedAt = Infinity;
    let heldOpenedAt = -Infinity;
    const second = await startTestServer(
      { DATABASE_URL: db.url, ADMIN_TOKEN: TOKEN },
      {
        onListening: async (port) => {
          const base = `http://127.0.0.1:${port}`;
          for (const p of ['/health/startup', '/health/ready', '/health/live', '/api/health']) during[p] = (await fetch(base + p)).status;
          const a = await fetch(`${base}/api/admin/rooms`, admin);
          adminDuring = { status: a.status, retryAfter: a.headers.get('retry-after') };
          // The frontend's reconnect during a deploy: its handshake must wait, not fail (a refused one is fatal to it).
          held = alice.connect(base, entry.roomId, { playerName: 'Alice' });
          void held.then(() => (heldOpenedAt = performance.now()), () => undefined);
        },
      },
    );
    startedAt = performance.now();
    try {
      expect(during).toEqual({ '/health/startup': 503, '/health/ready': 503, '/health/live': 200, '/api/health': 503 });
      expect(adminDuring).toEqual({ status: 503, retryAfter: '1' });
      // The held socket opened only once the server had started, and its first frame is the snapshot with Alice's hand.
      const socket = await held!;
      expect(heldOpenedAt).toBeGreaterThanOrEqual(startedAt - 50);
      const first = await socket.waitFor(() => true);
      expect(first.event).toBe('phase_change');
      expect((first.data['players'] as Record<string, { hand: unknown[] }>)['Alice']!.hand.length).toBeGreaterThan(0);
      expect(socket.frames().some((f) => f.event === 'room_not_found')).toBe(false);
      await socket.close();
      // Started: every probe passes, the admin API lists the rebuilt room and its player gets the snapshot.
      for (const p of ['/health/startup', '/health/ready', '/health/live', '/api/health']) expect((await fetch(second.baseUrl + p)).status, p).toBe(200);
      const listed = (await (await fetch(`${second.baseUrl}/api/admin/rooms`, admin)).json()) as { rooms: Array<{ room_id?: string; roomId?: string; id?: string }> };
      expect(JSON.stringify(listed)).toContain(entry.roomId);
      const back = await alice.connect(second.baseUrl, entry.roomId, { playerName: 'Alice' });
      const snap = await back.waitFor('phase_change');
      expect((snap.data['players'] as Record<string, { hand: unknown[] }>)['Alice']!.hand.length).toBeGreaterThan(0);
      await back.close();
    } finally {
      await second.stop();
      await db.cleanup();
    }
  });

  it('a room whose players drop while the server shuts down is not abandoned by the shutdown: the next start resumes it', async () => {
    const db = await tempSqlite();
    const first = await startTestServer({ DATABASE_URL: db.url, ROOM_ABANDON_MS: 0 });
    const alice = new Browser('alice');
    const entry = await alice.createRoom(first.baseUrl, 'Alice');
    await startGame(entry.socket);
    await waitForPhase(entry.socket, 'preparation');
    await first.server.rooms.get(entry.roomId)!.whenIdle();
    // The shutdown has begun draining the rooms when the last human's disconnect gets handled: the
    // abandonment it would trigger (ROOM_ABANDON_MS 0) must not close the room.
    await first.server.rooms.stopAll();
    await first.server.rooms.abandon(entry.roomId);
    await entry.socket.close().catch(() => undefined);
    await first.stop();

    const second = await startTestServer({ DATABASE_URL: db.url });
    try {
      const actor = second.server.rooms.get(entry.roomId);
      expect(actor, 'the room is rebuilt at start').toBeDefined();
      expect(actor!.state.status).toBe('in_game');
    } finally {
      await second.stop();
      await db.cleanup();
    }
  });
  it.each([
    ['a timer or bot move', (id: string) => id.startsWith('timer:') || id.startsWith('bot:')],
    ["the host's start_game (the table must still hear game_started)", (_id: string, type: string) => type === 'game_started'],
  ])('an append that committed but whose answer was lost (a connection cut around COMMIT), for %s: the room catches up with its stream and the game goes on', { timeout: 60_000 }, async (_what, match) => {
    const db = await tempSqlite();
    const t = await startTestServer({ DATABASE_URL: db.url });
    try {
      const alice = new Browser('alice');
      const entry = await alice.createRoom(t.baseUrl, 'Alice', { pingIntervalMs: 0 });
      // The room's storage step (the append, with its projections in one unit of work) commits, and then its
      // answer is lost, once: what a connection cut right after COMMIT looks like to the server.
      type Persist = (job: { command: { id: string } }, events: ReadonlyArray<{ type: string }>, next: unknown) => Promise<unknown>;
      const actor = t.server.rooms.get(entry.roomId)!;
      const hooked = actor as unknown as { persist: Persist };
      const realPersist = hooked.persist.bind(actor);
      let lose: ((commandId: string, type: string) => boolean) | null = match;
      const lost: string[] = [];
      hooked.persist = async (job, evs, next) => {
        const result = await realPersist(job, evs, next);
        if (lose?.(job.command.id, evs[0]?.type ?? '')) {
          lose = null;
          lost.push(job.command.id);
          throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        }
        return result;
      };
      await startGame(entry.socket);
      const player = new ScriptedPlayer(entry.socket, { redeal: 'decline', ...botLike });
      const [over] = await playUntilGameOver([player], { timeoutMs: 45_000 });
      expect(over!.data['phase']).toBe('game_over');
      expect(lost).toHaveLength(1);
      // The player saw the game start and was never told to try again.
      expect(entry.socket.frames().filter((f) => f.event === 'game_started')).toHaveLength(1);
      expect(player.errors().map((e) => e.data)).toEqual([]);
      await actor.whenIdle();
      // The actor is exactly the stream: its version, and its state as a clean replay gives it.
      const replayed = await foldRoomStream(t.server.storage, entry.roomId, { config: actor.state.config, useSnapshot: false });
      expect(actor.version).toBe(replayed.version);
      expect(actor.state).toEqual(replayed.state);
      await alice.closeAll();
    } finally {
      await t.stop();
      await db.cleanup();
    }
  });
  it("a restore to before a player dropped does not bring back a phantom: the seat is marked away again, a bot plays it, the game goes on", { timeout: 60_000 }, async () => {
    const db = await tempSqlite();
    // The start-up reconnect grace is over at once (while it runs, it is the grace's end that marks away).
    const t = await startTestServer({ DATABASE_URL: db.url, RECONNECT_GRACE_MS: 0 });
    try {
      const alice = new Browser('alice');
      const bob = new Browser('bob');
      const a = await alice.createRoom(t.baseUrl, 'Alice', { pingIntervalMs: 0 });
      const b = await bob.joinRoom(t.baseUrl, a.roomId, 'Bob', { pingIntervalMs: 0 });
      await startGame(a.socket);
      const actor = t.server.rooms.get(a.roomId)!;
      await actor.whenIdle();
      await actor.pause('test'); // a fixed point: nothing moves but (dis)connections
      const before = actor.version;
      await b.socket.drop();
      await until(() => actor.state.seats[1]?.isBot === true, "Bob's seat to be handed to a bot");
      await actor.restore(before, 'test');
      // History says Bob was at the table then; his socket is gone, so he is marked away again.
      await until(() => actor.state.seats[1]?.isBot === true && actor.version > before + 2, 'Bob marked away after the restore');
      expect(actor.state.seats[0]).toMatchObject({ name: 'Alice', isBot: false });
      await actor.resume();
      const player = new ScriptedPlayer(a.socket, { redeal: 'decline', ...botLike });
      const [over] = await playUntilGameOver([player], { timeoutMs: 45_000 });
      expect(over!.data['phase']).toBe('game_over');
      await Promise.all([alice.closeAll(), bob.closeAll()]);
    } finally {
      await t.stop();
      await db.cleanup();
    }
  });

  it("an operator's pause survives a restart (nothing moves but (dis)connections, actions are refused), and so does the resume", { timeout: 60_000 }, async () => {
    const db = await tempSqlite();
    const token = 'test-admin-token-0123456789';
    const admin = (base: string, path: string, method = 'GET') => fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    const first = await startTestServer({ DATABASE_URL: db.url, ADMIN_TOKEN: token });
    const alice = new Browser('alice');
    const entry = await alice.createRoom(first.baseUrl, 'Alice');
    const id = entry.roomId;
    await startGame(entry.socket);
    await waitForPhase(entry.socket, 'preparation');
    await first.server.rooms.get(id)!.whenIdle();
    expect(await (await admin(first.baseUrl, `/api/admin/rooms/${id}/pause`, 'POST')).json()).toEqual({ room_id: id, paused: true });
    const pausedAt = first.server.rooms.get(id)!.version;
    await entry.socket.close().catch(() => undefined);
    await first.stop();

    const second = await startTestServer({ DATABASE_URL: db.url, ADMIN_TOKEN: token });
    try {
      const actor = second.server.rooms.get(id)!;
      expect(actor.paused).toBe(true);
      expect(((await (await admin(second.baseUrl, `/api/admin/rooms/${id}`)).json()) as { paused: boolean }).paused).toBe(true);
      const back = await alice.connect(second.baseUrl, id, { playerName: 'Alice' });
      await back.waitFor('phase_change');
      back.send('declare', { value: 1, player_name: 'Alice' });
      back.send('accept_redeal', { player_name: 'Alice' });
      const refused = await back.waitFor((f) => f.event === 'error');
      expect(String(refused.data['message'])).toMatch(/paused/);
      await actor.whenIdle();
      const since = await second.server.storage.events.readStream(`room-${id}`, { fromVersion: pausedAt + 1 });
      // Only what (dis)connections write: the drop (the host's role passes to a bot's seat) and the return.
      // No deal, no decision, no timer.
      expect(since.map((e) => e.type)).toEqual(['player_disconnected', 'host_changed', 'player_reconnected']);
      expect(await (await admin(second.baseUrl, `/api/admin/rooms/${id}/resume`, 'POST')).json()).toEqual({ room_id: id, paused: false });
      await back.close().catch(() => undefined);
    } finally {
      await second.stop();
    }

    const third = await startTestServer({ DATABASE_URL: db.url, ADMIN_TOKEN: token, RECONNECT_GRACE_MS: 0 });
    try {
      const actor = third.server.rooms.get(id)!;
      expect(actor.paused).toBe(false);
      const back = await alice.connect(third.baseUrl, id, { playerName: 'Alice' });
      const player = new ScriptedPlayer(back, { redeal: 'decline', ...botLike });
      const [over] = await playUntilGameOver([player], { timeoutMs: 45_000 });
      expect(over!.data['phase']).toBe('game_over');
      await alice.closeAll();
    } finally {
      await third.stop();
      await db.cleanup();
    }
  });
});
