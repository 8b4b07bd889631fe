/**
 * Integration tests of the test client itself over real WebSockets, against a tiny stand-in server built
 * on @game/liap-tui's decider (so the scripted players meet real game frames before apps/server exists).
 * The stand-in is NOT the server under test: it only speaks enough of the protocol to exercise the client.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  botMove,
  createRng,
  decide,
  evolve,
  initialState,
  isBotControlled,
  isDomainError,
  nextDeadline,
  roomSummary,
  seatsToAct,
  turnCompleteData,
  viewFor,
  type LiapCommand,
  type LiapConfigInput,
  type LiapState,
  type Seat,
} from '@game/liap-tui';
import {
  Browser,
  LobbyError,
  ScriptedPlayer,
  WaitError,
  playUntilGameOver,
  startGame,
  waitForPhase,
  type ServerFrame,
} from './support/index.js';

interface Conn {
  readonly ws: WebSocket;
  readonly sid: string;
  readonly path: string;
  seat: Seat | null;
  readonly received: Record<string, unknown>[];
  closeCode: number | null;
}

interface Room {
  readonly id: string;
  state: LiapState;
  readonly sessions: (string | null)[];
  readonly conns: Set<Conn>;
  pumping: boolean;
}

/** A minimal Liap Tui server: enough protocol for the client's tests. */
class StandInServer {
  readonly rooms = new Map<string, Room>();
  readonly conns: Conn[] = [];
  readonly lobby = new Set<Conn>();
  config: LiapConfigInput = { timeScale: 0 };
  /** When set, each seat's first `play` is refused like a rate limit (error with retry_after_ms). */
  limitFirstPlay = false;
  /** Answer each seat's first redeal answer as too late: declined as if by the redeal timeout, then refused. */
  staleFirstRedeal = false;
  readonly #staled = new Set<string>();
  /** Answer `ping` with `pong` echoing the timestamp. */
  answerPing = false;
  readonly #limited = new Set<string>();
  /** Bad frames sent to sockets of room BAD000 (to prove the contract checks fire). */
  readonly http: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #rng = createRng(42);
  #ids = 0;
  url = '';

