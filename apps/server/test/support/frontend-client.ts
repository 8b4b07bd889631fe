/**
 * A test client that talks to the server exactly like the browser frontend does (shared/spec/protocol.md
 * §1.3-§1.7): one cookie jar per simulated browser, `/ws/<room>` sockets whose first frame is
 * `client_ready`, the client envelope `{event, data, sequence, timestamp, id}`, and the LobbyPage /
 * RoomPage flows. Every server frame is recorded and checked against the contract (./contract.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import {
  FrameOrderChecker,
  checkServerFrame,
  parseServerFrame,
  type ServerFrame,
  type Violation,
} from './contract.js';

export type { ServerFrame, Violation } from './contract.js';

/** Default failure bound of `waitFor` (never used as synchronisation). */
export const DEFAULT_WAIT_MS = 10_000;
/** The frontend's connection timeout (`TIMING.CONNECTION_TIMEOUT`). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** The frontend's heartbeat interval. */
export const PING_INTERVAL_MS = 30_000;

/** A frame as the frontend sends it (protocol §1.4). */
export interface ClientEnvelope {
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** Per-socket counter from 1 (client_ready is 1). */
  readonly sequence: number;
  /** `Date.now()` at send time. */
  readonly timestamp: number;
  /** `crypto.randomUUID()`. */
  readonly id: string;
}

/** How a socket ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** A frame matcher: an event name, or a predicate over the frame. */
export type FrameMatch = string | ((frame: ServerFrame) => boolean);

/** Options of `waitFor`. */
export interface WaitOptions {
  /** Failure bound in ms (default: the socket's `defaultTimeoutMs`). */
  readonly timeoutMs?: number;
  /** Only frames at this index or later count (use `socket.mark()` before sending). Default 0: all frames. */
  readonly since?: number;
}

/** Options of `Browser.connect`. */
export interface ConnectOptions {
  /** `client_ready.player_name`; omit it for the lobby and for the frontend's anonymous recovery reconnect. */
  readonly playerName?: string;
  /** Failure bound of the handshake (default 10 s, as the frontend). */
  readonly connectTimeoutMs?: number;
  /** Heartbeat `ping` interval; 0 disables it (default 30 s, as the frontend). */
  readonly pingIntervalMs?: number;
  /** Default failure bound of this socket's `waitFor` (default 10 s). */
  readonly defaultTimeoutMs?: number;
  /** Send no `client_ready` (for hostile-input tests). Default false. */
  readonly skipClientReady?: boolean;
}

/** The result of a lobby flow: the room socket, as RoomPage holds it. */
export interface RoomEntry {
  readonly roomId: string;
  /** The room socket (kept open into the game, like the frontend). */
  readonly socket: FrontendSocket;
  /** The `room_created` / `room_joined` reply seen on the lobby socket. */
  readonly reply: ServerFrame;
  /** The first `room_update` answering `get_room_state`. */
  readonly roomUpdate: ServerFrame;
  /** The (closed) lobby socket, for assertions on its frames. */
  readonly lobby: FrontendSocket;
}

/** A lobby request refused by the server with an `error` frame (the lobby page would `alert()` it). */
export class LobbyError extends Error {
  /** Stable code. */
  readonly code = 'LOBBY_ERROR';
  /** The `error` frame's data. */
  readonly frame: ServerFrame;
  constructor(action: string, frame: ServerFrame) {
    super(`${action} refused: ${String(frame.data['message'])} (${JSON.stringify(frame.data)})`);
    this.name = 'LobbyError';
    this.frame = frame;
  }
}

/** A `waitFor` that hit its failure bound or whose socket closed first. */
export class WaitError extends Error {
  /** `WAIT_TIMEOUT` or `SOCKET_CLOSED`. */
  readonly code: 'WAIT_TIMEOUT' | 'SOCKET_CLOSED';
  constructor(code: 'WAIT_TIMEOUT' | 'SOCKET_CLOSED', message: string) {
    super(message);
    this.name = 'WaitError';
    this.code = code;
  }
}

/** The size of `me`'s hand in a phase_change frame (0 for other frames). */
function ownHandOf(frame: ServerFrame, me: string): number {
  if (frame.event !== 'phase_change') return 0;
  const players = frame.data['players'];
  if (typeof players !== 'object' || players === null || Array.isArray(players)) return 0;
  const mine = (players as Record<string, unknown>)[me];
  const hand =
    typeof mine === 'object' && mine !== null ? (mine as Record<string, unknown>)['hand'] : undefined;
  return Array.isArray(hand) ? hand.length : 0;
}

