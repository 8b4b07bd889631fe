/**
 * The WebSocket side of the frontend's contract: `/ws/lobby` and `/ws/<ROOMID>` sockets, session cookies,
 * seat binding, the inbound pipeline (size, JSON, rate limit, schema, identity) and the mapping of frames
 * to room commands and of room output to frames.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { isDomainError, viewFor, type LiapCommand, type LiapState } from '@game/liap-tui';
import type { Logger } from '@game/persistence';
import { rateLimitCloseReason, rateLimitErrorFrame, type RateLimiter } from '@game/rate-limit';
import { serializeCookie, standardPipeline, type Connection, type FrameContext, type Transport, type UpgradeDecision, type UpgradeRequest } from '@game/ws-transport';
import type { ServerConfig } from './config.js';
import { parseInbound } from './protocol/inbound.js';
import { errorFrame, frame, roomInfo, roomListUpdate, roomNotFound, roomUpdate, type Frame } from './protocol/outbound.js';
import { RoomUnavailableError, type Outbound, type RoomActor } from './rooms/room-actor.js';
import { NotAcceptingRoomsError, type RoomManager } from './rooms/room-manager.js';

/** The session cookie that ties seats to a browser. */
export const SESSION_COOKIE = 'liap_sid';
const SESSION_RE = /^[A-Za-z0-9_-]{22,64}$/;

/** What a socket carries. */
export interface SocketAttrs {
  sessionId: string;
  /** `lobby` or a room id. */
  room: string;
  /** The seat this socket controls, once bound. */
  seat: number | null;
  /** The socket was told `room_not_found` (on open): `client_ready` does not say it again. */
  toldNotFound?: boolean;
}

type Conn = Connection<SocketAttrs, unknown>;
type Ctx = FrameContext<SocketAttrs, unknown> & { message: Record<string, unknown> };

/** A new random session id. */
export const newSessionId = (): string => randomBytes(18).toString('base64url');

/** The Set-Cookie value for a session. */
export const sessionCookie = (id: string): string =>
  serializeCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Lax', path: '/', maxAgeSeconds: 60 * 60 * 24 * 30 });

const roomTopic = (roomId: string): string => `room:${roomId}`;
const LOBBY = 'lobby';

/** Options of the gateway. */
export interface GatewayOptions {
  readonly transport: Transport;
  readonly rooms: RoomManager;
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly limiter: RateLimiter;
  /** False while the server starts (rooms being rebuilt). */
  readonly isStarted: () => boolean;
  /**
   * Settles when the start ends: resolves once the rooms are rebuilt, rejects if the start failed. Upgrades
   * arriving before that are held until it settles (at most `UPGRADE_HOLD_MS`).
   */
  readonly whenStarted: () => Promise<void>;
}

/** How long a WebSocket upgrade arriving during the start waits for the rooms before it is refused with 503. */
export const UPGRADE_HOLD_MS = 30_000;

/** Wires the WebSocket route and turns room output into frames. */
export class Gateway {
  private lobbyDirty = false;
  private lobbyTimer: NodeJS.Timeout | undefined;
  private lastLobbyList = -Infinity;
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private readonly abandonTimers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private recoveryTimer: NodeJS.Timeout | undefined;
  /** Between the rooms' rebuild and the end of the reconnect grace. */
  private recoveryPending = false;
  /** One pending retry of `reconcile` per room (storage trouble). */
  private readonly reconcileRetries = new Map<string, NodeJS.Timeout>();

  constructor(private readonly o: GatewayOptions) {}

