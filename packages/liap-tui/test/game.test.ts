import { describe, expect, it } from 'vitest';
import {
  botMove,
  createDeck,
  createRng,
  decide,
  isBotControlled,
  isWeakHand,
  seatsToAct,
  viewFor,
  simulateGame,
  type LiapEvent,
  type LiapState,
  type PieceKind,
} from '../src/index.js';
import { applyAll, codeOf, fire, gameWithHands, id, k, lobby, makeHands, run } from './helpers.js';

const WEAK_A = k('ELEPHANT_BLACK ELEPHANT_BLACK CHARIOT_RED CHARIOT_RED HORSE_RED HORSE_RED CANNON_RED CANNON_RED');
const WEAK_B = k('CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK HORSE_BLACK CANNON_BLACK CANNON_BLACK SOLDIER_RED SOLDIER_RED');

type Ev<T extends LiapEvent['type']> = Extract<LiapEvent, { type: T }>;
const ofType = <T extends LiapEvent['type']>(events: readonly LiapEvent[], t: T): Ev<T>[] => events.filter((e): e is Ev<T> => e.type === t);

/** Seat 1 holds GENERAL_RED, nobody is weak. */
const strongHands = (): PieceKind[][] => makeHands({ 1: k('GENERAL_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_BLACK SOLDIER_BLACK CANNON_RED HORSE_RED') });

function toDeclaration(s: LiapState): LiapState {
  s = fire(s, 'dealingEnds').state;
  return fire(s, 'roundStartEnds').state;
}

/** Finds a seed whose redeal deals no weak hand (deterministic search). */
function redealSeed(s: LiapState, decide2: (s: LiapState, seed: number) => LiapEvent[]): number {
  for (let seed = 1; seed < 500; seed++) {
    const dealt = ofType(decide2(s, seed), 'hands_dealt')[0];
    if (dealt !== undefined && dealt.weakSeats.length === 0) return seed;
  }
  throw new Error('no seed');
}

describe('starters (§4) and the no-weak path (§3.5)', () => {
  it('round 1: the GENERAL_RED holder starts, after the dealing pause', () => {
    const s = gameWithHands(strongHands(), { timeScale: 1 }, 1000);
    expect(s.timers).toEqual([{ timer: 'dealingEnds', dueAt: 3000 }]);
    expect(codeOf(() => fire(s, 'dealingEnds', 2999))).toBe('TIMER_NOT_DUE');
    const { state, events } = fire(s, 'dealingEnds');
    expect(events).toMatchObject([{ type: 'round_started', starter: 1, reason: 'has_general_red', round: 1 }]);
    expect(state.phase).toBe('round_start');
    expect(state.timers).toEqual([{ timer: 'roundStartEnds', dueAt: 8000 }]);
    const decl = fire(state, 'roundStartEnds');
    expect(decl.events).toMatchObject([{ type: 'declarations_opened', order: [1, 2, 3, 0] }]);
  });

  it('a stale or unknown timer is rejected and changes nothing', () => {
    const s = gameWithHands(strongHands());
    expect(codeOf(() => decide(s, { type: 'timer_fired', id: id(), timer: 'scoringEnds', dueAt: 0 }, { now: 0, rng: createRng(1) }))).toBe('UNKNOWN_TIMER');
    expect(codeOf(() => decide(s, { type: 'timer_fired', id: id(), timer: 'dealingEnds', dueAt: 5 }, { now: 10, rng: createRng(1) }))).toBe('UNKNOWN_TIMER');
  });
});

