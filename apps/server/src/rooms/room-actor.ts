/**
 * One live room: a mailbox that handles commands strictly one at a time.
 *
 *   decide(state, command, {now, rng}) -> events | DomainError (to the sender only)
 *   append(room stream, events, expectedVersion) + inline projections, in one transaction (the append
 *   alone, one statement, when no projection changes)
 *   state = evolve(state, events)           (only after the append committed)
 *   outbound frames, timers, bot moves
 *
 * Nothing leaves the actor before its events are stored, and a failed append leaves the state as it was.
 */
import { randomInt } from 'node:crypto';
import { ConcurrencyError } from '@game/event-store';
import {
  botMove,
  botThinkTime,
  createRng,
  decide,
  evolve,
  initialState,
  isBotControlled,
  isDomainError,
  isLiapEventType,
  nextDeadline,
  roomSummary,
  seatsToAct,
  turnCompleteData,
  type BotLevel,
  type LiapCommand,
  type LiapConfigInput,
  type LiapEvent,
  type LiapState,
  type Timer,
} from '@game/liap-tui';
import { transaction, type Logger } from '@game/persistence';
import type { GameMetrics } from '../metrics.js';
import { frame, hostName, roomUpdate, type Frame } from '../protocol/outbound.js';
import { recordFinishedGame, seatSessions, setRoomPause, setSeatSession, upsertDirectory, type Storage } from '../storage.js';
import { CorruptRoomStreamError, ROOM_RESTORED, STATE_SCHEMA_VERSION, applyStored, foldRoomStream, roomStream, type RoomRestored } from './replay.js';

export { STATE_SCHEMA_VERSION, roomStream } from './replay.js';

/** What the actor hands to the transport after a command. */
export type Outbound =
  | { readonly kind: 'broadcast'; readonly frame: Frame }
  /** A personalised `phase_change` of this state for every socket of the room. */
  | { readonly kind: 'phase'; readonly state: LiapState };

/** Where the actor sends things and whom it tells about changes. */
export interface RoomHost {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly metrics: GameMetrics;
  readonly snapshotEvery: number;
  /** Strategy of the bots (decision 11). */
  readonly botLevel: BotLevel;
  now(): number;
  deliver(roomId: string, out: readonly Outbound[]): void;
  /** The room's directory entry changed (lobby lists). */
  directoryChanged(roomId: string): void;
  /**
   * The room's state was replaced wholesale (an operator's restore, a catch-up with its stream): who is
   * connected now comes from history and may disagree with the sockets.
   */
  stateReplaced(roomId: string): void;
}

/** An event as read back from the room's stream. */
interface StoredEvent {
  readonly id: string;
  readonly version: number;
  readonly type: string;
  readonly data: unknown;
}

/** Metadata of one submitted command. */
export interface SubmitMeta {
  /** The browser session behind a human command (seat ownership on create/join). */
  readonly sessionId?: string;
  readonly correlationId?: string;
}

/** An event as it was committed to the room's stream (for live watchers such as the admin stream). */
export interface CommittedEvent {
  readonly version: number;
  readonly type: string;
  readonly data: unknown;
}

/** A queued command. */
interface Job {
  readonly command: LiapCommand;
  readonly meta: SubmitMeta;
  readonly enqueuedAt: number;
  resolve(events: LiapEvent[]): void;
  reject(err: unknown): void;
}

/** Thrown to the sender when the room cannot take commands (paused, stopped). */
export class RoomUnavailableError extends Error {
  readonly code = 'ROOM_UNAVAILABLE';
}

const randomSeed = (): number => randomInt(0, 2 ** 31);

/** A live room actor. */
export class RoomActor {
  state: LiapState;
  version: number;
  /** Seat -> the browser session that owns it (humans only). */
  readonly sessions: Map<number, string>;
  paused = false;
  private stopped = false;
  private readonly queue: Job[] = [];
  private running = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private botTimer: NodeJS.Timeout | undefined;
  private lastSnapshotVersion: number;
  private phaseEnteredAt: number;
  private idle: Array<() => void> = [];
  private readonly watchers = new Set<(e: CommittedEvent) => void>();
  /** Called when the room stops (unloaded, abandoned, shutdown): a watcher then hears nothing more. */
  private readonly watchEnds = new Map<(e: CommittedEvent) => void, () => void>();
  /** The directory row as last committed, and as written by the unit of work in flight. */
  private directoryKey: string | undefined;
  private pendingDirectoryKey: string | undefined;

