/**
 * Whole rounds through decide/evolve: who accepts a redeal when several weak players do (§3.3: play order from
 * seat 0 in round 1, from the previous accepter after a redeal, from the last-turn winner in later rounds), who
 * starts when everyone declines after an accepted cycle, scoring with the multiplier, the next round's set-up
 * (§7.4), and the game's end with tied winners (§7.2, §7.5).
 */
import { describe, expect, it } from 'vitest';
import { createRng, decide, isWeakHand, scoreRound, simulateGame, type LiapEvent, type LiapState, type PieceKind } from '../src/index.js';
import { applyAll, codeOf, fire, gameWithHands, id, k, partialHands, run } from './helpers.js';

const WEAK_A = k('ELEPHANT_BLACK ELEPHANT_BLACK CHARIOT_RED CHARIOT_RED HORSE_RED HORSE_RED CANNON_RED CANNON_RED');
const WEAK_B = k('CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK HORSE_BLACK CANNON_BLACK CANNON_BLACK SOLDIER_RED SOLDIER_RED');

type Ev<T extends LiapEvent['type']> = Extract<LiapEvent, { type: T }>;
const first = <T extends LiapEvent['type']>(events: readonly LiapEvent[], t: T): Ev<T> => {
  const e = events.find((x): x is Ev<T> => x.type === t);
  if (e === undefined) throw new Error(`no ${t} in ${events.map((x) => x.type).join(',')}`);
  return e;
};

/** Replaces the deal just made (a random redeal, or none yet) with these hands: the event decide emits, with chosen pieces. */
function redealTo(s: LiapState, round: number, hands: PieceKind[][], afterRedeal: boolean): LiapState {
  const weakSeats = [0, 1, 2, 3].filter((i) => isWeakHand(hands[i]!));
  return applyAll(s, [{ type: 'hands_dealt', at: s.updatedAt, round, multiplier: s.multiplier, hands, weakSeats, afterRedeal }]);
}

/** The state right after a simulated game's first round was scored (phase scoring, last-turn winner known). */
function afterFirstRound(seed: number): LiapState {
  let found: LiapState | undefined;
  simulateGame({
    seed,
    onStep: (_before, _command, events, after) => {
      if (found === undefined && events.some((e) => e.type === 'round_scored')) found = after;
    },
  });
  if (found === undefined) throw new Error('no round was scored');
  return found;
}

/** The state when a simulated game (real timings) first reaches TURN_RESULTS. */
function atTurnResults(seed: number): LiapState {
  let found: LiapState | undefined;
  simulateGame({
    seed,
    config: { timeScale: 1 },
    onStep: (_before, _command, _events, after) => {
      if (found === undefined && after.phase === 'turn_results') found = after;
    },
  });
  if (found === undefined) throw new Error('no turn_results');
  return found;
}

describe('redeal cycles within one preparation (§3.3)', () => {
  it('round 1: the first accepter in play order from seat 0, then from the previous accepter; all declining afterwards leaves that accepter to start', () => {
    let s = gameWithHands(partialHands({ 1: WEAK_A, 3: WEAK_B }));
    expect(s.prep!.weakSeats).toEqual([1, 3]);
    s = run(s, { type: 'accept_redeal', id: id(), seat: 3 }).state;
    let r = run(s, { type: 'accept_redeal', id: id(), seat: 1 });
    // Both accepted: seat 1 comes first counting from seat 0 (not from the GENERAL_RED holder).
    expect(first(r.events, 'redeal_accepted')).toMatchObject({ seat: 1, multiplier: 2 });
    expect(first(r.events, 'hands_dealt')).toMatchObject({ afterRedeal: true, multiplier: 2 });

    // Second cycle, weak seats 0 and 2: counting from the previous accepter (1) gives 2 before 0.
    s = redealTo(r.state, 1, partialHands({ 0: WEAK_A, 2: WEAK_B }), true);
    s = run(s, { type: 'accept_redeal', id: id(), seat: 0 }).state;
    r = run(s, { type: 'accept_redeal', id: id(), seat: 2 });
    expect(first(r.events, 'redeal_accepted')).toMatchObject({ seat: 2, multiplier: 3 });

    // Third cycle: the only weak player declines; the earlier accepter starts, and the multiplier stays 3.
    s = redealTo(r.state, 1, partialHands({ 3: WEAK_A }), true);
    r = run(s, { type: 'decline_redeal', id: id(), seat: 3 });
    expect(first(r.events, 'round_started')).toMatchObject({ starter: 2, reason: 'accepted_redeal' });
    expect(r.state.multiplier).toBe(3);
  });

  it('later rounds count from the last-turn winner; everyone declining leaves the round to the last-turn winner', () => {
    const scored = afterFirstRound(11);
    const ltw = scored.lastTurnWinner!;
    const behind = (ltw + 3) % 4; // last in play order
    const next = (ltw + 1) % 4; // first after the winner
    let s = redealTo(scored, 2, partialHands({ [behind]: WEAK_A, [next]: WEAK_B }), false);
    expect(s.multiplier).toBe(1);
    s = run(s, { type: 'accept_redeal', id: id(), seat: behind }).state;
    const r = run(s, { type: 'accept_redeal', id: id(), seat: next });
    expect(first(r.events, 'redeal_accepted')).toMatchObject({ seat: next, multiplier: 2 });

    const alone = redealTo(scored, 2, partialHands({ [behind]: WEAK_A }), false);
    const d = run(alone, { type: 'decline_redeal', id: id(), seat: behind });
    expect(first(d.events, 'round_started')).toMatchObject({ starter: ltw, reason: 'won_last_turn' });
  });
});