describe('redeal (§3, decision 3)', () => {
  const hands = (): PieceKind[][] => makeHands({ 2: WEAK_A, 3: WEAK_B });

  it('asks every weak player at once with a 30 s timeout and 20 s warning', () => {
    const s = gameWithHands(hands(), { timeScale: 1 }, 0);
    expect(s.prep?.weakSeats).toEqual([2, 3]);
    expect(seatsToAct(s)).toEqual([2, 3]);
    expect(s.timers).toEqual([
      { timer: 'redealWarning', dueAt: 20000 },
      { timer: 'redealTimeout', dueAt: 30000 },
    ]);
  });

  it.each<[string, [number, boolean][], number | null]>([
    ['both accept: first accepter in play order from seat 0 (round 1)', [[3, true], [2, true]], 2],
    ['accept + decline: the accepter starts', [[2, false], [3, true]], 3],
    ['everyone declines: no redeal', [[3, false], [2, false]], null],
  ])('%s', (_n, decisions, accepter) => {
    let s = gameWithHands(hands());
    let events: LiapEvent[] = [];
    for (const [seat, accept] of decisions) {
      ({ state: s, events } = run(s, { type: accept ? 'accept_redeal' : 'decline_redeal', id: id(), seat }));
    }
    if (accepter === null) {
      expect(events.map((e) => e.type)).toEqual(['redeal_decided', 'round_started']);
      expect(events[1]).toMatchObject({ starter: 0, reason: 'has_general_red' });
      expect(s.multiplier).toBe(1);
    } else {
      expect(events.map((e) => e.type)).toEqual(['redeal_decided', 'redeal_accepted', 'hands_dealt']);
      expect(events[1]).toMatchObject({ seat: accepter, multiplier: 2 });
      expect(events[2]).toMatchObject({ multiplier: 2, afterRedeal: true, round: 1 });
      expect(s.multiplier).toBe(2);
      expect(s.currentStarter).toBe(accepter);
      expect(s.players.every((p) => p.hand.length === 8)).toBe(true);
    }
  });

  it('after an accepted redeal without new weak hands: 2 s + 4 s pause, the accepter starts (accepted_redeal)', () => {
    const base = gameWithHands(hands(), { timeScale: 1 }, 0);
    const s1 = run(base, { type: 'accept_redeal', id: id(), seat: 3 }, 100).state;
    const seed = redealSeed(s1, (s, seed) => decide(s, { type: 'decline_redeal', id: 'd', seat: 2 }, { now: 200, rng: createRng(seed) }));
    const s2 = run(s1, { type: 'decline_redeal', id: id(), seat: 2 }, 200, createRng(seed)).state;
    expect(s2.timers).toEqual([{ timer: 'dealingEnds', dueAt: 6200 }]);
    expect(fire(s2, 'dealingEnds').events).toMatchObject([{ type: 'round_started', starter: 3, reason: 'accepted_redeal' }]);
  });

  it('the countdowns shown follow timeScale like the timers they describe (warning at 10 s of a 15 s timeout at 0.5)', () => {
    let s = gameWithHands(hands(), { timeScale: 0.5 }, 0);
    expect(s.timers.find((t) => t.timer === 'redealTimeout')?.dueAt).toBe(15000);
    expect(viewFor(s, 2).phase_data['decision_timeout']).toBe(15);
    const w = fire(s, 'redealWarning');
    expect(w.events).toMatchObject([{ type: 'redeal_warning', secondsRemaining: 5 }]);
    s = w.state;
    const remaining = (s.timers.find((t) => t.timer === 'redealTimeout')!.dueAt - s.updatedAt) / 1000;
    expect(viewFor(s, 2).phase_data['seconds_remaining']).toBe(remaining);
    expect(remaining).toBe(5);
  });

  it('rejects decisions from non-weak or already decided players', () => {
    const s = gameWithHands(hands());
    expect(codeOf(() => run(s, { type: 'accept_redeal', id: id(), seat: 0 }))).toBe('NOT_WEAK_PLAYER');
    const s1 = run(s, { type: 'decline_redeal', id: id(), seat: 2 }).state;
    expect(codeOf(() => run(s1, { type: 'accept_redeal', id: id(), seat: 2 }))).toBe('ALREADY_DECIDED');
  });

  it('warning at 20 s, then undecided players decline at 30 s', () => {
    let s = gameWithHands(hands(), { timeScale: 1 }, 0);
    s = run(s, { type: 'accept_redeal', id: id(), seat: 3 }, 500).state;
    const w = fire(s, 'redealWarning');
    expect(w.events).toMatchObject([{ type: 'redeal_warning', secondsRemaining: 10 }]);
    expect(w.state.timers.map((t) => t.timer)).toEqual(['redealTimeout']);
    // the warning already fired: sending it again is a stale timer
    expect(codeOf(() => decide(w.state, { type: 'timer_fired', id: id(), timer: 'redealWarning', dueAt: 20000 }, { now: 25000, rng: createRng(1) }))).toBe('UNKNOWN_TIMER');
    const t = fire(w.state, 'redealTimeout');
    expect(t.events.slice(0, 2)).toMatchObject([
      { type: 'redeal_decided', seat: 2, accept: false, auto: true },
      { type: 'redeal_accepted', seat: 3 },
    ]);
  });

  it('the multiplier is reset to 1 in the next round', () => {
    const r = simulateGame({ seed: 3, recordEvents: true, config: { timeScale: 0, dealing: { mode: 'forced_weak' } } });
    const deals = ofType(r.events, 'hands_dealt');
    expect(deals.some((d) => d.multiplier > 1)).toBe(true);
    for (const d of deals) if (!d.afterRedeal) expect(d.multiplier).toBe(1);
  });
});

