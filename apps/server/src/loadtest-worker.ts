/**
 * The client side of `liap-tui-server loadtest` (see loadtest.ts): lean WebSocket players for a share of the
 * rooms, run in a worker thread so the clients do not compete with the server's event loop.
 *
 * Per room ("table"): the host opens the lobby socket, sends `create_room`, closes the lobby socket and opens
 * the room socket; three players open the room socket, `join_room` (replacing the bots) and `client_ready`;
 * the host sends `start_game` when the driver says go. Every player acts at once (or after `thinkMs`) when a
 * `phase_change` says it is its move, with the legacy bot's logic on its own hand.
 *
 * Latency of one action: from `send` to the moment the last of the room's four sockets has received the
 * first `phase_change` whose `sequence` is above the one the action was decided on.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { isPieceKind, strategicDeclare, strategicPlay, validDeclarations, type LiapState, type PieceKind } from '@game/liap-tui';
import WebSocket from 'ws';

/** What the driver gives a client worker. */
export interface ClientWorkerData {
  readonly kind: 'liap-loadtest-client';
  /** `ws://127.0.0.1:<port>` */
  readonly wsBase: string;
  /** Global index of this worker's first table (names and logs only). */
  readonly firstTable: number;
  readonly tables: number;
  /** Games this worker plays in all (tables start new rooms until it is reached). */
  readonly games: number;
  readonly thinkMs: number;
  readonly setupConcurrency: number;
  /** `game` (default): play Liap Tui against the server; `floor`: the baseline's rotating turns (loadtest-floor.ts). */
  readonly mode?: 'game' | 'floor';
}

/** Messages from the driver. */
export type DriverMessage = { readonly type: 'go' } | { readonly type: 'stop' };

/** Counters of one reporting interval (or of the whole run). */
export interface ClientCounters {
  actionsSent: number;
  actionsCompleted: number;
  framesReceived: number;
  /** Bytes of the frames that count (`phase_change`), for the baseline's frame size. */
  bytesReceived: number;
  gamesStarted: number;
  gamesFinished: number;
  /** `error` frames of the transport/server (and socket failures) by `data.type`. */
  errors: Record<string, number>;
  /** The game's refusals of stale actions, by `<code>:<event>`. */
  rejected: Record<string, number>;
}

/** Messages to the driver. */
export type ClientMessage =
  | { readonly type: 'ready'; readonly setupMs: number; readonly failedTables: number; readonly errors: Record<string, number> }
  | {
      readonly type: 'tick';
      readonly latencies: Float64Array;
      /** The same latencies by the action's event (`declare`, `play`, ...); empty for the baseline's tables. */
      readonly byEvent: Record<string, Float64Array>;
      readonly counters: ClientCounters;
      readonly elu: number;
    }
  | { readonly type: 'done'; readonly reason: 'games' | 'stopped'; readonly unfinishedTables: number; readonly stalledTables: number };

const NAMES = ['Host', 'P2', 'P3', 'P4'] as const;
const SEAT_BITS = 0b1111;

interface SentAction {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly baseSeq: number;
  tries: number;
}

interface Pending {
  readonly t0: number;
  readonly event: string;
  readonly baseSeq: number;
  readonly seat: number;
  seen: number;
}

const emptyCounters = (): ClientCounters => ({
  actionsSent: 0,
  actionsCompleted: 0,
  framesReceived: 0,
  bytesReceived: 0,
  gamesStarted: 0,
  gamesFinished: 0,
  errors: {},
  rejected: {},
});

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** `GENERAL_RED(14)` -> `GENERAL_RED`. */
const kindOfLabel = (label: unknown): PieceKind | null => {
  const k = typeof label === 'string' ? label.replace(/\(\d+\)$/, '') : null;
  return isPieceKind(k) ? k : null;
};

/**
 * The strategic bot's play (the one that ends games in about a dozen rounds), fed only with what the
 * frontend shows this player: its hand, declared and captured piles, and this turn's plays so far.
 */
