/**
 * Folding a room's stream into its state: the one implementation behind start-up recovery, the `replay` and
 * `verify` commands and the operator's restore. Besides the game's events a stream may hold the server's
 * `room_restored {toVersion}` marker: the state after it is the state as of `toVersion` (history is never
 * rewritten; a restore is itself an event).
 */
import { evolve, initialState, type LiapConfigInput, type LiapEvent, type LiapState } from '@game/liap-tui';
import type { Storage } from '../storage.js';

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
  for (;;) {
    const batch = await storage.events.readStream(stream, {
      fromVersion: version + 1,
      limit: 1000,
      ...(options.until !== undefined ? { toVersion: options.until } : {}),
    });
    for (const e of batch) {
      if (e.type === ROOM_RESTORED) {
        const target = (e.data as RoomRestored).toVersion;
        const restored = await foldRoomStream(storage, roomId, { config: fresh.config, until: target, useSnapshot: false });
        state = restored.state;
      } else {
        state = evolve(state, e.data as LiapEvent);
      }
      version = e.version;
    }
    if (batch.length < 1000) break;
  }
  return { state, version, snapshotVersion };
}