describe('forced weak dealing (decision 2)', () => {
  it.each([1, 2, 3, 4, 5])('seed %i: seat 0 weak on the first two deals of a round, always 8/8/8/8, then no weak hand', (seed) => {
    const rng = createRng(seed);
    let s = lobby({ timeScale: 0, dealing: { mode: 'forced_weak' } });
    const deals: Ev<'hands_dealt'>[] = [];
    let events: LiapEvent[];
    ({ state: s, events } = run(s, { type: 'start_game', id: id(), seat: 0 }, 0, rng));
    deals.push(...ofType(events, 'hands_dealt'));
    ({ state: s, events } = run(s, { type: 'accept_redeal', id: id(), seat: 0 }, 0, rng));
    deals.push(...ofType(events, 'hands_dealt'));
    ({ state: s, events } = run(s, { type: 'accept_redeal', id: id(), seat: 0 }, 0, rng));
    deals.push(...ofType(events, 'hands_dealt'));
    expect(deals).toHaveLength(3);
    for (const d of deals) {
      expect(d.hands.map((h) => h.length)).toEqual([8, 8, 8, 8]);
      expect([...d.hands.flat()].sort()).toEqual([...createDeck()].sort());
    }
    expect(deals[0]!.weakSeats).toEqual([0]);
    expect(deals[1]!.weakSeats).toEqual([0]);
    expect(deals[2]!.weakSeats).toEqual([]);
    expect(deals[2]!.hands.every((h) => !isWeakHand(h))).toBe(true);
    expect(s.multiplier).toBe(3);
  });
});