function playLikeStrategicBot(mine: Record<string, unknown>, hand: ReadonlyArray<{ kind: PieceKind }>, plays: Record<string, unknown>, required: number | null): number[] {
  const turnPlays = Object.values(plays).flatMap((p) => {
    if (!isObj(p) || !Array.isArray(p['pieces'])) return [];
    const pieces = p['pieces'].map(kindOfLabel).filter((k): k is PieceKind => k !== null);
    return [{ pieces, playType: typeof p['play_type'] === 'string' ? p['play_type'] : 'INVALID' }];
  });
  const partial = {
    players: [{ hand: hand.map((p) => p.kind), declared: num(mine['declared']), capturedPiles: num(mine['captured_piles']) }],
    turn: { required, plays: turnPlays },
  };
  return strategicPlay(partial as unknown as LiapState, 0);
}

/** The action a player named `me` takes on this `phase_change` data, or null. Exported for tests. */
export function chooseAction(data: Record<string, unknown>, me: string): { key: string; event: string; data: Record<string, unknown> } | null {
  const phase = data['phase'];
  const pd = isObj(data['phase_data']) ? data['phase_data'] : {};
  const round = typeof data['round'] === 'number' ? data['round'] : 0;
  const players = isObj(data['players']) ? data['players'] : {};
  const mine = isObj(players[me]) ? players[me] : {};
  const hand = Array.isArray(mine['hand']) ? (mine['hand'] as Array<{ kind: PieceKind; value: number }>) : [];
  switch (phase) {
    case 'preparation': {
      const awaiting = pd['weak_players_awaiting'];
      if (pd['simultaneous_mode'] !== true || !Array.isArray(awaiting) || !awaiting.includes(me)) return null;
      return { key: `p:${round}:${String(pd['redeal_multiplier'])}`, event: 'decline_redeal', data: { player_name: me } };
    }
    case 'declaration': {
      if (pd['current_declarer'] !== me) return null;
      const declarations = isObj(pd['declarations']) ? pd['declarations'] : {};
      if (me in declarations) return null;
      const earlier = Object.values(declarations).filter((v): v is number => typeof v === 'number');
      const earlierTotal = earlier.reduce((a, b) => a + b, 0);
      const isLast = earlier.length === 3;
      const zeroStreak = typeof mine['zero_declares_in_a_row'] === 'number' ? mine['zero_declares_in_a_row'] : 0;
      const wanted = strategicDeclare({ hand: hand.map((p) => p.kind), position: earlier.length, earlier, mustBeNonzero: zeroStreak >= 2 });
      const valid = validDeclarations({ earlierTotal, isLast, zeroStreak });
      let value = valid[0] ?? 1;
      for (const v of valid) if (Math.abs(v - wanted) < Math.abs(value - wanted)) value = v;
      return { key: `d:${round}`, event: 'declare', data: { value, player_name: me } };
    }
    case 'turn': {
      if (pd['current_player'] !== me || pd['turn_complete'] === true || hand.length === 0) return null;
      const plays = isObj(pd['turn_plays']) ? pd['turn_plays'] : {};
      if (me in plays) return null;
      const rpc = pd['required_piece_count'];
      const required = typeof rpc === 'number' && Object.keys(plays).length > 0 ? rpc : null;
      const indices = playLikeStrategicBot(mine, hand, plays, required);
      const playValue = indices.reduce((sum, i) => sum + (hand[i]?.value ?? 0), 0);
      return {
        key: `t:${round}:${String(pd['current_turn_number'])}`,
        event: 'play',
        data: { piece_indices: indices, player_name: me, play_value: playValue },
      };
    }
    default:
      return null;
  }
}

/** The client side of one worker: tables of four players. */
class ClientRun {
  private readonly tables: TableBase[] = [];
  counters = emptyCounters();
  latencies: number[] = [];
  private byEvent = new Map<string, number[]>();
  private gamesLeft: number;
  running = false;
  stopping = false;
  private eluMark = performance.eventLoopUtilization();

  constructor(readonly cfg: ClientWorkerData) {
    this.gamesLeft = cfg.games;
  }

  /** An action answered on all four sockets after `ms`; `event` for a game action, none for the baseline's. */
  completed(ms: number, event?: string): void {
    this.latencies.push(ms);
    this.counters.actionsCompleted++;
    if (event === undefined) return;
    const list = this.byEvent.get(event);
    if (list) list.push(ms);
    else this.byEvent.set(event, [ms]);
  }

