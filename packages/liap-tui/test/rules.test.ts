import { describe, expect, it } from 'vitest';
import {
  comparePlays,
  coreSum,
  createDeck,
  gameWinners,
  isWeakHand,
  playType,
  scoreRound,
  turnWinnerIndex,
  validDeclarations,
  type PieceKind,
  type PlayType,
} from '../src/index.js';

const k = (s: string): PieceKind[] => s.split(' ').filter(Boolean) as PieceKind[];

describe('deck (§1)', () => {
  it('has 32 pieces worth 192 points, 8 strong', () => {
    const deck = createDeck();
    expect(deck).toHaveLength(32);
    expect(deck.filter((p) => p.endsWith('_RED'))).toHaveLength(16);
    expect(deck.filter((p) => ['GENERAL_RED', 'GENERAL_BLACK', 'ADVISOR_RED', 'ADVISOR_BLACK', 'ELEPHANT_RED'].includes(p))).toHaveLength(8);
  });
});

describe('play types (§6.1)', () => {
  const table: [string, PlayType][] = [
    ['SOLDIER_BLACK', 'SINGLE'],
    ['GENERAL_RED', 'SINGLE'],
    ['ADVISOR_RED ADVISOR_RED', 'PAIR'],
    ['ADVISOR_RED ADVISOR_BLACK', 'INVALID'],
    ['HORSE_RED CANNON_RED', 'INVALID'],
    ['SOLDIER_RED SOLDIER_RED SOLDIER_RED', 'THREE_OF_A_KIND'],
    ['SOLDIER_RED SOLDIER_RED SOLDIER_BLACK', 'INVALID'],
    ['HORSE_RED HORSE_RED HORSE_RED', 'INVALID'],
    ['GENERAL_RED ADVISOR_RED ELEPHANT_RED', 'STRAIGHT'],
    ['CHARIOT_BLACK HORSE_BLACK CANNON_BLACK', 'STRAIGHT'],
    ['CHARIOT_RED HORSE_RED CANNON_BLACK', 'INVALID'],
    ['GENERAL_RED ADVISOR_RED CHARIOT_RED', 'INVALID'],
    ['ADVISOR_RED ADVISOR_RED ELEPHANT_RED', 'INVALID'],
    ['SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK', 'FOUR_OF_A_KIND'],
    ['CHARIOT_RED CHARIOT_RED HORSE_RED CANNON_RED', 'EXTENDED_STRAIGHT'],
    ['GENERAL_BLACK ADVISOR_BLACK ELEPHANT_BLACK ELEPHANT_BLACK', 'EXTENDED_STRAIGHT'],
    ['CHARIOT_RED CHARIOT_RED HORSE_RED HORSE_RED', 'INVALID'],
    ['CHARIOT_RED HORSE_RED CANNON_RED SOLDIER_RED', 'INVALID'],
    ['SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED', 'FIVE_OF_A_KIND'],
    ['CHARIOT_RED CHARIOT_RED HORSE_RED HORSE_RED CANNON_RED', 'EXTENDED_STRAIGHT_5'],
    ['GENERAL_RED ADVISOR_RED ADVISOR_RED ELEPHANT_RED ELEPHANT_RED', 'EXTENDED_STRAIGHT_5'],
    ['CHARIOT_RED CHARIOT_RED CHARIOT_RED HORSE_RED CANNON_RED', 'INVALID'],
    ['CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK HORSE_BLACK CANNON_BLACK CANNON_BLACK', 'DOUBLE_STRAIGHT'],
    ['GENERAL_RED GENERAL_RED ADVISOR_RED ADVISOR_RED ELEPHANT_RED ELEPHANT_RED', 'INVALID'],
    ['CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK HORSE_BLACK CANNON_BLACK CANNON_RED', 'INVALID'],
    ['SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED', 'INVALID'],
    ['SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED SOLDIER_RED', 'INVALID'],
    ['', 'INVALID'],
  ];
  it.each(table)('%s -> %s', (pieces, type) => {
    expect(playType(k(pieces))).toBe(type);
  });
});

describe('comparison and core sums (§6.2)', () => {
  it.each([
    ['GENERAL_RED', 'GENERAL_BLACK', 1],
    ['SOLDIER_BLACK', 'SOLDIER_RED', 2],
    ['SOLDIER_RED', 'SOLDIER_RED', 0],
    ['HORSE_RED HORSE_RED', 'SOLDIER_RED SOLDIER_RED', 1],
    ['GENERAL_RED ADVISOR_RED ELEPHANT_RED', 'SOLDIER_RED SOLDIER_RED SOLDIER_RED', -1],
    ['CHARIOT_RED HORSE_RED CANNON_RED', 'CHARIOT_BLACK HORSE_BLACK CANNON_BLACK', 1],
    // same group and colour: extended straights tie on the core sum
    ['CHARIOT_RED CHARIOT_RED HORSE_RED CANNON_RED', 'CHARIOT_RED HORSE_RED HORSE_RED CANNON_RED', 0],
    ['ADVISOR_RED ADVISOR_RED', 'HORSE_BLACK HORSE_RED', -1],
  ] as const)('%s vs %s -> %i', (a, b, r) => {
    expect(comparePlays(k(a), k(b))).toBe(r);
  });
  it('core sum takes one piece per distinct name, top 3', () => {
    expect(coreSum(k('CHARIOT_RED CHARIOT_RED HORSE_RED CANNON_RED'))).toBe(18);
    expect(coreSum(k('GENERAL_RED ADVISOR_RED ADVISOR_RED ELEPHANT_RED ELEPHANT_RED'))).toBe(36);
    expect(coreSum(k('CHARIOT_BLACK CHARIOT_BLACK HORSE_BLACK CANNON_BLACK CANNON_BLACK'))).toBe(15);
  });
});