  constructor(
    readonly roomId: string,
    private readonly host: RoomHost,
    loaded: { state: LiapState; version: number; sessions?: Map<number, string>; snapshotVersion?: number; paused?: boolean },
  ) {
    this.paused = loaded.paused ?? false;
    this.state = loaded.state;
    this.version = loaded.version;
    this.sessions = loaded.sessions ?? new Map<number, string>();
    this.lastSnapshotVersion = loaded.snapshotVersion ?? 0;
    this.phaseEnteredAt = host.now();
  }

  /** A fresh, empty room with this configuration (version 0, nothing stored yet). */
  static empty(roomId: string, host: RoomHost, config: LiapConfigInput): RoomActor {
    return new RoomActor(roomId, host, { state: initialState(config), version: 0 });
  }

  /** Age in ms of the oldest command waiting in the mailbox (0 when empty): a stuck room shows here. */
  oldestWaitMs(now: number): number {
    const first = this.queue[0];
    return first === undefined ? 0 : now - first.enqueuedAt;
  }

  /** Commands waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether the room is over or closed (its actor can be unloaded). */
  get finished(): boolean {
    return this.state.status === 'closed' || this.state.status === 'over';
  }

  /**
   * Queues a command; resolves with its events once they are stored and sent (empty: nothing changed),
   * rejects with the DomainError or storage error. Commands run strictly in submission order.
   */
  submit(command: LiapCommand, meta: SubmitMeta = {}): Promise<LiapEvent[]> {
    if (this.stopped) return Promise.reject(new RoomUnavailableError('This room is not running on this server any more'));
    return new Promise((resolve, reject) => {
      this.queue.push({ command, meta, enqueuedAt: this.host.now(), resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves when the mailbox is empty. */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) {
        const started = this.host.now();
        this.host.metrics.mailboxWait.observe((started - job.enqueuedAt) / 1000);
        try {
          const events = await this.process(job);
          this.host.metrics.actions.inc({ type: job.command.type, outcome: events.length > 0 ? 'ok' : 'noop' });
          this.host.metrics.actionLatency.observe({ type: job.command.type }, (this.host.now() - job.enqueuedAt) / 1000);
          job.resolve(events);
        } catch (err) {
          this.host.metrics.actions.inc({ type: job.command.type, outcome: isDomainError(err) ? 'rejected' : 'error' });
          job.reject(err);
        }
      }
    } finally {
      this.running = false;
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
      this.schedule();
    }
  }

  private async process(job: Job): Promise<LiapEvent[]> {
    const { command } = job;
    if (this.paused && command.type !== 'player_disconnected' && command.type !== 'player_reconnected') {
      throw new RoomUnavailableError('This room is paused by an operator; try again shortly');
    }
    const now = this.host.now();
    const events = decide(this.state, command, { now, rng: createRng(randomSeed()) });
    if (events.length === 0) return events;

    let next = this.state;
    for (const e of events) next = evolve(next, e);

    let appended: { version: number; duplicate: boolean };
    this.pendingDirectoryKey = undefined;
    try {
      appended = await this.persist(job, events, next);
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        // Another writer moved the stream (a stale owner, or an operator restore): catch up and let the
        // caller retry with the fresh state.
        this.host.logger.warn({ room: this.roomId, expected: err.expectedVersion, actual: err.actualVersion }, 'room stream moved; reloading');
        await this.catchUp();
      } else if (!isDomainError(err)) {
        // The outcome is unknown (a connection lost around the commit may have committed it): whatever the
        // stream now holds is the room. If it holds this command, the command succeeded.
        const mine = this.ownEvents(job, await this.catchUp());
        if (mine.length > 0) return mine;
      }
      throw err;
    }
    if (appended.duplicate) {
      // Stored before, by an attempt whose answer was lost: catch up with the stream rather than stay behind it.
      return appended.version > this.version ? this.ownEvents(job, await this.catchUp()) : [];
    }
    if (this.pendingDirectoryKey !== undefined) this.directoryKey = this.pendingDirectoryKey;
    this.pendingDirectoryKey = undefined;
    const previous = this.state;
    this.state = next;
    this.version = appended.version;
    this.afterCommit(previous, events, job.meta);
    this.notify(events.map((e, i) => ({ version: appended.version - events.length + 1 + i, type: e.type, data: e })));
    this.emit(previous, events);
    await this.maybeSnapshot(events);
    return events;
  }

  private async persist(job: Job, events: readonly LiapEvent[], next: LiapState): Promise<{ version: number; duplicate: boolean }> {
    const { storage } = this.host;
    const commandId = job.command.id;
    const append = () =>
      storage.events.append(
        roomStream(this.roomId),
        events.map((e, i) => ({ id: `${commandId}:${i}`, type: e.type, data: e })),
        {
          expectedVersion: this.version === 0 ? 'no_stream' : this.version,
          ...(job.meta.correlationId ? { metadata: { correlationId: job.meta.correlationId } } : {}),
        },
      );
    const writes = this.projections(job, events, next);
    if (writes.length === 0) {
      // Most moves change no projection: the append alone, which the event store makes a single statement.
      const result = await append();
      return { version: result.nextExpectedVersion, duplicate: result.duplicate };
    }
    return transaction(storage.db, async () => {
      const result = await append();
      if (result.duplicate) return { version: result.nextExpectedVersion, duplicate: true };
      for (const write of writes) await write(result.nextExpectedVersion);
      return { version: result.nextExpectedVersion, duplicate: false };
    });
  }

  /**
   * Inline projections: the writes these events need, run in the append's transaction (they commit with the
   * events or not at all). Each receives the stream version the append reached.
   */
  private projections(job: Job, events: readonly LiapEvent[], next: LiapState): Array<(version: number) => Promise<void>> {
    const { storage } = this.host;
    const writes: Array<(version: number) => Promise<void>> = [];
    const seat = (n: number, sessionId: string | null) => writes.push(() => setSeatSession(storage, this.roomId, n, sessionId));
    for (const e of events) {
      switch (e.type) {
        case 'room_created':
          if (job.meta.sessionId) seat(0, job.meta.sessionId);
          break;
        case 'player_joined':
          if (job.meta.sessionId) seat(e.seat, job.meta.sessionId);
          break;
        case 'bot_added':
        case 'player_removed':
          seat(e.seat, null);
          break;
        case 'player_left':
          if (!e.inGame) seat(e.seat, null);
          break;
        case 'game_ended': {
          const humans = new Set(next.seats.filter((s) => s !== null && !s.originalIsBot).map((s) => s!.name));
          writes.push(() =>
            recordFinishedGame(storage, {
              roomId: this.roomId,
              endedAt: e.at,
              totalRounds: e.totalRounds,
              winners: e.winnerNames,
              rankings: e.rankings,
              humans,
            }),
          );
          break;
        }
        default:
          break;
      }
    }
    // The directory row changes with seats, host and status, not with every move: skip identical writes
    // (`version` there is the stream version of its last change).
    const summary = roomSummary(next);
    const key = JSON.stringify([next.status, summary.seats, summary.host_name, summary.phase === 'game_over']);
    if (key !== this.directoryKey) {
      writes.push(async (version) => {
        await upsertDirectory(storage, {
          roomId: this.roomId,
          status: next.status,
          hostName: summary.host_name,
          summary,
          createdAt: this.host.now(), // kept from the first insert: updates do not touch it
          updatedAt: this.host.now(),
          version,
        });
        this.pendingDirectoryKey = key;
      });
    }
    return writes;
  }

  /** In-memory bookkeeping that mirrors the committed projections. */
  private afterCommit(previous: LiapState, events: readonly LiapEvent[], meta: SubmitMeta): void {
    const now = this.host.now();
    for (const e of events) {
      switch (e.type) {
        case 'room_created':
          if (meta.sessionId) this.sessions.set(0, meta.sessionId);
          break;
        case 'player_joined':
          if (meta.sessionId) this.sessions.set(e.seat, meta.sessionId);
          break;
        case 'game_started':
          this.host.metrics.gamesStarted.inc();
          break;
        case 'game_ended':
          this.host.metrics.gamesFinished.inc();
          if (this.state.startedAt !== null) this.host.metrics.gameDuration.observe((e.at - this.state.startedAt) / 1000);
          for (const r of e.rankings) void this.host.storage.statsCache.invalidate(r.name);
          break;
        case 'bot_added':
        case 'player_removed':
          this.sessions.delete(e.seat);
          break;
        case 'player_left':
          if (!e.inGame) this.sessions.delete(e.seat);
          break;
        default:
          break;
      }
    }
    if (previous.phase !== this.state.phase) {
      this.host.metrics.phaseDuration.observe({ phase: previous.phase }, (now - this.phaseEnteredAt) / 1000);
      this.phaseEnteredAt = now;
    }
  }

  /** Maps the committed events to frames, in order. */
  private emit(previous: LiapState, events: readonly LiapEvent[]): void {
    const out: Outbound[] = [];
    let state = previous;
    let phaseDirty = false;
    let roomDirty = false;
    let lobbyDirty = false;
    const flushPhase = () => {
      if (phaseDirty && state.status !== 'open' && state.status !== 'empty' && state.status !== 'closed') out.push({ kind: 'phase', state });
      phaseDirty = false;
    };
    for (const e of events) {
      const before = state;
      state = evolve(state, e);
      switch (e.type) {
        case 'room_created':
        case 'player_joined':
        case 'bot_added':
          roomDirty = lobbyDirty = true;
          break;
        case 'player_removed':
          if (!e.wasBot) {
            out.push({
              kind: 'broadcast',
              frame: frame('player_kicked', {
                removed_player_name: e.name,
                reason: 'You have been removed from the room',
                redirect_to: '/lobby',
                removed_by: e.removedBy,
              }),
            });
          }
          roomDirty = lobbyDirty = true;
          break;
        case 'player_left':
          roomDirty = lobbyDirty = true;
          // The others hear it as the original told them of a player whose socket closed mid-game (spec §1.9),
          // except that a player who chose to leave is not expected back.
          if (e.inGame) {
            out.push({
              kind: 'broadcast',
              frame: frame('player_disconnected', { player_name: e.name, ai_activated: true, can_reconnect: false, is_bot: true }),
            });
          }
          break;
        case 'room_closed':
          out.push({
            kind: 'broadcast',
            frame: frame('room_closed', {
              room_id: this.roomId,
              reason: e.reason,
              message: `Room closed by host ${hostName(before)}`,
            }),
          });
          roomDirty = false;
          lobbyDirty = true;
          break;
        case 'host_changed':
          out.push({
            kind: 'broadcast',
            frame: frame('host_changed', { old_host: e.oldHost, new_host: e.newHost, message: `${e.newHost} is now the host` }),
          });
          // In a game, host_changed is the whole signal (protocol §1.9); before it, the room_update's is_host flags.
          roomDirty = lobbyDirty = true;
          break;
        case 'game_started':
          if (roomDirty) out.push({ kind: 'broadcast', frame: roomUpdate(this.roomId, roomSummary(state)) });
          roomDirty = false;
          out.push({
            kind: 'broadcast',
            frame: frame('game_started', { room_id: this.roomId, success: true, round_number: 1, players: e.players }),
          });
          lobbyDirty = true;
          phaseDirty = true;
          break;
        case 'player_disconnected':
          out.push({
            kind: 'broadcast',
            frame: frame('player_disconnected', { player_name: e.name, ai_activated: true, can_reconnect: true, is_bot: true }),
          });
          // No phase_change for the table (protocol §6.8), for this, a leave or a host change: a new one would end a
          // results screen the others are watching (the frontend shows turn results until the next phase_change).
          // The returning player's own snapshot is the gateway's to send, to that socket only.
          break;
        case 'player_reconnected':
          out.push({
            kind: 'broadcast',
            frame: frame('player_reconnected', { player_name: e.name, resumed_control: true, is_bot: false, original_is_bot: false }),
          });
          break;
        case 'turn_completed':
          phaseDirty = true;
          flushPhase();
          out.push({ kind: 'broadcast', frame: frame('turn_complete', turnCompleteData(e)) });
          break;
        case 'game_ended':
          phaseDirty = true;
          lobbyDirty = true;
          break;
        default:
          phaseDirty = true;
          break;
      }
    }
    if (roomDirty && state.status === 'open') out.push({ kind: 'broadcast', frame: roomUpdate(this.roomId, roomSummary(state)) });
    flushPhase();
    if (out.length > 0) this.host.deliver(this.roomId, out);
    if (lobbyDirty) this.host.directoryChanged(this.roomId);
  }

  private async maybeSnapshot(events: readonly LiapEvent[]): Promise<void> {
    const roundEnd = events.some((e) => e.type === 'round_scored' || e.type === 'game_ended');
    if (!roundEnd && this.version - this.lastSnapshotVersion < this.host.snapshotEvery) return;
    await this.snapshot();
  }

  /** Saves a snapshot of the current state (also done at shutdown). */
  async snapshot(): Promise<void> {
    if (this.version === 0 || this.version === this.lastSnapshotVersion) return;
    try {
      await this.host.storage.events.saveSnapshot({
        streamId: roomStream(this.roomId),
        version: this.version,
        schemaVersion: STATE_SCHEMA_VERSION,
        state: this.state,
      });
      this.lastSnapshotVersion = this.version;
    } catch (err) {
      // A missing snapshot only costs a longer rebuild; the events are the truth.
      this.host.logger.warn({ room: this.roomId, err: String(err) }, 'snapshot failed');
    }
  }

  /**
   * Applies what the stream holds beyond this actor's version (an append whose answer was lost, another
   * writer) as if this actor had committed it: state, seat owners, metrics, watchers and the frames. A
   * restore marker among them makes it a full reload that shows the table the room as stored. Returns the
   * events applied (none if the stream could not be read: the room keeps its state).
   */
  private async catchUp(): Promise<StoredEvent[]> {
    const { storage, logger } = this.host;
    let stored: StoredEvent[];
    let owners: Map<number, string>;
    let reloaded: Awaited<ReturnType<typeof loadRoom>> = null;
    let folded = this.state;
    try {
      // Everything is read before anything changes: a failed read leaves the room exactly as it was.
      stored = (await storage.events.readStream(roomStream(this.roomId), { fromVersion: this.version + 1 })).map((e) => ({ id: e.id, version: e.version, type: e.type, data: e.data }));
      if (stored.length === 0) return [];
      // A restore marker, or an event this release cannot apply (the reload then says why): reload whole.
      if (stored.some((e) => e.type === ROOM_RESTORED || !isLiapEventType(e.type))) reloaded = await loadRoom(storage, this.roomId, this.state.config);
      // Each event checked (shape, and that it applies) before the room takes any of them.
      else for (const e of stored) folded = applyStored(this.roomId, folded, e);
      // Seat owners come from the seat_sessions projection, written with the events.
      owners = await seatSessions(storage, this.roomId);
    } catch (err) {
      const corrupt = err instanceof CorruptRoomStreamError;
      logger[corrupt ? 'error' : 'warn'](
        { room: this.roomId, err: err instanceof Error ? err.message : String(err) },
        corrupt ? 'the room stream holds an event this server cannot apply; the room keeps its state' : 'reading the room stream failed; it keeps its state',
      );
      return [];
    }
    logger.warn({ room: this.roomId, from: this.version, to: stored.at(-1)!.version }, 'room caught up with its stream');
    const previous = this.state;
    const events = stored.map((e) => e.data as LiapEvent);
    if (reloaded) {
      this.state = reloaded.state;
      this.version = reloaded.version;
    } else {
      this.state = folded;
      this.version = stored.at(-1)!.version;
    }
    this.directoryKey = undefined;
    this.sessions.clear();
    for (const [seat, sid] of owners) this.sessions.set(seat, sid);
    this.notify(stored.map((e) => ({ version: e.version, type: e.type, data: e.data })));
    if (reloaded) {
      this.showState();
      return stored;
    }
    this.afterCommit(previous, events, {});
    this.emit(previous, events);
    this.host.directoryChanged(this.roomId);
    // Events decided elsewhere (or by an attempt whose answer was lost) skipped the gateway's follow-ups:
    // let it check sockets and seats against the room as it now is.
    this.host.stateReplaced(this.roomId);
    await this.maybeSnapshot(events);
    return stored;
  }

  /** The events of `job`'s command among `stored` (ids `<command id>:<index>`; a longer id is another command). */
  private ownEvents(job: Job, stored: readonly StoredEvent[]): LiapEvent[] {
    const prefix = `${job.command.id}:`;
    return stored.filter((e) => e.id.startsWith(prefix) && /^\d+$/.test(e.id.slice(prefix.length))).map((e) => e.data as LiapEvent);
  }

  /** The room as it now stands, to every socket in it (after a jump the frames of the events did not show). */
  private showState(): void {
    const out: Outbound[] = [{ kind: 'broadcast', frame: roomUpdate(this.roomId, roomSummary(this.state)) }];
    if (this.state.status === 'in_game' || this.state.status === 'over') out.push({ kind: 'phase', state: this.state });
    this.host.deliver(this.roomId, out);
    this.host.directoryChanged(this.roomId);
    this.host.stateReplaced(this.roomId);
  }

  /** Arms the real timers the state asks for: the next deadline and the next bot move. */
  schedule(): void {
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.botTimer);
    this.deadlineTimer = this.botTimer = undefined;
    if (this.stopped || this.paused || this.finished) return;
    const deadline = nextDeadline(this.state);
    if (deadline) this.armDeadline(deadline);
    const botSeat = seatsToAct(this.state).find((s) => isBotControlled(this.state, s));
    if (botSeat !== undefined) {
      const seq = this.state.seq;
      this.botTimer = setTimeout(() => this.playBot(botSeat, seq), botThinkTime(this.state));
    }
  }

