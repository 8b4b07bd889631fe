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

const KINDS = 14;
const SOLDIER_RED = 12;

/**
 * The kind buckets of one hand, reused between calls (the bots search a hand several hundred times per game;
 * fresh bucket arrays per search were a visible share of the GC work). One instance per nesting level, so a
 * visitor may itself enumerate another hand.
 */
class Buckets {
  /** Number of pieces of each kind index. */
  readonly cnt: number[] = zeros(KINDS);
  /** Positions of kind k, ascending: pos[k * stride + j] for j < cnt[k]. */
  pos: number[] = [];
  stride = 0;
  /** Points per hand position. */
  readonly pts: number[] = [];
  /** The combination buffer handed to visitors. */
  readonly b: number[] = [0, 0, 0, 0, 0, 0];

  fill(hand: readonly PieceKind[]): void {
    const n = hand.length;
    const cnt = this.cnt;
    cnt.fill(0);
    if (n > this.stride) {
      this.stride = n;
      this.pos = zeros(KINDS * n);
    }
    const stride = this.stride;
    const pos = this.pos;
    const pts = this.pts;
    for (let i = 0; i < n; i++) {
      const kind = hand[i] as PieceKind;
      const v = pointsOf(kind);
      const ki = 14 - v; // kindIndex
      if (!(ki >= 0 && ki < KINDS)) throw new TypeError(`not a piece kind: ${String(kind)}`);
      pos[ki * stride + (cnt[ki] as number)] = i;
      cnt[ki] = (cnt[ki] as number) + 1;
      pts[i] = v;
    }
  }
}

/** A packed (not holey) array of n zeros. */
function zeros(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0);
  return a;
}

const pool: Buckets[] = [];
let depth = 0;

/**
 * Visits every valid combination (any type but INVALID) of the hand, optionally of one size only.
 * Equal pieces at different positions are separate combinations, as the original's itertools did.
 */
export function forEachCombo(hand: readonly PieceKind[], size: number | undefined, visit: ComboVisitor): void {
  enumerate(hand, size, 6, null, visit);
}

/**
 * The enumeration behind `forEachCombo` and `bestCombo`, pruned to combinations of at most `maxLen` pieces and,
 * when `only` is set, of that type only (the pruned ones would be filtered out by the caller anyway).
 */
function enumerate(hand: readonly PieceKind[], size: number | undefined, maxLen: number, only: PlayType | null, visit: ComboVisitor): void {
  const bk = pool[depth] ?? (pool[depth] = new Buckets());
  bk.fill(hand);
  depth++;
  try {
    visitAll(bk, hand.length, size, maxLen, only, visit);
  } finally {
    depth--;
  }
}

function wants(size: number | undefined, maxLen: number, only: PlayType | null, len: number, type: PlayType): boolean {
  return (size === undefined || size === len) && len <= maxLen && (only === null || only === type);
}

