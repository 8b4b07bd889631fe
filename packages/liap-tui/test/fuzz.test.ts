import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  botMove,
  createDeck,
  createRng,
  decide,
  DomainError,
  evolve,
  initialState,
  nextDeadline,
  seatsToAct,
  simulateGame,
  type LiapCommand,
  type LiapState,
  type PieceKind,
  type TimerName,
} from '../src/index.js';
import { deepFreeze, id, lobby, run, same } from './helpers.js';

const PHASES = new Set(['waiting', 'preparation', 'round_start', 'declaration', 'turn', 'turn_results', 'scoring', 'game_over']);
const TYPES = [
  'create_room',
  'join_room',
  'leave_room',
  'add_bot',
  'remove_player',
  'start_game',
  'accept_redeal',
  'decline_redeal',
  'declare',
  'play',
  'player_disconnected',
  'player_reconnected',
  'timer_fired',
  'bogus',
] as const;
const TIMERS: TimerName[] = ['dealingEnds', 'redealWarning', 'redealTimeout', 'roundStartEnds', 'turnRevealEnds', 'nextTurnStarts', 'turnResultsEnds', 'scoringEnds', 'moveTimeout'];
const DECK_COUNTS = new Map<string, number>();
for (const p of createDeck()) DECK_COUNTS.set(p, (DECK_COUNTS.get(p) ?? 0) + 1);

/** A pool of states from every phase: lobbies, games (random and forced-weak dealing, move timeouts), endings. */
function statePool(): LiapState[] {
  const pool: LiapState[] = [initialState(), lobby()];
  let s = run(lobby(), { type: 'remove_player', id: id(), seat: 0, slot: 2 }).state;
  pool.push(s);
  s = run(s, { type: 'join_room', id: id(), name: 'Ann' }).state;
  pool.push(s, run(s, { type: 'player_disconnected', id: id(), seat: 2 }).state);
  pool.push(run(lobby(), { type: 'leave_room', id: id(), seat: 0 }).state);
  const configs = [{ timeScale: 0 }, { timeScale: 1, turnTimeoutMs: 5000 }, { timeScale: 0, dealing: { mode: 'forced_weak' as const } }];
  configs.forEach((config, ci) => {
    let step = 0;
    simulateGame({
      seed: 40 + ci,
      config,
      onStep: (_b, _c, _e, after) => {
        if (step++ % 7 === 0 || after.phase === 'game_over') pool.push(after);
      },
    });
  });
  // a game with a disconnected human and one who left
  const g = run(s, { type: 'start_game', id: id(), seat: 0 }).state;
  pool.push(run(g, { type: 'player_disconnected', id: id(), seat: 0 }).state, run(g, { type: 'leave_room', id: id(), seat: 2 }).state);
  return pool.map((x) => deepFreeze(x));
}

function checkState(s: LiapState): void {
  expect(s.seats).toHaveLength(4);
  expect(s.players).toHaveLength(4);
  expect(PHASES.has(s.phase)).toBe(true);
  const pieces: PieceKind[] = [...s.players.flatMap((p) => p.hand), ...(s.turn?.result === null ? s.turn.plays.flatMap((p) => p.pieces) : [])];
  const counts = new Map<string, number>();
  for (const p of pieces) counts.set(p, (counts.get(p) ?? 0) + 1);
  for (const [kind, n] of counts) expect(n).toBeLessThanOrEqual(DECK_COUNTS.get(kind) ?? 0);
  const sizes = s.players.map((p) => p.hand.length);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(6);
  for (const t of s.timers) expect(Number.isFinite(t.dueAt)).toBe(true);
  expect(same(JSON.parse(JSON.stringify(s)), s)).toBe(true);
}

describe('fuzz: random commands against random states', () => {
  const pool = statePool();

  it('either a DomainError with the state untouched, or valid events', () => {
    const START: LiapCommand = { type: 'start_game', id: 'fz', seat: 0 };
    /** A command a well-behaved host would send (bot move or the due timer), or null. */
    const smart = (s: LiapState, seed: number): LiapCommand | null => {
      const seat = seatsToAct(s)[0];
      if (seat !== undefined) return botMove(s, seat, createRng(seed));
      const t = nextDeadline(s);
      return t === null ? null : { type: 'timer_fired', id: 'fz', timer: t.timer, dueAt: t.dueAt };
    };
    const arbCommand = (s: LiapState): fc.Arbitrary<LiapCommand> =>
      fc.oneof(
        fc.integer().map((seed): LiapCommand => smart(s, seed) ?? START),
        arbRandom(s),
      );
    const arbRandom = (s: LiapState): fc.Arbitrary<LiapCommand> =>
      fc
        .record({
          type: fc.constantFrom(...TYPES),
          id: fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 8 })),
          seat: fc.oneof(fc.constantFrom(...seatsToAct(s), 0, 1, 2, 3), fc.integer({ min: -2, max: 5 }), fc.constant(1.5)),
          slot: fc.integer({ min: -1, max: 4 }),
          name: fc.oneof(fc.constantFrom('Host', 'Ann', 'Zed', 'Bot 2', '', ' <b> ', 'x'.repeat(60)), fc.string({ maxLength: 12 })),
          value: fc.oneof(fc.integer({ min: -2, max: 10 }), fc.constant(2.5)),
          indices: fc.oneof(fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 7 }), fc.constant('0' as unknown as number[])),
          timer: fc.oneof(...(s.timers.length > 0 ? [fc.constantFrom(...s.timers)] : []), fc.record({ timer: fc.constantFrom(...TIMERS), dueAt: fc.integer({ min: -5, max: 200000 }) })),
        })
        .map((r) => ({ ...r, timer: r.timer.timer, dueAt: r.timer.dueAt }) as unknown as LiapCommand);

    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: pool.length - 1 }).chain((i) => fc.tuple(fc.constant(i), arbCommand(pool[i]!), fc.integer({ min: 0, max: 60000 }), fc.integer())),
        ([i, command, dt, seed]) => {
          const state = pool[i]!;
          const before = JSON.stringify(state);
          let events;
          try {
            events = decide(state, command, { now: state.updatedAt + dt, rng: createRng(seed) });
          } catch (e) {
            expect(e).toBeInstanceOf(DomainError);
            expect((e as DomainError).code).toMatch(/^[A-Z_]+$/);
            expect((e as DomainError).message.length).toBeGreaterThan(0);
            expect(JSON.stringify(state)).toBe(before);
            rejected++;
            return;
          }
          accepted++;
          expect(events.length).toBeGreaterThan(0);
          expect(same(JSON.parse(JSON.stringify(events)), events)).toBe(true);
          const after = events.reduce(evolve, state);
          expect(JSON.stringify(state)).toBe(before);
          expect(after.seq).toBe(state.seq + events.length);
          checkState(after);
        },
      ),
      { numRuns: 4000 },
    );
    // the generator reaches both outcomes often
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  }, 120_000);
});