  rejected(key: string): void {
    this.counters.rejected[key] = (this.counters.rejected[key] ?? 0) + 1;
  }

  error(type: string): void {
    this.counters.errors[type] = (this.counters.errors[type] ?? 0) + 1;
  }

  /** Claims one game from the quota. */
  takeGame(): boolean {
    if (this.gamesLeft <= 0 || this.stopping) return false;
    this.gamesLeft--;
    return true;
  }

  async setup(): Promise<{ setupMs: number; failed: number }> {
    const t0 = performance.now();
    const count = Math.min(this.cfg.tables, this.cfg.games);
    for (let i = 0; i < count; i++) {
      const index = this.cfg.firstTable + i;
      this.tables.push(this.cfg.mode === 'floor' ? new FloorTable(this, index) : new Table(this, index));
    }
    let next = 0;
    let failed = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < this.tables.length; i = next++) {
        const t = this.tables[i]!;
        if (!this.takeGame()) break;
        try {
          await t.open();
        } catch (err) {
          failed++;
          this.error(setupFailure(err));
          t.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.cfg.setupConcurrency) }, lane));
    return { setupMs: performance.now() - t0, failed };
  }

  go(): void {
    this.running = true;
    // With think time, rooms start spread over one think time, as real rooms would, not all in the same ms.
    const spread = this.cfg.thinkMs;
    for (const t of this.tables) {
      if (!t.isReady) continue;
      if (spread > 0) setTimeout(() => t.start(), Math.random() * spread);
      else t.start();
    }
    this.checkDone();
  }

  /** Reports this interval's numbers and starts a new interval. */
  tick(): void {
    const elu = performance.eventLoopUtilization(this.eluMark);
    this.eluMark = performance.eventLoopUtilization();
    const latencies = Float64Array.from(this.latencies);
    const byEvent: Record<string, Float64Array> = {};
    const buffers: ArrayBuffer[] = [latencies.buffer];
    for (const [event, list] of this.byEvent) {
      const values = Float64Array.from(list);
      byEvent[event] = values;
      buffers.push(values.buffer);
    }
    const msg: ClientMessage = { type: 'tick', latencies, byEvent, counters: this.counters, elu: elu.utilization };
    this.latencies = [];
    this.byEvent = new Map();
    this.counters = emptyCounters();
    parentPort?.postMessage(msg, buffers);
  }

  /** A table finished its game: start another one if the quota allows. */
  async tableFinished(t: TableBase): Promise<void> {
    this.counters.gamesFinished++;
    t.close();
    if (this.takeGame()) {
      try {
        await t.open();
        if (this.running && !this.stopping) t.start();
      } catch (err) {
        this.error(setupFailure(err));
        t.close();
      }
    }
    this.checkDone();
  }

  checkDone(): void {
    if (this.stopping || !this.running) return;
    if (this.gamesLeft > 0 || this.tables.some((t) => t.busy)) return;
    this.finish('games');
  }

  finish(reason: 'games' | 'stopped'): void {
    if (this.stopping) return;
    this.stopping = true;
    const now = performance.now();
    const unfinished = this.tables.filter((t) => t.playing).length;
    // Stalled: nothing heard for 5 s beyond the longest think time.
    const stalled = this.tables.filter((t) => t.playing && now - t.lastFrameAt > 5_000 + 1.5 * this.cfg.thinkMs).length;
    for (const t of this.tables) t.close();
    this.tick();
    const msg: ClientMessage = { type: 'done', reason, unfinishedTables: unfinished, stalledTables: stalled };
    parentPort?.postMessage(msg);
  }
}

/** What the run needs of a table, and the socket handling both kinds of table share. */
abstract class TableBase {
  protected sockets: Array<WebSocket | null> = [null, null, null, null];
  protected ready = false;
  playing = false;
  lastFrameAt = 0;

