/**
 * The live rooms of this server: creation with fresh ids, start-up rebuild from the store, lookup, the
 * lobby list, abandonment of rooms nobody plays in, and unloading of finished rooms.
 *
 * Room ownership sits behind this class: with several instances it would take a lease per room before
 * loading it (the event store's expected-version check already fences a stale owner's appends).
 */
import { randomInt } from 'node:crypto';
import { roomSummary, type LiapConfigInput, type RoomSummary } from '@game/liap-tui';
import type { Logger } from '@game/persistence';
import { lobbyEntry } from '../protocol/outbound.js';
import { liveRoomIds, roomPause, seatSessions, upsertDirectory, type Storage } from '../storage.js';
import { loadRoom, RoomActor, type RoomHost } from './room-actor.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A fresh room id: 6 characters of [A-Z0-9] (what the lobby's "join by id" box accepts). */
export function newRoomId(): string {
  let id = '';
  for (let i = 0; i < 6; i++) id += ID_ALPHABET[randomInt(0, ID_ALPHABET.length)];
  return id;
}

/** Options of the manager. */
export interface RoomManagerOptions {
  readonly host: RoomHost;
  readonly storage: Storage;
  readonly logger: Logger;
  readonly gameConfig: LiapConfigInput;
  /** How long a finished room stays loaded (for late reconnects to see game over). */
  readonly finishedTtlMs?: number;
}

/** Thrown when the server does not accept new rooms (shutting down). */
export class NotAcceptingRoomsError extends Error {
  readonly code = 'NOT_ACCEPTING';
}

/** The registry of live room actors. */
export class RoomManager {
  private readonly actors = new Map<string, RoomActor>();
  private accepting = true;
  private readonly unloadTimers = new Map<string, NodeJS.Timeout>();
  /** Set by stopAll (shutdown): rooms are stopped and snapshotted, never abandoned, from then on. */
  private stopping = false;

  constructor(private readonly options: RoomManagerOptions) {}

  /** The live actor of a room, if this server has it. */
  get(roomId: string): RoomActor | undefined {
    return this.actors.get(roomId);
  }

  /** Every live actor. */
  all(): RoomActor[] {
    return [...this.actors.values()];
  }

  /** Live rooms count. */
  get size(): number {
    return this.actors.size;
  }

  /** Stops accepting new rooms (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Rebuilds every room that was live when the server stopped; returns how many. */
  async rebuildAll(): Promise<number> {
    const ids = await liveRoomIds(this.options.storage);
    let n = 0;
    for (const id of ids) {
      try {
        if (await this.load(id)) n++;
      } catch (err) {
        this.options.logger.error({ room: id, err: err instanceof Error ? err.message : String(err) }, 'could not rebuild room');
      }
    }
    return n;
  }

  /** Loads one room from the store and starts its timers; null when the stream does not exist. */
  async load(roomId: string): Promise<RoomActor | null> {
    const existing = this.actors.get(roomId);
    if (existing) return existing;
    const loaded = await loadRoom(this.options.storage, roomId, this.options.gameConfig);
    if (!loaded) return null;
    const sessions = await seatSessions(this.options.storage, roomId);
    // An operator's pause outlives the process: the room comes back paused (timers and bots stay still).
    const paused = (await roomPause(this.options.storage, roomId)) !== null;
    const actor = new RoomActor(roomId, this.options.host, { ...loaded, sessions, paused });
    this.actors.set(roomId, actor);
    actor.schedule();
    if (actor.finished) this.scheduleUnload(roomId);
    return actor;
  }

  /** Creates a room with `hostName` in seat 0 and three bots; resolves with the live actor. */
  async create(hostName: string, meta: { sessionId: string; correlationId?: string }): Promise<RoomActor> {
    if (!this.accepting) throw new NotAcceptingRoomsError('The server is shutting down and does not accept new rooms');
    let roomId = newRoomId();
    for (let i = 0; this.actors.has(roomId) || (await this.options.storage.events.streamVersion(`room-${roomId}`)) > 0; i++) {
      if (i > 100) throw new Error('could not find a free room id');
      roomId = newRoomId();
    }
    const actor = RoomActor.empty(roomId, this.options.host, this.options.gameConfig);
    this.actors.set(roomId, actor);
    try {
      await actor.submit({ type: 'create_room', id: `create:${roomId}`, name: hostName }, meta);
    } catch (err) {
      this.actors.delete(roomId);
      throw err;
    }
    return actor;
  }

  /** Entries of the lobby list: rooms that have not started. */
  lobbyRooms(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const a of this.actors.values()) if (a.state.status === 'open') out.push(lobbyEntry(a.roomId, roomSummary(a.state)));
    return out;
  }

  /** The summary of a live room. */
  summary(roomId: string): RoomSummary | undefined {
    const a = this.actors.get(roomId);
    return a ? roomSummary(a.state) : undefined;
  }

  /** Called after a room's status changed: finished rooms are unloaded after a while. */
  noteChanged(roomId: string): void {
    const a = this.actors.get(roomId);
    if (a?.finished) this.scheduleUnload(roomId);
  }

  private scheduleUnload(roomId: string): void {
    if (this.unloadTimers.has(roomId)) return;
    const t = setTimeout(() => {
      this.unloadTimers.delete(roomId);
      const a = this.actors.get(roomId);
      if (a?.finished) {
        this.actors.delete(roomId);
        void a.stop();
      }
    }, this.options.finishedTtlMs ?? 10 * 60_000);
    t.unref();
    this.unloadTimers.set(roomId, t);
  }

  /**
   * Closes a running room nobody is connected to any more (decision: rooms with no human left are
   * cleaned up). Its history stays in the store; the directory marks it abandoned so it is not rebuilt.
   */
  async abandon(roomId: string): Promise<void> {
    const a = this.actors.get(roomId);
    if (!a || this.stopping) return;
    await a.stop();
    if (this.stopping) return; // shutdown began meanwhile: stopAll snapshots it and the next start resumes it
    this.actors.delete(roomId);
    const summary = roomSummary(a.state);
    await upsertDirectory(this.options.storage, {
      roomId,
      status: 'abandoned',
      hostName: summary.host_name,
      summary,
      createdAt: Date.now(),
      updatedAt: Date.now(),
      version: a.version,
    });
    this.options.logger.info({ room: roomId }, 'room abandoned: no human connected');
  }

  /** Snapshots and stops every room (shutdown); the store keeps them live for the next start. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const t of this.unloadTimers.values()) clearTimeout(t);
    this.unloadTimers.clear();
    await Promise.all(
      [...this.actors.values()].map(async (a) => {
        await a.stop();
        await a.snapshot();
      }),
    );
  }
}
