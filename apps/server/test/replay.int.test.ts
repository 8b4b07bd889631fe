/**
 * Folding a room's stream (start-up, `replay`, `verify`, restore): restore markers are resolved in one pass
 * however many there are, and a stream the fold cannot apply (a marker that does not point back, an event
 * type this release does not know, data of another type or of the wrong shape) is refused with an error naming the room and the
 * version, instead of hanging or loading a different state.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { verifyRooms } from '../src/main.js';
import { CorruptRoomStreamError, foldRoomStream, roomStream } from '../src/rooms/replay.js';
import { listDirectory } from '../src/storage.js';
import { useSqliteServer } from './harness.js';

describe('folding a room stream', () => {
  const srv = useSqliteServer();

  const pausedGame = async () => {
    const { rooms } = srv.t.server;
    const actor = await rooms.create('Alice', { sessionId: 'sid-alice-0123456789abcdef' });
    await actor.submit({ type: 'start_game', id: `start-${actor.roomId}`, seat: 0 });
    await actor.whenIdle();
    await actor.pause('test'); // nothing moves on its own from here
    return actor;
  };

  it('twenty restores fold in one pass, to the state the room has', async () => {
    const actor = await pausedGame();
    const head = actor.version;
    expect(head).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 20; i++) await actor.restore(1 + (i % (head - 1)), 'test');
    const events = srv.t.server.storage.events;
    const realRead = events.readStream.bind(events);
    let reads = 0;
    events.readStream = (...args: Parameters<typeof events.readStream>) => {
      reads++;
      return realRead(...args);
    };
    try {
      const folded = await foldRoomStream(srv.t.server.storage, actor.roomId, { config: actor.state.config, useSnapshot: false });
      expect(folded.version).toBe(actor.version);
      expect(folded.state).toEqual(actor.state);
      // Before: every marker folded the stream again from the start, and so did the markers inside that fold.
      expect(reads).toBeLessThanOrEqual(2);
    } finally {
      events.readStream = realRead;
    }
  });

  it.each([
    ['a restore marker that points at itself', (v: number) => ({ type: 'room_restored', data: { toVersion: v + 1, at: 0, by: 'x' } }), /room_restored marker names version/],
    ['a restore marker without a version', () => ({ type: 'room_restored', data: { at: 0, by: 'x' } }), /names version undefined/],
    ['an event type this release does not know', () => ({ type: 'seat_swapped', data: { type: 'seat_swapped', at: 0 } }), /"seat_swapped" is not one this server knows/],
    ['data of another event type', () => ({ type: 'declared', data: { type: 'player_joined', seat: 77, at: 0 } }), /not a "declared" event/],
    // Shapes: before, these reached the reducer (a seat of 7 grew the seats array; a string value was added to scores).
    ['a seat out of range', () => ({ type: 'player_disconnected', data: { type: 'player_disconnected', at: 0, seat: 7, name: 'Alice' } }), /"player_disconnected" data is malformed at seat/],
    ['a missing field', () => ({ type: 'turn_results_shown', data: { type: 'turn_results_shown', at: 0 } }), /"turn_results_shown" data is malformed at lastTurnWinner/],
    ['a field of the wrong type', () => ({ type: 'redeal_warning', data: { type: 'redeal_warning', at: 0, secondsRemaining: 'ten' } }), /malformed at secondsRemaining/],
    ['a piece no deck holds', () => ({ type: 'hands_dealt', data: { type: 'hands_dealt', at: 0, round: 1, multiplier: 1, hands: [['KING_RED'], [], [], []], weakSeats: [], afterRedeal: false } }), /malformed at hands\.0\.0/],
    ['data that is not an object', () => ({ type: 'game_started', data: null }), /not a "game_started" event/],
  ])('refuses %s with an error naming the room and the version', async (_what, bad, message) => {
    const actor = await pausedGame();
    const v = actor.version;
    await srv.t.server.storage.events.append(roomStream(actor.roomId), [bad(v)], { expectedVersion: v });
    const err = await foldRoomStream(srv.t.server.storage, actor.roomId, { config: actor.state.config, useSnapshot: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRoomStreamError);
    expect((err as CorruptRoomStreamError).message).toMatch(message);
    expect(err).toMatchObject({ roomId: actor.roomId, version: v + 1 });
  });
  it('a damaged lobby directory row is skipped (verify reports the room), not the end of the whole listing', async () => {
    const a = await pausedGame();
    const b = await pausedGame();
    await sql`update lobby_rooms set summary = 'not json' where room_id = ${a.roomId}`.execute(srv.t.server.storage.db.kysely);
    const ids = (await listDirectory(srv.t.server.storage, { limit: 1000 })).map((r) => r.roomId);
    expect(ids).toContain(b.roomId);
    expect(ids).not.toContain(a.roomId);
    expect(await verifyRooms(srv.t.server.storage)).toContain(`${a.roomId}: missing from the lobby directory`);
  });
});

describe('verify against a server that ran with other delays', () => {
  const srv = useSqliteServer({ GAME_TIME_SCALE: 0.5 });

  it('compares a snapshot with pending timers to a replay under the snapshot\'s own delays (verify runs with the defaults)', async () => {
    const { rooms } = srv.t.server;
    const actor = await rooms.create('Alice', { sessionId: 'sid-alice-delays-0123456789' });
    await actor.submit({ type: 'start_game', id: `start-${actor.roomId}`, seat: 0 });
    await actor.pause('test'); // the dealing pause stays pending
    expect(actor.state.timers.length).toBeGreaterThan(0);
    await actor.snapshot();
    expect(await verifyRooms(srv.t.server.storage)).toEqual([]);
  });
});
