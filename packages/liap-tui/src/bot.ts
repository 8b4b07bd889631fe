/** Bots: the legacy strategy of §9.2, and who the game is waiting on. */
import { bestCombo, forEachCombo } from './internal/combos.js';
import { pointsOf, type PieceKind } from './pieces.js';
import { playStrength, winningPlayIndex } from './rules.js';
import type { Rng } from './rng.js';
import type { LiapCommand, LiapState, Seat } from './types.js';

const STRONG_TYPES = new Set(['THREE_OF_A_KIND', 'STRAIGHT', 'FOUR_OF_A_KIND', 'EXTENDED_STRAIGHT', 'FIVE_OF_A_KIND', 'DOUBLE_STRAIGHT']);

/** Inputs of the legacy declaration strategy (`choose_declare`). */
export interface DeclareInput {
  readonly hand: readonly PieceKind[];
  /** Position in the declaration order, 0..3. */
  readonly position: number;
  /** Values declared earlier this round. */
  readonly earlier: readonly number[];
  /** True when the player has declared 0 twice in a row. */
  readonly mustBeNonzero: boolean;
}

/** The legacy bot's declaration (§9.2 steps 1-8); always an allowed value. */
export function legacyDeclare(input: DeclareInput): number {
  const { hand, position, earlier, mustBeNonzero } = input;
  let high = 0;
  let mid = 0;
  let hasGeneral = false;
  for (const p of hand) {
    const v = pointsOf(p);
    if (v >= 9) high++;
    else if (v >= 7) mid++;
    if (v >= 13) hasGeneral = true;
  }
  let strong = 0;
  let strongOpening = hasGeneral;
  forEachCombo(hand, undefined, (_idx, _len, type, total) => {
    if (!STRONG_TYPES.has(type)) return;
    strong++;
    if ((type === 'STRAIGHT' || type === 'EXTENDED_STRAIGHT') && total >= 20) strongOpening = true;
  });
  let score = strong + (strongOpening ? 1 : 0) + (position === 0 ? 1 : 0);
  if (high === 0 && strong === 0) score = 0;
  else if (score === 0 && mid > 0) score = 1;
  score = Math.min(7, Math.max(1, score));
  const forbidden = new Set<number>();
  if (position === 3) {
    const f = 8 - earlier.reduce((a, b) => a + b, 0);
    if (f >= 0 && f <= 8) forbidden.add(f);
  }
  if (mustBeNonzero) forbidden.add(0);
  const candidates: number[] = [];
  for (let v = 0; v <= 7; v++) if (!forbidden.has(v)) candidates.push(v);
  if (candidates.includes(score)) return score;
  const max = candidates[candidates.length - 1] as number;
  return score > max ? max : (candidates[0] as number);
}

/**
 * The legacy bot's play (`choose_best_play`, §9.2): the highest-total valid combination of the required size
 * (any size 1..6 as starter; first in itertools order on ties), else the `required` lowest-point pieces.
 * Returns hand indices.
 */
export function legacyPlay(hand: readonly PieceKind[], required: number | null): number[] {
  const best = bestCombo(hand, required ?? undefined);
  if (best !== null) return best.idx as number[];
  return lowest(hand, required ?? 1);
}

/** The legacy bot's redeal choice (§9.2): accept with probability 0.8 (a weak hand), halved late in a won game. */
export function legacyAcceptsRedeal(state: LiapState, seat: Seat, rng: Rng): boolean {
  const hand = state.players[seat]?.hand ?? [];
  let max = 0;
  let total = 0;
  for (const p of hand) {
    const v = pointsOf(p);
    max = Math.max(max, v);
    total += v;
  }
  let pct = max <= 9 ? 80 : total < 60 ? 60 : 30;
  if (state.round > 10) {
    const mine = state.players[seat]?.score ?? 0;
    const best = Math.max(...state.players.filter((_, i) => i !== seat).map((p) => p.score));
    if (mine - best > 10) pct /= 2;
  }
  return rng.int(0, 999) < pct * 10;
}

/** Seats the game is waiting on right now (undecided weak players, the declarer, the player to play). */
export function seatsToAct(state: LiapState): Seat[] {
  if (state.status !== 'in_game') return [];
  switch (state.phase) {
    case 'preparation': {
      const prep = state.prep;
      if (prep === null) return [];
      return prep.weakSeats.filter((s) => prep.decisions[s] === null);
    }
    case 'declaration': {
      const d = state.declaration;
      const seat = d?.order[d.index];
      return seat === undefined ? [] : [seat];
    }
    case 'turn': {
      const t = state.turn;
      if (t === null || t.plays.length >= 4) return [];
      return [t.order[t.plays.length] as Seat];
    }
    default:
      return [];
  }
}