  /** Registers `/ws/:room` on the transport. */
  register(): void {
    const { transport, config } = this.o;
    transport.ws<SocketAttrs, unknown>('/ws/:room', {
      idleTimeoutSeconds: 120,
      maxPayloadBytes: Math.max(config.MAX_FRAME_BYTES * 4, 65_536),
      upgrade: (req) => {
        // Before the rooms are rebuilt a room socket would be told room_not_found, and the frontend treats a
        // refused handshake as fatal (it retries once, ~1 s later): hold the handshake until the rooms are back.
        if (!this.o.isStarted()) return this.afterStart(req);
        return this.accept(req);
      },
      onOpen: (conn) => {
        const room = conn.attributes.room;
        if (room !== LOBBY && !this.o.rooms.get(room)) {
          conn.attributes.toldNotFound = true;
          this.o.transport.send(conn, roomNotFound(room));
        }
      },
      onClose: (conn, code) => this.onClose(conn, code),
      pipeline: standardPipeline<SocketAttrs, unknown>({
        maxFrameBytes: config.MAX_FRAME_BYTES,
        parse: { messageIdField: 'id' },
        formatError: (err) => this.formatError(err),
        dedupe: false,
        // Rate limits as our own step: the refusal frame is the protocol's, built from the limiter's result.
        use: [(ctx, next) => this.rateLimit(ctx, next)],
        handler: (ctx) => this.handle(ctx),
      }),
    });
  }

  /** The upgrade's answer once the server runs: the session (a new cookie when it had none) and the socket's room. */
  private accept(req: UpgradeRequest): UpgradeDecision<SocketAttrs, unknown> {
    const existing = req.cookies[SESSION_COOKIE];
    const valid = existing !== undefined && SESSION_RE.test(existing);
    const sessionId = valid ? existing : newSessionId();
    const room = req.params['room'] ?? '';
    return {
      attributes: { sessionId, room: room === LOBBY ? LOBBY : room, seat: null },
      // Room sockets join their room's topic at client_ready: a socket never receives a seatless
      // view before it had the chance to bind (the frontend's first frame is always client_ready).
      rooms: room === LOBBY ? [LOBBY] : [],
      ...(valid ? {} : { headers: { 'set-cookie': sessionCookie(sessionId) } }),
    };
  }

