/**
 * Who wins a turn (§6.4), driven through decide/evolve as games run it: the starter sets the type, a later
 * play replaces the winner only with the same type and strictly more strength (core sum for extended
 * straights, §6.2), ties stay with the earlier play, and the winner takes the piles and starts the next turn.
 */
import { describe, expect, it } from 'vitest';
import { evolve, type LiapEvent, type LiapState, type PieceKind, type Seat } from '../src/index.js';
import { fire, gameWithHands, id, k, partialHands, run } from './helpers.js';

type TurnCompleted = Extract<LiapEvent, { type: 'turn_completed' }>;

/** Hands dealt, `starter` starts the round, and every seat declares `declared[seat]` in declaration order. */
function declared(hands: PieceKind[][], starter: Seat, declared: readonly number[]): LiapState {
  let s = gameWithHands(hands);
  s = evolve(s, { type: 'round_started', at: s.updatedAt, round: 1, starter, starterName: s.seats[starter]!.name, reason: 'default' });
  s = fire(s, 'roundStartEnds').state;
  for (const seat of s.declaration!.order) s = run(s, { type: 'declare', id: id(), seat, value: declared[seat]! }).state;
  expect(s.phase).toBe('turn');
  return s;
}

/** `seat` plays exactly these pieces (found in its hand). */
function play(s: LiapState, seat: Seat, pieces: string): LiapState {
  const hand = [...s.players[seat]!.hand] as Array<PieceKind | null>;
  const indices = k(pieces).map((p) => {
    const i = hand.indexOf(p);
    if (i < 0) throw new Error(`seat ${seat} has no ${p}`);
    hand[i] = null;
    return i;
  });
  return run(s, { type: 'play', id: id(), seat, indices }).state;
}

/** Plays one whole turn (seat -> pieces, in turn order) and resolves it. */
function turn(s: LiapState, plays: ReadonlyArray<readonly [Seat, string]>): { state: LiapState; completed: TurnCompleted } {
  for (const [seat, pieces] of plays) s = play(s, seat, pieces);
  const r = fire(s, 'turnRevealEnds');
  const completed = r.events.find((e): e is TurnCompleted => e.type === 'turn_completed');
  if (completed === undefined) throw new Error(`no turn_completed: ${r.events.map((e) => e.type).join(',')}`);
  return { state: r.state, completed };
}

describe('turn resolution through decide (§6.4)', () => {
  it('the worked example of §6.6: P0 takes 2 piles with its pair, then P3 takes 1 with GENERAL_RED and starts the next turn', () => {
    const hands = partialHands({
      0: k('ELEPHANT_BLACK ELEPHANT_BLACK ADVISOR_BLACK'),
      1: k('SOLDIER_RED SOLDIER_RED GENERAL_BLACK'),
      2: k('SOLDIER_BLACK SOLDIER_RED ADVISOR_BLACK'),
      3: k('HORSE_RED HORSE_RED GENERAL_RED'),
    });
    let s = declared(hands, 0, [1, 1, 1, 2]);
    const first = turn(s, [
      [0, 'ELEPHANT_BLACK ELEPHANT_BLACK'],
      [1, 'SOLDIER_RED SOLDIER_RED'],
      [2, 'SOLDIER_BLACK SOLDIER_RED'],
      [3, 'HORSE_RED HORSE_RED'],
    ]);
    expect(first.completed.plays.map((p) => [p.seat, p.playType, p.playValue])).toEqual([
      [0, 'PAIR', 18],
      [1, 'PAIR', 4],
      [2, 'INVALID', 3],
      [3, 'PAIR', 12],
    ]);
    expect(first.completed).toMatchObject({ winner: 0, pilesWon: 2, nextStarter: 0, capturedPiles: [2, 0, 0, 0] });
    s = fire(first.state, 'nextTurnStarts').state;
    const second = turn(s, [
      [0, 'ADVISOR_BLACK'],
      [1, 'GENERAL_BLACK'],
      [2, 'ADVISOR_BLACK'],
      [3, 'GENERAL_RED'],
    ]);
    expect(second.completed).toMatchObject({ winner: 3, pilesWon: 1, nextStarter: 3, capturedPiles: [2, 0, 0, 1] });
    s = fire(second.state, 'nextTurnStarts').state;
    expect(s.turn!.order).toEqual([3, 0, 1, 2]);
  });

  it('a tie stays with the earlier play: the starter keeps an equal single, and a later equal play does not take it from a follower', () => {
    const hands = partialHands({
      0: k('SOLDIER_RED CANNON_RED'),
      1: k('SOLDIER_BLACK HORSE_RED'),
      2: k('SOLDIER_RED HORSE_RED'),
      3: k('SOLDIER_BLACK CANNON_BLACK'),
    });
    const s = declared(hands, 0, [1, 1, 1, 1]);
    const tie = turn(s, [
      [0, 'SOLDIER_RED'],
      [1, 'SOLDIER_BLACK'],
      [2, 'SOLDIER_RED'],
      [3, 'SOLDIER_BLACK'],
    ]);
    expect(tie.completed.winner).toBe(0);
    const later = turn(s, [
      [0, 'CANNON_RED'],
      [1, 'HORSE_RED'],
      [2, 'HORSE_RED'],
      [3, 'CANNON_BLACK'],
    ]);
    expect(later.completed).toMatchObject({ winner: 1, nextStarter: 1 });
  });

  it('only the starter type wins: a stronger play of another type (here INVALID) never takes the turn', () => {
    const hands = partialHands({
      0: k('SOLDIER_BLACK SOLDIER_BLACK'),
      1: k('GENERAL_RED ADVISOR_RED'),
      2: k('CANNON_BLACK SOLDIER_RED'),
      3: k('SOLDIER_RED SOLDIER_RED'),
    });
    const s = declared(hands, 0, [1, 1, 1, 1]);
    const r = turn(s, [
      [0, 'SOLDIER_BLACK SOLDIER_BLACK'],
      [1, 'GENERAL_RED ADVISOR_RED'],
      [2, 'CANNON_BLACK SOLDIER_RED'],
      [3, 'SOLDIER_RED SOLDIER_RED'],
    ]);
    expect(r.completed.plays.map((p) => p.playType)).toEqual(['PAIR', 'INVALID', 'INVALID', 'PAIR']);
    // SOLDIER_RED x2 (4) beats SOLDIER_BLACK x2 (2); GENERAL_RED + ADVISOR_RED (26) is not a pair.
    expect(r.completed).toMatchObject({ winner: 3, pilesWon: 2 });
  });

  it('extended straights of equal total compare by core sum (§6.2): the follower with the stronger core wins', () => {
    const hands = partialHands({
      0: k('CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK CANNON_BLACK'),
      1: k('CHARIOT_RED HORSE_RED CANNON_RED CANNON_RED'),
      2: k('SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK'),
      3: k('SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED'),
    });
    const s = declared(hands, 0, [1, 1, 1, 1]);
    const r = turn(s, [
      [0, 'CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK CANNON_BLACK'],
      [1, 'CHARIOT_RED HORSE_RED CANNON_RED CANNON_RED'],
      [2, 'SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK'],
      [3, 'SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED'],
    ]);
    const [p0, p1] = r.completed.plays;
    expect([p0!.playType, p0!.playValue, p1!.playType, p1!.playValue]).toEqual(['EXTENDED_STRAIGHT', 22, 'EXTENDED_STRAIGHT', 22]);
    expect(r.completed).toMatchObject({ winner: 1, pilesWon: 4, nextStarter: 1 });
  });
});