/** `seatsToAct(state).includes(seat)` without building the list. */
function waitsOn(state: LiapState, seat: Seat): boolean {
  if (state.status !== 'in_game') return false;
  switch (state.phase) {
    case 'preparation': {
      const prep = state.prep;
      return prep !== null && prep.weakSeats.includes(seat) && prep.decisions[seat] === null;
    }
    case 'declaration': {
      const d = state.declaration;
      const current = d === null ? undefined : d.order[d.index];
      return current !== undefined && current === seat;
    }
    case 'turn': {
      const t = state.turn;
      return t !== null && t.plays.length < 4 && t.order[t.plays.length] === seat;
    }
    default:
      return false;
  }
}

/** Whether a bot plays the seat now (a bot, or a human who is disconnected or left; decision 6). */
export function isBotControlled(state: LiapState, seat: Seat): boolean {
  return state.seats[seat]?.isBot === true;
}

/**
 * How long the host waits before sending a bot's command (scaled), as the original bots did (§9.1): uniform
 * 0.5-1.5 times `botThinkMs` (1 s), plus 1.1 s for the first declaration of a round (0.1 s on entering the
 * phase, then 1 s because the round starter is a bot). `random` gives [0, 1).
 */
export function botThinkTime(state: LiapState, random: () => number = Math.random): number {
  const { delays, timeScale } = state.config;
  let ms = delays.botThinkMs * (0.5 + random());
  if (state.phase === 'declaration' && state.declaration?.index === 0) ms += DECLARATION_ENTRY_MS;
  return Math.round(ms * timeScale);
}

/** The original's pause before the first bot declaration of a round: 0.1 s on entry, then 1 s for a bot starter. */
const DECLARATION_ENTRY_MS = 1_100;

/** The bot's play for a seat in the current state. */
export function playFor(state: LiapState, seat: Seat, level: BotLevel = 'legacy'): number[] {
  if (level === 'strategic') return strategicPlay(state, seat);
  return legacyPlay(state.players[seat]?.hand ?? [], state.turn?.required ?? null);
}

/** The bot's declaration for a seat in the current state (used by bots and move timeouts). */
export function declareFor(state: LiapState, seat: Seat, level: BotLevel = 'legacy'): number {
  const d = state.declaration;
  const earlier: number[] = [];
  if (d !== null) for (const s of d.order) if (s !== seat && d.values[s] !== null && d.values[s] !== undefined) earlier.push(d.values[s]);
  const p = state.players[seat];
  const input = {
    hand: p?.hand ?? [],
    position: d === null ? 0 : d.index,
    earlier,
    mustBeNonzero: (p?.zeroDeclaresInARow ?? 0) >= 2,
  };
  return level === 'strategic' ? strategicDeclare(input) : legacyDeclare(input);
}

/** Bot levels: `legacy` (§9.2, the default) and `strategic` (a simplified take on §9.3: plays to its target). */
export type BotLevel = 'legacy' | 'strategic';

/**
 * The strategic bot's declaration: openers (>= 11 points) plus one for a strong combination, moved to the nearest
 * allowed value.
 */
export function strategicDeclare(input: DeclareInput): number {
  const { hand, position, earlier, mustBeNonzero } = input;
  const counts = countKinds(hand);
  // openers: pieces of 11 points or more (GENERAL and ADVISOR, kind indices 0..3)
  let est = (counts[0] as number) + (counts[1] as number) + (counts[2] as number) + (counts[3] as number);
  if (hasStraight(counts) || hasBigPair(counts)) est++;
  est = Math.min(8, est);
  const forbidden = position === 3 ? 8 - earlier.reduce((a, b) => a + b, 0) : -1;
  for (let delta = 0; delta <= 8; delta++) {
    const up = est + delta;
    if (up >= 0 && up <= 8 && up !== forbidden && !(mustBeNonzero && up === 0)) return up;
    const down = est - delta;
    if (down >= 0 && down <= 8 && down !== forbidden && !(mustBeNonzero && down === 0)) return down;
  }
  return 1;
}

/** Pieces per kind index of a hand (scratch: strategicDeclare reads it before anything else could count again). */
const kindCounts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

function countKinds(hand: readonly PieceKind[]): number[] {
  kindCounts.fill(0);
  for (let i = 0; i < hand.length; i++) {
    const ki = 14 - pointsOf(hand[i] as PieceKind); // kindIndex
    if (ki >= 0 && ki < 14) kindCounts[ki] = (kindCounts[ki] as number) + 1;
  }
  return kindCounts;
}

