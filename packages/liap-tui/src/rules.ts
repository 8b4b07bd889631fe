/** The pure rules of Liap Tui: play types, comparison, turn winner, scoring, weak hands, declarations. */
import { kindIndex, pointsOf, type PieceKind } from './pieces.js';

/** Play types of §6.1 (wire strings). */
export type PlayType =
  | 'SINGLE'
  | 'PAIR'
  | 'THREE_OF_A_KIND'
  | 'STRAIGHT'
  | 'FOUR_OF_A_KIND'
  | 'EXTENDED_STRAIGHT'
  | 'EXTENDED_STRAIGHT_5'
  | 'FIVE_OF_A_KIND'
  | 'DOUBLE_STRAIGHT'
  | 'INVALID';

/**
 * Whether a same-colour set lies in one group (GENERAL/ADVISOR/ELEPHANT or CHARIOT/HORSE/CANNON) with every
 * name of the group present once or twice (name counts sorted: 1,1,1 / 1,1,2 / 1,2,2 / 2,2,2 for 3..6 pieces);
 * returns that group (0 or 1), or -1. Uses kind indices (PIECE_TABLE order: even = red, odd = black; 0-5 general
 * group, 6-11 chariot group). Counts in locals: no arrays, no strings (this runs for every play).
 */
function straightGroup(pieces: readonly PieceKind[]): number {
  const first = pieces[0];
  if (first === undefined) return -1;
  const k0 = kindIndex(first);
  if (k0 >= 12) return -1;
  const color = k0 & 1;
  const group = k0 < 6 ? 0 : 1;
  const base = group * 6;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  for (let i = 0; i < pieces.length; i++) {
    const k = kindIndex(pieces[i] as PieceKind);
    if ((k & 1) !== color || k >= 12 || (k < 6 ? 0 : 1) !== group) return -1;
    const slot = (k - base) >> 1;
    if (slot === 0) c0++;
    else if (slot === 1) c1++;
    else c2++;
  }
  return c0 >= 1 && c0 <= 2 && c1 >= 1 && c1 <= 2 && c2 >= 1 && c2 <= 2 ? group : -1;
}

function allSoldiersSameColor(pieces: readonly PieceKind[]): boolean {
  const first = pieces[0];
  if (first !== 'SOLDIER_RED' && first !== 'SOLDIER_BLACK') return false;
  for (const p of pieces) if (p !== first) return false;
  return true;
}

/** The play type of a set of pieces, first match wins (§6.1). */
export function playType(pieces: readonly PieceKind[]): PlayType {
  const n = pieces.length;
  switch (n) {
    case 1:
      return 'SINGLE';
    case 2:
      return pieces[0] === pieces[1] ? 'PAIR' : 'INVALID';
    // 3..5 pieces of one group with every name present once or twice are exactly the shapes 1,1,1 / 1,1,2 / 1,2,2
    case 3:
      if (allSoldiersSameColor(pieces)) return 'THREE_OF_A_KIND';
      return straightGroup(pieces) >= 0 ? 'STRAIGHT' : 'INVALID';
    case 4:
      if (allSoldiersSameColor(pieces)) return 'FOUR_OF_A_KIND';
      return straightGroup(pieces) >= 0 ? 'EXTENDED_STRAIGHT' : 'INVALID';
    case 5:
      if (allSoldiersSameColor(pieces)) return 'FIVE_OF_A_KIND';
      return straightGroup(pieces) >= 0 ? 'EXTENDED_STRAIGHT_5' : 'INVALID';
    case 6:
      return straightGroup(pieces) === 1 ? 'DOUBLE_STRAIGHT' : 'INVALID';
    default:
      return 'INVALID';
  }
}

/** Sum of points of a set of pieces. */
export function totalPoints(pieces: readonly PieceKind[]): number {
  let sum = 0;
  for (const p of pieces) sum += pointsOf(p);
  return sum;
}

/** Per-name maxima for coreSum (scratch; coreSum calls nothing that could re-enter it). */
const nameMax = [0, 0, 0, 0, 0, 0, 0];

/** Core sum of an extended straight: the highest piece of each distinct name, first 3 names (§6.2). */
export function coreSum(pieces: readonly PieceKind[]): number {
  // = the sum of the 3 largest per-name maxima (the name is kind index >> 1): no sort, no Set
  nameMax.fill(0);
  for (let i = 0; i < pieces.length; i++) {
    const v = pointsOf(pieces[i] as PieceKind);
    const name = (14 - v) >> 1;
    if (v > 0 && v > (nameMax[name] as number)) nameMax[name] = v;
  }
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < 7; i++) {
    const v = nameMax[i] as number;
    if (v > a) {
      c = b;
      b = a;
      a = v;
    } else if (v > b) {
      c = b;
      b = v;
    } else if (v > c) c = v;
  }
  return a + b + c;
}