  /** An upgrade that arrived during the start: accepted once the rooms are rebuilt, 503 if the start fails or takes too long. */
  private async afterStart(req: UpgradeRequest): Promise<UpgradeDecision<SocketAttrs, unknown>> {
    const refuse = { reject: { status: 503, message: 'starting: rooms are being rebuilt, retry shortly', headers: { 'retry-after': '1' } } };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), UPGRADE_HOLD_MS);
    });
    try {
      const outcome = await Promise.race([this.o.whenStarted().then(() => 'started' as const), timeout]);
      return outcome === 'started' && !this.stopped ? this.accept(req) : refuse;
    } catch {
      return refuse;
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- outbound

  /**
   * Sends a room's output to its sockets in order: broadcasts as they are, `phase_change` personalised per
   * seat. Everything goes through per-connection sends: uWS publishes are flushed at the end of the loop
   * iteration, so mixing them with direct sends could reorder `turn_complete` and the next `phase_change`.
   */
  deliver(roomId: string, out: readonly Outbound[]): void {
    if (out.length === 0) return;
    const transport = this.o.transport;
    const members = transport.roomMembers(roomTopic(roomId)) as Conn[];
    if (members.length === 0) return;
    // One personalised phase_change per seat and output item, built once for all sockets of that seat.
    const views = new Map<string, Frame>();
    const viewOf = (i: number, state: LiapState, seat: number | null): Frame => {
      const key = `${i}:${seat}`;
      let f = views.get(key);
      if (!f) {
        f = frame('phase_change', viewFor(state, seat) as unknown as Record<string, unknown>);
        views.set(key, f);
      }
      return f;
    };
    // Socket by socket, every item in order inside one cork: one write per socket per action.
    for (const c of members) {
      transport.cork(c, () => {
        for (let i = 0; i < out.length; i++) {
          const item = out[i]!;
          transport.send(c, item.kind === 'broadcast' ? item.frame : viewOf(i, item.state, c.attributes.seat));
        }
      });
    }
  }

  /**
   * Marks the lobby list stale. The next `room_list_update` goes out on the next event-loop turn, or, when
   * the last one is younger than LOBBY_UPDATE_INTERVAL_MS, when it is that old; every change up to then is
   * in it. A burst of changes thus costs each lobby socket at most one full list per interval.
   */
  directoryChanged(roomId: string): void {
    this.o.rooms.noteChanged(roomId);
    if (this.lobbyDirty) return;
    this.lobbyDirty = true;
    const send = (): void => {
      this.lobbyDirty = false;
      this.lobbyTimer = undefined;
      if (this.stopped) return;
      this.lastLobbyList = performance.now();
      if (this.o.transport.roomSize(LOBBY) > 0) this.o.transport.publish(LOBBY, roomListUpdate(this.o.rooms.lobbyRooms()));
    };
    const wait = this.lastLobbyList + this.o.config.LOBBY_UPDATE_INTERVAL_MS - performance.now();
    if (wait > 0) this.lobbyTimer = setTimeout(send, wait);
    else setImmediate(send);
  }

  private snapshotFor(conn: Conn, state: LiapState): Frame {
    return frame('phase_change', viewFor(state, conn.attributes.seat) as unknown as Record<string, unknown>);
  }

  // ---------------------------------------------------------------- inbound

  private async rateLimit(ctx: FrameContext<SocketAttrs, unknown>, next: () => Promise<void>): Promise<void> {
    const event = typeof ctx.message?.['event'] === 'string' ? (ctx.message['event']).slice(0, 100) : 'unknown';
    const a = ctx.conn.attributes;
    const r = await this.o.limiter.consume({
      connection: ctx.conn.id,
      player: a.sessionId,
      ...(a.room !== LOBBY ? { room: a.room } : {}),
      ip: ctx.conn.remoteAddress,
      messageType: event,
    });
    if (r.allowed) return next();
    ctx.reply(rateLimitErrorFrame(r));
    const close = rateLimitCloseReason(r);
    if (close) this.o.transport.closeConnection(ctx.conn, close.code, close.reason);
  }

  private formatError(err: unknown): Frame {
    const e = err as { code?: string; message?: string };
    switch (e.code) {
      case 'FRAME_TOO_LARGE':
        return errorFrame(`Message too large (limit ${this.o.config.MAX_FRAME_BYTES} bytes)`, 'validation_error', { code: e.code });
      case 'INVALID_FRAME':
      case 'NOT_AN_OBJECT':
        return errorFrame('Invalid message: not a JSON object', 'validation_error', { code: e.code });
      default:
        return errorFrame(e.code ? (e.message ?? 'Request failed') : 'Internal error', e.code ? 'validation_error' : 'server_error', e.code ? { code: e.code } : {});
    }
  }

  private async handle(ctx: Ctx): Promise<void> {
    const parsed = parseInbound(ctx.message);
    if (!parsed.ok) {
      ctx.reply(errorFrame(parsed.message, 'validation_error', parsed.event ? { event_type: parsed.event } : {}));
      return;
    }
    const conn = ctx.conn;
    const { event, data } = parsed;
    try {
      await this.dispatch(conn, event, data, ctx);
    } catch (err) {
      this.replyError(conn, err, event);
    }
  }

  private replyError(conn: Conn, err: unknown, event: string): void {
    if (isDomainError(err)) {
      this.o.transport.send(conn, errorFrame(err.message, err.code, { event_type: event }));
    } else if (err instanceof RoomUnavailableError || err instanceof NotAcceptingRoomsError) {
      this.o.transport.send(conn, errorFrame(err.message, 'unavailable', { event_type: event }));
    } else if (err instanceof GatewayError) {
      this.o.transport.send(conn, errorFrame(err.message, err.type, { event_type: event }));
    } else {
      this.o.logger.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err), event }, 'action failed');
      this.o.transport.send(conn, errorFrame('The server could not complete this action; please try again', 'server_error', { event_type: event }));
    }
  }

  private async dispatch(conn: Conn, event: string, data: Record<string, unknown>, ctx: Ctx): Promise<void> {
    const { transport, rooms } = this.o;
    const a = conn.attributes;
    const commandId = (suffix = '') => `c:${conn.id}:${ctx.messageId ?? randomUUID()}${suffix}`;
    const meta = { sessionId: a.sessionId, correlationId: ctx.correlationId };
    switch (event) {
      case 'ping':
        ctx.reply(frame('pong', { timestamp: data['timestamp'] ?? null, server_time: Date.now() / 1000, room_id: a.room }));
        return;
      case 'start_next_round':
      case 'player_ready':
      case 'ack':
        return; // the server advances rounds on its own timers (decision 6)
      case 'get_rooms':
      case 'request_room_list':
        ctx.reply(roomListUpdate(rooms.lobbyRooms()));
        return;
      case 'client_ready':
        await this.clientReady(conn, data);
        return;
      case 'create_room': {
        const actor = await rooms.create(String(data['player_name']), meta);
        ctx.reply(
          frame('room_created', {
            room_id: actor.roomId,
            room_code: actor.roomId,
            host_name: String(data['player_name']),
            success: true,
            room_info: roomInfo(actor.roomId, rooms.summary(actor.roomId)!),
          }),
        );
        return;
      }
      case 'join_room': {
        const roomId = String(data['room_id']).toUpperCase();
        const actor = rooms.get(roomId);
        if (!actor || actor.state.status === 'closed') throw new GatewayError('Room not found', 'room_not_found');
        const events = await actor.submit({ type: 'join_room', id: commandId(), name: String(data['player_name']) }, meta);
        const joined = events.find((e) => e.type === 'player_joined');
        const seat = joined?.type === 'player_joined' ? joined.seat : -1;
        ctx.reply(
          frame('room_joined', {
            success: true,
            room_id: roomId,
            player_id: `${roomId}_p${seat}`,
            seat_position: seat,
            is_host: false,
            room_info: roomInfo(roomId, rooms.summary(roomId)!),
          }),
        );
        return;
      }
      default:
        break;
    }

    // Everything else acts on the socket's room.
    if (a.room === LOBBY) throw new GatewayError(`"${event}" is not available on the lobby socket`, 'validation_error');
    const actor = rooms.get(a.room);
    if (!actor) {
      ctx.reply(roomNotFound(a.room));
      return;
    }
    switch (event) {
      case 'get_room_state': {
        const send = () => {
          const live = rooms.get(a.room);
          if (live && conn.isOpen) transport.send(conn, roomUpdate(a.room, rooms.summary(a.room)!));
        };
        send();
        // The room page registers its listener a render later than it asks (decision 10): say it again.
        setTimeout(send, 250).unref();
        return;
      }
      case 'request_state_sync':
      case 'sync_request':
        if (actor.state.status === 'in_game' || actor.state.status === 'over') ctx.reply(this.snapshotFor(conn, actor.state));
        else ctx.reply(roomUpdate(a.room, rooms.summary(a.room)!));
        return;
      case 'request_recovery':
        ctx.reply(frame('recovery_response', { room_id: a.room, success: true }));
        if (actor.state.status === 'in_game' || actor.state.status === 'over') ctx.reply(this.snapshotFor(conn, actor.state));
        return;
      default:
        break;
    }

    const seat = await this.seatFor(conn, actor, data);
    const cmd = this.toCommand(event, data, seat, commandId());
    if (!cmd) throw new GatewayError(`Unsupported event: ${event}`, 'unsupported_event');
    await actor.submit(cmd, meta);
    // A player who left or was removed no longer acts for (or sees the hand of) whoever takes the seat next.
    if (cmd.type === 'leave_room') {
      this.unbindVacated(actor, cmd.seat);
      // Leaving a running game hands the seat to a bot for good: the last human leaving abandons the room
      // (the socket's later close no longer counts, it is unbound).
      this.checkAbandoned(actor);
    } else if (cmd.type === 'remove_player') this.unbindVacated(actor, cmd.slot);
  }

  /** Unbinds the sockets still bound to `seat` once their session no longer holds it (left, removed, taken over). */
  private unbindVacated(actor: RoomActor, seat: number): void {
    const holder = actor.state.seats[seat];
    const owner = actor.sessions.get(seat);
    for (const c of this.o.transport.roomMembers(roomTopic(actor.roomId)) as Conn[]) {
      if (c.attributes.seat !== seat) continue;
      const stillHeld = holder !== null && holder !== undefined && !holder.originalIsBot && !holder.left && (owner === undefined || owner === c.attributes.sessionId);
      if (!stillHeld) c.attributes.seat = null;
    }
  }

  private toCommand(event: string, data: Record<string, unknown>, seat: number, id: string): LiapCommand | null {
    switch (event) {
      case 'add_bot':
        return { type: 'add_bot', id, seat, slot: Number(data['slot_id']) - 1 };
      case 'remove_player': {
        const slot = data['slot_id'] !== undefined ? Number(data['slot_id']) - 1 : parsePlayerSeat(String(data['player_id']));
        if (slot === null) throw new GatewayError(`Player with id '${String(data['player_id'])}' not found`, 'validation_error');
        return { type: 'remove_player', id, seat, slot };
      }
      case 'leave_room':
      case 'leave_game':
        return { type: 'leave_room', id, seat };
      case 'start_game':
        return { type: 'start_game', id, seat };
      case 'accept_redeal':
      case 'request_redeal':
        return { type: 'accept_redeal', id, seat };
      case 'decline_redeal':
        return { type: 'decline_redeal', id, seat };
      case 'redeal_decision':
        return data['choice'] === 'accept' ? { type: 'accept_redeal', id, seat } : { type: 'decline_redeal', id, seat };
      case 'declare':
        return { type: 'declare', id, seat, value: Number(data['value']) };
      case 'play':
        return { type: 'play', id, seat, indices: data['piece_indices'] as number[] };
      case 'play_pieces':
        return { type: 'play', id, seat, indices: data['indices'] as number[] };
      default:
        return null;
    }
  }

  /**
   * The seat this socket acts for. A bound socket acts for its seat whatever `player_name` says; an unbound
   * one (a recovery socket opened without a name) binds through `data.player_name`, with the same
   * session check as `client_ready`.
   */
  private async seatFor(conn: Conn, actor: RoomActor, data: Record<string, unknown>): Promise<number> {
    if (conn.attributes.seat !== null) return conn.attributes.seat;
    const name = data['player_name'];
    if (typeof name === 'string' && name !== '') return (await this.claim(conn, actor, name)).seat;
    throw new GatewayError('Could not determine player identity: send client_ready with your player name first', 'validation_error');
  }

  /** Binds a socket to the seat of `name` if the socket's browser session owns it. */
  private bind(conn: Conn, actor: RoomActor, name: string): number {
    const seat = actor.state.seats.findIndex((s) => s !== null && s.name === name && !s.originalIsBot);
    if (seat < 0) throw new GatewayError(`No player named ${name} in this room`, 'validation_error');
    const owner = actor.sessions.get(seat);
    if (this.o.config.SEAT_BINDING === 'session' && owner !== undefined && owner !== conn.attributes.sessionId) {
      throw new GatewayError(`The seat of ${name} belongs to another browser`, 'not_your_seat');
    }
    conn.attributes.seat = seat;
    if (!conn.rooms.has(roomTopic(actor.roomId))) this.o.transport.join(conn, roomTopic(actor.roomId));
    const key = `${actor.roomId}:${seat}`;
    const grace = this.graceTimers.get(key);
    if (grace) {
      clearTimeout(grace);
      this.graceTimers.delete(key);
    }
    const abandon = this.abandonTimers.get(actor.roomId);
    if (abandon) {
      clearTimeout(abandon);
      this.abandonTimers.delete(actor.roomId);
    }
    return seat;
  }

  /**
   * Binds the socket through `name` (see `bind`) and, in a running game, hands the seat back from the bot
   * that played it while its human was away, whichever frame carried the name.
   */
  private async claim(conn: Conn, actor: RoomActor, name: string): Promise<{ seat: number; reconnected: boolean }> {
    const seat = this.bind(conn, actor, name);
    const s = actor.state.seats[seat];
    if (actor.state.status === 'in_game' && s && s.isBot && !s.originalIsBot && !s.left) {
      const events = await actor.submit({ type: 'player_reconnected', id: `reconnect:${conn.id}`, seat }, { sessionId: conn.attributes.sessionId });
      if (events.length === 0) return { seat, reconnected: false };
      // After the table's player_reconnected, the snapshot with the hand goes to this socket only (§6.8).
      this.o.transport.send(conn, this.snapshotFor(conn, actor.state));
      return { seat, reconnected: true };
    }
    return { seat, reconnected: false };
  }

  private async clientReady(conn: Conn, data: Record<string, unknown>): Promise<void> {
    const { transport, rooms } = this.o;
    const a = conn.attributes;
    if (a.room === LOBBY) {
      transport.send(conn, roomListUpdate(rooms.lobbyRooms(), { initial: true }));
      return;
    }
    const actor = rooms.get(a.room);
    if (!actor || actor.state.status === 'closed') {
      if (!a.toldNotFound) transport.send(conn, roomNotFound(a.room));
      a.toldNotFound = true;
      return;
    }
    if (!conn.rooms.has(roomTopic(a.room))) transport.join(conn, roomTopic(a.room));
    const name = data['player_name'];
    let reconnected = false;
    let refused: GatewayError | undefined;
    if (typeof name === 'string' && name !== '' && a.seat === null) {
      try {
        // A reconnect already sent this socket its snapshot: it would be the same frame again.
        reconnected = (await this.claim(conn, actor, name)).reconnected;
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        refused = err;
      }
    }
    // A refused name (not seated here, or another browser's seat) still gets the state, without a hand (the
    // protocol's recovery answer is a snapshot or room_not_found, never nothing), then the error.
    const status = actor.state.status;
    if (status === 'in_game' || status === 'over') {
      if (!reconnected) transport.send(conn, this.snapshotFor(conn, actor.state));
    } else {
      // Whenever a socket binds, the room hears the seat list again (decision 10).
      const update = roomUpdate(a.room, rooms.summary(a.room)!);
      for (const c of refused ? [conn] : transport.roomMembers(roomTopic(a.room))) transport.send(c, update);
    }
    if (refused) throw refused;
  }

  // ---------------------------------------------------------------- closes

  private onClose(conn: Conn, code: number): void {
    const { rooms, transport, config, logger } = this.o;
    const { room, seat } = conn.attributes;
    if (room === LOBBY || seat === null) return;
    const actor = rooms.get(room);
    if (!actor) return;
    // Another open socket for the same seat means this one was a duplicate (decision 7).
    const others = (transport.roomMembers(roomTopic(room)) as Conn[]).some((c) => c !== conn && c.isOpen && c.attributes.seat === seat);
    if (others) return;
    const submit = (cmd: LiapCommand) =>
      actor.submit(cmd).catch((err: unknown) => {
        if (!isDomainError(err)) logger.warn({ room, seat, err: String(err) }, 'close handling failed');
      });
    const status = actor.state.status;
    if (status === 'in_game') {
      void submit({ type: 'player_disconnected', id: `disconnect:${conn.id}`, seat }).then(() => this.checkAbandoned(actor));
    } else if (status === 'open' && (code === 1000 || code === 1001)) {
      const leave = () => void submit({ type: 'leave_room', id: `close:${conn.id}`, seat });
      const isHost = actor.state.host === seat;
      if (code === 1001 && isHost && config.HOST_REFRESH_GRACE_MS > 0) {
        const key = `${room}:${seat}`;
        const t = setTimeout(() => {
          this.graceTimers.delete(key);
          const stillAway = !(transport.roomMembers(roomTopic(room)) as Conn[]).some((c) => c.isOpen && c.attributes.seat === seat);
          if (stillAway) leave();
        }, config.HOST_REFRESH_GRACE_MS);
        t.unref();
        this.graceTimers.set(key, t);
      } else {
        leave();
      }
    }
  }

  /** A running room with no connected human is closed after ROOM_ABANDON_MS. */
  private checkAbandoned(actor: RoomActor): void {
    const { transport, rooms, config, logger } = this.o;
    // A shutdown is not an abandonment: disconnects handled while the rooms drain must not close them.
    if (this.stopped || actor.state.status !== 'in_game') return;
    const humanConnected = actor.state.seats.some((s) => s !== null && !s.originalIsBot && !s.isBot);
    if (humanConnected || this.abandonTimers.has(actor.roomId)) return;
    const t = setTimeout(() => {
      this.abandonTimers.delete(actor.roomId);
      const still = actor.state.status === 'in_game' && !actor.state.seats.some((s) => s !== null && !s.originalIsBot && !s.isBot);
      if (!still || this.stopped) return;
      transport.publish(
        roomTopic(actor.roomId),
        frame('room_closed', { room_id: actor.roomId, reason: 'All players disconnected', timeout_seconds: Math.round(config.ROOM_ABANDON_MS / 1000) }),
      );
      rooms.abandon(actor.roomId).catch((err: unknown) => logger.warn({ room: actor.roomId, err: String(err) }, 'abandoning the room failed; it stays live'));
    }, config.ROOM_ABANDON_MS);
    t.unref();
    this.abandonTimers.set(actor.roomId, t);
  }

  /**
   * After the room's state was replaced wholesale (an operator's restore, a catch-up with the stream), who is
   * connected comes from history, not from the sockets: a human with no open socket is marked away (a bot
   * plays at once; an empty room is abandoned as usual), and one whose socket is open gets the seat back.
   */
  reconcile(actor: RoomActor): void {
    const { transport, logger, rooms } = this.o;
    if (this.stopped || rooms.get(actor.roomId) !== actor) return;
    // Sockets whose session no longer holds their seat (the events that vacated it were applied without the
    // follow-ups of a command answered here) are unbound first: they neither see nor act for the next occupant.
    actor.state.seats.forEach((_s, seat) => this.unbindVacated(actor, seat));
    if (actor.state.status !== 'in_game') return;
    const open = (transport.roomMembers(roomTopic(actor.roomId)) as Conn[]).filter((c) => c.isOpen && c.attributes.seat !== null);
    actor.state.seats.forEach((s, seat) => {
      if (s === null || s.originalIsBot || s.left) return;
      const sockets = open.filter((c) => c.attributes.seat === seat);
      const id = `reconcile:${actor.version}:${seat}`;
      // During the start-up reconnect grace, players whose sockets died with the old process still have their
      // chance to come back: the grace's end marks them away (afterRecovery).
      const away = sockets.length === 0 && !s.isBot && !this.recoveryPending;
      const cmd: LiapCommand | null = away ? { type: 'player_disconnected', id, seat } : sockets.length > 0 && s.isBot ? { type: 'player_reconnected', id, seat } : null;
      if (cmd === null) return;
      actor
        .submit(cmd)
        .then((events) => {
          if (events.length === 0) return;
          if (cmd.type === 'player_disconnected') this.checkAbandoned(actor);
          else for (const c of sockets) transport.send(c, this.snapshotFor(c, actor.state));
        })
        .catch((err: unknown) => {
          if (isDomainError(err) || err instanceof RoomUnavailableError) return; // moved on, or stopped
          // Storage trouble: look again shortly (once per room), or the seat stays wrong (a phantom the game
          // would wait on).
          logger.warn({ room: actor.roomId, seat, err: String(err) }, 'reconciling a seat with its sockets failed; retrying');
          if (this.reconcileRetries.has(actor.roomId)) return;
          const t = setTimeout(() => {
            this.reconcileRetries.delete(actor.roomId);
            this.reconcile(actor);
          }, 1_000);
          t.unref();
          this.reconcileRetries.set(actor.roomId, t);
        });
    });
    this.checkAbandoned(actor);
  }

  /**
   * After a restart, players whose sockets died with the old process still count as connected. Whoever has
   * not come back within RECONNECT_GRACE_MS is marked disconnected (a bot plays the seat at once, and an
   * empty room is abandoned as usual).
   */
  afterRecovery(): void {
    const { rooms, config } = this.o;
    this.recoveryPending = true;
    const t = setTimeout(() => {
      this.recoveryPending = false;
      for (const actor of rooms.all()) this.reconcile(actor);
    }, config.RECONNECT_GRACE_MS);
    t.unref();
    this.recoveryTimer = t;
  }

  /** Clears pending grace and abandon timers and arms no new ones (shutdown). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.recoveryTimer);
    clearTimeout(this.lobbyTimer);
    for (const t of this.reconcileRetries.values()) clearTimeout(t);
    this.reconcileRetries.clear();
    for (const t of this.graceTimers.values()) clearTimeout(t);
    for (const t of this.abandonTimers.values()) clearTimeout(t);
    this.graceTimers.clear();
    this.abandonTimers.clear();
  }
}

/** A request the gateway refuses, with the `type` of the error frame. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly type: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** `<ROOM>_p<seat>` -> seat, or null. */
export function parsePlayerSeat(playerId: string): number | null {
  const m = /_p([0-3])$/.exec(playerId);
  return m ? Number(m[1]) : null;
}