  private armDeadline(deadline: Timer): void {
    const delay = Math.max(0, deadline.dueAt - this.host.now());
    this.deadlineTimer = setTimeout(() => {
      this.submit({ type: 'timer_fired', id: `timer:v${this.version}:${deadline.timer}:${deadline.dueAt}`, timer: deadline.timer, dueAt: deadline.dueAt }).catch(
        (err: unknown) => this.onBackgroundFailure('timer', err),
      );
    }, delay);
  }

  private playBot(seat: number, seq: number): void {
    if (this.state.seq !== seq || this.queue.length > 0 || this.running) return; // something happened meanwhile; schedule() runs again
    const command = botMove(this.state, seat, createRng(randomSeed()), this.host.botLevel);
    if (!command) return;
    // Ids come from the stream version, which only grows (a restore rewinds `seq`, not the stream).
    this.submit({ ...command, id: `bot:v${this.version}:${seat}` }).catch((err: unknown) => this.onBackgroundFailure('bot', err));
  }

  private onBackgroundFailure(what: string, err: unknown): void {
    if (isDomainError(err)) return; // a stale timer or bot move: the state moved on
    this.host.logger.error({ room: this.roomId, what, err: err instanceof Error ? err.message : String(err) }, 'background room command failed; retrying');
    // Storage trouble: try again after a pause so the game resumes when the database is back.
    setTimeout(() => this.schedule(), 1_000).unref();
  }

