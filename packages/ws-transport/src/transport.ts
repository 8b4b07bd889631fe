import { randomBytes } from 'node:crypto';
import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket, us_socket_context_t } from 'uWebSockets.js';
import { codecFor, type Codec, type CodecName } from './codec.js';
import type { Connection, SendOptions, SendResult } from './connection.js';
import { HttpError, TransportError } from './errors.js';
import { HttpContextImpl, type ContextSettings, type HttpContext, type HttpHandler, type HttpMiddleware } from './http/context.js';
import { StaticFiles, type StaticFilesOptions } from './http/static-files.js';
import { statusLine } from './http/status.js';
import { composeSteps, RESOLVED } from './internal/compose.js';
import { parseCookies } from './internal/cookies.js';
import { FrameCtx, type FrameEnv } from './internal/frame.js';
import { silentLogger, type Logger } from './logger.js';
import { LabelCap, type MetricsHooks, type TransportStats } from './metrics.js';
import { compose, defaultEventOf, type FrameContext, type Middleware } from './pipeline.js';
import { RoomHistory, type ResumeRequest, type ResumeResult, type RoomPosition } from './resume.js';

/** What the upgrade hook sees: a copy of the request (safe to keep across `await`). */
export interface UpgradeRequest {
  readonly route: string;
  readonly path: string;
  readonly query: string;
  readonly params: Readonly<Record<string, string>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  /** Subprotocols the client offered (`sec-websocket-protocol`). */
  readonly protocols: readonly string[];
}

/** The upgrade hook's answer: reject with an HTTP status, or accept with data for the connection. */
export type UpgradeDecision<A, I> =
  | { readonly reject: { readonly status: number; readonly message?: string; readonly headers?: Readonly<Record<string, string>> } }
  | {
      readonly reject?: undefined;
      /** Initial `conn.attributes`. */
      readonly attributes?: A;
      /** Initial `conn.identity`. */
      readonly identity?: I;
      /** Extra headers on the 101 response (e.g. Set-Cookie); repeat a name with an array of values. */
      readonly headers?: Readonly<Record<string, string | readonly string[]>>;
      /** Wire format. Default `'json'`. */
      readonly codec?: CodecName;
      /** The subprotocol to answer; default: the codec's name when offered, else the first offered. */
      readonly protocol?: string;
      /** Rooms the connection joins as it opens (before `onOpen`). */
      readonly rooms?: readonly string[];
    };

/** One WebSocket route. */
export interface WsRoute<A, I> {
  /** Accept/reject and attach data. Default: accept with empty attributes. */
  upgrade?: (req: UpgradeRequest) => UpgradeDecision<A, I> | Promise<UpgradeDecision<A, I>>;
  /** Called once the socket is open. */
  onOpen?: (conn: Connection<A, I>) => void | Promise<void>;
  /** Called once the socket closed, with the close code and reason. The connection is already out of its rooms. */
  onClose?: (conn: Connection<A, I>, code: number, reason: string) => void | Promise<void>;
  /** The inbound pipeline (see `standardPipeline`). Frames of one connection run through it one at a time, in arrival order. */
  pipeline: readonly Middleware<A, I>[];
  /** Seconds without traffic before uWS closes the socket (pings are sent before). 0 disables; otherwise an integer from 8 to 960. Default 120. */
  idleTimeoutSeconds?: number;
  /** Hard cap on an inbound frame: uWS closes the socket (1009) above it. Keep it above the pipeline's size limit so ordinary oversize frames get an error frame. Default 1 MiB. */
  maxPayloadBytes?: number;
}

/** Backpressure policy: how much may be buffered for one socket. */
export interface BackpressureOptions {
  /** Volatile messages are dropped while a socket has more than this buffered. Default 64 KiB. */
  volatileDropBytes?: number;
  /** A reliable message that would take a socket's buffer above this closes the socket. Default 1 MiB. */
  closeBytes?: number;
  /** Close code for a slow consumer. Default 4008. */
  closeCode?: number;
  /** Close reason for a slow consumer. Default `'slow consumer'`. */
  closeReason?: string;
}

/** Options of `createTransport`. */
export interface TransportOptions {
  logger?: Logger;
  metrics?: MetricsHooks;
  /** Clock in ms (for timestamps, dedupe windows and resume history retention). Default `Date.now`. */
  now?: () => number;
  backpressure?: BackpressureOptions;
  /** Frames waiting per connection before new ones are refused with an `OVERLOADED` error frame. Default 64. */
  maxQueuedFrames?: number;
  /**
   * The message sent for a frame refused because `maxQueuedFrames` frames are waiting (encoded with the
   * connection's codec). Default `{ type: 'error', code: 'OVERLOADED', message }`; give your protocol's
   * error frame here so that clients see the same shape as for every other refusal.
   */
  overloadedMessage?: (info: { maxQueuedFrames: number; conn: Connection<unknown, unknown> }) => unknown;
  /** Resume support: per-room offsets, an epoch and a bounded history of reliable messages. Off by default. */
  resume?: {
    /** Reliable messages kept per room. */
    historySize: number;
    /**
     * How long a room's history is kept once the room has no members (ms, transport clock); a resume after
     * that is not recovered (`unknown_room`, or `epoch_changed` once the room was published to again). Default 5 min.
     */
    retentionMs?: number;
    /**
     * Room histories kept at most; beyond it the history of the room that has had no members longest is
     * dropped (rooms with members keep theirs, so more rooms in use than this keep all). Default 1,000.
     */
    maxRooms?: number;
    /** Builds the frame that carries the position. Default: `{ ...message, offset, epoch }` for objects. */
    envelope?: (message: unknown, position: RoomPosition) => unknown;
  };
  http?: {
    /** Request body cap. Default 64 KiB. */
    maxBodyBytes?: number;
    /** Smallest body worth gzipping. Default 1024 bytes. */
    gzipMinBytes?: number;
    /** Headers on every HTTP response; `false` for none. Default: nosniff, frame DENY, no-referrer, COOP same-origin. */
    securityHeaders?: Readonly<Record<string, string>> | false;
  };
}

