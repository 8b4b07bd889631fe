import { describe, expect, it } from 'vitest';
import { botThinkTime, coreSum, createDeck, createRng, initialState, legacyDeclare, legacyPlay, playType, pointsOf, simulateGame, strategicDeclare, validDeclarations, type LiapState, type PieceKind, type PlayType } from '../src/index.js';
import { bestCombo, itertoolsOrder, validCombos, type Combo } from '../src/internal/combos.js';
import { k } from './helpers.js';

describe('legacy bot play (§9.2 choose_best_play)', () => {
  it.each<[string, string, number | null, number[]]>([
    ['starter: highest-total valid set of any size', 'GENERAL_RED ADVISOR_RED ELEPHANT_RED SOLDIER_BLACK SOLDIER_BLACK CANNON_BLACK HORSE_BLACK CHARIOT_BLACK', null, [0, 1, 2]],
    ['follower: highest single', 'CANNON_BLACK GENERAL_RED ADVISOR_RED SOLDIER_RED HORSE_BLACK', 1, [1]],
    ['follower without a valid set: the lowest pieces', 'GENERAL_RED ADVISOR_RED CANNON_BLACK SOLDIER_RED HORSE_BLACK', 2, [3, 2]],
    ['ties: first in itertools order', 'SOLDIER_RED SOLDIER_RED SOLDIER_RED HORSE_BLACK', 2, [0, 1]],
  ])('%s', (_n, hand, required, expected) => {
    expect(legacyPlay(k(hand), required)).toEqual(expected);
  });
});

describe('legacy bot declaration (§9.2 choose_declare)', () => {
  const weak = k('SOLDIER_RED SOLDIER_BLACK HORSE_RED CANNON_BLACK SOLDIER_BLACK HORSE_BLACK CANNON_RED SOLDIER_RED');
  it.each<[string, number, number[], boolean, number]>([
    ['no high pieces, no strong combos: clamped to 1', 1, [2], false, 1],
    ['last seat, 1 would make 8: the smallest candidate (0)', 3, [3, 2, 2], false, 0],
    ['last seat and zero streak: 2', 3, [3, 2, 2], true, 2],
  ])('%s', (_n, position, earlier, mustBeNonzero, expected) => {
    expect(legacyDeclare({ hand: weak, position, earlier, mustBeNonzero })).toBe(expected);
  });
  it('counts strong combos, a strong opening and the first position', () => {
    const hand = k('GENERAL_RED ADVISOR_RED ELEPHANT_RED SOLDIER_BLACK HORSE_RED CANNON_BLACK SOLDIER_RED HORSE_BLACK');
    expect(legacyDeclare({ hand, position: 0, earlier: [], mustBeNonzero: false })).toBe(3);
    expect(legacyDeclare({ hand, position: 1, earlier: [1], mustBeNonzero: false })).toBe(2);
  });
  it('bots only ever declare allowed values', () => {
    for (let total = 0; total <= 12; total++) {
      for (const streak of [0, 2]) {
        for (const f of [legacyDeclare, strategicDeclare]) {
          const v = f({ hand: weak, position: 3, earlier: [total], mustBeNonzero: streak >= 2 });
          expect(validDeclarations({ earlierTotal: total, isLast: true, zeroStreak: streak })).toContain(v);
        }
      }
    }
  });
});

describe('combination enumeration (bots)', () => {
  it('finds exactly the valid subsets of real hands (checked against all 2^n subsets)', () => {
    const r = simulateGame({ seed: 9, recordEvents: true });
    const hands = r.events.flatMap((e) => (e.type === 'hands_dealt' ? e.hands : []));
    expect(hands.length).toBeGreaterThan(8);
    for (const hand of hands) {
      const brute: string[] = [];
      for (let mask = 1; mask < 1 << hand.length; mask++) {
        const idx = [...Array(hand.length).keys()].filter((j) => mask & (1 << j));
        if (idx.length > 6) continue;
        const t = playType(idx.map((j) => hand[j]!));
        if (t !== 'INVALID') brute.push(`${idx.join(',')}:${t}`);
      }
      const ours = validCombos(hand).map((c) => `${c.idx.join(',')}:${c.type}`);
      expect(ours.sort()).toEqual(brute.sort());
    }
  });
});