  constructor() {
    this.http = createServer((req, res) => {
      const sid = /(?:^|; )sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      res.writeHead(200, sid === undefined ? { 'set-cookie': `sid=${randomUUID()}; Path=/; HttpOnly` } : {});
      res.end('<html></html>');
    });
    const pending = new WeakMap<IncomingMessage, { sid: string; fresh: boolean }>();
    this.#wss.on('headers', (headers, req) => {
      const s = pending.get(req);
      if (s?.fresh === true) headers.push(`Set-Cookie: sid=${s.sid}; Path=/; HttpOnly; SameSite=Lax`);
    });
    this.http.on('upgrade', (req, socket, head) => {
      const cookieSid = /(?:^|; )sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const sid = cookieSid ?? randomUUID();
      pending.set(req, { sid, fresh: cookieSid === undefined });
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, sid, req.url ?? '/'));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  #send(c: Conn, event: string, data: Record<string, unknown>): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify({ event, data }));
  }

  #accept(ws: WebSocket, sid: string, path: string): void {
    const conn: Conn = { ws, sid, path, seat: null, received: [], closeCode: null };
    this.conns.push(conn);
    const roomId = path.replace(/^\/ws\//, '');
    ws.on('message', (raw) => {
      const text = (
        Array.isArray(raw)
          ? Buffer.concat(raw)
          : Buffer.isBuffer(raw)
            ? raw
            : Buffer.from(new Uint8Array(raw))
      ).toString('utf8');
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(text) as Record<string, unknown>;
      } catch {
        this.#send(conn, 'error', { message: 'Malformed frame', type: 'validation_error' });
        return;
      }
      conn.received.push(frame);
      const data = (frame['data'] ?? {}) as Record<string, unknown>;
      try {
        if (roomId === 'lobby') this.#lobbyFrame(conn, String(frame['event']), data);
        else this.#roomFrame(conn, roomId, String(frame['event']), data);
      } catch (error) {
        if (!isDomainError(error)) throw error;
        this.#send(conn, 'error', { message: error.message, type: error.code });
      }
    });
    ws.on('close', (code) => {
      conn.closeCode = code;
      this.lobby.delete(conn);
      const room = this.rooms.get(roomId);
      if (room === undefined) return;
      room.conns.delete(conn);
      const seat = conn.seat;
      if (seat === null || room.state.status !== 'in_game') return;
      if ([...room.conns].some((c) => c.seat === seat)) return;
      if (room.state.seats[seat]?.connected === true && !isBotControlled(room.state, seat))
        this.#run(room, { type: 'player_disconnected', id: this.#id(), seat });
    });
  }

  #id(): string {
    return `c${++this.#ids}`;
  }

  #lobbyFrame(conn: Conn, event: string, data: Record<string, unknown>): void {
    this.lobby.add(conn);
    if (event === 'ping' && this.answerPing)
      this.#send(conn, 'pong', { timestamp: data['timestamp'], server_time: Date.now() / 1000 });
    if (event === 'get_rooms') this.#send(conn, 'room_list_update', { rooms: [] });
    if (event === 'create_room') {
      let id = '';
      do id = randomUUID().replace(/-/g, '').slice(0, 6).toUpperCase();
      while (this.rooms.has(id));
      const room: Room = {
        id,
        state: initialState(this.config),
        sessions: [conn.sid, null, null, null],
        conns: new Set(),
        pumping: false,
      };
      room.state = this.#apply(room.state, {
        type: 'create_room',
        id: this.#id(),
        name: String(data['player_name']),
      });
      this.rooms.set(id, room);
      this.#send(conn, 'room_created', { room_id: id, success: true });
    }
    if (event === 'join_room') {
      const room = this.rooms.get(String(data['room_id']));
      if (room === undefined)
        return this.#send(conn, 'error', { message: 'Room not found', type: 'room_not_found' });
      const out = decide(
        room.state,
        { type: 'join_room', id: this.#id(), name: String(data['player_name']) },
        { now: Date.now(), rng: this.#rng },
      );
      for (const e of out) {
        room.state = evolve(room.state, e);
        if (e.type === 'player_joined') room.sessions[e.seat] = conn.sid;
      }
      this.#roomUpdate(room);
      this.#send(conn, 'room_joined', { room_id: room.id, success: true });
    }
  }

  #roomFrame(conn: Conn, roomId: string, event: string, data: Record<string, unknown>): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return this.#send(conn, 'room_not_found', { room_id: roomId });
    room.conns.add(conn);
    if (roomId === 'BAD000') return this.#misbehave(conn);
    if (event === 'client_ready' && typeof data['player_name'] === 'string') {
      const seat = room.state.seats.findIndex((s) => s?.name === data['player_name']);
      if (seat < 0 || room.sessions[seat] !== conn.sid)
        return this.#send(conn, 'error', {
          message: 'That seat belongs to another browser',
          type: 'not_your_seat',
        });
      conn.seat = seat;
      // As the real server: a game that ended while the player was away still answers with its final
      // snapshot (a bot can finish the game for a disconnected player before the reconnect lands).
      if (room.state.status === 'in_game' || room.state.status === 'over') {
        if (room.state.status === 'in_game' && room.state.seats[seat]?.connected === false)
          this.#run(room, { type: 'player_reconnected', id: this.#id(), seat });
        this.#send(conn, 'phase_change', { ...viewFor(room.state, seat) });
      }
      return;
    }
    if (event === 'get_room_state') return this.#roomUpdate(room, conn);
    const seat = conn.seat;
    if (seat === null) return;
    if (event === 'start_game') {
      this.#run(room, { type: 'start_game', id: this.#id(), seat });
      return;
    }
    if ((event === 'accept_redeal' || event === 'decline_redeal') && this.staleFirstRedeal && !this.#staled.has(`${room.id}:${seat}`)) {
      this.#staled.add(`${room.id}:${seat}`);
      // The redeal timeout got there first: it declined for the seat, then the answer arrived.
      this.#run(room, { type: 'decline_redeal', id: this.#id(), seat });
      this.#send(conn, 'error', { message: 'Cannot decide on a redeal during round_start', type: 'WRONG_PHASE', event_type: event });
      return;
    }
    if (event === 'accept_redeal' || event === 'decline_redeal')
      this.#run(room, { type: event, id: this.#id(), seat });
    if (event === 'declare')
      this.#run(room, { type: 'declare', id: this.#id(), seat, value: Number(data['value']) });
    if (event === 'play' && this.limitFirstPlay && !this.#limited.has(`${room.id}:${seat}`)) {
      this.#limited.add(`${room.id}:${seat}`);
      this.#send(conn, 'error', {
        code: 'RATE_LIMIT_EXCEEDED',
        message: 'Rate limit exceeded for event: play',
        event_type: 'play',
        retry_after_ms: 5,
      });
      return;
    }
    if (event === 'play')
      this.#run(room, { type: 'play', id: this.#id(), seat, indices: data['piece_indices'] as number[] });
  }

  #misbehave(conn: Conn): void {
    conn.ws.send(JSON.stringify({ event: 'room_update', data: { players: [] }, sequence: 1 }));
    conn.ws.send(
      JSON.stringify({
        event: 'phase_change',
        data: {
          phase: 'TURN',
          players: {
            Eve: {
              hand: [{ value: 14, kind: 'GENERAL_RED' }],
              hand_size: 1,
              is_bot: false,
              zero_declares_in_a_row: 0,
            },
          },
          phase_data: {},
        },
      }),
    );
  }

  #roomUpdate(room: Room, only?: Conn): void {
    const summary = roomSummary(room.state);
    const players = summary.seats.map((s) =>
      s === null
        ? null
        : {
            name: s.name,
            is_bot: s.is_bot,
            is_host: s.is_host,
            player_id: `${room.id}_p${s.seat}`,
            avatar_color: s.avatar_color,
            seat_position: s.seat,
          },
    );
    const data = { room_id: room.id, host_name: summary.host_name, players, started: summary.started };
    for (const c of only === undefined ? room.conns : [only]) this.#send(c, 'room_update', data);
  }

  #apply(state: LiapState, command: LiapCommand): LiapState {
    let s = state;
    for (const e of decide(s, command, { now: Date.now(), rng: this.#rng })) s = evolve(s, e);
    return s;
  }

  /**
   * Decide, evolve, then send personalised frames: `game_started` first, a `phase_change` after the events,
   * and at a turn's resolution the resolved state plus `turn_complete` before anything that follows it.
   */
  #run(room: Room, command: LiapCommand): void {
    const events = decide(room.state, command, { now: Date.now(), rng: this.#rng });
    const snapshot = (): void => {
      if (room.state.status === 'in_game' || room.state.status === 'over')
        for (const c of room.conns) this.#send(c, 'phase_change', { ...viewFor(room.state, c.seat) });
    };
    let dirty = false;
    for (const e of events) {
      room.state = evolve(room.state, e);
      dirty = true;
      if (e.type === 'game_started')
        for (const c of room.conns)
          this.#send(c, 'game_started', { room_id: room.id, success: true, round_number: 1 });
      if (e.type === 'turn_completed') {
        snapshot();
        for (const c of room.conns) this.#send(c, 'turn_complete', turnCompleteData(e));
        dirty = false;
      }
    }
    if (dirty) snapshot();
    this.#schedule(room);
  }

  #schedule(room: Room): void {
    if (room.pumping) return;
    room.pumping = true;
    setImmediate(() => {
      room.pumping = false;
      const state = room.state;
      if (state.status !== 'in_game') return;
      const bot = seatsToAct(state).find((s) => isBotControlled(state, s));
      if (bot !== undefined) {
        const cmd = botMove(state, bot, this.#rng, 'strategic');
        if (cmd !== null) return this.#run(room, cmd);
      }
      if (seatsToAct(state).length > 0) return;
      const t = nextDeadline(state);
      if (t !== null)
        this.#run(room, { type: 'timer_fired', id: this.#id(), timer: t.timer, dueAt: t.dueAt });
    });
  }
}

let server: StandInServer;

beforeAll(async () => {
  server = new StandInServer();
  await server.listen();
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  server.config = { timeScale: 0 };
  server.limitFirstPlay = false;
  server.staleFirstRedeal = false;
  server.answerPing = false;
});

describe('Browser and FrontendSocket', () => {
  it('sends client_ready first, in the frontend envelope, with a per-socket sequence', async () => {
    const browser = new Browser('alice');
    const entry = await browser.createRoom(server.url, 'Alice');
    expect(entry.roomId).toMatch(/^[A-Z0-9]{6}$/);
    expect(entry.roomUpdate.data['players']).toHaveLength(4);
    expect(entry.lobby.closeInfo?.code).toBe(1000);

    const lobbyConn = server.conns.find((c) => c.path === '/ws/lobby' && c.sid === browser.cookies()['sid']);
    expect(lobbyConn?.received.map((f) => f['event'])).toEqual(['client_ready', 'get_rooms', 'create_room']);
    expect(lobbyConn?.received[0]).toMatchObject({
      event: 'client_ready',
      data: { room_id: 'lobby', is_reconnection: false },
      sequence: 1,
    });
    expect(lobbyConn?.received[0]?.['data']).not.toHaveProperty('player_name');
    expect(lobbyConn?.closeCode).toBe(1000);

    const roomConn = server.conns.find((c) => c.path === `/ws/${entry.roomId}`);
    const sent = roomConn?.received ?? [];
    expect(sent.map((f) => f['event'])).toEqual(['client_ready', 'get_room_state']);
    expect(sent[0]).toMatchObject({
      data: { room_id: entry.roomId, player_name: 'Alice', is_reconnection: false },
      sequence: 1,
    });
    for (const f of sent) {
      expect(Object.keys(f).sort()).toEqual(['data', 'event', 'id', 'sequence', 'timestamp']);
      expect(f['id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof f['timestamp']).toBe('number');
    }
    expect(sent.map((f) => f['sequence'])).toEqual([1, 2]);
    expect(browser.violations()).toEqual([]);
    await browser.closeAll();
  });

  it('keeps one cookie jar per browser: the upgrade Set-Cookie is stored and sent back, never shared', async () => {
    const a = new Browser('a');
    const b = new Browser('b');
    const ra = await a.createRoom(server.url, 'Ann');
    const rb = await b.joinRoom(server.url, ra.roomId, 'Ben');
    const sidA = a.cookies()['sid'];
    const sidB = b.cookies()['sid'];
    expect(sidA).toBeDefined();
    expect(sidB).toBeDefined();
    expect(sidA).not.toBe(sidB);
    // Every socket of a browser after the first carried its cookie: the server saw one session per browser.
    const sessionsOf = (paths: string[], sid: string | undefined): number =>
      server.conns.filter((c) => paths.includes(c.path) && c.sid === sid).length;
    expect(sessionsOf(['/ws/lobby', `/ws/${ra.roomId}`], sidA)).toBe(2);
    expect(sessionsOf(['/ws/lobby', `/ws/${ra.roomId}`], sidB)).toBe(2);
    expect(rb.roomUpdate.data['players']).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Ben', is_bot: false })]),
    );

    // A second browser cannot take Ben's seat by name; a page load also issues the session cookie.
    const thief = new Browser('thief');
    await thief.loadPage(server.url, '/lobby');
    expect(thief.cookies()['sid']).toBeDefined();
    const s = await thief.connect(server.url, ra.roomId, { playerName: 'Ben' });
    const err = await s.waitFor('error');
    expect(err.data['type']).toBe('not_your_seat');
    await Promise.all([a.closeAll(), b.closeAll(), thief.closeAll()]);
  });

  it('lobby errors surface as LobbyError with the server message', async () => {
    const browser = new Browser();
    await expect(browser.joinRoom(server.url, 'ZZZZZZ', 'Zed')).rejects.toThrow(LobbyError);
    await expect(browser.joinRoom(server.url, 'ZZZZZZ', 'Zed')).rejects.toThrow(/Room not found/);
    expect(browser.sockets().every((s) => s.closeInfo !== null)).toBe(true);
  });

  it('waitFor: resolves from history or later, honours since, and fails with the last frames', async () => {
    const browser = new Browser();
    const { socket } = await browser.createRoom(server.url, 'Wanda');
    const first = await socket.waitFor('room_update');
    expect(first.event).toBe('room_update');
    const mark = socket.mark();
    const later = socket.waitFor('room_update', { since: mark, timeoutMs: 5000 });
    socket.send('get_room_state', { room_id: socket.roomId });
    expect(socket.frames().indexOf(await later)).toBeGreaterThanOrEqual(mark);

    const err = await socket.waitFor('never_sent', { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitError);
    expect((err as WaitError).code).toBe('WAIT_TIMEOUT');
    expect((err as WaitError).message).toMatch(/no event "never_sent" within 50 ms/);
    expect((err as WaitError).message).toContain('room_update');

    const pendingWait = socket.waitFor('never_sent', { timeoutMs: 10_000 });
    const closed = await socket.close();
    expect(closed.code).toBe(1000);
    await expect(pendingWait).rejects.toMatchObject({ code: 'SOCKET_CLOSED' });
    expect(socket.send('ping', {})).toBeNull();
  });

  it('ping() gets the pong echoing its timestamp', async () => {
    const browser = new Browser();
    const socket = await browser.connect(server.url, 'lobby', { pingIntervalMs: 0 });
    await expect(socket.ping({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
    server.answerPing = true;
    const pong = await socket.ping();
    expect(pong.data['server_time']).toEqual(expect.any(Number));
    expect(socket.sent().filter((f) => f.event === 'ping')).toHaveLength(2);
    await socket.close();
  });

  it('drop() ends the connection without a close frame (the server sees 1006)', async () => {
    const browser = new Browser();
    const socket = await browser.connect(server.url, 'lobby');
    socket.send('get_rooms', {});
    await socket.waitFor('room_list_update');
    const conn = server.conns.at(-1);
    const info = await socket.drop();
    expect(info.code).toBe(1006);
    await expect.poll(() => conn?.closeCode).toBe(1006);
  });

  it('records contract violations of a misbehaving server', async () => {
    const bad: ServerFrame[] = [];
    server.rooms.set('BAD000', {
      id: 'BAD000',
      state: initialState(),
      sessions: [null, null, null, null],
      conns: new Set(),
      pumping: false,
    });
    const browser = new Browser();
    const socket = await browser.connect(server.url, 'BAD000', { playerName: 'Alice' });
    socket.onFrame((f) => bad.push(f));
    await socket.waitFor('phase_change');
    const rules = socket.violations().map((v) => v.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'envelope.keys',
        'room_update.players',
        'phase_change.phase_lowercase',
        'phase_change.opponent_hand',
        'privacy.foreign_hand',
      ]),
    );
    expect(socket.violations().find((v) => v.rule === 'envelope.keys')?.index).toBe(0);
    expect(bad.map((f) => f.event)).toContain('phase_change');
    await socket.close();
  });
});

describe('ScriptedPlayer', () => {
  it('two scripted humans and two bots play from the lobby to game over, with redeals, within the contract', async () => {
    server.config = { timeScale: 0, dealing: { mode: 'forced_weak', weakSeats: [0, 1], maxForcedDeals: 2 } };
    const alice = new Browser('alice');
    const bob = new Browser('bob');
    const a = await alice.createRoom(server.url, 'Alice');
    const b = await bob.joinRoom(server.url, a.roomId, 'Bob');
    const pa = new ScriptedPlayer(a.socket, { redeal: { acceptFirst: 1 } }).start();
    const pb = new ScriptedPlayer(b.socket, { redeal: 'decline' }).start();
    await startGame(a.socket);
    await b.socket.waitFor('game_started');
    const [overA, overB] = await playUntilGameOver([pa, pb], { timeoutMs: 60_000 });
    expect(overA?.data['phase']).toBe('game_over');
    expect(overB?.data['phase']).toBe('game_over');
    expect((overA?.data['phase_data'] as Record<string, unknown>)['winners']).not.toHaveLength(0);

    for (const p of [pa, pb]) {
      expect(p.violations()).toEqual([]);
      expect(p.errors()).toEqual([]);
      const keys = p.actions().map((x) => x.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(p.actions().filter((x) => x.event === 'declare').length).toBeGreaterThan(0);
      expect(p.actions().filter((x) => x.event === 'play').length).toBeGreaterThan(0);
    }
    // Every action was applied and seen applied in a later broadcast.
    for (const p of [pa, pb])
      expect(p.acknowledged().map((x) => x.key)).toEqual(p.actions().map((x) => x.key));
    expect(pa.actions().filter((x) => x.event === 'accept_redeal')).toHaveLength(1);
    expect(pb.actions().filter((x) => x.event === 'accept_redeal')).toHaveLength(0);
    expect(pb.actions().filter((x) => x.event === 'decline_redeal').length).toBeGreaterThan(0);
    // Every turn_complete the client saw was well-formed, and both saw the same game.
    expect(a.socket.frames().filter((f) => f.event === 'turn_complete').length).toBeGreaterThan(7);
    await Promise.all([alice.closeAll(), bob.closeAll()]);
  });

  it('acts after a delay, survives a dropped socket mid-game and finishes after reconnecting', async () => {
    const alice = new Browser('alice');
    const a = await alice.createRoom(server.url, 'Alice');
    let dropped = false;
    const player = new ScriptedPlayer(a.socket, {
      baseUrl: server.url,
      connectOptions: { pingIntervalMs: 0 },
      delayMs: () => 1,
      onAction: async (decision, p) => {
        if (dropped || decision.event !== 'play') return;
        dropped = true;
        await p.socket.drop();
        await p.reconnect();
      },
    }).start();
    await startGame(a.socket);
    const [over] = await playUntilGameOver([player], { timeoutMs: 60_000 });
    expect(over?.data['phase']).toBe('game_over');
    expect(dropped).toBe(true);
    expect(alice.sockets().length).toBe(3); // lobby, room, reconnected room
    const second = alice.sockets()[2];
    // The reconnect got a snapshot first (client_ready on the new socket, then a phase_change).
    expect(second?.frames()[0]?.event).toBe('phase_change');
    expect(player.violations()).toEqual([]);
    expect(player.errors()).toEqual([]);
    await alice.closeAll();
  });

  it('clicks again after an error frame while the move is still open (retry_after_ms honoured)', async () => {
    server.limitFirstPlay = true;
    const alice = new Browser();
    const a = await alice.createRoom(server.url, 'Alice');
    const p = new ScriptedPlayer(a.socket).start();
    await startGame(a.socket);
    await playUntilGameOver([p], { timeoutMs: 60_000 });
    const plays = p.actions().filter((x) => x.event === 'play');
    expect(p.errors().map((e) => e.data['code'])).toEqual(['RATE_LIMIT_EXCEEDED']);
    // The first play was refused and sent again (same decision point, same pieces); every other play once.
    const [first, second] = plays;
    expect(second?.retry).toBe(1);
    expect(second?.key).toBe(first?.key);
    expect(second?.data).toEqual(first?.data);
    expect(plays.filter((x) => x.retry > 0)).toHaveLength(1);
    expect(p.violations()).toEqual([]);
    await alice.closeAll();
  });

  it('a redeal answer refused as too late (WRONG_PHASE) is a stale refusal, not an error, and play goes on', async () => {
    server.staleFirstRedeal = true;
    server.config = { timeScale: 0, dealing: { mode: 'forced_weak', weakSeats: [0], maxForcedDeals: 1 } };
    const alice = new Browser();
    const a = await alice.createRoom(server.url, 'Alice');
    const p = new ScriptedPlayer(a.socket, { redeal: 'accept' }).start();
    await startGame(a.socket);
    await playUntilGameOver([p], { timeoutMs: 60_000 });
    expect(p.errors()).toEqual([]);
    expect(p.staleRefusals().map((e) => [e.data['type'], e.data['event_type']])).toEqual([['WRONG_PHASE', 'accept_redeal']]);
    await alice.closeAll();
  });

  it('with retryOnError: false it stays stuck, and playUntilGameOver fails with a report', async () => {
    server.limitFirstPlay = true;
    const alice = new Browser();
    const a = await alice.createRoom(server.url, 'Alice');
    const p = new ScriptedPlayer(a.socket, { retryOnError: false });
    await startGame(a.socket);
    const err = await playUntilGameOver([p], { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitError);
    expect(String(err)).toMatch(/game not over within 1500 ms/);
    expect(String(err)).toMatch(/Alice: latest phase turn/);
    expect(String(err)).toContain('RATE_LIMIT_EXCEEDED');
    p.stop();
    await alice.closeAll();
  });

  it('autoReconnect: after a network loss the player reconnects on its own and finishes', async () => {
    const alice = new Browser();
    const a = await alice.createRoom(server.url, 'Alice');
    let drops = 0;
    const p = new ScriptedPlayer(a.socket, {
      baseUrl: server.url,
      autoReconnect: { delayMs: 5, attempts: 3 },
      onAction: (d, player) => {
        if (d.event === 'declare' && drops < 2) {
          drops++;
          void player.socket.drop();
        }
      },
    }).start();
    await startGame(a.socket);
    await playUntilGameOver([p], { timeoutMs: 60_000 });
    expect(p.reconnects).toBe(2);
    // Only a frame sent right before a drop may be lost; everything else is seen applied (some via snapshots).
    const sentKeys = new Set(
      p
        .actions()
        .filter((x) => x.sent)
        .map((x) => x.key),
    );
    expect(p.acknowledged().every((x) => sentKeys.has(x.key))).toBe(true);
    expect(p.acknowledged().length).toBeGreaterThanOrEqual(sentKeys.size - drops);
    expect(alice.sockets().filter((s) => s.roomId === a.roomId)).toHaveLength(3);
    expect(p.violations()).toEqual([]);
    await alice.closeAll();
  });

  it('refresh() closes with 1001 and the reloaded page resumes from the snapshot', async () => {
    const alice = new Browser();
    const a = await alice.createRoom(server.url, 'Alice');
    const p = new ScriptedPlayer(a.socket, { baseUrl: server.url }).start();
    await startGame(a.socket);
    await waitForPhase(a.socket, 'turn');
    const old = p.socket;
    const fresh = await p.refresh();
    expect(old.closeInfo?.code).toBe(1001);
    expect((await fresh.waitFor('phase_change')).data['players']).toBeDefined();
    await playUntilGameOver([p], { timeoutMs: 60_000 });
    expect(p.violations()).toEqual([]);
    await alice.closeAll();
  });

  it('waitForPhase finds a phase in history or waits for it', async () => {
    const alice = new Browser();
    const a = await alice.createRoom(server.url, 'Alice');
    const p = new ScriptedPlayer(a.socket).start();
    const declaring = waitForPhase(
      a.socket,
      'declaration',
      (d) => (d['phase_data'] as Record<string, unknown>)['current_declarer'] !== undefined,
    );
    await startGame(a.socket);
    const frame = await declaring;
    expect(frame.data['phase']).toBe('declaration');
    await expect(waitForPhase(a.socket, 'preparation')).resolves.toMatchObject({ event: 'phase_change' });
    await playUntilGameOver([p], { timeoutMs: 60_000 });
    await alice.closeAll();
  });
});
