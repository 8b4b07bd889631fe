/**
 * Enumeration of the valid combinations in a hand (bots), built by construction (kind buckets) instead of
 * testing all 2^n subsets, and without allocating per combination (a visitor sees a scratch buffer).
 */
import { kindIndex, pointsOf, type PieceKind } from '../pieces.js';
import type { PlayType } from '../rules.js';

/** A valid combination: hand positions (ascending), its type and total points. */
export interface Combo {
  readonly idx: readonly number[];
  readonly type: PlayType;
  readonly total: number;
}

/** Receives each combination: `idx[0..len)` are hand positions (unordered, scratch: copy to keep). */
export type ComboVisitor = (idx: readonly number[], len: number, type: PlayType, total: number) => void;

const SOLDIER_RED = 12;
/** Shared empty bucket (never written: a bucket is replaced by a fresh array on first use). */
const EMPTY: number[] = [];
/** Kind indices of the three names of each group for red (black = +1). */
const GROUPS: readonly (readonly [number, number, number])[] = [
  [0, 2, 4],
  [6, 8, 10],
];

/**
 * Visits every valid combination (any type but INVALID) of the hand, optionally of one size only.
 * Equal pieces at different positions are separate combinations, as the original's itertools did.
 */
export function forEachCombo(hand: readonly PieceKind[], size: number | undefined, visit: ComboVisitor): void {
  const byKind: number[][] = [EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY];
  const pts: number[] = [];
  for (let i = 0; i < hand.length; i++) {
    const kind = hand[i] as PieceKind;
    const ki = kindIndex(kind);
    const list = byKind[ki] as number[];
    if (list === EMPTY) byKind[ki] = [i];
    else list.push(i);
    pts.push(pointsOf(kind));
  }
  const b: number[] = [0, 0, 0, 0, 0, 0];
  const all = size === undefined;
  if (all || size === 1) {
    for (let i = 0; i < hand.length; i++) {
      b[0] = i;
      visit(b, 1, 'SINGLE', pts[i] as number);
    }
  }
  if (all || size === 2) {
    for (const l of byKind) {
      for (let x = 0; x < l.length; x++)
        for (let y = x + 1; y < l.length; y++) {
          b[0] = l[x] as number;
          b[1] = l[y] as number;
          visit(b, 2, 'PAIR', (pts[b[0]] as number) * 2);
        }
    }
  }
  for (let c = 0; c < 2; c++) {
    const soldiers = byKind[SOLDIER_RED + c] as number[];
    const sp = c === 0 ? 2 : 1;
    const n = soldiers.length;
    if (n >= 3) {
      for (let k = 3; k <= 5 && k <= n; k++) {
        if (!all && size !== k) continue;
        const type: PlayType = k === 3 ? 'THREE_OF_A_KIND' : k === 4 ? 'FOUR_OF_A_KIND' : 'FIVE_OF_A_KIND';
        // bitmask walk over at most 5 soldiers: no recursion, no closures
        for (let mask = 0; mask < 1 << n; mask++) {
          let len = 0;
          for (let j = 0; j < n && len <= k; j++) if (mask & (1 << j)) b[len++] = soldiers[j] as number;
          if (len === k) visit(b, k, type, sp * k);
        }
      }
    }
    for (let g = 0; g < 2; g++) {
      const kinds = GROUPS[g] as readonly [number, number, number];
      const A = byKind[kinds[0] + c] as number[];
      const B = byKind[kinds[1] + c] as number[];
      const C = byKind[kinds[2] + c] as number[];
      if (A.length === 0 || B.length === 0 || C.length === 0) continue;
      const lists = [A, B, C];
      const p = lists.map((l) => pts[l[0] as number] as number);
      if (all || size === 3) {
        for (const a of A)
          for (const bb of B)
            for (const cc of C) {
              b[0] = a;
              b[1] = bb;
              b[2] = cc;
              visit(b, 3, 'STRAIGHT', (p[0] as number) + (p[1] as number) + (p[2] as number));
            }
      }
      // counts per name: [2,1,1] rotations (4 pieces), [1,2,2] rotations (5), [2,2,2] (6, chariot group only)
      if (all || size === 4) for (let d = 0; d < 3; d++) multi(lists, p, [d === 0 ? 2 : 1, d === 1 ? 2 : 1, d === 2 ? 2 : 1], b, 'EXTENDED_STRAIGHT', visit);
      if (all || size === 5) for (let s = 0; s < 3; s++) multi(lists, p, [s === 0 ? 1 : 2, s === 1 ? 1 : 2, s === 2 ? 1 : 2], b, 'EXTENDED_STRAIGHT_5', visit);
      if ((all || size === 6) && g === 1) multi(lists, p, [2, 2, 2], b, 'DOUBLE_STRAIGHT', visit);
    }
  }
}

/** k-subsets of `list` written into b[offset..offset+k), calling `done` for each. */
function subsets(list: readonly number[], k: number, b: number[], offset: number, start: number, done: () => void): void {
  if (k === 0) {
    done();
    return;
  }
  for (let i = start; i <= list.length - k; i++) {
    b[offset] = list[i] as number;
    subsets(list, k - 1, b, offset + 1, i + 1, done);
  }
}

/** Picks counts[j] pieces from lists[j] for each of the 3 names. */
function multi(lists: readonly number[][], p: readonly number[], counts: readonly number[], b: number[], type: PlayType, visit: ComboVisitor): void {
  const [c0, c1, c2] = counts as [number, number, number];
  const [l0, l1, l2] = lists as [number[], number[], number[]];
  if (l0.length < c0 || l1.length < c1 || l2.length < c2) return;
  const total = (p[0] as number) * c0 + (p[1] as number) * c1 + (p[2] as number) * c2;
  const len = c0 + c1 + c2;
  subsets(l0, c0, b, 0, 0, () => subsets(l1, c1, b, c0, 0, () => subsets(l2, c2, b, c0 + c1, 0, () => visit(b, len, type, total))));
}

/** Every valid combination as objects with sorted positions (tests and non-hot callers). */
export function validCombos(hand: readonly PieceKind[], size?: number): Combo[] {
  const out: Combo[] = [];
  forEachCombo(hand, size, (idx, len, type, total) => out.push({ idx: idx.slice(0, len).sort((x, y) => x - y), type, total }));
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

/**
 * The combination with the highest total (first in itertools order on ties) among those accepted by `filter`,
 * or null. `filter` sees the scratch buffer.
 */
export function bestCombo(
  hand: readonly PieceKind[],
  size: number | undefined,
  filter?: (idx: readonly number[], len: number, type: PlayType, total: number) => boolean,
  prefer: 'highest' | 'lowest' = 'highest',
): Combo | null {
  let best: Combo | null = null;
  forEachCombo(hand, size, (idx, len, type, total) => {
    if (best !== null) {
      const better = prefer === 'highest' ? total > best.total : total < best.total;
      if (!better && total !== best.total) return;
      if (total === best.total && len > best.idx.length) return;
    }
    if (filter !== undefined && !filter(idx, len, type, total)) return;
    const cand: Combo = { idx: idx.slice(0, len).sort((x, y) => x - y), type, total };
    if (best === null || total !== best.total || itertoolsOrder(cand, best) < 0) best = cand;
  });
  return best;
}