/** Hands of real deals and random sub-hands of them (hands shrink during a round). */
function sampleHands(): PieceKind[][] {
  const rng = createRng(5);
  const out: PieceKind[][] = [];
  for (let i = 0; i < 200; i++) {
    const deck = createDeck();
    const hand: PieceKind[] = [];
    const size = rng.int(1, 8);
    while (hand.length < size) hand.push(deck.splice(rng.int(0, deck.length - 1), 1)[0]!);
    out.push(hand);
  }
  // arbitrary multisets too (more copies of a kind than the deck has)
  for (let i = 0; i < 100; i++) out.push(Array.from({ length: rng.int(1, 9) }, () => createDeck()[rng.int(0, 31)]!));
  return out;
}

describe('bot search shortcuts agree with the plain enumeration', () => {
  const hands = sampleHands();
  const STRONG = new Set<PlayType>(['THREE_OF_A_KIND', 'STRAIGHT', 'FOUR_OF_A_KIND', 'EXTENDED_STRAIGHT', 'FIVE_OF_A_KIND', 'DOUBLE_STRAIGHT']);

  it('strategicDeclare: +1 exactly when a strong combination totals >= 12 or a pair >= 16', () => {
    for (const hand of hands) {
      const combos = validCombos(hand);
      const bonus = combos.some((c) => (STRONG.has(c.type) && c.total >= 12) || (c.type === 'PAIR' && c.total >= 16)) ? 1 : 0;
      const openers = hand.filter((p) => pointsOf(p) >= 11).length;
      const est = Math.min(8, openers + bonus);
      expect(strategicDeclare({ hand, position: 0, earlier: [], mustBeNonzero: false })).toBe(est);
    }
  });

  it('bestCombo: the best total, first in itertools order, under size / length / type / strength limits', () => {
    const strength = (hand: readonly PieceKind[], c: Combo): number =>
      c.type === 'EXTENDED_STRAIGHT' || c.type === 'EXTENDED_STRAIGHT_5' ? coreSum(c.idx.map((i) => hand[i]!)) : c.total;
    for (const hand of hands) {
      const all = validCombos(hand);
      for (const size of [undefined, 1, 2, 3, 4, 5, 6]) {
        for (const prefer of ['highest', 'lowest'] as const) {
          for (const maxLen of [6, 3, 1]) {
            const types: (PlayType | null)[] = [null, ...new Set(all.map((c) => c.type))];
            for (const only of types) {
              for (const beats of [-Infinity, 6, 15]) {
                const ok = all
                  .filter((c) => (size === undefined || c.idx.length === size) && c.idx.length <= maxLen && (only === null || c.type === only) && strength(hand, c) > beats)
                  .sort((a, b) => (prefer === 'highest' ? b.total - a.total : a.total - b.total) || itertoolsOrder(a, b));
                expect(bestCombo(hand, size, prefer, maxLen, only, beats)).toEqual(ok[0] ?? null);
              }
            }
          }
        }
      }
    }
  });
});

describe('bot think time (§9.1)', () => {
  const base = { ...initialState(), phase: 'turn' } as LiapState;
  it('is uniform 0.5-1.5 s, scaled by the time scale', () => {
    expect(botThinkTime(base, () => 0)).toBe(500);
    expect(botThinkTime(base, () => 0.5)).toBe(1000);
    expect(botThinkTime(base, () => 0.999)).toBe(1499);
    expect(botThinkTime({ ...base, config: { ...base.config, timeScale: 0.5 } }, () => 0.5)).toBe(500);
    expect(botThinkTime({ ...base, config: { ...base.config, timeScale: 0 } }, () => 0.5)).toBe(0);
  });
  it('adds 1.1 s before the first declaration of a round only', () => {
    const first = { ...base, phase: 'declaration', declaration: { order: [0, 1, 2, 3], index: 0, values: [null, null, null, null], total: 0 } } as LiapState;
    expect(botThinkTime(first, () => 0.5)).toBe(2100);
    const second = { ...first, declaration: { ...first.declaration!, index: 1 } } as LiapState;
    expect(botThinkTime(second, () => 0.5)).toBe(1000);
  });
});
