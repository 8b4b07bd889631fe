import { describe, expect, it } from 'vitest';
import { DomainError, decide, createRng, initialState, roomSummary, type LiapState } from '../src/index.js';
import { codeOf, id, lobby, run } from './helpers.js';

const ctx = { now: 1000, rng: createRng(1) };

describe('rooms (§10, decision 9)', () => {
  it('a new room is the host plus Bot 2..4 and is already full', () => {
    const s = lobby();
    expect(s.seats.map((x) => x?.name)).toEqual(['Host', 'Bot 2', 'Bot 3', 'Bot 4']);
    expect(s.seats.map((x) => x?.isBot)).toEqual([false, true, true, true]);
    expect(s.host).toBe(0);
    expect(s.seats[0]?.avatarColor).toMatch(/^(blue|purple|orange|red|green|teal|pink|yellow)$/);
    expect(roomSummary(s)).toMatchObject({ host_name: 'Host', started: false, occupied: 4, humans: 1 });
  });

  it('join takes the first empty seat, else replaces the first bot', () => {
    let s = lobby();
    s = run(s, { type: 'remove_player', id: id(), seat: 0, slot: 2 }).state;
    const joined = run(s, { type: 'join_room', id: id(), name: 'Ann' });
    expect(joined.events[0]).toMatchObject({ type: 'player_joined', seat: 2, replacedBot: null });
    const again = run(joined.state, { type: 'join_room', id: id(), name: 'Bob' });
    expect(again.events[0]).toMatchObject({ type: 'player_joined', seat: 1, replacedBot: 'Bot 2' });
    const third = run(again.state, { type: 'join_room', id: id(), name: 'Cy' }).state;
    expect(third.seats.map((x) => x?.name)).toEqual(['Host', 'Bob', 'Ann', 'Cy']);
    expect(codeOf(() => decide(third, { type: 'join_room', id: id(), name: 'Dee' }, ctx))).toBe('ROOM_FULL');
    expect(third.seats[1]?.avatarColor).not.toBe(third.seats[2]?.avatarColor);
  });

  it.each([
    ['', 'INVALID_NAME'],
    ['   ', 'INVALID_NAME'],
    ['x'.repeat(51), 'INVALID_NAME'],
    ['<script>', 'INVALID_NAME'],
    ["O'Neil", 'INVALID_NAME'],
    ['host', 'NAME_TAKEN'],
    ['Bot 3', 'NAME_TAKEN'],
  ])('join with name %j -> %s', (name, code) => {
    expect(codeOf(() => decide(lobby(), { type: 'join_room', id: id(), name }, ctx))).toBe(code);
  });

  it.each<[string, (s: LiapState) => LiapState | null, Parameters<typeof decide>[1], string]>([
    ['add_bot by a non-host', (s) => run(s, { type: 'join_room', id: id(), name: 'Ann' }).state, { type: 'add_bot', id: 'x', seat: 1, slot: 2 }, 'NOT_HOST'],
    ['add_bot onto an occupied seat', () => null, { type: 'add_bot', id: 'x', seat: 0, slot: 2 }, 'SEAT_OCCUPIED'],
    ['add_bot to seat 4', () => null, { type: 'add_bot', id: 'x', seat: 0, slot: 4 }, 'INVALID_SEAT'],
    ['remove self', () => null, { type: 'remove_player', id: 'x', seat: 0, slot: 0 }, 'CANNOT_REMOVE_SELF'],
    ['remove an empty seat', (s) => run(s, { type: 'remove_player', id: id(), seat: 0, slot: 3 }).state, { type: 'remove_player', id: 'x', seat: 0, slot: 3 }, 'SEAT_EMPTY'],
    ['start with an empty seat', (s) => run(s, { type: 'remove_player', id: id(), seat: 0, slot: 3 }).state, { type: 'start_game', id: 'x', seat: 0 }, 'SEATS_NOT_FILLED'],
    ['start by a non-host', (s) => run(s, { type: 'join_room', id: id(), name: 'Ann' }).state, { type: 'start_game', id: 'x', seat: 1 }, 'NOT_HOST'],
    ['start twice', (s) => run(s, { type: 'start_game', id: id(), seat: 0 }).state, { type: 'start_game', id: 'x', seat: 0 }, 'GAME_IN_PROGRESS'],
    ['join a started game', (s) => run(s, { type: 'start_game', id: id(), seat: 0 }).state, { type: 'join_room', id: 'x', name: 'Late' }, 'GAME_IN_PROGRESS'],
    ['a bot seat leaves', () => null, { type: 'leave_room', id: 'x', seat: 1 }, 'INVALID_SEAT'],
    ['command without id', () => null, { type: 'start_game', id: '', seat: 0 }, 'INVALID_COMMAND'],
    ['unknown command', () => null, { type: 'dance', id: 'x' } as never, 'UNKNOWN_COMMAND'],
    ['declare before the game', () => null, { type: 'declare', id: 'x', seat: 0, value: 1 }, 'GAME_NOT_STARTED'],
  ])('%s is rejected and changes nothing', (_name, setup, command, code) => {
    const s = setup(lobby()) ?? lobby();
    const before = JSON.stringify(s);
    let err: unknown;
    try {
      decide(s, command, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe(code);
    expect((err as DomainError).message.length).toBeGreaterThan(3);
    expect(JSON.stringify(s)).toBe(before);
  });

  it('commands on a room that does not exist fail with NO_ROOM, create twice with ROOM_EXISTS', () => {
    expect(codeOf(() => decide(initialState(), { type: 'join_room', id: 'x', name: 'A' }, ctx))).toBe('NO_ROOM');
    expect(codeOf(() => decide(lobby(), { type: 'create_room', id: 'x', name: 'A' }, ctx))).toBe('ROOM_EXISTS');
  });

  it('host leaving before the game closes the room; others free their seat', () => {
    let s = run(lobby(), { type: 'join_room', id: id(), name: 'Ann' }).state;
    const left = run(s, { type: 'leave_room', id: id(), seat: 1 });
    expect(left.events).toMatchObject([{ type: 'player_left', seat: 1, name: 'Ann', inGame: false }]);
    expect(left.state.seats[1]).toBeNull();
    s = left.state;
    const closed = run(s, { type: 'leave_room', id: id(), seat: 0 });
    expect(closed.events).toMatchObject([{ type: 'room_closed', reason: 'host_left' }]);
    expect(closed.state.status).toBe('closed');
    expect(codeOf(() => decide(closed.state, { type: 'join_room', id: 'x', name: 'Z' }, ctx))).toBe('ROOM_CLOSED');
  });

  it('add_bot fills an empty seat with "Bot N"; remove_player reports a removed human', () => {
    let s = run(lobby(), { type: 'remove_player', id: id(), seat: 0, slot: 1 }).state;
    s = run(s, { type: 'add_bot', id: id(), seat: 0, slot: 1 }).state;
    expect(s.seats[1]).toMatchObject({ name: 'Bot 2', isBot: true });
    s = run(s, { type: 'join_room', id: id(), name: 'Ann' }).state;
    const removed = run(s, { type: 'remove_player', id: id(), seat: 0, slot: 1 });
    expect(removed.events).toMatchObject([{ type: 'player_removed', seat: 1, name: 'Ann', wasBot: false, removedBy: 'Host' }]);
  });

  it('start_game starts in PREPARATION with 8/8/8/8 dealt and records the hands in the event', () => {
    const { state, events } = run(lobby(), { type: 'start_game', id: id(), seat: 0 });
    expect(events.map((e) => e.type)).toEqual(['game_started', 'hands_dealt']);
    const dealt = events[1] as Extract<(typeof events)[number], { type: 'hands_dealt' }>;
    expect(dealt.hands.map((h) => h.length)).toEqual([8, 8, 8, 8]);
    expect(state.phase).toBe('preparation');
    expect(state.players.map((p) => p.hand)).toEqual(dealt.hands);
    expect(roomSummary(state).started).toBe(true);
  });
});
