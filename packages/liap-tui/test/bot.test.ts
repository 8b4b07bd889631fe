import { describe, expect, it } from 'vitest';
import { legacyDeclare, legacyPlay, playType, simulateGame, strategicDeclare, validDeclarations } from '../src/index.js';
import { validCombos } from '../src/internal/combos.js';
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