/** Options of one publish. */
export interface PublishOptions extends SendOptions {
  /** A connection that should not get the message (typically the sender). */
  except?: Connection<unknown, unknown>;
}

/** The outcome of one publish. */
export interface PublishResult {
  /** Connections the message was handed to (excluding `except`, slow consumers closed, drops). */
  readonly recipients: number;
  /** Resume position of a reliable message when resume is on. */
  readonly position: RoomPosition | undefined;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** Total time for the drain hook and in-flight handlers. Default 10 s. */
  budgetMs?: number;
  /** Close reason sent with 1001. Default `'server shutting down'`. */
  reason?: string;
  /** Runs after new connections are refused and before sockets close (e.g. tell clients, flush state). */
  drain?: () => void | Promise<void>;
}

/** What `close()` did. */
export interface ShutdownReport {
  readonly closedSockets: number;
  /** Frames still running when the budget ran out (0 means every handler finished). */
  readonly abandonedFrames: number;
  readonly drainHookTimedOut: boolean;
}

/** The HTTP side of a transport. */
export interface HttpRouter {
  use(middleware: HttpMiddleware): HttpRouter;
  get(pattern: string, handler: HttpHandler): HttpRouter;
  head(pattern: string, handler: HttpHandler): HttpRouter;
  post(pattern: string, handler: HttpHandler): HttpRouter;
  put(pattern: string, handler: HttpHandler): HttpRouter;
  patch(pattern: string, handler: HttpHandler): HttpRouter;
  del(pattern: string, handler: HttpHandler): HttpRouter;
  any(pattern: string, handler: HttpHandler): HttpRouter;
  /** Serves a directory for every path no route matched (GET/HEAD), with an SPA fallback. */
  static(options: StaticFilesOptions): HttpRouter;
}

/** Lifecycle state of a transport. */
export type TransportState = 'created' | 'listening' | 'draining' | 'closed';

/** A uWebSockets.js server: WebSocket routes, rooms, sends, HTTP routes, graceful close. */
export interface Transport {
  readonly state: TransportState;
  /** The bound port (after `listen`). */
  readonly port: number;
  /** Registers a WebSocket route (before `listen`). Path parameters as `:name`. */
  ws<A = Record<string, unknown>, I = unknown>(pattern: string, route: WsRoute<A, I>): Transport;
  /** The HTTP router for the same port. */
  readonly http: HttpRouter;
  /**
   * The underlying uWS app, for handlers written against uWS directly (e.g. `registerUwsHealthRoutes`
   * of `@game/health`). Such handlers must handle aborts themselves; prefer `http` otherwise.
   */
  readonly uwsApp: TemplatedApp;
  /** Starts listening; port 0 picks a free port. */
  listen(options?: { host?: string; port?: number }): Promise<{ port: number }>;
  /** Sends one message to one connection (personalised frames). */
  send(conn: Connection<unknown, unknown>, message: unknown, options?: SendOptions): SendResult;
  /**
   * Runs `fn` with the connection's socket corked: the frames `fn` sends to it go out in one write when `fn`
   * returns instead of one write each. Use it to send several frames to one socket outside its own message
   * handler (uWS corks inside handlers by itself). Runs `fn` plainly when the connection is closed.
   */
  cork(conn: Connection<unknown, unknown>, fn: () => void): void;
  /** Broadcasts to a room (uWS topics), applying the backpressure policy; reliable messages take a resume offset when resume is on. */
  publish(room: string, message: unknown, options?: PublishOptions): PublishResult;
  /** Adds a connection to a room. */
  join(conn: Connection<unknown, unknown>, room: string): void;
  /** Removes a connection from a room. */
  leave(conn: Connection<unknown, unknown>, room: string): void;
  /** Members of a room. */
  roomSize(room: string): number;
  /** Rooms with at least one member. */
  roomNames(): string[];
  /** The connections of a room (a snapshot). */
  roomMembers(room: string): Connection<unknown, unknown>[];
  /** Open connections. */
  connectionCount(): number;
  /** Open connections (a snapshot). */
  connections(): Connection<unknown, unknown>[];
  /** Closes one connection with a code and reason (no-op when already closed). */
  closeConnection(conn: Connection<unknown, unknown>, code?: number, reason?: string): void;
  /** Replays a room's reliable messages after `since` to `conn` and joins it, or says why not (then send a snapshot). */
  resume(conn: Connection<unknown, unknown>, request: ResumeRequest, options?: { join?: boolean }): ResumeResult;
  /** The current resume position of a room (undefined when resume is off or nothing was published). */
  position(room: string): RoomPosition | undefined;
  /** Drops a room's history and starts a new epoch (clients must then take a snapshot). */
  resetRoom(room: string): RoomPosition | undefined;
  /** Forgets a room's resume history (e.g. when its game ended) until it is published to again; true when there was one. */
  forgetRoom(room: string): boolean;
  /** Counters since start. */
  stats(): TransportStats;
  /** Graceful shutdown: refuse new connections, run `drain`, close every socket with 1001, wait for handlers, close the listen socket. */
  close(options?: CloseOptions): Promise<ShutdownReport>;
}

type AnyConn = Conn<unknown, unknown>;
/** uWS copies the user-data object's own properties; a holder keeps our connection's identity and prototype. */
interface Holder {
  conn: AnyConn;
}