/** Strength used to compare two plays of the same type (§6.2). */
export function playStrength(pieces: readonly PieceKind[], type: PlayType = playType(pieces)): number {
  return type === 'EXTENDED_STRAIGHT' || type === 'EXTENDED_STRAIGHT_5' ? coreSum(pieces) : totalPoints(pieces);
}

/** `compare_plays` of §6.2: -1 when the types differ, 1 if a is stronger, 2 if b is stronger, 0 if equal. */
export function comparePlays(a: readonly PieceKind[], b: readonly PieceKind[]): -1 | 0 | 1 | 2 {
  const ta = playType(a);
  const tb = playType(b);
  if (ta !== tb) return -1;
  const sa = playStrength(a, ta);
  const sb = playStrength(b, tb);
  return sa > sb ? 1 : sb > sa ? 2 : 0;
}

/**
 * Index (into `plays`, given in turn order, starter first) of the winning play (§6.4): the first play is the
 * provisional winner; a later one replaces it only if it has the same type and is strictly stronger.
 */
export function turnWinnerIndex(plays: readonly (readonly PieceKind[])[]): number {
  return winningPlayIndex(plays.map((pieces) => ({ pieces, playType: playType(pieces) })));
}

/** A play whose type is already known (as the engine records it in a turn). */
export interface TypedPlay {
  readonly pieces: readonly PieceKind[];
  readonly playType: PlayType;
}

/**
 * `turnWinnerIndex` for plays whose types are already known: the one rule (§6.4) the engine's turn
 * resolution and the bots use. 0 for no plays.
 */
export function winningPlayIndex(plays: readonly TypedPlay[]): number {
  const first = plays[0];
  if (first === undefined) return 0;
  let best = 0;
  let bestStrength = playStrength(first.pieces, first.playType);
  for (let i = 1; i < plays.length; i++) {
    const p = plays[i] as TypedPlay;
    // Only the starter's type can win; a later play replaces the winner only if strictly stronger.
    if (p.playType !== first.playType) continue;
    const strength = playStrength(p.pieces, p.playType);
    if (strength > bestStrength) {
      best = i;
      bestStrength = strength;
    }
  }
  return best;
}

/** A hand is weak iff no piece has more than 9 points (§3.1). */
export function isWeakHand(hand: readonly PieceKind[]): boolean {
  for (const p of hand) if (pointsOf(p) > 9) return false;
  return true;
}

/** One player's round score (§7.1). */
export interface ScoreBreakdown {
  readonly declared: number;
  readonly actual: number;
  readonly baseScore: number;
  readonly bonus: number;
  readonly hitValue: number;
  readonly multiplier: number;
  readonly finalScore: number;
}

/** The scoring table of §7.1 times the (integer) redeal multiplier. */
export function scoreRound(declared: number, actual: number, multiplier: number): ScoreBreakdown {
  let baseScore: number;
  let bonus = 0;
  let hitValue: number;
  if (declared === 0 && actual === 0) {
    baseScore = 3;
    bonus = 3;
    hitValue = 0;
  } else if (declared === 0) {
    baseScore = -actual;
    hitValue = -actual;
  } else if (declared === actual) {
    baseScore = declared + 5;
    bonus = 5;
    hitValue = declared;
  } else {
    baseScore = -Math.abs(declared - actual);
    hitValue = baseScore;
  }
  return { declared, actual, baseScore, bonus, hitValue, multiplier, finalScore: baseScore * multiplier };
}

/** Score at which the game ends (§7.2). */
export const WINNING_SCORE = 50;

/** Winners of the game given the totals (§7.2): the highest total among those >= 50; empty if nobody is there. */
export function gameWinners(totals: readonly number[]): number[] {
  let max = -Infinity;
  for (const t of totals) if (t >= WINNING_SCORE && t > max) max = t;
  if (max === -Infinity) return [];
  const winners: number[] = [];
  totals.forEach((t, i) => {
    if (t === max) winners.push(i);
  });
  return winners;
}

/**
 * Values a player may declare (decision 4, §5): 0..8, minus `8 - earlierTotal` for the last declarer,
 * minus 0 after two zero declarations in a row.
 */
export function validDeclarations(opts: { earlierTotal: number; isLast: boolean; zeroStreak: number }): number[] {
  const out: number[] = [];
  const forbidden = opts.isLast ? 8 - opts.earlierTotal : -1;
  for (let v = 0; v <= 8; v++) {
    if (v === forbidden) continue;
    if (v === 0 && opts.zeroStreak >= 2) continue;
    out.push(v);
  }
  return out;
}

/** Seat rotation starting at `start` (seats 0..3 are the play order, §4). */
export function rotationFrom(start: number): number[] {
  return [0, 1, 2, 3].map((i) => (start + i) % 4);
}
