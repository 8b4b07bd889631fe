/**
 * Hostile input at volume: 1,500 generated frames (fast-check, fixed seed) from a seated player's socket in
 * a running game -- known events with arbitrary data, wrong types, out-of-range values, garbage text,
 * non-object JSON. The server stays up, nobody's socket but the sender's can be affected, no frame carries
 * another player's hand, and afterwards the game plays on to its end and every room stream verifies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyRooms } from '../src/main.js';
import { contractViolations, explainViolations } from './crash/moves.js';
import { startTwoHumanGame, useSqliteServer } from './harness.js';
import { botLike } from './strategies.js';
import { ScriptedPlayer, findForeignHands, playUntilGameOver } from './support/index.js';

const EVENTS = [
  'client_ready', 'ping', 'get_rooms', 'create_room', 'join_room', 'get_room_state', 'add_bot', 'remove_player',
  'leave_room', 'leave_game', 'start_game', 'accept_redeal', 'decline_redeal', 'request_redeal', 'redeal_decision',
  'declare', 'play', 'play_pieces', 'start_next_round', 'request_state_sync', 'request_recovery', 'player_ready',
  'ack', 'sync_request',
] as const;
// Leaving or removing players ends the scenario early: the fuzz keeps the table together (leaving is tested elsewhere).
const SAFE = EVENTS.filter((e) => e !== 'leave_room' && e !== 'leave_game' && e !== 'remove_player');

const plausible = fc.record(
  {
    value: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.double(), fc.string()),
    piece_indices: fc.oneof(fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 9 }), fc.string(), fc.constant(null)),
    indices: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 7 }),
    player_name: fc.oneof(fc.constantFrom('Alice', 'Bob', '', ' ', '<b>', '123', 'x'.repeat(60)), fc.integer()),
    slot_id: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.string()),
    room_id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    choice: fc.oneof(fc.constantFrom('accept', 'decline', 'maybe'), fc.boolean()),
    timestamp: fc.oneof(fc.double(), fc.string()),
  },
  { requiredKeys: [] },
);

const frameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ event: fc.constantFrom(...SAFE), data: plausible }).map((m) => JSON.stringify(m)) },
  { weight: 2, arbitrary: fc.record({ event: fc.constantFrom(...SAFE), data: fc.jsonValue({ maxDepth: 3 }) }).map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.record({ event: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), data: fc.object() }).map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

describe('generated hostile frames', () => {
  const srv = useSqliteServer();

  it('1,500 generated frames from a player in a running game: errors only for the sender, no hand leaks, the game finishes and verifies', { timeout: 120_000 }, async () => {
    const { alice, bob, a, b } = await startTwoHumanGame(srv.t);
    const alicePlayer = new ScriptedPlayer(a.socket, { redeal: 'decline', ...botLike }).start();

    const frames = fc.sample(frameArb, { seed: 20261128, numRuns: 1500 });
    for (const [i, text] of frames.entries()) {
      if (!b.socket.isOpen) break;
      b.socket.sendRaw(text);
      // Let the server answer now and then, so the fuzz interleaves with the game instead of one burst.
      if (i % 50 === 49) await b.socket.request('ping', { timestamp: i }, 'pong');
    }
    expect((await fetch(`${srv.t.baseUrl}/health/live`)).status).toBe(200);
    // Alice never saw an error caused by Bob's frames, and no frame anywhere showed a hand to the wrong player.
    expect(alicePlayer.errors().map((e) => e.data)).toEqual([]);
    expect(findForeignHands(a.socket.frames(), 'Alice')).toEqual([]);
    expect(findForeignHands(b.socket.frames(), 'Bob')).toEqual([]);
    // Every error Bob got is a readable sentence with a type.
    for (const e of b.socket.frames().filter((f) => f.event === 'error')) {
      expect(typeof e.data['message'], JSON.stringify(e.data)).toBe('string');
      expect(String(e.data['message']).length).toBeGreaterThan(3);
      expect(typeof e.data['type']).toBe('string');
    }

    // Bob (on a fresh socket if a rate limit closed his) plays on with Alice to the end.
    const bobSocket = b.socket.isOpen ? b.socket : await bob.connect(srv.t.baseUrl, a.roomId, { playerName: 'Bob', pingIntervalMs: 0 });
    const bobPlayer = new ScriptedPlayer(bobSocket, { redeal: 'decline', ...botLike });
    const [overA] = await playUntilGameOver([alicePlayer, bobPlayer], { timeoutMs: 90_000 });
    expect(overA!.data['phase']).toBe('game_over');
    const vs = contractViolations(a.socket);
    expect(vs, explainViolations(a.socket, vs)).toEqual([]);
    expect(await verifyRooms(srv.t.server.storage)).toEqual([]);
    await Promise.all([alice.closeAll(), bob.closeAll()]);
  });
});