function visitAll(bk: Buckets, n: number, size: number | undefined, maxLen: number, only: PlayType | null, visit: ComboVisitor): void {
  const { cnt, pos, stride, pts, b } = bk;
  if (wants(size, maxLen, only, 1, 'SINGLE')) {
    for (let i = 0; i < n; i++) {
      b[0] = i;
      visit(b, 1, 'SINGLE', pts[i] as number);
    }
  }
  if (wants(size, maxLen, only, 2, 'PAIR')) {
    for (let k = 0; k < KINDS; k++) {
      const m = cnt[k] as number;
      const base = k * stride;
      for (let x = 0; x < m; x++)
        for (let y = x + 1; y < m; y++) {
          b[0] = pos[base + x] as number;
          b[1] = pos[base + y] as number;
          visit(b, 2, 'PAIR', (pts[b[0]] as number) * 2);
        }
    }
  }
  for (let c = 0; c < 2; c++) {
    const sk = SOLDIER_RED + c;
    const m = cnt[sk] as number;
    if (m >= 3) {
      const sp = 14 - sk;
      const base = sk * stride;
      for (let k = 3; k <= 5 && k <= m; k++) {
        const type: PlayType = k === 3 ? 'THREE_OF_A_KIND' : k === 4 ? 'FOUR_OF_A_KIND' : 'FIVE_OF_A_KIND';
        if (!wants(size, maxLen, only, k, type)) continue;
        // bitmask walk over the soldiers: no recursion, no closures
        for (let mask = 0; mask < 1 << m; mask++) {
          let len = 0;
          for (let j = 0; j < m && len <= k; j++) if (mask & (1 << j)) b[len++] = pos[base + j] as number;
          if (len === k) visit(b, k, type, sp * k);
        }
      }
    }
    // the two groups (GENERAL/ADVISOR/ELEPHANT, CHARIOT/HORSE/CANNON) of this colour: kinds k0, k0 + 2, k0 + 4
    for (let g = 0; g < 2; g++) {
      const k0 = g * 6 + c;
      const k1 = k0 + 2;
      const k2 = k0 + 4;
      if (cnt[k0] === 0 || cnt[k1] === 0 || cnt[k2] === 0) continue;
      // counts per name: [1,1,1] (3 pieces), [2,1,1] rotations (4), [1,2,2] rotations (5), [2,2,2] (6, chariot group only)
      if (wants(size, maxLen, only, 3, 'STRAIGHT')) multi(bk, k0, 1, 1, 1, 'STRAIGHT', visit);
      if (wants(size, maxLen, only, 4, 'EXTENDED_STRAIGHT')) {
        multi(bk, k0, 2, 1, 1, 'EXTENDED_STRAIGHT', visit);
        multi(bk, k0, 1, 2, 1, 'EXTENDED_STRAIGHT', visit);
        multi(bk, k0, 1, 1, 2, 'EXTENDED_STRAIGHT', visit);
      }
      if (wants(size, maxLen, only, 5, 'EXTENDED_STRAIGHT_5')) {
        multi(bk, k0, 1, 2, 2, 'EXTENDED_STRAIGHT_5', visit);
        multi(bk, k0, 2, 1, 2, 'EXTENDED_STRAIGHT_5', visit);
        multi(bk, k0, 2, 2, 1, 'EXTENDED_STRAIGHT_5', visit);
      }
      if (g === 1 && wants(size, maxLen, only, 6, 'DOUBLE_STRAIGHT')) multi(bk, k0, 2, 2, 2, 'DOUBLE_STRAIGHT', visit);
    }
  }
}

/** Number of c-subsets (c = 1 or 2) of m pieces. */
function choices(m: number, c: number): number {
  return c === 1 ? m : (m * (m - 1)) / 2;
}

/** Writes the x-th c-subset (c = 1 or 2, lexicographic) of the positions of kind k into b[off..off+c). */
function pick(bk: Buckets, k: number, c: number, x: number, off: number): void {
  const base = k * bk.stride;
  if (c === 1) {
    bk.b[off] = bk.pos[base + x] as number;
    return;
  }
  const m = bk.cnt[k] as number;
  let i = 0;
  let r = x;
  while (r >= m - 1 - i) {
    r -= m - 1 - i;
    i++;
  }
  bk.b[off] = bk.pos[base + i] as number;
  bk.b[off + 1] = bk.pos[base + i + 1 + r] as number;
}