describe('declaration (§5, decision 4)', () => {
  const start = (): LiapState => toDeclaration(gameWithHands(strongHands()));

  it('goes in seat rotation from the round starter and enforces the limits', () => {
    let s = start();
    expect(s.declaration?.order).toEqual([1, 2, 3, 0]);
    expect(codeOf(() => run(s, { type: 'declare', id: id(), seat: 0, value: 1 }))).toBe('NOT_YOUR_TURN');
    expect(codeOf(() => run(s, { type: 'declare', id: id(), seat: 1, value: 9 }))).toBe('INVALID_DECLARATION');
    expect(codeOf(() => run(s, { type: 'declare', id: id(), seat: 1, value: 1.5 }))).toBe('INVALID_DECLARATION');
    expect(codeOf(() => run(s, { type: 'declare', id: id(), seat: 1, value: -1 }))).toBe('INVALID_DECLARATION');
    s = run(s, { type: 'declare', id: id(), seat: 1, value: 3 }).state;
    s = run(s, { type: 'declare', id: id(), seat: 2, value: 2 }).state;
    s = run(s, { type: 'declare', id: id(), seat: 3, value: 0 }).state;
    expect(codeOf(() => run(s, { type: 'declare', id: id(), seat: 0, value: 3 }))).toBe('DECLARATION_MAKES_EIGHT');
    const last = run(s, { type: 'declare', id: id(), seat: 0, value: 4 });
    expect(last.events).toMatchObject([
      { type: 'declared', seat: 0, value: 4 },
      { type: 'turn_started', turnNumber: 1, starter: 1, order: [1, 2, 3, 0] },
    ]);
    expect(last.state.players.map((p) => p.declared)).toEqual([4, 3, 2, 0]);
    expect(last.state.players.map((p) => p.zeroDeclaresInARow)).toEqual([0, 0, 0, 1]);
  });

  it('a player with two zeros in a row may not declare 0; the streak counts rounds', () => {
    const s = start();
    const streak = { ...s, players: s.players.map((p, i) => (i === 1 ? { ...p, zeroDeclaresInARow: 2 } : p)) };
    expect(codeOf(() => run(streak, { type: 'declare', id: id(), seat: 1, value: 0 }))).toBe('ZERO_STREAK');
    const ok = run(streak, { type: 'declare', id: id(), seat: 1, value: 1 }).state;
    expect(ok.players[1]?.zeroDeclaresInARow).toBe(0);
    const one = { ...s, players: s.players.map((p, i) => (i === 1 ? { ...p, zeroDeclaresInARow: 1 } : p)) };
    expect(run(one, { type: 'declare', id: id(), seat: 1, value: 0 }).state.players[1]?.zeroDeclaresInARow).toBe(2);
  });

  it('a total of 8 is allowed before the last declarer (only the last one is limited)', () => {
    let s = start();
    s = run(s, { type: 'declare', id: id(), seat: 1, value: 8 }).state;
    s = run(s, { type: 'declare', id: id(), seat: 2, value: 0 }).state;
    s = run(s, { type: 'declare', id: id(), seat: 3, value: 0 }).state;
    expect(codeOf(() => run(s, { type: 'declare', id: id(), seat: 0, value: 0 }))).toBe('DECLARATION_MAKES_EIGHT');
    expect(run(s, { type: 'declare', id: id(), seat: 0, value: 1 }).state.phase).toBe('turn');
  });
});

describe('turns (§6.3-§6.5)', () => {
  function inTurn(): LiapState {
    let s = toDeclaration(gameWithHands(strongHands()));
    for (const [seat, value] of [[1, 3], [2, 2], [3, 1], [0, 1]] as const) s = run(s, { type: 'declare', id: id(), seat, value }).state;
    return s;
  }

  it('validates plays in the order of §6.3 with its messages', () => {
    const s = inTurn();
    const err = (seat: number, indices: unknown): string | undefined => codeOf(() => run(s, { type: 'play', id: id(), seat, indices: indices as number[] }));
    expect(err(2, [0])).toBe('NOT_YOUR_TURN');
    expect(err(1, [])).toBe('INVALID_PIECES');
    expect(err(1, 'x')).toBe('INVALID_PIECES');
    expect(err(1, [1, 1])).toBe('INVALID_PIECES');
    expect(err(1, [0, 1, 2, 3, 4, 5, 6])).toBe('WRONG_PIECE_COUNT');
    expect(err(1, [8])).toBe('PIECES_NOT_IN_HAND');
    expect(err(1, [0, 1])).toBe('INVALID_COMBINATION');
    try {
      run(s, { type: 'play', id: id(), seat: 2, indices: [0] });
    } catch (e) {
      expect((e as Error).message).toBe("It's Bot 2's turn to play");
    }
  });

  it('followers must match the count but may play anything; the winner takes N piles', () => {
    let s = inTurn();
    const first = run(s, { type: 'play', id: id(), seat: 1, indices: [1, 2, 3] });
    expect(first.events[0]).toMatchObject({ type: 'pieces_played', pieces: ['SOLDIER_RED', 'SOLDIER_RED', 'SOLDIER_RED'], playType: 'THREE_OF_A_KIND', playValue: 6 });
    s = first.state;
    expect(s.players[1]?.hand).toEqual(k('GENERAL_RED SOLDIER_BLACK SOLDIER_BLACK CANNON_RED HORSE_RED'));
    expect(s.turn?.required).toBe(3);
    expect(codeOf(() => run(s, { type: 'play', id: id(), seat: 2, indices: [0, 1] }))).toBe('WRONG_PIECE_COUNT');
    s = run(s, { type: 'play', id: id(), seat: 2, indices: [0, 3, 7] }).state;
    expect(codeOf(() => run(s, { type: 'play', id: id(), seat: 2, indices: [1, 2, 3] }))).toBe('NOT_YOUR_TURN');
    s = run(s, { type: 'play', id: id(), seat: 3, indices: [5, 6, 7] }).state;
    s = run(s, { type: 'play', id: id(), seat: 0, indices: [0, 1, 2] }).state;
    expect(s.timers.map((t) => t.timer)).toEqual(['turnRevealEnds']);
    expect(seatsToAct(s)).toEqual([]);
    expect(codeOf(() => run(s, { type: 'play', id: id(), seat: 0, indices: [0, 1, 2] }))).toBe('ALREADY_PLAYED');
    const done = fire(s, 'turnRevealEnds');
    expect(done.events).toMatchObject([{ type: 'turn_completed', winner: 1, pilesWon: 3, nextStarter: 1, allHandsEmpty: false, turnNumber: 1 }]);
    expect(done.state.players.map((p) => p.capturedPiles)).toEqual([0, 3, 0, 0]);
    expect(done.state.players[1]?.turnsWon).toBe(1);
    expect(done.state.players.map((p) => p.hand.length)).toEqual([5, 5, 5, 5]);
    const next = fire(done.state, 'nextTurnStarts');
    expect(next.events).toMatchObject([{ type: 'turn_started', turnNumber: 2, starter: 1, order: [1, 2, 3, 0] }]);
    expect(next.state.turn?.required).toBeNull();
  });
});