/** Formats the last `n` frames for error messages (each truncated). */
export function describeFrames(frames: readonly ServerFrame[], n = 10): string {
  const tail = frames.slice(-n);
  if (tail.length === 0) return '  (no frames received)';
  const first = frames.length - tail.length;
  return tail
    .map((f, i) => {
      const text = JSON.stringify(f.data);
      return `  #${first + i} ${f.event} ${text.length > 300 ? `${text.slice(0, 297)}...` : text}`;
    })
    .join('\n');
}

function describeMatch(match: FrameMatch): string {
  return typeof match === 'string'
    ? `event "${match}"`
    : match.name
      ? `predicate ${match.name}`
      : 'predicate';
}

function toMatcher(match: FrameMatch): (frame: ServerFrame) => boolean {
  return typeof match === 'string' ? (f) => f.event === match : match;
}

/** `ws://host:port` for a ws/http(s) base URL (trailing slash and `/ws` suffix tolerated). */
export function wsOrigin(baseUrl: string): string {
  const url = new URL(baseUrl);
  const protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  return `${protocol}//${url.host}`;
}

function httpOrigin(baseUrl: string): string {
  return wsOrigin(baseUrl).replace(/^ws/, 'http');
}

interface Waiter {
  readonly match: (frame: ServerFrame) => boolean;
  readonly since: number;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One WebSocket of a simulated browser page. Collects and checks every server frame. */
export class FrontendSocket {
  /** The path segment after `/ws/` (`lobby` or a room id). */
  readonly roomId: string;
  /** The name sent in `client_ready` (null for lobby/anonymous sockets). */
  readonly playerName: string | null;
  /** The browser (cookie jar) that opened it. */
  readonly browser: Browser;
  /** Resolves when the socket is closed, with the close code (1006 after `drop()` or a network loss). */
  readonly closed: Promise<CloseInfo>;
  /** Default failure bound of `waitFor`. */
  readonly defaultTimeoutMs: number;

  readonly #ws: WebSocket;
  readonly #frames: ServerFrame[] = [];
  readonly #sent: ClientEnvelope[] = [];
  readonly #violations: Violation[] = [];
  readonly #listeners = new Set<(frame: ServerFrame, index: number) => void>();
  readonly #waiters = new Set<Waiter>();
  readonly #order = new FrameOrderChecker();
  /** Set once a phase_change carried our own non-empty hand: from then on the seat is known to be bound. */
  #boundSeen = false;
  #sequence = 0;
  #closeInfo: CloseInfo | null = null;
  #ping: NodeJS.Timeout | null = null;