  /** Calls `listener` with every event this room commits from now on; returns the unsubscribe function. */
  watch(listener: (e: CommittedEvent) => void, onEnd?: () => void): () => void {
    if (this.stopped) {
      onEnd?.();
      return () => undefined;
    }
    this.watchers.add(listener);
    if (onEnd) this.watchEnds.set(listener, onEnd);
    return () => {
      this.watchers.delete(listener);
      this.watchEnds.delete(listener);
    };
  }

  private notify(events: readonly CommittedEvent[]): void {
    for (const w of this.watchers) {
      for (const e of events) {
        try {
          w(e);
        } catch (err) {
          this.host.logger.warn({ room: this.roomId, err: String(err) }, 'room watcher failed');
        }
      }
    }
  }

  /** Stops timers and refuses new commands; queued ones still run. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.botTimer);
    await this.whenIdle();
    const ends = [...this.watchEnds.values()];
    this.watchers.clear();
    this.watchEnds.clear();
    for (const end of ends) {
      try {
        end();
      } catch (err) {
        this.host.logger.warn({ room: this.roomId, err: err instanceof Error ? err.message : String(err) }, 'ending a room watcher failed');
      }
    }
  }

  /**
   * Operator restore: the room goes back to its state as of `toVersion`. The stream keeps every event; a
   * `room_restored` marker records the jump, so a replay reaches the same state. The room stays paused if it was.
   */
  async restore(toVersion: number, by: string): Promise<void> {
    if (this.version < 2) throw new RangeError('the room has no earlier version to go back to');
    if (!Number.isInteger(toVersion) || toVersion < 1 || toVersion >= this.version) {
      throw new RangeError(`toVersion must be an integer from 1 to ${this.version - 1}`);
    }
    // Run as one of the mailbox's jobs: nothing else is decided while the room jumps back.
    await this.exclusive(() => this.restoreNow(toVersion, by));
  }