describe('disconnects (§10.4, decision 6)', () => {
  it('a disconnected human is played by the bot at once; host passes to the first other connected human, else the next seat', () => {
    let s = lobby();
    s = run(s, { type: 'remove_player', id: id(), seat: 0, slot: 2 }).state;
    s = run(s, { type: 'join_room', id: id(), name: 'Ann' }).state;
    s = run(s, { type: 'start_game', id: id(), seat: 0 }).state;
    const d = run(s, { type: 'player_disconnected', id: id(), seat: 0 });
    expect(d.events.slice(0, 2)).toMatchObject([
      { type: 'player_disconnected', seat: 0, name: 'Host' },
      { type: 'host_changed', from: 0, to: 2, oldHost: 'Host', newHost: 'Ann' },
    ]);
    expect(d.state.seats[0]).toMatchObject({ isBot: true, connected: false });
    expect(codeOf(() => run(d.state, { type: 'player_disconnected', id: id(), seat: 0 }))).toBe('ALREADY_DISCONNECTED');
    const d2 = run(d.state, { type: 'player_disconnected', id: id(), seat: 2 });
    // no connected human left: the first other seat in seat order (as the original, where a disconnected human is a bot)
    expect(d2.events).toContainEqual(expect.objectContaining({ type: 'host_changed', from: 2, to: 0, newHost: 'Host' }));
    const back = run(d2.state, { type: 'player_reconnected', id: id(), seat: 0 });
    expect(back.state.seats[0]).toMatchObject({ isBot: false, connected: true });
    expect(back.state.host).toBe(0);
    expect(codeOf(() => run(back.state, { type: 'player_reconnected', id: id(), seat: 0 }))).toBe('NOT_DISCONNECTED');
  });

  it('a weak player who disconnects or leaves while undecided: the bot makes the decision (decision 6), not an automatic decline', () => {
    let s = lobby();
    s = run(s, { type: 'remove_player', id: id(), seat: 0, slot: 2 }).state;
    s = run(s, { type: 'join_room', id: id(), name: 'Ann' }).state;
    const hands = makeHands({ 2: WEAK_A });
    s = applyAll(s, [
      { type: 'game_started', at: 0, players: ['Host', 'Bot 2', 'Ann', 'Bot 4'] },
      { type: 'hands_dealt', at: 0, round: 1, multiplier: 1, hands, weakSeats: [2], afterRedeal: false },
    ]);
    for (const away of [{ type: 'player_disconnected' as const, id: id(), seat: 2 }, { type: 'leave_room' as const, id: id(), seat: 2 }]) {
      const d = run(s, away);
      expect(d.events.map((e) => e.type)).toEqual([away.type === 'leave_room' ? 'player_left' : 'player_disconnected']);
      expect(d.state.prep!.decisions[2]).toBeNull();
      expect(seatsToAct(d.state)).toEqual([2]);
      expect(isBotControlled(d.state, 2)).toBe(true);
      // The legacy bot accepts about 80 % of the time (§9.2): both answers occur, and each resolves the deal.
      const answers = new Set<string>();
      for (let seed = 1; seed <= 40; seed++) {
        const cmd = botMove(d.state, 2, createRng(seed * 7919));
        expect(cmd?.type === 'accept_redeal' || cmd?.type === 'decline_redeal').toBe(true);
        answers.add(cmd!.type);
        const r = run(d.state, cmd!);
        expect(r.events[0]).toMatchObject({ type: 'redeal_decided', seat: 2, accept: cmd!.type === 'accept_redeal' });
      }
      expect([...answers].sort()).toEqual(['accept_redeal', 'decline_redeal']);
    }
  });

  it('leaving a running game hands the seat to a bot for good', () => {
    let s = run(lobby(), { type: 'start_game', id: id(), seat: 0 }).state;
    s = run(s, { type: 'leave_room', id: id(), seat: 0 }).state;
    expect(s.seats[0]).toMatchObject({ isBot: true, left: true });
    expect(s.host).toBe(1);
    expect(codeOf(() => run(s, { type: 'player_reconnected', id: id(), seat: 0 }))).toBe('INVALID_SEAT');
  });
});