describe('scoring, the next round and the end of the game (§7)', () => {
  it('a round that ends nobody: scores times the multiplier, then round 2 dealt with multiplier 1, started by the last-turn winner, after 7 s', () => {
    const tr = atTurnResults(5);
    expect(tr.timers.map((t) => [t.timer, t.dueAt - tr.updatedAt])).toEqual([['turnResultsEnds', 7000]]);
    const s0: LiapState = { ...tr, multiplier: 3, players: tr.players.map((p) => ({ ...p, score: 0 })) };
    const scored = fire(s0, 'turnResultsEnds');
    const roundScored = first(scored.events, 'round_scored');
    expect(roundScored.gameComplete).toBe(false);
    expect(roundScored.scores.map((x) => x.finalScore)).toEqual(tr.players.map((p) => scoreRound(p.declared, p.capturedPiles, 3).finalScore));
    expect(scored.state.timers.map((t) => [t.timer, t.dueAt - scored.state.updatedAt])).toEqual([['scoringEnds', 7000]]);
    const next = fire(scored.state, 'scoringEnds');
    expect(first(next.events, 'hands_dealt')).toMatchObject({ round: 2, multiplier: 1 });
    expect(next.state.currentStarter).toBe(tr.lastTurnWinner);
    expect(next.state.players.map((p) => [p.declared, p.capturedPiles])).toEqual([[0, 0], [0, 0], [0, 0], [0, 0]]);
  });

  it('totals 50 / 50 / 49 / 10: the game ends with two winners, ranks 1-4 in seat order for the tie, and nothing is accepted afterwards', () => {
    const tr = atTurnResults(5);
    const finals = tr.players.map((p) => scoreRound(p.declared, p.capturedPiles, tr.multiplier).finalScore);
    const targets = [50, 50, 49, 10];
    const s0: LiapState = { ...tr, players: tr.players.map((p, i) => ({ ...p, score: targets[i]! - finals[i]! })) };
    const scored = fire(s0, 'turnResultsEnds');
    const roundScored = first(scored.events, 'round_scored');
    expect(roundScored.scores.map((x) => x.totalScore)).toEqual(targets);
    expect(roundScored).toMatchObject({ gameComplete: true, winners: [0, 1] });
    const over = fire(scored.state, 'scoringEnds');
    const ended = first(over.events, 'game_ended');
    expect(ended.winners).toEqual([0, 1]);
    expect(ended.rankings.map((x) => [x.seat, x.score, x.rank])).toEqual([
      [0, 50, 1],
      [1, 50, 2],
      [2, 49, 3],
      [3, 10, 4],
    ]);
    expect(over.state.status).toBe('over');
    expect(codeOf(() => decide(over.state, { type: 'declare', id: id(), seat: 0, value: 1 }, { now: over.state.updatedAt, rng: createRng(1) }))).toBe('GAME_OVER');
  });
});

describe('the zero-declaration streak (§5, decision 4)', () => {
  it('carries across rounds: over whole simulated games the state counts every zero in a row, and nobody declares a third', () => {
    let zeroRounds = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const streak = [0, 0, 0, 0];
      simulateGame({
        seed,
        onStep: (_before, _command, events, after) => {
          for (const e of events) {
            if (e.type !== 'declared') continue;
            expect(streak[e.seat]! >= 2 && e.value === 0).toBe(false);
            streak[e.seat] = e.value === 0 ? streak[e.seat]! + 1 : 0;
            if (e.value === 0 && streak[e.seat]! >= 2) zeroRounds++;
          }
          expect(after.players.map((p) => p.zeroDeclaresInARow)).toEqual(streak);
        },
      });
    }
    // The simulated bots do declare zero twice in a row (so the rule was exercised).
    expect(zeroRounds).toBeGreaterThan(0);
  });
});