describe('turn winner (§6.4, §13.1-2)', () => {
  it.each([
    ['starter wins a tie', ['SOLDIER_RED', 'SOLDIER_RED', 'SOLDIER_BLACK', 'SOLDIER_BLACK'], 0],
    ['strictly higher replaces', ['SOLDIER_RED', 'GENERAL_BLACK', 'GENERAL_RED', 'ADVISOR_RED'], 2],
    ['later tie does not replace', ['HORSE_RED', 'ADVISOR_RED', 'ADVISOR_RED', 'SOLDIER_RED'], 1],
    ['other types never win', ['SOLDIER_RED SOLDIER_RED SOLDIER_RED', 'GENERAL_RED ADVISOR_RED ELEPHANT_RED', 'HORSE_RED CHARIOT_RED CANNON_BLACK', 'SOLDIER_BLACK SOLDIER_BLACK SOLDIER_BLACK'], 0],
    ['invalid follower loses', ['SOLDIER_BLACK SOLDIER_BLACK', 'GENERAL_RED GENERAL_BLACK', 'CANNON_BLACK CANNON_BLACK', 'HORSE_RED HORSE_BLACK'], 2],
    ['worked example §6.6 turn 1', ['ELEPHANT_BLACK ELEPHANT_BLACK', 'SOLDIER_RED SOLDIER_RED', 'SOLDIER_BLACK SOLDIER_RED', 'HORSE_RED HORSE_RED'], 0],
    ['worked example §6.6 turn 2', ['ADVISOR_BLACK', 'GENERAL_BLACK', 'ADVISOR_BLACK', 'GENERAL_RED'], 3],
  ] as const)('%s', (_n, plays, winner) => {
    expect(turnWinnerIndex(plays.map(k))).toBe(winner);
  });
});

describe('scoring table and multiplier (§7.1, §13.9)', () => {
  it.each([
    [0, 0, 1, 3, 3, 0],
    [0, 2, 1, -2, 0, -2],
    [3, 3, 1, 8, 5, 3],
    [3, 1, 1, -2, 0, -2],
    [1, 4, 1, -3, 0, -3],
    [2, 2, 2, 14, 5, 2],
    [0, 0, 3, 9, 3, 0],
    [4, 1, 3, -9, 0, -3],
    [0, 3, 2, -6, 0, -3],
  ])('declared %i actual %i x%i -> %i', (d, a, m, final, bonus, hit) => {
    const s = scoreRound(d, a, m);
    expect(s.finalScore).toBe(final);
    expect(s.bonus).toBe(bonus);
    expect(s.hitValue).toBe(hit);
    expect(s.baseScore * m).toBe(final);
  });
});

describe('game end (§7.2, decision 8)', () => {
  it.each([
    [[49, 10, 0, -5], []],
    [[50, 10, 0, -5], [0]],
    [[55, 61, 0, 70], [3]],
    [[60, 60, 12, 59], [0, 1]],
    [[-3, -50, 49, 49], []],
  ])('%j -> %j', (totals, winners) => {
    expect(gameWinners(totals)).toEqual(winners);
  });
});

describe('weak hands (§3.1)', () => {
  it('weak iff no piece above 9 (ELEPHANT_BLACK is weak)', () => {
    expect(isWeakHand(k('ELEPHANT_BLACK ELEPHANT_BLACK CHARIOT_RED SOLDIER_RED SOLDIER_RED HORSE_RED CANNON_RED SOLDIER_BLACK'))).toBe(true);
    expect(isWeakHand(k('ELEPHANT_RED SOLDIER_BLACK'))).toBe(false);
    expect(isWeakHand(k('GENERAL_BLACK'))).toBe(false);
  });
});

describe('declaration limits (decision 4)', () => {
  it('forbids the total of 8 for the last declarer only', () => {
    expect(validDeclarations({ earlierTotal: 5, isLast: true, zeroStreak: 0 })).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    expect(validDeclarations({ earlierTotal: 5, isLast: false, zeroStreak: 0 })).toHaveLength(9);
    expect(validDeclarations({ earlierTotal: 9, isLast: true, zeroStreak: 0 })).toHaveLength(9);
  });
  it('forbids 0 after two zeros in a row', () => {
    expect(validDeclarations({ earlierTotal: 0, isLast: false, zeroStreak: 2 })).not.toContain(0);
    expect(validDeclarations({ earlierTotal: 0, isLast: false, zeroStreak: 1 })).toContain(0);
    expect(validDeclarations({ earlierTotal: 8, isLast: true, zeroStreak: 2 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