describe('move timeouts (decision 6, §13.21)', () => {
  it('when enabled, an expired declaration or play is made by the legacy bot', () => {
    let s = gameWithHands(strongHands(), { timeScale: 1, turnTimeoutMs: 10000 }, 0);
    s = fire(s, 'dealingEnds').state;
    s = fire(s, 'roundStartEnds').state;
    expect(s.timers).toEqual([{ timer: 'moveTimeout', dueAt: 17000, seat: 1 }]);
    const t = fire(s, 'moveTimeout');
    expect(t.events[0]).toMatchObject({ type: 'declared', seat: 1, auto: true });
    expect(t.state.timers).toEqual([{ timer: 'moveTimeout', dueAt: 27000, seat: 2 }]);
    let st = t.state;
    for (const seat of [2, 3, 0]) st = run(st, botMove(st, seat, createRng(1))!, 18000).state;
    expect(st.phase).toBe('turn');
    const p = fire(st, 'moveTimeout');
    expect(p.events[0]).toMatchObject({ type: 'pieces_played', seat: 1, auto: true });
    // A follower's expired move is played too, with the starter's piece count.
    expect(p.state.timers).toEqual([{ timer: 'moveTimeout', dueAt: p.state.updatedAt + 10000, seat: 2 }]);
    const f = fire(p.state, 'moveTimeout');
    expect(f.events[0]).toMatchObject({ type: 'pieces_played', seat: 2, auto: true });
    expect((f.events[0] as Extract<LiapEvent, { type: 'pieces_played' }>).pieces).toHaveLength(p.state.turn!.required!);
  });

  it('a move timeout is stale once the seat has moved', () => {
    let s = gameWithHands(strongHands(), { timeScale: 1, turnTimeoutMs: 10000 }, 0);
    s = fire(s, 'dealingEnds').state;
    s = fire(s, 'roundStartEnds').state;
    const old = s.timers[0]!;
    s = run(s, { type: 'declare', id: id(), seat: 1, value: 2 }, 8000).state;
    expect(codeOf(() => decide(s, { type: 'timer_fired', id: id(), timer: 'moveTimeout', dueAt: old.dueAt }, { now: old.dueAt, rng: createRng(1) }))).toBe('UNKNOWN_TIMER');
  });
});