/**
 * The connection of a socket, per frame. uWS.js v20 copies the user data's own properties onto the
 * socket object itself, so `conn` is a plain property read there (no native `getUserData()` call);
 * builds that do not copy them fall back to `getUserData()`.
 */
function connOf(ws: WebSocket<Holder>): AnyConn {
  return (ws as WebSocket<Holder> & { conn?: AnyConn }).conn ?? ws.getUserData().conn;
}

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const BINARY_PREFIX = 'b\u0000';
const TEXT_PREFIX = 't\u0000';

interface QueuedFrame {
  data: Buffer;
  isBinary: boolean;
}

/** Internal connection state: the public view plus the uWS socket while it is open. Kept lean: idle memory matters. */
class Conn<A, I> implements Connection<A, I> {
  ws: WebSocket<Holder> | undefined = undefined;
  isOpen = false;
  openedAt = 0;
  /** Rooms as a small array: most connections are in one or two rooms. */
  roomList: string[] | undefined = undefined;
  queue: QueuedFrame[] | undefined = undefined;
  processing = false;
  private attrs: A | undefined;
  constructor(
    readonly id: string,
    readonly path: string,
    readonly params: Readonly<Record<string, string>>,
    readonly query: string,
    readonly remoteAddress: string,
    readonly codecImpl: Codec,
    attributes: A | undefined,
    public identity: I | undefined,
    public initialRooms: readonly string[] | undefined,
    readonly routeState: RouteState<unknown, unknown>,
  ) {
    this.attrs = attributes;
  }
  get route(): string {
    return this.routeState.pattern;
  }
  get codec(): CodecName {
    return this.codecImpl.name;
  }
  get attributes(): A {
    return (this.attrs ??= {} as A);
  }
  set attributes(value: A) {
    this.attrs = value;
  }
  get rooms(): ReadonlySet<string> {
    return new Set(this.roomList);
  }
  inRoom(room: string): boolean {
    return this.roomList !== undefined && this.roomList.includes(room);
  }
}

interface RouteState<A, I> {
  pattern: string;
  route: WsRoute<A, I>;
  run: (ctx: FrameContext<A, I>) => Promise<void>;
}

const DEFAULT_SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