  constructor(
    protected readonly run: ClientRun,
    readonly index: number,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  /** Setting up or playing. */
  get busy(): boolean {
    return this.ready || this.playing;
  }

  abstract open(): Promise<void>;
  /** The first move of a started table (the host's `start_game`, or the baseline's first turn). */
  protected abstract begin(): void;

  start(): void {
    if (!this.ready) return;
    this.ready = false;
    this.playing = true;
    this.lastFrameAt = performance.now();
    this.run.counters.gamesStarted++;
    this.begin();
  }

  close(): void {
    this.ready = false;
    this.playing = false;
    for (const ws of this.sockets) if (ws && ws.readyState <= WebSocket.OPEN) ws.terminate();
    this.sockets = [null, null, null, null];
  }

  /** A frame as `{event, data}`, or null (a frame that is not JSON counts as a `bad_frame` error). */
  protected parseFrame(raw: string): { event: string; data: Record<string, unknown> } | null {
    let f: unknown;
    try {
      f = JSON.parse(raw);
    } catch {
      this.run.error('bad_frame');
      return null;
    }
    return isObj(f) && typeof f['event'] === 'string' ? (f as { event: string; data: Record<string, unknown> }) : null;
  }

  /** Opens one socket (no per-message deflate); its frames go to `onText` as strings. */
  protected openSocket(url: string, headers: Record<string, string>, onText: (raw: string) => void): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: 30_000 });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => this.run.error('socket_error'));
        resolve(ws);
      });
      ws.on('message', (buf: Buffer) => {
        if (!isRoomList(buf)) onText(buf.toString());
      });
    });
  }
}

/**
 * A lobby `room_list_update` (the full directory: ~100 KB with 1,000 waiting rooms, sent on every change).
 * The players never use it; skipping it before decoding keeps the client thread from falling behind and
 * being closed by the server as a slow consumer while a thousand rooms are set up.
 */
export function isRoomList(buf: Buffer): boolean {
  return buf.length > 512 && buf.toString('latin1', 0, 48).includes('"room_list_update"');
}

/** One room and its four players. */
class Table extends TableBase {
  roomId = '';
  private readonly sessions = NAMES.map(() => randomBytes(18).toString('base64url'));
  private readonly lastKey: Array<string | null> = [null, null, null, null];
  private readonly lastSeq = [0, 0, 0, 0];
  private readonly lastSent: Array<SentAction | null> = [null, null, null, null];
  private pending: Pending[] = [];
  private over = 0;

  private async connect(path: string, seat: number, onFrame: (f: { event: string; data: Record<string, unknown> }, raw: string) => void): Promise<WebSocket> {
    const ws = await this.openSocket(`${this.run.cfg.wsBase}/ws/${path}`, { Cookie: `liap_sid=${this.sessions[seat]!}` }, (raw) => {
      const f = this.parseFrame(raw);
      if (f) onFrame(f, raw);
    });
    ws.on('close', (code: number) => {
      if (this.playing && this.sockets[seat] === ws && !this.run.stopping) this.run.error(`closed_${code}`);
    });
    return ws;
  }