/**
 * Whether the hand holds a strong combination of 12 or more points (the strategic bot's "strong combo"). Of the
 * strong types, soldier sets total at most 10, and every straight totals at least 15 (CHARIOT/HORSE/CANNON black:
 * 7 + 5 + 3); extended and double straights contain a straight. So: whether some colour has all three names of a
 * group.
 */
function hasStraight(c: readonly number[]): boolean {
  for (const k0 of GROUP_FIRST_KINDS) if ((c[k0] as number) > 0 && (c[k0 + 2] as number) > 0 && (c[k0 + 4] as number) > 0) return true;
  return false;
}

/** Kind index of the first name of each group and colour (GENERAL red/black, CHARIOT red/black); +2, +4 the others. */
const GROUP_FIRST_KINDS = [0, 1, 6, 7] as const;

/** Whether the hand holds a pair totalling 16 or more: two pieces of one kind worth 8 or more (kind index <= 6). */
function hasBigPair(c: readonly number[]): boolean {
  for (let k = 0; k <= 6; k++) if ((c[k] as number) >= 2) return true;
  return false;
}

/** The n lowest-point pieces (stable: lower index first on ties), lowest first. */
function lowest(hand: readonly PieceKind[], n: number): number[] {
  const chosen: number[] = [];
  const h = hand.length;
  if (h > 30) {
    // too long for the bitmask below (never in a game: hands hold 8 pieces)
    for (let k = 0; k < n && k < h; k++) {
      let bi = -1;
      let bv = Infinity;
      for (let i = 0; i < h; i++) {
        const v = pointsOf(hand[i] as PieceKind);
        if (v < bv && !chosen.includes(i)) {
          bv = v;
          bi = i;
        }
      }
      chosen.push(bi);
    }
    return chosen;
  }
  if (n === 1 && h > 0) {
    // the common case: one pass, a one-element literal
    let bi = -1;
    let bv = Infinity;
    for (let i = 0; i < h; i++) {
      const v = pointsOf(hand[i] as PieceKind);
      if (v < bv) {
        bv = v;
        bi = i;
      }
    }
    return [bi];
  }
  const pts = handPoints;
  for (let i = 0; i < h; i++) pts[i] = pointsOf(hand[i] as PieceKind);
  let taken = 0;
  for (let k = 0; k < n && k < h; k++) {
    let bi = -1;
    let bv = Infinity;
    for (let i = 0; i < h; i++) {
      const v = pts[i] as number;
      if (v < bv && (taken & (1 << i)) === 0) {
        bv = v;
        bi = i;
      }
    }
    taken |= 1 << bi;
    chosen.push(bi);
  }
  return chosen;
}

/** Points per hand position (scratch for `lowest`). */
const handPoints: number[] = [];

/** The strategic bot's play: takes piles while short of its declaration, dumps low pieces once it has enough. */
export function strategicPlay(state: LiapState, seat: Seat): number[] {
  const p = state.players[seat];
  const t = state.turn;
  const hand = p?.hand ?? [];
  const need = (p?.declared ?? 0) - (p?.capturedPiles ?? 0);
  const required = t?.required ?? null;
  if (required === null) {
    if (need <= 0) return lowest(hand, 1);
    const best = bestCombo(hand, undefined, 'highest', need);
    return best === null ? lowest(hand, 1) : (best.idx as number[]);
  }
  if (need < required || t === null) return lowest(hand, required);
  // Only spend good pieces when they beat the play currently winning this turn.
  const plays = t.plays;
  const leader = plays[winningPlayIndex(plays)];
  if (leader === undefined) return lowest(hand, required);
  const leaderStrength = playStrength(leader.pieces, leader.playType);
  // the cheapest combination of the leader's type that is stronger (core sum for extended straights, §6.2)
  const cheapest = bestCombo(hand, required, 'lowest', 6, leader.playType, leaderStrength);
  return cheapest === null ? lowest(hand, required) : (cheapest.idx as number[]);
}

/**
 * The command the bot (default level legacy, §9.2) sends for `seat`, or null if the game is not waiting on that seat.
 * The command id is deterministic (`bot:<seq>:<seat>`), so a retried bot move is idempotent upstream.
 */
export function botMove(state: LiapState, seat: Seat, rng: Rng, level: BotLevel = 'legacy'): LiapCommand | null {
  if (!waitsOn(state, seat)) return null;
  const id = `bot:${state.seq}:${seat}`;
  switch (state.phase) {
    case 'preparation':
      return legacyAcceptsRedeal(state, seat, rng) ? { type: 'accept_redeal', id, seat } : { type: 'decline_redeal', id, seat };
    case 'declaration':
      return { type: 'declare', id, seat, value: declareFor(state, seat, level) };
    case 'turn':
      return { type: 'play', id, seat, indices: playFor(state, seat, level) };
    default:
      return null;
  }
}