describe('later rounds (§4, §13.6, §13.26)', () => {
  /** The state right after round 1 is scored, from a simulated game. */
  function afterRound1(): LiapState {
    let found: LiapState | null = null;
    simulateGame({
      seed: 11,
      onStep: (_b, _c, events, after) => {
        if (found === null && events.some((e) => e.type === 'round_scored')) found = after;
      },
    });
    return found!;
  }

  it('round 2 starts with the winner of the last turn of round 1 (won_last_turn)', () => {
    const s = afterRound1();
    const lastWinner = s.lastTurnWinner!;
    const hands = makeHands({});
    const r2 = applyAll(s, [{ type: 'hands_dealt', at: s.updatedAt, round: 2, multiplier: 1, hands, weakSeats: [], afterRedeal: false }]);
    expect(r2.multiplier).toBe(1);
    expect(r2.players.map((p) => [p.declared, p.capturedPiles])).toEqual([[0, 0], [0, 0], [0, 0], [0, 0]]);
    expect(fire(r2, 'dealingEnds').events).toMatchObject([{ type: 'round_started', round: 2, starter: lastWinner, reason: 'won_last_turn' }]);
  });

  it.each([
    ['the last-turn winner accepts: reason is won_last_turn (quirk §13.26)', true],
    ['another player accepts: reason is accepted_redeal', false],
  ])('%s', (_n, winnerAccepts) => {
    const s = afterRound1();
    const lastWinner = s.lastTurnWinner!;
    const weakSeat = winnerAccepts ? lastWinner : (lastWinner + 1) % 4;
    const hands = makeHands({ [weakSeat as 0]: WEAK_A });
    const r2 = applyAll(s, [{ type: 'hands_dealt', at: s.updatedAt, round: 2, multiplier: 1, hands, weakSeats: [weakSeat], afterRedeal: false }]);
    const seed = redealSeed(r2, (st, seed) => decide(st, { type: 'accept_redeal', id: 'a', seat: weakSeat }, { now: st.updatedAt, rng: createRng(seed) }));
    const redealt = run(r2, { type: 'accept_redeal', id: id(), seat: weakSeat }, r2.updatedAt, createRng(seed)).state;
    expect(fire(redealt, 'dealingEnds').events).toMatchObject([
      { type: 'round_started', starter: weakSeat, reason: winnerAccepts ? 'won_last_turn' : 'accepted_redeal' },
    ]);
  });
});

describe('§13 details', () => {
  it('an accepted redeal redeals the whole table, not only the accepter (§13.8)', () => {
    const hands = makeHands({ 2: WEAK_A });
    const s = gameWithHands(hands);
    const { events } = run(s, { type: 'accept_redeal', id: id(), seat: 2 }, 0, createRng(3));
    const dealt = ofType(events, 'hands_dealt')[0]!;
    const changed = dealt.hands.filter((h, i) => h.join() !== hands[i]!.join()).length;
    expect(changed).toBeGreaterThanOrEqual(3);
  });

  it('a perfect 0/0 scores +3 but is not a perfect round; d = a > 0 is (§13.11, §7.1)', () => {
    const r = simulateGame({ seed: 21, recordEvents: true });
    const scored = ofType(r.events, 'round_scored');
    let perfect = [0, 0, 0, 0];
    for (const e of scored) perfect = perfect.map((p, i) => p + (e.scores[i]!.declared > 0 && e.scores[i]!.declared === e.scores[i]!.actual ? 1 : 0));
    expect(r.state.players.map((p) => p.perfectRounds)).toEqual(perfect);
    expect(scored.some((e) => e.scores.some((s) => s.declared === 0 && s.actual === 0 && s.finalScore === 3 * e.multiplier))).toBe(true);
  });

  it('declarations list only who has declared, even a 0 (§13.24)', () => {
    let s = toDeclaration(gameWithHands(strongHands()));
    s = run(s, { type: 'declare', id: id(), seat: 1, value: 0 }).state;
    expect(s.declaration?.values).toEqual([null, 0, null, null]);
    expect(s.players.map((p) => p.declared)).toEqual([0, 0, 0, 0]);
  });
});