/** Picks c0, c1, c2 pieces of the kinds k0, k0 + 2, k0 + 4 (the three names of a group, one colour). */
function multi(bk: Buckets, k0: number, c0: number, c1: number, c2: number, type: PlayType, visit: ComboVisitor): void {
  const k1 = k0 + 2;
  const k2 = k0 + 4;
  const cnt = bk.cnt;
  const n0 = cnt[k0] as number;
  const n1 = cnt[k1] as number;
  const n2 = cnt[k2] as number;
  if (n0 < c0 || n1 < c1 || n2 < c2) return;
  const total = (14 - k0) * c0 + (14 - k1) * c1 + (14 - k2) * c2;
  const len = c0 + c1 + c2;
  const s0 = choices(n0, c0);
  const s1 = choices(n1, c1);
  const s2 = choices(n2, c2);
  for (let x = 0; x < s0; x++) {
    pick(bk, k0, c0, x, 0);
    for (let y = 0; y < s1; y++) {
      pick(bk, k1, c1, y, c0);
      for (let z = 0; z < s2; z++) {
        pick(bk, k2, c2, z, c0 + c1);
        visit(bk.b, len, type, total);
      }
    }
  }
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

// State of the running bestCombo search (module-level so its visitor is one plain function, not a closure per
// call; the visitor calls nothing that could start another search).
const NO_HAND: readonly PieceKind[] = [];
let qHand: readonly PieceKind[] = NO_HAND;
let qLowest = false;
let qBeats = -Infinity;
let found = false;
let bestLen = 0;
let bestTotal = 0;
let bestType: PlayType = 'INVALID';
const bestIdx: number[] = [0, 0, 0, 0, 0, 0];
const cand: number[] = [0, 0, 0, 0, 0, 0];

/** Core sum of an extended straight given as hand positions: one piece per distinct kind (§6.2). */
function coreOf(hand: readonly PieceKind[], idx: readonly number[], len: number): number {
  let seen = 0;
  let sum = 0;
  for (let i = 0; i < len; i++) {
    const kind = hand[idx[i] as number] as PieceKind;
    const bit = 1 << kindIndex(kind);
    if ((seen & bit) !== 0) continue;
    seen |= bit;
    sum += pointsOf(kind);
  }
  return sum;
}

function consider(idx: readonly number[], len: number, type: PlayType, total: number): void {
  if (found) {
    if (total === bestTotal) {
      if (len > bestLen) return;
    } else if (qLowest ? total > bestTotal : total < bestTotal) return;
  }
  if (qBeats !== -Infinity && !((type === 'EXTENDED_STRAIGHT' || type === 'EXTENDED_STRAIGHT_5' ? coreOf(qHand, idx, len) : total) > qBeats)) return;
  // sorted copy of the candidate's positions (insertion sort of at most 6)
  for (let i = 0; i < len; i++) {
    const v = idx[i] as number;
    let j = i;
    while (j > 0 && (cand[j - 1] as number) > v) {
      cand[j] = cand[j - 1] as number;
      j--;
    }
    cand[j] = v;
  }
  if (found && total === bestTotal) {
    // equal total: keep the earlier one in itertools order (shorter first, then lexicographic positions)
    if (len === bestLen) {
      let d = 0;
      for (let i = 0; i < len && d === 0; i++) d = (cand[i] as number) - (bestIdx[i] as number);
      if (d >= 0) return;
    }
  }
  found = true;
  bestLen = len;
  bestTotal = total;
  bestType = type;
  for (let i = 0; i < len; i++) bestIdx[i] = cand[i] as number;
}

/**
 * The combination with the highest total (or the lowest, with `prefer: 'lowest'`), first in itertools order on
 * ties, among those of `size` pieces (any size if undefined) and at most `maxLen` pieces, of type `only` if given,
 * and, if `beats` is given, whose strength (total, core sum for extended straights, §6.2) is above it; or null.
 */
export function bestCombo(
  hand: readonly PieceKind[],
  size: number | undefined,
  prefer: 'highest' | 'lowest' = 'highest',
  maxLen = 6,
  only: PlayType | null = null,
  beats = -Infinity,
): Combo | null {
  if ((size === 1 || (size === undefined && maxLen === 1)) && (only === null || only === 'SINGLE')) {
    // singles only (most bot searches: following a single, or a starter short of one pile): no buckets needed
    const single = bestSingle(hand, prefer === 'lowest', beats);
    if (single !== undefined) return single;
  }
  qHand = hand;
  qLowest = prefer === 'lowest';
  qBeats = beats;
  found = false;
  enumerate(hand, size, maxLen, only, consider);
  qHand = NO_HAND; // do not keep the caller's hand alive
  if (!found) return null;
  return { idx: bestIdx.slice(0, bestLen), type: bestType, total: bestTotal };
}

/** `bestCombo` restricted to singles; undefined when the hand holds something that is not a piece kind. */
function bestSingle(hand: readonly PieceKind[], lowest: boolean, beats: number): Combo | null | undefined {
  let bi = -1;
  let bv = 0;
  for (let i = 0; i < hand.length; i++) {
    const v = pointsOf(hand[i] as PieceKind);
    if (!(v >= 1 && v <= 14)) return undefined; // the general path reports it
    if (!(v > beats)) continue;
    // strictly better only: on ties the lower position (first in itertools order) stays
    if (bi < 0 || (lowest ? v < bv : v > bv)) {
      bi = i;
      bv = v;
    }
  }
  return bi < 0 ? null : { idx: [bi], type: 'SINGLE', total: bv };
}
