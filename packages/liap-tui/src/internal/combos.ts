/** Fast enumeration of the valid combinations in a hand (bots), by construction instead of 2^n subsets. */
import { PIECE_TABLE, type PieceKind } from '../pieces.js';
import type { PlayType } from '../rules.js';

/** A valid combination: hand positions (ascending), its type and total points. */
export interface Combo {
  readonly idx: readonly number[];
  readonly type: PlayType;
  readonly total: number;
}

function kSubsets(list: readonly number[], k: number): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const rec = (start: number): void => {
    if (cur.length === k) {
      out.push(cur.slice());
      return;
    }
    for (let i = start; i <= list.length - (k - cur.length); i++) {
      cur.push(list[i] as number);
      rec(i + 1);
      cur.pop();
    }
  };
  rec(0);
  return out;
}

function product(parts: readonly (readonly number[][])[]): number[][] {
  let acc: number[][] = [[]];
  for (const part of parts) {
    const nextAcc: number[][] = [];
    for (const a of acc) for (const b of part) nextAcc.push(a.concat(b));
    acc = nextAcc;
    if (acc.length === 0) return acc;
  }
  return acc;
}

const KIND_INDEX: Record<string, number> = Object.fromEntries(PIECE_TABLE.map((p, i) => [p.kind, i]));
const POINTS_BY_INDEX: readonly number[] = PIECE_TABLE.map((p) => p.points);
/** Kind indices (PIECE_TABLE order) of the three names of each group, per colour offset (0 red, 1 black). */
const GROUP_KINDS: readonly (readonly number[])[] = [
  [0, 2, 4],
  [6, 8, 10],
];
const SOLDIER_KIND = 12;

/**
 * Every valid combination (any type but INVALID) of the hand, optionally of one size only.
 * Equal pieces at different positions give separate combinations, as the original's itertools did.
 */
export function validCombos(hand: readonly PieceKind[], size?: number): Combo[] {
  const byKind: number[][] = [[], [], [], [], [], [], [], [], [], [], [], [], [], []];
  for (let i = 0; i < hand.length; i++) (byKind[KIND_INDEX[hand[i] as string] as number] as number[]).push(i);
  const out: Combo[] = [];
  const push = (idxs: number[][], type: PlayType): void => {
    for (const idx of idxs) {
      if (idx.length > 1) idx.sort((a, b) => a - b);
      let total = 0;
      for (const i of idx) total += POINTS_BY_INDEX[KIND_INDEX[hand[i] as string] as number] as number;
      out.push({ idx, type, total });
    }
  };
  const want = (n: number): boolean => size === undefined || size === n;
  if (want(1)) push(hand.map((_, i) => [i]), 'SINGLE');
  if (want(2)) for (const list of byKind) if (list.length >= 2) push(kSubsets(list, 2), 'PAIR');
  for (let color = 0; color < 2; color++) {
    const soldiers = byKind[SOLDIER_KIND + color] as number[];
    if (soldiers.length >= 3) {
      if (want(3)) push(kSubsets(soldiers, 3), 'THREE_OF_A_KIND');
      if (want(4)) push(kSubsets(soldiers, 4), 'FOUR_OF_A_KIND');
      if (want(5)) push(kSubsets(soldiers, 5), 'FIVE_OF_A_KIND');
    }
    for (let g = 0; g < GROUP_KINDS.length; g++) {
      const lists = (GROUP_KINDS[g] as readonly number[]).map((k) => byKind[k + color] as number[]);
      if (lists.some((l) => l.length === 0)) continue;
      const singles = lists.map((l) => kSubsets(l, 1));
      const pairs = lists.map((l) => kSubsets(l, 2));
      if (want(3)) push(product(singles), 'STRAIGHT');
      if (want(4)) for (let d = 0; d < 3; d++) push(product(lists.map((_, j) => (j === d ? (pairs[j] as number[][]) : (singles[j] as number[][])))), 'EXTENDED_STRAIGHT');
      if (want(5)) for (let s = 0; s < 3; s++) push(product(lists.map((_, j) => (j === s ? (singles[j] as number[][]) : (pairs[j] as number[][])))), 'EXTENDED_STRAIGHT_5');
      if (want(6) && g === 1) push(product(pairs), 'DOUBLE_STRAIGHT');
    }
  }
  return out;
}

/** Orders combos as Python's itertools.combinations over sizes 1..6 would: by size, then lexicographic positions. */
export function itertoolsOrder(a: Combo, b: Combo): number {
  if (a.idx.length !== b.idx.length) return a.idx.length - b.idx.length;
  for (let i = 0; i < a.idx.length; i++) {
    const d = (a.idx[i] as number) - (b.idx[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