function paramNamesOf(pattern: string): string[] {
  return pattern
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A close reason that fits a close frame: at most 123 bytes of UTF-8, cut on a character boundary. uWS cuts
 * at 123 bytes whatever they are, and a reason ending mid-character fails the client's close handshake (1006).
 */
function closeReasonOf(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  const bytes = Buffer.from(reason);
  let end = 123;
  // Back off continuation bytes (10xxxxxx) to the start of the character the cut would split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Creates a transport. Register WebSocket and HTTP routes, then `listen()`.
 *
 * @example
 * const t = createTransport({ logger });
 * t.ws('/ws/:room', { pipeline: standardPipeline({ handler: (ctx) => { ctx.reply({ type: 'ack' }); } }) });
 * await t.listen({ port: 5050 });
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const logger = options.logger ?? silentLogger;
  const metrics: MetricsHooks = options.metrics ?? {};
  const now = options.now ?? Date.now;
  const volatileDropBytes = options.backpressure?.volatileDropBytes ?? 64 * 1024;
  const closeBytes = options.backpressure?.closeBytes ?? 1024 * 1024;
  const slowCloseCode = options.backpressure?.closeCode ?? 4008;
  const slowCloseReason = closeReasonOf(options.backpressure?.closeReason ?? 'slow consumer');
  const maxQueuedFrames = options.maxQueuedFrames ?? 64;
  const overloadedMessage =
    options.overloadedMessage ??
    ((info: { maxQueuedFrames: number }) => ({ type: 'error', code: 'OVERLOADED', message: `more than ${info.maxQueuedFrames} frames waiting; frame dropped` }));
  const resumeOpts = options.resume;
  const envelope =
    resumeOpts?.envelope ??
    ((message: unknown, p: RoomPosition): unknown =>
      typeof message === 'object' && message !== null && !Array.isArray(message) ? { ...message, offset: p.offset, epoch: p.epoch } : message);
  if (!(volatileDropBytes > 0) || !(closeBytes > 0)) {
    throw new TransportError('INVALID_OPTIONS', `backpressure bounds must be > 0, got volatileDropBytes=${volatileDropBytes} closeBytes=${closeBytes}`);
  }
  if (!(Number.isInteger(maxQueuedFrames) && maxQueuedFrames > 0)) {
    throw new TransportError('INVALID_OPTIONS', `maxQueuedFrames must be a positive integer, got ${maxQueuedFrames}`);
  }
  if (resumeOpts !== undefined && !(Number.isInteger(resumeOpts.historySize) && resumeOpts.historySize >= 0)) {
    throw new TransportError('INVALID_OPTIONS', `resume.historySize must be an integer >= 0, got ${resumeOpts.historySize}`);
  }
  const historyRetentionMs = resumeOpts?.retentionMs ?? 5 * 60_000;
  const maxHistories = resumeOpts?.maxRooms ?? 1000;
  if (!(historyRetentionMs >= 0)) throw new TransportError('INVALID_OPTIONS', `resume.retentionMs must be >= 0, got ${historyRetentionMs}`);
  if (!(maxHistories >= 1 && (Number.isInteger(maxHistories) || maxHistories === Infinity))) {
    throw new TransportError('INVALID_OPTIONS', `resume.maxRooms must be an integer >= 1, got ${maxHistories}`);
  }

  const app: TemplatedApp = uWS.App();
  const idPrefix = randomBytes(3).toString('hex');
  let nextId = 0;
  let state: TransportState = 'created';
  let listenSocket: us_listen_socket | undefined;
  let port = -1;
  const conns = new Set<AnyConn>();
  const rooms = new Map<string, Set<AnyConn>>();
  const histories = new Map<string, RoomHistory>();
  /** Rooms with a history and no members, with when they became empty; in that order. */
  const emptyHistories = new Map<string, number>();
  const eventLabels = new LabelCap(64);
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const stats: TransportStats = {
    connections: 0,
    rooms: 0,
    framesIn: 0,
    framesInFailed: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    sendFailures: 0,
    drops: 0,
    backpressureCloses: 0,
    inboundOverflows: 0,
    inFlightFrames: 0,
  };

  // ---------- outbound ----------

  // Event labels cost a regex and a set lookup per frame: only computed when a hook will use them.
  const wantsLabels = metrics.frameOut !== undefined || metrics.dropped !== undefined;
  const labelOf = (message: unknown): string =>
    !wantsLabels
      ? 'unknown'
      : typeof message === 'object' && message !== null && !Array.isArray(message) && !ArrayBuffer.isView(message)
      ? eventLabels.label(defaultEventOf(message as Record<string, unknown>))
      : 'unknown';

  const byteLength = (data: string | Uint8Array): number => (typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);

  function slowClose(conn: AnyConn): void {
    if (!conn.isOpen || conn.ws === undefined) return;
    stats.backpressureCloses++;
    metrics.backpressureClosed?.(conn.route);
    logger.warn({ conn: conn.id, buffered: conn.ws.getBufferedAmount(), limit: closeBytes }, 'closing slow consumer');
    conn.ws.end(slowCloseCode, slowCloseReason);
  }

  /** Writes encoded data to one socket under the backpressure policy. */
  function writeTo(conn: AnyConn, data: string | Uint8Array, size: number, volatile: boolean, event: string): SendResult {
    const ws = conn.ws;
    if (!conn.isOpen || ws === undefined) {
      stats.sendFailures++;
      metrics.sendFailed?.('closed');
      return 'closed';
    }
    const buffered = ws.getBufferedAmount();
    if (volatile) {
      if (buffered > volatileDropBytes) {
        stats.drops++;
        metrics.dropped?.(event);
        return 'dropped';
      }
    } else if (buffered > 0 && buffered + size > closeBytes) {
      // A single large message to a socket that keeps up is fine; a socket already behind is not.
      slowClose(conn);
      return 'closed';
    }
    const r = ws.send(data, conn.codecImpl.binary);
    if (r === 2) {
      stats.sendFailures++;
      metrics.sendFailed?.('refused');
      return 'dropped';
    }
    stats.framesOut++;
    stats.bytesOut += size;
    metrics.frameOut?.(event, size, 1);
    return r === 1 ? 'sent' : 'buffered';
  }

  function send(conn: Connection<unknown, unknown>, message: unknown, opts?: SendOptions): SendResult {
    const c = conn as AnyConn;
    if (!c.isOpen) {
      stats.sendFailures++;
      metrics.sendFailed?.('closed');
      return 'closed';
    }
    const data = c.codecImpl.encode(message);
    return writeTo(c, data, byteLength(data), opts?.volatile === true, labelOf(message));
  }

  function topicOf(room: string, binary: boolean): string {
    return (binary ? BINARY_PREFIX : TEXT_PREFIX) + room;
  }

  function join(conn: Connection<unknown, unknown>, room: string): void {
    const c = conn as AnyConn;
    if (!c.isOpen || c.ws === undefined) return;
    if (c.inRoom(room)) return;
    // an array literal sizes its backing store exactly; push() on [] would reserve 17 slots
    c.roomList = c.roomList === undefined ? [room] : [...c.roomList, room];
    let members = rooms.get(room);
    if (members === undefined) {
      members = new Set();
      rooms.set(room, members);
      if (emptyHistories.size > 0) emptyHistories.delete(room);
    }
    members.add(c);
    c.ws.subscribe(topicOf(room, c.codecImpl.binary));
  }

  function detach(c: AnyConn, room: string): void {
    const members = rooms.get(room);
    if (members !== undefined) {
      members.delete(c);
      if (members.size === 0) {
        rooms.delete(room);
        if (histories.has(room)) emptyHistories.set(room, now());
      }
    }
    if (c.roomList !== undefined) {
      const i = c.roomList.indexOf(room);
      if (i >= 0) c.roomList.splice(i, 1);
      if (c.roomList.length === 0) c.roomList = undefined;
    }
  }

  function leave(conn: Connection<unknown, unknown>, room: string): void {
    const c = conn as AnyConn;
    if (!c.inRoom(room)) return;
    detach(c, room);
    if (c.isOpen && c.ws !== undefined) c.ws.unsubscribe(topicOf(room, c.codecImpl.binary));
  }

  function forgetRoom(room: string): boolean {
    emptyHistories.delete(room);
    return histories.delete(room);
  }

  /** Drops the histories of rooms that have had no members for longer than the retention. */
  function expireHistories(): void {
    if (emptyHistories.size === 0) return;
    const t = now();
    for (const [room, since] of emptyHistories) {
      if (t - since <= historyRetentionMs) break;
      forgetRoom(room);
    }
  }

  /** The history of a room, expiring old ones first; `create` makes one (and marks it used for the cap). */
  function historyOf(room: string, create: boolean): RoomHistory | undefined {
    if (resumeOpts === undefined) return undefined;
    expireHistories();
    let h = histories.get(room);
    if (!create) return h;
    if (h === undefined) {
      // The cap drops the history of a room nobody is in (the one empty longest); rooms with members keep
      // theirs (their resume must work), so the cap can be exceeded while more rooms than it are in use.
      if (histories.size >= maxHistories && emptyHistories.size > 0) forgetRoom(emptyHistories.keys().next().value!);
      h = new RoomHistory(resumeOpts.historySize);
      if (!rooms.has(room)) emptyHistories.set(room, now());
      histories.set(room, h);
    }
    return h;
  }

  function publish(room: string, message: unknown, opts: PublishOptions = {}): PublishResult {
    const t0 = performance.now();
    const volatile = opts.volatile === true;
    let frame = message;
    let position: RoomPosition | undefined;
    if (!volatile) {
      const h = historyOf(room, true);
      if (h !== undefined) {
        const offset = h.offset + 1;
        position = { room, offset, epoch: h.epoch };
        frame = envelope(message, position);
        h.append(frame);
      }
    }
    const members = rooms.get(room);
    if (members === undefined || members.size === 0) return { recipients: 0, position };
    const except = opts.except as AnyConn | undefined;
    const event = labelOf(message);
    let text: string | Uint8Array | undefined;
    let binary: string | Uint8Array | undefined;
    let recipients = 0;
    if (volatile) {
      // Per-socket check: a slow consumer loses volatile messages, the others still get them.
      for (const c of members) {
        if (c === except) continue;
        const data = c.codecImpl.binary ? (binary ??= c.codecImpl.encode(frame)) : (text ??= c.codecImpl.encode(frame));
        const r = writeTo(c, data, byteLength(data), true, event);
        if (r === 'sent' || r === 'buffered') recipients++;
      }
    } else {
      let textSubs = 0;
      let binarySubs = 0;
      let slow: AnyConn[] | undefined;
      for (const c of members) {
        if (c.codecImpl.binary) {
          binary ??= c.codecImpl.encode(frame);
          binarySubs++;
        } else {
          text ??= c.codecImpl.encode(frame);
          textSubs++;
        }
      }
      const textSize = text === undefined ? 0 : byteLength(text);
      const binarySize = binary === undefined ? 0 : byteLength(binary);
      // Reliable: a socket this message would push past the bound is closed (clear code) rather than silently skipped by uWS.
      for (const c of members) {
        const ws = c.ws;
        if (ws === undefined) continue;
        const buffered = ws.getBufferedAmount();
        if (buffered > 0 && buffered + (c.codecImpl.binary ? binarySize : textSize) > closeBytes) (slow ??= []).push(c);
      }
      // Slow members leave the topic now and are closed once the broadcast is done: closing runs the app's
      // onClose at once, and a publish from there must not reach the others before this message.
      if (slow !== undefined) {
        for (const c of slow) {
          c.ws!.unsubscribe(topicOf(room, c.codecImpl.binary));
          if (c.codecImpl.binary) binarySubs--;
          else textSubs--;
        }
      }
      const exceptWs = except !== undefined && except.isOpen && members.has(except) && !(slow?.includes(except) ?? false) ? except.ws : undefined;
      if (text !== undefined && textSubs > 0) {
        const topic = topicOf(room, false);
        if (exceptWs !== undefined && !except!.codecImpl.binary) {
          exceptWs.publish(topic, text, false);
          textSubs--;
        } else app.publish(topic, text, false);
        recipients += textSubs;
        stats.bytesOut += textSize * textSubs;
        if (textSubs > 0) metrics.frameOut?.(event, textSize, textSubs);
      }
      if (binary !== undefined && binarySubs > 0) {
        const topic = topicOf(room, true);
        if (exceptWs !== undefined && except!.codecImpl.binary) {
          exceptWs.publish(topic, binary, true);
          binarySubs--;
        } else app.publish(topic, binary, true);
        recipients += binarySubs;
        stats.bytesOut += binarySize * binarySubs;
        if (binarySubs > 0) metrics.frameOut?.(event, binarySize, binarySubs);
      }
      stats.framesOut += recipients;
      if (slow !== undefined) for (const c of slow) slowClose(c);
    }
    metrics.broadcastDuration?.((performance.now() - t0) / 1000, recipients);
    return { recipients, position };
  }

  function resume(conn: Connection<unknown, unknown>, request: ResumeRequest, ropts: { join?: boolean } = {}): ResumeResult {
    const c = conn as AnyConn;
    const h = historyOf(request.room, false);
    let result: ResumeResult;
    if (h === undefined) {
      result = { recovered: false, reason: 'unknown_room', epoch: undefined, offset: 0 };
    } else {
      const r = h.since(request);
      if (!r.ok) {
        result = { recovered: false, reason: r.reason, epoch: h.epoch, offset: h.offset };
      } else {
        for (const m of r.messages) {
          const sent = send(c, m);
          if (sent === 'closed') break;
          // A reliable message uWS refused leaves a gap: the socket cannot be resumed.
          if (sent === 'dropped') slowClose(c);
        }
        result = { recovered: true, replayed: r.messages.length, epoch: h.epoch, offset: h.offset };
      }
    }
    // The replay may have closed the socket as a slow consumer (or it was closed before): nothing was recovered.
    if (!c.isOpen) return { recovered: false, reason: 'closed', epoch: result.epoch, offset: result.offset };
    // Joining in the same tick as the replay: nothing published in between can be missed.
    if (ropts.join !== false) join(c, request.room);
    return result;
  }

  function cork(conn: Connection<unknown, unknown>, fn: () => void): void {
    const c = conn as AnyConn;
    const ws = c.ws;
    if (!c.isOpen || ws === undefined) {
      fn();
      return;
    }
    ws.cork(fn);
  }

  function closeConnection(conn: Connection<unknown, unknown>, code = 1000, reason = ''): void {
    const c = conn as AnyConn;
    if (!c.isOpen || c.ws === undefined) return;
    c.ws.end(code, closeReasonOf(reason));
  }

  // ---------- inbound ----------

  function settle(): void {
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  const nextCorrelationId = (): string => `${idPrefix}-${(nextId++).toString(36)}`;

  const frameEnv: FrameEnv = { send, newId: nextCorrelationId };

  function finishFrame(ctx: FrameCtx, outcome: 'ok' | 'error', t0: number): void {
    stats.framesIn++;
    stats.bytesIn += ctx.size;
    if (metrics.frameIn !== undefined) {
      try {
        metrics.frameIn(eventLabels.label(ctx.event), ctx.size, outcome, (performance.now() - t0) / 1000);
      } catch (error) {
        logger.error({ err: error }, 'metrics.frameIn hook threw');
      }
    }
  }

  function failFrame(ctx: FrameCtx, error: unknown, t0: number): void {
    stats.framesInFailed++;
    logger.error({ err: error, conn: ctx.conn.id, correlationId: ctx.correlationId }, 'inbound pipeline threw (put errorFrames() first to answer with an error frame)');
    finishFrame(ctx, 'error', t0);
  }

  /** Runs one frame; returns RESOLVED when the whole pipeline finished synchronously. */
  function runFrame(ctx: FrameCtx): Promise<void> {
    const t0 = metrics.frameIn !== undefined ? performance.now() : 0;
    const p = (ctx.conn as AnyConn).routeState.run(ctx);
    if (p === RESOLVED) {
      finishFrame(ctx, 'ok', t0);
      return RESOLVED;
    }
    return p.then(
      () => finishFrame(ctx, 'ok', t0),
      (error: unknown) => failFrame(ctx, error, t0),
    );
  }

  function release(c: AnyConn): void {
    c.processing = false;
    inFlight--;
    stats.inFlightFrames = inFlight;
    settle();
  }

  // Frames of one connection run strictly one after another, in arrival order: while one is in
  // flight, later ones wait in the connection's queue and this loop takes them in order.
  async function drainQueue(c: AnyConn): Promise<void> {
    try {
      const queue = c.queue;
      let frame: QueuedFrame | undefined;
      while (queue !== undefined && (frame = queue.shift()) !== undefined) {
        const p = runFrame(new FrameCtx(c, frameEnv, undefined, frame.data, frame.data.byteLength, frame.isBinary, now(), logger));
        if (p !== RESOLVED) await p;
      }
    } finally {
      release(c);
    }
  }

  function onMessage(ws: WebSocket<Holder>, message: ArrayBuffer, isBinary: boolean): void {
    const c = connOf(ws);
    if (!c.processing) {
      // Fast path: nothing in flight for this connection, run now; a synchronous pipeline never leaves this call.
      // The context reads uWS's buffer in place until detach(): uWS detaches it when this callback returns.
      c.processing = true;
      inFlight++;
      stats.inFlightFrames = inFlight;
      const ctx = new FrameCtx(c, frameEnv, message, undefined, message.byteLength, isBinary, now(), logger);
      let p: Promise<void>;
      try {
        p = runFrame(ctx);
      } finally {
        ctx.detach();
      }
      if (p === RESOLVED && (c.queue === undefined || c.queue.length === 0)) {
        release(c);
        return;
      }
      void p.then(
        () => drainQueue(c),
        () => drainQueue(c),
      );
      return;
    }
    const queue = (c.queue ??= []);
    if (queue.length >= maxQueuedFrames) {
      stats.inboundOverflows++;
      send(c, overloadedMessage({ maxQueuedFrames, conn: c }));
      return;
    }
    // uWS detaches the ArrayBuffer after this callback: a waiting frame needs its own copy.
    queue.push({ data: Buffer.from(new Uint8Array(message)), isBinary });
  }

  // ---------- WebSocket routes ----------

  function ws<A, I>(pattern: string, route: WsRoute<A, I>): Transport {
    if (state !== 'created') throw new TransportError('ALREADY_LISTENING', 'register WebSocket routes before listen()');
    const idle = route.idleTimeoutSeconds ?? 120;
    // uWS aborts the process (C++ terminate) above 960 s.
    if (!(idle === 0 || (Number.isInteger(idle) && idle >= 8 && idle <= 960))) {
      throw new TransportError('INVALID_OPTIONS', `idleTimeoutSeconds must be 0 or an integer from 8 to 960, got ${idle}`);
    }
    const names = paramNamesOf(pattern);
    const rs: RouteState<A, I> = { pattern, route, run: compose(route.pipeline) };
    const maxPayload = route.maxPayloadBytes ?? 1024 * 1024;

    const finishUpgrade = (
      res: HttpResponse,
      req: UpgradeRequest,
      decision: UpgradeDecision<A, I>,
      key: string,
      extensions: string,
      context: us_socket_context_t,
    ): void => {
      if (state !== 'listening') {
        res.writeStatus(statusLine(503)).end('server is shutting down');
        return;
      }
      if (decision.reject !== undefined) {
        res.writeStatus(statusLine(decision.reject.status));
        for (const [k, v] of Object.entries(decision.reject.headers ?? {})) res.writeHeader(k, v);
        res.end(decision.reject.message ?? '');
        return;
      }
      const codec = codecFor(decision.codec ?? 'json');
      const protocol = decision.protocol ?? (req.protocols.includes(codec.name) ? codec.name : (req.protocols[0] ?? ''));
      const conn = new Conn<A, I>(
        `${idPrefix}${(nextId++).toString(36)}`,
        req.path,
        req.params,
        req.query,
        req.remoteAddress,
        codec,
        decision.attributes,
        decision.identity,
        decision.rooms,
        rs as unknown as RouteState<unknown, unknown>,
      );
      if (decision.headers !== undefined) {
        // uWS: custom headers on an upgrade need the 101 status written first.
        res.writeStatus(statusLine(101));
        for (const [k, v] of Object.entries(decision.headers)) {
          if (typeof v === 'string') res.writeHeader(k, v);
          else for (const one of v) res.writeHeader(k, one);
        }
      }
      res.upgrade<Holder>({ conn: conn }, key, protocol, extensions, context);
    };

    app.ws<Holder>(pattern, {
      idleTimeout: idle,
      sendPingsAutomatically: true,
      maxPayloadLength: maxPayload,
      // Our own policy closes slow consumers at `closeBytes`; uWS's limit sits above it as a last resort.
      maxBackpressure: closeBytes + maxPayload + 64 * 1024,
      closeOnBackpressureLimit: 1,
      upgrade: (res, req, context) => {
        const key = req.getHeader('sec-websocket-key');
        const protocolHeader = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const headers: Record<string, string> = {};
        req.forEach((k, v) => {
          headers[k] = v;
        });
        let params = EMPTY_PARAMS;
        if (names.length > 0) {
          const p: Record<string, string> = {};
          names.forEach((n, i) => {
            p[n] = safeDecode(req.getParameter(i));
          });
          params = p;
        }
        const ureq: UpgradeRequest = {
          route: pattern,
          path: req.getUrl(),
          query: req.getQuery() ?? '',
          params,
          headers,
          cookies: parseCookies(headers['cookie'] ?? ''),
          remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
          protocols: protocolHeader === '' ? [] : protocolHeader.split(',').map((p) => p.trim()),
        };
        if (state !== 'listening') {
          res.writeStatus(statusLine(503)).end('server is shutting down');
          return;
        }
        if (route.upgrade === undefined) {
          finishUpgrade(res, ureq, {}, key, extensions, context);
          return;
        }
        let aborted = false;
        const fail = (error: unknown): void => {
          logger.error({ err: error, path: ureq.path }, 'upgrade hook failed');
          if (aborted) return;
          res.cork(() => res.writeStatus(statusLine(500)).end('upgrade failed'));
        };
        let decision: UpgradeDecision<A, I> | Promise<UpgradeDecision<A, I>>;
        try {
          decision = route.upgrade(ureq);
        } catch (error) {
          fail(error);
          return;
        }
        if (!(decision instanceof Promise)) {
          finishUpgrade(res, ureq, decision, key, extensions, context);
          return;
        }
        res.onAborted(() => {
          aborted = true;
        });
        decision.then(
          (d) => {
            if (aborted) return;
            res.cork(() => finishUpgrade(res, ureq, d, key, extensions, context));
          },
          (error: unknown) => fail(error),
        );
      },
      open: (socket) => {
        const c = socket.getUserData().conn;
        c.ws = socket;
        c.isOpen = true;
        c.openedAt = now();
        conns.add(c);
        stats.connections = conns.size;
        metrics.connectionOpened?.(pattern);
        if (c.initialRooms !== undefined) {
          for (const r of c.initialRooms) join(c, r);
          c.initialRooms = undefined;
        }
        if (route.onOpen !== undefined) {
          try {
            const p = route.onOpen(c as unknown as Connection<A, I>);
            if (p instanceof Promise) p.catch((error: unknown) => logger.error({ err: error, conn: c.id }, 'onOpen failed'));
          } catch (error) {
            logger.error({ err: error, conn: c.id }, 'onOpen failed');
          }
        }
      },
      message: onMessage,
      close: (socket, code, message) => {
        const c = socket.getUserData().conn;
        c.isOpen = false;
        c.ws = undefined;
        if (c.roomList !== undefined) for (const r of [...c.roomList]) detach(c, r);
        conns.delete(c);
        stats.connections = conns.size;
        metrics.connectionClosed?.(pattern, code);
        const reason = Buffer.from(message).toString('utf8');
        if (route.onClose !== undefined) {
          try {
            const p = route.onClose(c as unknown as Connection<A, I>, code, reason);
            if (p instanceof Promise) p.catch((error: unknown) => logger.error({ err: error, conn: c.id }, 'onClose failed'));
          } catch (error) {
            logger.error({ err: error, conn: c.id }, 'onClose failed');
          }
        }
      },
    });
    return transport;
  }

  // ---------- HTTP ----------

  const httpMiddleware: HttpMiddleware[] = [];
  let staticFiles: StaticFiles | undefined;
  const securityHeaders = options.http?.securityHeaders === false ? {} : (options.http?.securityHeaders ?? DEFAULT_SECURITY_HEADERS);
  const settings: ContextSettings = {
    maxBodyBytes: options.http?.maxBodyBytes ?? 64 * 1024,
    gzipMinBytes: options.http?.gzipMinBytes ?? 1024,
    baseHeaders: Object.entries(securityHeaders),
    logger,
    newId: () => `${idPrefix}-${(nextId++).toString(36)}`,
    closing: () => state !== 'listening',
  };

  async function runHttp(ctx: HttpContextImpl, routeLabel: string, handler: HttpHandler): Promise<void> {
    const t0 = performance.now();
    const chain = composeSteps<HttpContext>([...httpMiddleware, (c) => handler(c)]);
    try {
      await chain(ctx);
      if (ctx.pending !== undefined) await ctx.pending;
      if (!ctx.responded) await ctx.json(404, { error: { code: 'NOT_FOUND', message: 'no response' } });
    } catch (error) {
      if (error instanceof HttpError) {
        ctx.log.debug({ code: error.code, status: error.status }, 'http error');
        await ctx.json(error.status, { error: { code: error.code, message: error.message } });
      } else {
        ctx.log.error({ err: error, path: ctx.path }, 'http handler failed');
        await ctx.json(500, { error: { code: 'INTERNAL', message: 'internal error', correlationId: ctx.correlationId } });
      }
    }
    metrics.httpRequest?.(ctx.method, routeLabel, ctx.statusCode, (performance.now() - t0) / 1000);
  }

  const register = (method: 'get' | 'head' | 'post' | 'put' | 'patch' | 'del' | 'any', pattern: string, handler: HttpHandler): void => {
    const names = paramNamesOf(pattern);
    app[method](pattern, (res: HttpResponse, req: HttpRequest) => {
      const ctx = new HttpContextImpl(res, req, names, settings);
      void runHttp(ctx, pattern, handler);
    });
  };

  // A GET route answers HEAD too (headers, no body) unless the app registers its own HEAD for the pattern:
  // the implied ones are added at listen, once every explicit route is known.
  const getRoutes = new Map<string, HttpHandler>();
  const explicitHeads = new Set<string>();
  const http: HttpRouter = {
    use(mw) {
      httpMiddleware.push(mw);
      return http;
    },
    get: (p, h) => (register('get', p, h), getRoutes.set(p, h), http),
    head: (p, h) => (register('head', p, h), explicitHeads.add(p), http),
    post: (p, h) => (register('post', p, h), http),
    put: (p, h) => (register('put', p, h), http),
    patch: (p, h) => (register('patch', p, h), http),
    del: (p, h) => (register('del', p, h), http),
    any: (p, h) => (register('any', p, h), http),
    static(opts) {
      staticFiles = new StaticFiles(opts, settings.gzipMinBytes);
      return http;
    },
  };

  // ---------- lifecycle ----------

  function listen(lopts: { host?: string; port?: number } = {}): Promise<{ port: number }> {
    if (state !== 'created') return Promise.reject(new TransportError('ALREADY_LISTENING', `cannot listen in state ${state}`));
    for (const [pattern, handler] of getRoutes) if (!explicitHeads.has(pattern)) register('head', pattern, handler);
    // The catch-all: static files (with SPA fallback) or a JSON 404. Registered last so app routes win.
    app.any('/*', (res, req) => {
      const ctx = new HttpContextImpl(res, req, [], settings);
      void runHttp(ctx, '*', async (c) => {
        if (staticFiles !== undefined && (await staticFiles.serve(c as HttpContextImpl))) return;
        await c.json(404, { error: { code: 'NOT_FOUND', message: `no route for ${c.method} ${c.path}` } });
      });
    });
    const host = lopts.host ?? '0.0.0.0';
    const wanted = lopts.port ?? 0;
    return new Promise((resolve, reject) => {
      app.listen(host, wanted, (socket) => {
        if (socket === false) {
          reject(new TransportError('LISTEN_FAILED', `could not listen on ${host}:${wanted}`));
          return;
        }
        listenSocket = socket;
        port = uWS.us_socket_local_port(socket);
        state = 'listening';
        logger.info({ host, port }, 'transport listening');
        resolve({ port });
      });
    });
  }

  function waitIdle(ms: number): Promise<boolean> {
    if (inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        idleWaiters = idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      idleWaiters.push(done);
    });
  }

  let closing: Promise<ShutdownReport> | undefined;

  function close(copts: CloseOptions = {}): Promise<ShutdownReport> {
    closing ??= (async () => {
      const budget = copts.budgetMs ?? 10_000;
      const deadline = performance.now() + budget;
      const wasListening = state === 'listening';
      state = 'draining';
      let drainHookTimedOut = false;
      if (copts.drain !== undefined) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), budget);
        });
        try {
          const r = await Promise.race([Promise.resolve(copts.drain()).then(() => 'done' as const), timeout]);
          drainHookTimedOut = r === 'timeout';
        } catch (error) {
          logger.error({ err: error }, 'drain hook failed');
        } finally {
          clearTimeout(timer);
        }
      }
      const reason = closeReasonOf(copts.reason ?? 'server shutting down');
      let closedSockets = 0;
      for (const c of [...conns]) {
        if (c.isOpen && c.ws !== undefined) {
          c.ws.end(1001, reason);
          closedSockets++;
        }
      }
      const idle = await waitIdle(Math.max(0, deadline - performance.now()));
      const abandonedFrames = idle ? 0 : inFlight;
      if (listenSocket !== undefined) {
        uWS.us_listen_socket_close(listenSocket);
        listenSocket = undefined;
      }
      // Idle HTTP keep-alive sockets would otherwise keep the process alive.
      (app as TemplatedApp & { close?: () => void }).close?.();
      state = 'closed';
      if (wasListening) logger.info({ closedSockets, abandonedFrames, drainHookTimedOut }, 'transport closed');
      return { closedSockets, abandonedFrames, drainHookTimedOut };
    })();
    return closing;
  }

  const transport: Transport = {
    get state() {
      return state;
    },
    get port() {
      return port;
    },
    ws,
    http,
    uwsApp: app,
    listen,
    send,
    cork,
    publish,
    join,
    leave,
    roomSize: (room) => rooms.get(room)?.size ?? 0,
    roomNames: () => [...rooms.keys()],
    roomMembers: (room) => [...(rooms.get(room) ?? [])],
    connectionCount: () => conns.size,
    connections: () => [...conns],
    closeConnection,
    resume,
    position(room) {
      const h = historyOf(room, false);
      return h === undefined ? undefined : { room, offset: h.offset, epoch: h.epoch };
    },
    resetRoom(room) {
      const h = historyOf(room, true);
      if (h === undefined) return undefined;
      h.reset();
      return { room, offset: h.offset, epoch: h.epoch };
    },
    forgetRoom,
    stats: () => ({ ...stats, connections: conns.size, rooms: rooms.size, inFlightFrames: inFlight }),
    close,
  };
  return transport;
}