  /** Use `Browser.connect`; this wraps an already open `ws` socket. */
  constructor(
    ws: WebSocket,
    opts: {
      roomId: string;
      playerName: string | null;
      browser: Browser;
      defaultTimeoutMs: number;
      pingIntervalMs: number;
    },
  ) {
    this.#ws = ws;
    this.roomId = opts.roomId;
    this.playerName = opts.playerName;
    this.browser = opts.browser;
    this.defaultTimeoutMs = opts.defaultTimeoutMs;
    this.closed = new Promise<CloseInfo>((resolve) => {
      ws.on('close', (code, reason) => {
        this.#closeInfo = { code, reason: reason.toString() };
        if (this.#ping !== null) clearInterval(this.#ping);
        for (const w of this.#waiters) {
          clearTimeout(w.timer);
          w.reject(
            new WaitError(
              'SOCKET_CLOSED',
              `${this.label} closed (code ${code}) while waiting; last frames:\n${describeFrames(this.#frames)}`,
            ),
          );
        }
        this.#waiters.clear();
        resolve(this.#closeInfo);
      });
    });
    ws.on('message', (raw, isBinary) => {
      if (isBinary) return this.#receive(null);
      const buf = Array.isArray(raw)
        ? Buffer.concat(raw)
        : Buffer.isBuffer(raw)
          ? raw
          : Buffer.from(new Uint8Array(raw));
      this.#receive(buf.toString('utf8'));
    });
    // Errors after the handshake surface as a close (1006); keep them from crashing the test process.
    ws.on('error', () => undefined);
    if (opts.pingIntervalMs > 0) {
      this.#ping = setInterval(() => this.send('ping', { timestamp: Date.now() }), opts.pingIntervalMs);
      this.#ping.unref();
    }
  }

  /** A short description for error messages, e.g. `Alice@/ws/K7QX2M`. */
  get label(): string {
    return `${this.playerName ?? 'anonymous'}@/ws/${this.roomId} [${this.browser.name}]`;
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** True once a `phase_change` carried this socket's own non-empty hand (the server bound it to the seat). */
  get seenOwnHand(): boolean {
    return this.#boundSeen;
  }

  /** The close code once closed, else null. */
  get closeInfo(): CloseInfo | null {
    return this.#closeInfo;
  }

  #receive(text: string | null): void {
    const index = this.#frames.length;
    let frame: ServerFrame;
    let violations: Violation[];
    if (text === null) {
      frame = { event: '?', data: {} };
      violations = [
        {
          rule: 'envelope.binary',
          detail: 'server sent a binary frame; the frontend only parses text JSON',
          event: '?',
          index,
        },
      ];
    } else {
      ({ frame, violations } = parseServerFrame(text));
      violations.push(
        ...checkServerFrame(frame, { me: this.playerName, bound: this.#boundSeen }),
        ...this.#order.check(frame),
      );
      if (!this.#boundSeen && this.playerName !== null && ownHandOf(frame, this.playerName) > 0)
        this.#boundSeen = true;
    }
    for (const v of violations) this.#violations.push({ ...v, index });
    this.#frames.push(frame);
    for (const listener of [...this.#listeners]) listener(frame, index);
    for (const w of [...this.#waiters]) {
      if (index >= w.since && w.match(frame)) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve(frame);
      }
    }
  }

  /**
   * Sends one frame in the frontend's envelope. Like the frontend, a frame sent while the socket is not
   * open is lost: returns null then, else the envelope sent.
   */
  send(event: string, data: Record<string, unknown> = {}): ClientEnvelope | null {
    if (!this.isOpen) return null;
    const envelope: ClientEnvelope = {
      event,
      data,
      sequence: ++this.#sequence,
      timestamp: Date.now(),
      id: randomUUID(),
    };
    this.#sent.push(envelope);
    this.#ws.send(JSON.stringify(envelope));
    return envelope;
  }

  /** Sends raw text as-is (hostile-input tests). Returns false when the socket is not open. */
  sendRaw(text: string | Buffer): boolean {
    if (!this.isOpen) return false;
    this.#ws.send(text);
    return true;
  }

  /** Every server frame received so far, in order. */
  frames(): readonly ServerFrame[] {
    return this.#frames;
  }

  /** Every envelope sent so far, in order. */
  sent(): readonly ClientEnvelope[] {
    return this.#sent;
  }

  /** Contract violations found in received frames (empty when the server honours the contract). */
  violations(): readonly Violation[] {
    return this.#violations;
  }

  /** The current frame count: pass it as `since` to wait only for frames that arrive after now. */
  mark(): number {
    return this.#frames.length;
  }

  /** Calls `listener` for every later frame (synchronously, in order). Returns an unsubscribe function. */
  onFrame(listener: (frame: ServerFrame, index: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the first frame (at index >= `since`, default 0) matching `match`, already received or
   * still to come. Rejects with `WaitError` after `timeoutMs` or when the socket closes, listing the
   * last 10 frames received. The timeout is a failure bound, never a way to wait for time to pass.
   */
  waitFor(match: FrameMatch, opts: WaitOptions = {}): Promise<ServerFrame> {
    const matcher = toMatcher(match);
    const since = opts.since ?? 0;
    for (let i = since; i < this.#frames.length; i++) {
      const f = this.#frames[i];
      if (f !== undefined && matcher(f)) return Promise.resolve(f);
    }
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    if (this.#closeInfo !== null) {
      return Promise.reject(
        new WaitError(
          'SOCKET_CLOSED',
          `${this.label} is closed (code ${this.#closeInfo.code}); no ${describeMatch(match)} in:\n${describeFrames(this.#frames)}`,
        ),
      );
    }
    return new Promise<ServerFrame>((resolve, reject) => {
      const waiter: Waiter = {
        match: matcher,
        since,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            new WaitError(
              'WAIT_TIMEOUT',
              `${this.label}: no ${describeMatch(match)} within ${timeoutMs} ms (since frame #${since}); last frames:\n${describeFrames(this.#frames)}`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Sends a frame and waits for a matching reply that arrives after it. */
  async request(
    event: string,
    data: Record<string, unknown>,
    match: FrameMatch,
    opts: Omit<WaitOptions, 'since'> = {},
  ): Promise<ServerFrame> {
    const since = this.mark();
    if (this.send(event, data) === null)
      throw new WaitError('SOCKET_CLOSED', `${this.label} is not open; cannot send ${event}`);
    return this.waitFor(match, { ...opts, since });
  }

  /**
   * The frontend's heartbeat once: `ping {timestamp}`; resolves with the `pong` that echoes it (protocol §1.6).
   * Handy to prove the server still answers on this socket (e.g. after hostile input).
   */
  async ping(opts: Omit<WaitOptions, 'since'> = {}): Promise<ServerFrame> {
    const timestamp = Date.now();
    return this.request(
      'ping',
      { timestamp },
      (f) => f.event === 'pong' && f.data['timestamp'] === timestamp,
      opts,
    );
  }

  /** Closes with a close frame (default 1000 "Client disconnect", like leaving a page). */
  close(code = 1000, reason = 'Client disconnect'): Promise<CloseInfo> {
    if (this.#ws.readyState === WebSocket.CONNECTING || this.#ws.readyState === WebSocket.OPEN)
      this.#ws.close(code, reason);
    return this.closed;
  }

  /** Destroys the TCP connection without a close frame (a network loss: the server sees 1006). */
  drop(): Promise<CloseInfo> {
    this.#ws.terminate();
    return this.closed;
  }
}

function setCookieList(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

/**
 * One simulated browser: a cookie jar shared by every socket and page load it makes, and never by another
 * Browser (that is how the server tells browsers apart, protocol decision 4).
 */
export class Browser {
  /** A label for messages. */
  readonly name: string;
  readonly #cookies = new Map<string, string>();
  readonly #sockets: FrontendSocket[] = [];

  constructor(name = `browser-${randomUUID().slice(0, 8)}`) {
    this.name = name;
  }

  /** The cookies currently held, name -> value. */
  cookies(): Record<string, string> {
    return Object.fromEntries(this.#cookies);
  }

  /** Sets a cookie by hand (e.g. to copy another browser's session in a takeover test). */
  setCookie(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  /** Forgets every cookie (a private window). */
  clearCookies(): void {
    this.#cookies.clear();
  }

  /** The `Cookie` request header, or undefined when the jar is empty. */
  cookieHeader(): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Stores `Set-Cookie` response headers (expired or `Max-Age<=0` cookies are removed). */
  storeSetCookie(header: string | string[] | undefined): void {
    for (const line of setCookieList(header)) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expired = false;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=').map((s) => s.trim());
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  /** Every socket this browser opened (open or closed). */
  sockets(): readonly FrontendSocket[] {
    return this.#sockets;
  }

  /** Contract violations over all sockets of this browser. */
  violations(): Violation[] {
    return this.#sockets.flatMap((s) =>
      s.violations().map((v) => ({ ...v, detail: `${s.label}: ${v.detail}` })),
    );
  }

  /** GET a page with this browser's cookies, storing any `Set-Cookie` (the server may issue the session here). */
  async loadPage(baseUrl: string, path = '/'): Promise<Response> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader();
    if (cookie !== undefined) headers['cookie'] = cookie;
    const res = await fetch(`${httpOrigin(baseUrl)}${path}`, { headers, redirect: 'manual' });
    this.storeSetCookie(res.headers.getSetCookie());
    return res;
  }

  /**
   * Opens `${baseUrl}/ws/${roomId}` with this browser's cookies (storing the upgrade response's
   * `Set-Cookie`) and sends `client_ready {room_id, player_name?, is_reconnection: false}` as frame 1.
   */
  connect(baseUrl: string, roomId: string, opts: ConnectOptions = {}): Promise<FrontendSocket> {
    const url = `${wsOrigin(baseUrl)}/ws/${roomId}`;
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader();
    if (cookie !== undefined) headers['Cookie'] = cookie;
    const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    return new Promise<FrontendSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { headers, origin: httpOrigin(baseUrl), handshakeTimeout: timeoutMs });
      ws.on('upgrade', (res: IncomingMessage) => this.storeSetCookie(res.headers['set-cookie']));
      const fail = (error: Error): void => {
        reject(new Error(`${this.name}: could not connect to ${url}: ${error.message}`));
      };
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        ws.terminate();
        fail(new Error(`handshake refused with HTTP ${res.statusCode ?? '?'}`));
      });
      ws.once('open', () => {
        ws.off('error', fail);
        const socket = new FrontendSocket(ws, {
          roomId,
          playerName: opts.playerName ?? null,
          browser: this,
          defaultTimeoutMs: opts.defaultTimeoutMs ?? DEFAULT_WAIT_MS,
          pingIntervalMs: opts.pingIntervalMs ?? PING_INTERVAL_MS,
        });
        this.#sockets.push(socket);
        if (opts.skipClientReady !== true) {
          const data: Record<string, unknown> = { room_id: roomId };
          if (opts.playerName !== undefined) data['player_name'] = opts.playerName;
          data['is_reconnection'] = false;
          socket.send('client_ready', data);
        }
        resolve(socket);
      });
    });
  }

  async #lobbyThenRoom(
    baseUrl: string,
    name: string,
    request: {
      event: 'create_room' | 'join_room';
      data: Record<string, unknown>;
      reply: 'room_created' | 'room_joined';
    },
    opts: ConnectOptions,
  ): Promise<RoomEntry> {
    const { playerName: _ignored, ...socketOpts } = opts;
    const lobby = await this.connect(baseUrl, 'lobby', socketOpts);
    let reply: ServerFrame;
    try {
      lobby.send('get_rooms', {});
      reply = await lobby.request(
        request.event,
        request.data,
        (f) => f.event === request.reply || f.event === 'error',
        {
          timeoutMs: lobby.defaultTimeoutMs,
        },
      );
    } catch (error) {
      await lobby.close();
      throw error;
    }
    await lobby.close(1000);
    if (reply.event === 'error') throw new LobbyError(request.event, reply);
    const roomId = reply.data['room_id'];
    if (typeof roomId !== 'string' || roomId === 'lobby')
      throw new Error(`${request.reply} without a usable room_id: ${JSON.stringify(reply.data)}`);
    const socket = await this.connect(baseUrl, roomId, { ...socketOpts, playerName: name });
    const roomUpdate = await socket.request('get_room_state', { room_id: roomId }, 'room_update');
    return { roomId, socket, reply, roomUpdate, lobby };
  }

  /**
   * LobbyPage "create": lobby socket (client_ready, get_rooms, create_room) -> `room_created` -> lobby closed
   * with 1000 -> room socket with `client_ready {player_name}` -> `get_room_state` -> `room_update`.
   * Throws `LobbyError` when the server answers with `error`.
   */
  createRoom(baseUrl: string, name: string, opts: ConnectOptions = {}): Promise<RoomEntry> {
    return this.#lobbyThenRoom(
      baseUrl,
      name,
      { event: 'create_room', data: { player_name: name }, reply: 'room_created' },
      opts,
    );
  }

  /** LobbyPage "join": as `createRoom` with `join_room {room_id, player_name}` -> `room_joined`. */
  joinRoom(baseUrl: string, roomId: string, name: string, opts: ConnectOptions = {}): Promise<RoomEntry> {
    return this.#lobbyThenRoom(
      baseUrl,
      name,
      { event: 'join_room', data: { room_id: roomId, player_name: name }, reply: 'room_joined' },
      opts,
    );
  }

  /** Closes every open socket of this browser with 1000. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#sockets.filter((s) => s.closeInfo === null).map((s) => s.close()));
  }
}

/** RoomPage "Start": the host sends `start_game {}` and waits for `game_started` (or throws on `error`). */
export async function startGame(
  host: FrontendSocket,
  opts: Omit<WaitOptions, 'since'> = {},
): Promise<ServerFrame> {
  const reply = await host.request(
    'start_game',
    {},
    (f) => f.event === 'game_started' || f.event === 'error',
    opts,
  );
  if (reply.event === 'error') throw new LobbyError('start_game', reply);
  return reply;
}

/**
 * Waits for a `phase_change` into `phase` (optionally also matching `pred` on its data). Frames from index
 * `opts.since` (default 0) count, so a phase reached earlier resolves at once unless `since` is given.
 */
export function waitForPhase(
  socket: FrontendSocket,
  phase: string,
  pred?: (data: Record<string, unknown>) => boolean,
  opts: WaitOptions = {},
): Promise<ServerFrame> {
  const match = (f: ServerFrame): boolean =>
    f.event === 'phase_change' && f.data['phase'] === phase && (pred === undefined || pred(f.data));
  Object.defineProperty(match, 'name', {
    value: `phase ${phase}${pred === undefined ? '' : ' + predicate'}`,
  });
  return socket.waitFor(match, opts);
}