  /** Resolves with the first frame on `ws` matching `pred`; rejects on an `error` frame or timeout. */
  private static expect(ws: WebSocket, pred: (f: { event: string; data: Record<string, unknown> }) => boolean, what: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), 30_000);
      const onMsg = (buf: Buffer): void => {
        if (isRoomList(buf)) return;
        let f: unknown;
        try {
          f = JSON.parse(buf.toString());
        } catch {
          return;
        }
        if (!isObj(f)) return;
        const frame = f as { event: string; data: Record<string, unknown> };
        if (frame.event === 'error') done(new Error(`${what}: ${JSON.stringify(frame.data)}`));
        else if (pred(frame)) done(null, frame.data);
      };
      // A closed socket never answers: fail at once with the close code (the server closes slow consumers).
      const onClose = (code: number): void => done(new Error(`socket closed (${code}) while waiting for ${what}`));
      const done = (err: Error | null, data?: Record<string, unknown>): void => {
        clearTimeout(timer);
        ws.off('message', onMsg);
        ws.off('close', onClose);
        if (err) reject(err);
        else resolve(data ?? {});
      };
      ws.on('message', onMsg);
      ws.on('close', onClose);
    });
  }

  /** Creates a room and seats four humans (the driver's `go` starts the game). */
  async open(): Promise<void> {
    this.pending = [];
    this.over = 0;
    this.lastKey.fill(null);
    this.lastSent.fill(null);
    this.lastSeq.fill(0);
    const noop = (): void => undefined;
    const lobby = await this.connect('lobby', 0, noop);
    const createdP = Table.expect(lobby, (f) => f.event === 'room_created', 'room_created');
    lobby.send(JSON.stringify({ event: 'create_room', data: { player_name: NAMES[0] } }));
    const created = await createdP;
    lobby.close(1000);
    this.roomId = String(created['room_id']);
    const seatUp = async (seat: number): Promise<void> => {
      const ws = await this.connect(this.roomId, seat, (f, raw) => this.onFrame(seat, f, raw.length));
      this.sockets[seat] = ws;
      if (seat !== 0) {
        const joined = Table.expect(ws, (f) => f.event === 'room_joined', 'room_joined');
        ws.send(JSON.stringify({ event: 'join_room', data: { room_id: this.roomId, player_name: NAMES[seat] } }));
        await joined;
      }
      // Frames of one socket are handled in order: the pong says the seat is bound.
      const pong = Table.expect(ws, (f) => f.event === 'pong', 'pong');
      ws.send(JSON.stringify({ event: 'client_ready', data: { room_id: this.roomId, player_name: NAMES[seat], is_reconnection: false } }));
      ws.send(JSON.stringify({ event: 'ping', data: { timestamp: 0 } }));
      await pong;
    };
    await seatUp(0);
    // Joins one after another: each takes the next bot seat.
    for (let seat = 1; seat < 4; seat++) await seatUp(seat);
    this.ready = true;
  }

  protected begin(): void {
    this.sockets[0]?.send(JSON.stringify({ event: 'start_game', data: {} }));
  }

  private sendAction(seat: number, a: SentAction): void {
    const ws = this.sockets[seat];
    if (!this.playing || !ws || ws.readyState !== WebSocket.OPEN) return;
    this.lastSent[seat] = a;
    this.pending.push({ t0: performance.now(), event: a.event, baseSeq: a.baseSeq, seat, seen: 0 });
    this.run.counters.actionsSent++;
    ws.send(JSON.stringify({ event: a.event, data: a.data }));
  }

  private onFrame(seat: number, f: { event: string; data: Record<string, unknown> }, bytes: number): void {
    const run = this.run;
    if (f.event === 'error') {
      const type = typeof f.data['type'] === 'string' ? f.data['type'] : 'unknown';
      const event = typeof f.data['event_type'] === 'string' ? f.data['event_type'] : '?';
      // Upper-case types are the game's refusals (e.g. a redeal answer after the 0 ms redeal timeout fired).
      if (/^[A-Z_]+$/.test(type)) run.rejected(`${type}:${event}`);
      else run.error(type);
      // The action was refused: it will have no frames.
      const i = this.pending.findIndex((p) => p.seat === seat);
      if (i >= 0) this.pending.splice(i, 1);
      const last = this.lastSent[seat];
      if (!/^[A-Z_]+$/.test(type) && last && last.tries < 3) {
        // A server/transport failure: the player clicks again shortly, like a person would (at most 3 times).
        last.tries++;
        setTimeout(() => this.sendAction(seat, last), 250);
      } else {
        // A stale action: the next phase_change drives the player again.
        this.lastKey[seat] = null;
      }
      return;
    }
    if (f.event !== 'phase_change' || !this.playing) return;
    const now = performance.now();
    run.counters.framesReceived++;
    run.counters.bytesReceived += bytes;
    this.lastFrameAt = now;
    const data = f.data;
    const seq = typeof data['sequence'] === 'number' ? data['sequence'] : 0;
    this.lastSeq[seat] = seq;
    const bit = 1 << seat;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      if ((p.seen & bit) !== 0 || seq <= p.baseSeq) continue;
      p.seen |= bit;
      if (p.seen === SEAT_BITS) {
        run.completed(now - p.t0, p.event);
        this.pending.splice(i, 1);
      }
      break;
    }
    if (data['phase'] === 'game_over') {
      this.over |= bit;
      if (this.over === SEAT_BITS) {
        this.playing = false;
        void run.tableFinished(this);
      }
      return;
    }
    const action = chooseAction(data, NAMES[seat]!);
    if (action === null || action.key === this.lastKey[seat]) return;
    this.lastKey[seat] = action.key;
    const sent: SentAction = { event: action.event, data: action.data, baseSeq: seq, tries: 0 };
    const send = (): void => this.sendAction(seat, sent);
    const think = run.cfg.thinkMs;
    if (think > 0) setTimeout(send, think * (0.5 + Math.random()));
    else send();
  }
}

