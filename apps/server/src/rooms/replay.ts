/**
 * Folding a room's stream into its state: the one implementation behind start-up recovery, the `replay` and
 * `verify` commands and the operator's restore. Besides the game's events a stream may hold the server's
 * `room_restored {toVersion}` marker: the state after it is the state as of `toVersion` (history is never
 * rewritten; a restore is itself an event).
 */
import { evolve, initialState, isLiapEventType, type LiapConfigInput, type LiapEvent, type LiapState } from '@game/liap-tui';
import type { Storage } from '../storage.js';
import { applicabilityProblem, eventShapeProblem } from './event-schema.js';

/** Bump when the reducer changes shape: older snapshots are then ignored and rooms rebuild from events. */
export const STATE_SCHEMA_VERSION = 1;

/** The server's marker event for an operator's restore. */
export const ROOM_RESTORED = 'room_restored';

/** Data of a `room_restored` event. */
export interface RoomRestored {
  readonly toVersion: number;
  readonly at: number;
  readonly by: string;
}

/** A room's stream holds something the fold cannot apply: the room is not loaded, and nothing is written. */
export class CorruptRoomStreamError extends Error {
  constructor(
    readonly roomId: string,
    readonly version: number,
    detail: string,
  ) {
    super(`room ${roomId}, version ${version}: ${detail}`);
    this.name = 'CorruptRoomStreamError';
  }
}

/**
 * Checks one stored game event (type known to this release, data of that type and shape) and applies it;
 * throws {@link CorruptRoomStreamError} naming the room, the version and what is wrong otherwise, including
 * an event that cannot follow the state folded so far (a seat that is empty, a piece not in the hand).
 */
export function applyStored(roomId: string, state: LiapState, e: { readonly version: number; readonly type: string; readonly data: unknown }): LiapState {
  if (!isLiapEventType(e.type)) {
    throw new CorruptRoomStreamError(roomId, e.version, `event type "${e.type}" is not one this server knows (written by a newer release?)`);
  }
  const problem = eventShapeProblem(e.type, e.data) ?? applicabilityProblem(state, e.data as LiapEvent);
  if (problem !== undefined) throw new CorruptRoomStreamError(roomId, e.version, problem);
  return evolve(state, e.data as LiapEvent);
}

/** The stream that holds one room's history. */
export const roomStream = (roomId: string): string => `room-${roomId}`;

/** A folded room. */
export interface FoldedRoom {
  readonly state: LiapState;
  /** The stream version the state includes (0: no events). */
  readonly version: number;
  /** The snapshot the fold started from (0: none). */
  readonly snapshotVersion: number;
}

/**
 * The room's state as of `until` (default: the head), from its latest usable snapshot plus the later events.
 * The configuration (delays, time scale) is the given one, not the one in force when a snapshot was taken.
 */
export async function foldRoomStream(
  storage: Storage,
  roomId: string,
  options: { config?: LiapConfigInput | LiapState['config']; until?: number; useSnapshot?: boolean } = {},
): Promise<FoldedRoom> {
  const stream = roomStream(roomId);
  const fresh = initialState(options.config ?? {});
  let state = fresh;
  let version = 0;
  let snapshotVersion = 0;
  if (options.useSnapshot !== false) {
    const snap = await storage.events.loadSnapshot<LiapState>(stream, { schemaVersion: STATE_SCHEMA_VERSION });
    if (snap && (options.until === undefined || snap.version <= options.until)) {
      state = { ...snap.state, config: fresh.config };
      version = snapshotVersion = snap.version;
    }
  }
  // The state after each version folded here: a restore marker jumps back to one of them (one pass, however
  // many markers; an earlier version than the fold started from is folded once more, from the start).
  const history: LiapState[] = [];
  const foldedFrom = version;
  history[version] = state;
  for (;;) {
    const batch = await storage.events.readStream(stream, {
      fromVersion: version + 1,
      limit: 1000,
      ...(options.until !== undefined ? { toVersion: options.until } : {}),
    });
    for (const e of batch) {
      if (e.type === ROOM_RESTORED) {
        const target = (e.data as Partial<RoomRestored> | null)?.toVersion;
        if (typeof target !== 'number' || !Number.isInteger(target) || target < 1 || target >= e.version) {
          throw new CorruptRoomStreamError(roomId, e.version, `its ${ROOM_RESTORED} marker names version ${String(target)}, not one before it`);
        }
        state = target >= foldedFrom ? history[target]! : (await foldRoomStream(storage, roomId, { config: fresh.config, until: target, useSnapshot: false })).state;
      } else {
        state = applyStored(roomId, state, e);
      }
      version = e.version;
      history[version] = state;
    }
    if (batch.length < 1000) break;
  }
  return { state, version, snapshotVersion };
}
