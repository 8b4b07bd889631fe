/**
 * The checks a fold makes on each stored event (shape by schema, then the few invariants against the state):
 * every stream the rules write passes them (whole simulated games, redeals included, as stored: through
 * JSON), and a hand-edited event is refused with the field or the reason.
 */
import { describe, expect, it } from 'vitest';
import { decide, createRng, evolve, initialState, simulateGame, type LiapEvent, type LiapState } from '@game/liap-tui';
import { applicabilityProblem, eventShapeProblem } from '../src/rooms/event-schema.js';
import { CorruptRoomStreamError, applyStored } from '../src/rooms/replay.js';

const asStored = (events: readonly LiapEvent[]) => events.map((e, i) => ({ version: i + 1, type: e.type, data: JSON.parse(JSON.stringify(e)) as unknown }));

describe('stored event checks', () => {
  it.each([
    ['random deals', { timeScale: 0 }],
    ['forced weak hands (redeals)', { timeScale: 0, dealing: { mode: 'forced_weak', weakSeats: [0, 2], maxForcedDeals: 2 } }],
  ] as const)('every event of whole simulated games passes, and the checked fold reaches the same state (%s)', (_what, config) => {
    const types = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const game = simulateGame({ seed, config, recordEvents: true });
      let state: LiapState = initialState(config);
      for (const e of asStored(game.events)) {
        expect(eventShapeProblem(e.type, e.data)).toBeUndefined();
        state = applyStored('r', state, e);
        types.add(e.type);
      }
      expect(state).toEqual(game.state);
    }
    expect(types.size).toBeGreaterThanOrEqual(14);
  });

  it('the lobby events of a room pass too (joins, bots, removal, disconnects, leaving, closing)', () => {
    let state = initialState({ timeScale: 0 });
    const stored: LiapEvent[] = [];
    const run = (command: Parameters<typeof decide>[1]) => {
      for (const e of decide(state, command, { now: 1, rng: createRng(1) })) {
        stored.push(e);
        state = evolve(state, e);
      }
    };
    run({ type: 'create_room', id: 'a', name: 'Host' });
    run({ type: 'join_room', id: 'b', name: 'Ann' });
    run({ type: 'remove_player', id: 'c', seat: 0, slot: 1 });
    run({ type: 'add_bot', id: 'd', seat: 0, slot: 1 });
    run({ type: 'join_room', id: 'e', name: 'Bea' });
    run({ type: 'player_disconnected', id: 'f', seat: 1 });
    run({ type: 'player_reconnected', id: 'g', seat: 1 });
    run({ type: 'leave_room', id: 'h', seat: state.seats.findIndex((s) => s?.name === 'Bea') });
    run({ type: 'leave_room', id: 'i', seat: 0 });
    expect(new Set(stored.map((e) => e.type))).toEqual(
      new Set(['room_created', 'player_joined', 'player_removed', 'bot_added', 'player_disconnected', 'player_reconnected', 'player_left', 'room_closed']),
    );
    let folded = initialState({ timeScale: 0 });
    for (const e of asStored(stored)) folded = applyStored('r', folded, e);
    expect(folded).toEqual(state);
  });

  it('names the field of a malformed event', () => {
    expect(eventShapeProblem('declared', { type: 'declared', at: 1, seat: 1, name: 'A', value: -1, auto: false })).toMatch(/malformed at value/);
    expect(eventShapeProblem('turn_completed', { type: 'turn_completed', at: 1 })).toMatch(/malformed at turnNumber/);
    expect(eventShapeProblem('game_started', { type: 'game_started', at: 1, players: ['a', 'b', 'c'] })).toMatch(/malformed at players/);
    expect(eventShapeProblem('room_closed', { type: 'room_closed', at: 'yesterday', reason: 'host_left' })).toMatch(/malformed at at/);
    expect(eventShapeProblem('room_closed', 'room_closed')).toMatch(/not a "room_closed" event/);
  });

  it('refuses an event that cannot follow the state', () => {
    const game = simulateGame({ seed: 3, recordEvents: true });
    const events = game.events;
    const firstPlay = events.findIndex((e) => e.type === 'pieces_played');
    let state = initialState({ timeScale: 0 });
    for (const e of events.slice(0, firstPlay)) state = evolve(state, e);
    const play = events[firstPlay] as Extract<LiapEvent, { type: 'pieces_played' }>;
    expect(applicabilityProblem(state, play)).toBeUndefined();
    const wrongPiece = play.pieces[0] === 'GENERAL_RED' ? 'SOLDIER_BLACK' : 'GENERAL_RED';
    expect(applicabilityProblem(state, { ...play, pieces: [wrongPiece, ...play.pieces.slice(1)] })).toMatch(/holds no/);
    expect(applicabilityProblem(state, { ...play, indices: [...play.indices, 7], pieces: play.pieces })).toMatch(/one to one/);

    const lobby = initialState({ timeScale: 0 });
    expect(applicabilityProblem(lobby, { type: 'player_disconnected', at: 0, seat: 2, name: 'x' })).toMatch(/seat 2, which is empty/);
    expect(applicabilityProblem(lobby, { type: 'declared', at: 0, seat: 0, name: 'x', value: 1, auto: false })).toMatch(/not in a game/);

    const stored = { version: 9, type: 'player_disconnected', data: { type: 'player_disconnected', at: 0, seat: 2, name: 'x' } };
    expect(() => applyStored('room-1', lobby, stored)).toThrow(CorruptRoomStreamError);
    expect(() => applyStored('room-1', lobby, stored)).toThrow(/room room-1, version 9: it names seat 2/);
  });
});