/**
 * One room of the baseline (`--baseline`, loadtest-floor.ts): four sockets taking turns. The player whose turn
 * it is sends a small frame after the think time; the room's four sockets each get one answer; the latency is
 * from the send to the last of the four answers, and the next seat's think time starts when its answer arrives,
 * as in a game.
 */
class FloorTable extends TableBase {
  private pending: Array<{ t0: number; seq: number; seen: number }> = [];
  private seq = 0;

  async open(): Promise<void> {
    for (let seat = 0; seat < 4; seat++) {
      this.sockets[seat] = await this.openSocket(`${this.run.cfg.wsBase}/ws/floor/F${this.index}`, {}, (raw) => this.onFrame(seat, raw));
    }
    this.ready = true;
  }

  protected begin(): void {
    this.schedule(0);
  }

  private schedule(seat: number): void {
    const send = (): void => {
      const ws = this.sockets[seat];
      if (!this.playing || !ws || ws.readyState !== WebSocket.OPEN) return;
      const seq = ++this.seq;
      this.pending.push({ t0: performance.now(), seq, seen: 0 });
      this.run.counters.actionsSent++;
      ws.send(JSON.stringify({ event: 'play', data: { sequence: seq, piece_indices: [0, 1], player_name: NAMES[seat] } }));
    };
    const think = this.run.cfg.thinkMs;
    if (think > 0) setTimeout(send, think * (0.5 + Math.random()));
    else send();
  }

  private onFrame(seat: number, raw: string): void {
    const f = this.parseFrame(raw);
    if (!this.playing || f?.event !== 'phase_change' || !isObj(f.data)) return;
    const now = performance.now();
    const run = this.run;
    run.counters.framesReceived++;
    run.counters.bytesReceived += raw.length;
    this.lastFrameAt = now;
    const seq = num(f.data['sequence']);
    const i = this.pending.findIndex((p) => p.seq === seq);
    if (i < 0) return;
    const p = this.pending[i]!;
    p.seen |= 1 << seat;
    if (p.seen === SEAT_BITS) {
      run.completed(now - p.t0);
      this.pending.splice(i, 1);
    }
    // The next seat acts on its own answer, like a player on its phase_change.
    if (seat === seq % 4) this.schedule(seat);
  }
}

/** The error type of a failed table set-up: `setup_failed: <reason>` (numbers replaced by #, so that reasons group). */
export function setupFailure(err: unknown): string {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/\d+/g, '#').slice(0, 100);
  return `setup_failed: ${reason}`;
}

/** Entry point of a client worker thread. */
function workerMain(cfg: ClientWorkerData): void {
  const port = parentPort;
  if (!port) return;
  const run = new ClientRun(cfg);
  let ticker: NodeJS.Timeout | undefined;
  port.on('message', (m: DriverMessage) => {
    if (m.type === 'go') {
      ticker = setInterval(() => {
        if (!run.stopping) run.tick();
      }, 1_000);
      run.go();
    } else if (m.type === 'stop') {
      clearInterval(ticker);
      run.finish('stopped');
    }
  });
  void run.setup().then(({ setupMs, failed }) => {
    const msg: ClientMessage = { type: 'ready', setupMs, failedTables: failed, errors: run.counters.errors };
    run.counters.errors = {};
    port.postMessage(msg);
  });
}

const wd = workerData as Partial<ClientWorkerData> | null;
if (!isMainThread && wd?.kind === 'liap-loadtest-client') workerMain(wd as ClientWorkerData);
