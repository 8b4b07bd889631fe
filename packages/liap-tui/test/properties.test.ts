import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, same } from './helpers.js';
import {
  createDeck,
  evolve,
  initialState,
  scoreRound,
  simulateGame,
  type LiapConfigInput,
  type LiapEvent,
  type LiapState,
  type Phase,
  type PieceKind,
} from '../src/index.js';

/** §8.2 transition map (WAITING -> PREPARATION is the room start). */
const ALLOWED: Record<Phase, readonly Phase[]> = {
  waiting: ['preparation'],
  preparation: ['round_start'],
  round_start: ['declaration'],
  declaration: ['turn'],
  turn: ['turn_results'],
  turn_results: ['turn', 'scoring'],
  scoring: ['preparation', 'game_over'],
  game_over: [],
};

const DECK_COUNTS = countKinds(createDeck());

function countKinds(pieces: Iterable<PieceKind>): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of pieces) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

function isWholeDeck(pieces: Iterable<PieceKind>): boolean {
  const m = countKinds(pieces);
  if (m.size !== DECK_COUNTS.size) return false;
  for (const [kind, n] of DECK_COUNTS) if (m.get(kind) !== n) return false;
  return true;
}

/** Checks the invariants on every single event of a game; returns the events, final and replayed states. */
function checkGame(seed: number, config: LiapConfigInput): { events: readonly LiapEvent[]; final: LiapState; replayed: LiapState } {
  const { events: recorded, state: final } = simulateGame({ seed, config, recordEvents: true });
  const ctx = (): string => `seed ${seed} config ${JSON.stringify(config)}`;
  // every event survives a JSON round trip; the checks below replay the JSON form (as loaded from a store)
  const events = JSON.parse(JSON.stringify(recorded)) as LiapEvent[];
  check(same(events, recorded), () => `JSON round trip changed an event, ${ctx()}`);
  let state = initialState(config);
  let played: PieceKind[] = [];
  let turnsCompleted = 0;
  let totals = [0, 0, 0, 0];
  let multiplier = 1;
  let rounds = 0;
  for (const e of events) {
    const after = evolve(state, e);
    if (after.phase !== state.phase) check(ALLOWED[state.phase].includes(after.phase), () => `${state.phase} -> ${after.phase}, ${ctx()}`);
    switch (e.type) {
      case 'hands_dealt':
        check(e.hands.every((h) => h.length === 8), () => `unequal deal ${ctx()}`);
        check(isWholeDeck(e.hands.flat()), () => `deal is not the deck ${ctx()}`);
        check(e.multiplier === (e.afterRedeal ? multiplier + 1 : 1), () => `multiplier ${e.multiplier} after ${multiplier} ${ctx()}`);
        multiplier = e.multiplier;
        played = [];
        break;
      case 'turn_started':
        check(new Set(after.players.map((p) => p.hand.length)).size === 1, () => `unequal hands at turn start ${ctx()}`);
        break;
      case 'pieces_played':
        played.push(...e.pieces);
        check(isWholeDeck([...after.players.flatMap((p) => p.hand), ...played]), () => `pieces not conserved ${ctx()}`);
        break;
      case 'turn_completed':
        turnsCompleted++;
        check(e.plays.length === 4 && e.plays.every((p) => p.pieces.length === e.pilesWon), () => `piles ${ctx()}`);
        check(e.plays.find((p) => p.seat === e.winner)?.playType === e.plays[0]?.playType, () => `winner type ${ctx()}`);
        break;
      case 'round_scored': {
        rounds++;
        check(e.scores.reduce((a, s) => a + s.actual, 0) === 8, () => `piles per round ${ctx()}`);
        e.scores.forEach((s, i) => {
          check(s.multiplier === multiplier && e.multiplier === multiplier, () => `scoring multiplier ${ctx()}`);
          check(s.finalScore === scoreRound(s.declared, s.actual, multiplier).finalScore, () => `score formula ${ctx()}`);
          check(s.totalScore === (totals[i] ?? 0) + s.finalScore, () => `score delta ${ctx()}`);
        });
        totals = e.scores.map((s) => s.totalScore);
        const max = Math.max(...totals);
        check(e.gameComplete === max >= 50, () => `game end at ${totals.join('/')} ${ctx()}`);
        if (e.gameComplete) check(same(e.winners, totals.flatMap((t, i) => (t === max ? [i] : []))), () => `winners ${ctx()}`);
        break;
      }
      case 'game_ended':
        check(Math.max(...totals) >= 50, () => `ended below 50 ${ctx()}`);
        break;
      default:
        break;
    }
    state = after;
  }
  expect(final.phase).toBe('game_over');
  expect(final.players.reduce((a, p) => a + p.turnsWon, 0)).toBe(turnsCompleted);
  expect(final.turnsPlayed).toBe(turnsCompleted);
  expect(final.round).toBe(rounds);
  return { events, final, replayed: state };
}

describe('bot-only games (property)', () => {
  it('1,000 random games keep every invariant and replay exactly', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), (seed, forced) => {
        const config: LiapConfigInput = forced ? { timeScale: 0, dealing: { mode: 'forced_weak', weakSeats: [seed & 1 ? 0 : 2] } } : { timeScale: 0 };
        // replaying the recorded events (in their JSON form) through evolve reproduces the final state
        const { final, replayed } = checkGame(seed, config);
        check(same(replayed, final), () => `replay differs, seed ${seed}`);
      }),
      { numRuns: 1000 },
    );
  }, 240_000);

  it('legacy bots (§9.2) keep the invariants round after round', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        let rounds = 0;
        let error: unknown = null;
        try {
          simulateGame({
            seed,
            botLevel: 'legacy',
            maxCommands: 600,
            onStep: (_b, _c, events, after) => {
              for (const e of events) {
                if (e.type === 'round_scored') {
                  rounds++;
                  expect(e.scores.reduce((a, s) => a + s.actual, 0)).toBe(8);
                }
              }
              expect(new Set(after.players.map((p) => p.hand.length)).size <= 2).toBe(true);
            },
          });
        } catch (e) {
          error = e;
        }
        // either the game ended or the command cap stopped it; never a rejected bot command
        if (error !== null) expect((error as Error).message).toMatch(/no end after/);
        expect(rounds).toBeGreaterThan(0);
      }),
      { numRuns: 100 },
    );
  });
});