  /** Runs `job` as one of the mailbox's jobs: after the commands queued before it, before those queued after. */
  private async exclusive<T>(job: () => Promise<T>): Promise<T> {
    while (this.running || this.queue.length > 0) await this.whenIdle();
    this.running = true;
    try {
      return await job();
    } finally {
      this.running = false;
      void this.drain(); // what queued meanwhile; then the idle waiters and schedule(), as after any job
    }
  }

  private async restoreNow(toVersion: number, by: string): Promise<void> {
    const target = await foldRoomStream(this.host.storage, this.roomId, { config: this.state.config, until: toVersion, useSnapshot: false });
    const { storage } = this.host;
    const marker: RoomRestored = { toVersion, at: this.host.now(), by };
    const version = await transaction(storage.db, async () => {
      const r = await storage.events.append(roomStream(this.roomId), [{ type: ROOM_RESTORED, data: marker }], { expectedVersion: this.version });
      const summary = roomSummary(target.state);
      await upsertDirectory(storage, {
        roomId: this.roomId,
        status: target.state.status,
        hostName: summary.host_name,
        summary,
        createdAt: this.host.now(),
        updatedAt: this.host.now(),
        version: r.nextExpectedVersion,
      });
      return r.nextExpectedVersion;
    });
    this.state = target.state;
    this.version = version;
    this.directoryKey = undefined; // written above; the next unit of work compares against a fresh key
    this.notify([{ version, type: ROOM_RESTORED, data: marker }]);
    await this.snapshot();
    this.showState();
  }

  /**
   * Pauses (operator): human and bot commands are refused, timers stop. Stored first (a restart keeps the
   * room paused), then in force; it runs as a mailbox job, so nothing is decided after it resolves.
   */
  async pause(by: string): Promise<void> {
    await this.exclusive(async () => {
      await setRoomPause(this.host.storage, this.roomId, { at: this.host.now(), by });
      this.paused = true;
    });
  }

  /** Resumes after {@link pause} (stored, then in force); deadlines that passed meanwhile fire at once. */
  async resume(): Promise<void> {
    await this.exclusive(async () => {
      await setRoomPause(this.host.storage, this.roomId, null);
      this.paused = false;
    });
  }
}

/** Loads a room (latest valid snapshot plus later events); null when the stream does not exist. */
export async function loadRoom(
  storage: Storage,
  roomId: string,
  config: LiapConfigInput | LiapState['config'],
): Promise<{ state: LiapState; version: number; snapshotVersion: number } | null> {
  const folded = await foldRoomStream(storage, roomId, { config });
  return folded.version === 0 ? null : folded;
}
