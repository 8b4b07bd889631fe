/**
 * Builders for the server → client frames of the frontend's contract (`../shared/spec/protocol.md` §3).
 * Every frame is exactly `{ event, data }`.
 */
import type { LiapState, RoomSummary } from '@game/liap-tui';

/** A server frame. */
export interface Frame {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Builds a frame. */
export const frame = (event: string, data: Record<string, unknown>): Frame => ({ event, data });

/** `player_id` as the frontend sends it back in `remove_player`: `<room>_p<seat>`. */
export const playerId = (roomId: string, seat: number): string => `${roomId}_p${seat}`;

/** The full room shape of `room_update` / `room_created.room_info` (§3.2). */
export function roomInfo(roomId: string, summary: RoomSummary): Record<string, unknown> {
  const hostSeat = summary.seats.findIndex((s) => s?.is_host === true);
  return {
    room_id: roomId,
    room_code: roomId,
    room_name: summary.host_name ? `${summary.host_name}'s room` : roomId,
    host_id: hostSeat >= 0 ? playerId(roomId, hostSeat) : null,
    host_name: summary.host_name,
    players: summary.seats.map((s, seat) =>
      s === null
        ? null
        : {
            player_id: playerId(roomId, seat),
            name: s.name,
            is_bot: s.is_bot,
            is_host: s.is_host,
            avatar_color: s.is_bot ? null : s.avatar_color,
            seat_position: seat,
          },
    ),
    max_players: 4,
    game_in_progress: summary.started,
    started: summary.started,
    status: summary.status === 'open' ? 'waiting' : summary.status,
  };
}

/** `room_update` for one room. */
export const roomUpdate = (roomId: string, summary: RoomSummary): Frame => frame('room_update', roomInfo(roomId, summary));

/** One entry of `room_list_update.rooms`. */
export function lobbyEntry(roomId: string, summary: RoomSummary): Record<string, unknown> {
  return {
    room_id: roomId,
    room_code: roomId,
    room_name: summary.host_name ? `${summary.host_name}'s room` : roomId,
    host_name: summary.host_name,
    players: summary.seats.map((s) => (s === null ? null : { name: s.name, is_bot: s.is_bot, is_host: s.is_host })),
    player_count: summary.occupied,
    max_players: 4,
    game_in_progress: summary.started,
    is_private: false,
  };
}

/** `room_list_update` with the given rooms. */
export const roomListUpdate = (rooms: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}): Frame =>
  frame('room_list_update', { rooms, total_count: rooms.length, timestamp: Date.now() / 1000, ...extra });

/** An `error` frame with a readable message (§3.2, decision 5). */
export const errorFrame = (message: string, type: string, extra: Record<string, unknown> = {}): Frame =>
  frame('error', { message, type, ...extra });

/** What a socket gets for a frame refused because too many of its frames wait (the transport's `maxQueuedFrames`). */
export const overloadedFrame = (): Frame => errorFrame('Too many messages at once; slow down', 'rate_limit', { code: 'OVERLOADED' });

/** `room_not_found` (§3.2). */
export const roomNotFound = (roomId: string): Frame =>
  frame('room_not_found', {
    room_id: roomId,
    message: 'This game room no longer exists',
    suggestion: 'Please return to the start page',
    timestamp: Date.now() / 1000,
  });

/** The host's name, for messages. */
export const hostName = (state: LiapState): string => (state.host === null ? 'the host' : (state.seats[state.host]?.name ?? 'the host'));
