/** Bots: the legacy strategy of §9.2, and who the game is waiting on. */
import { bestCombo, forEachCombo } from './internal/combos.js';
import { pointsOf, type PieceKind } from './pieces.js';
import { playStrength, turnWinnerIndex } from './rules.js';
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
  if (best !== null) return best.idx.slice();
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

/** Whether a bot plays the seat now (a bot, or a human who is disconnected or left; decision 6). */
export function isBotControlled(state: LiapState, seat: Seat): boolean {
  return state.seats[seat]?.isBot === true;
}

/** The bot think time the host should wait before sending a bot's command (scaled delay). */
export function botThinkTime(state: LiapState): number {
  return Math.round(state.config.delays.botThinkMs * state.config.timeScale);
}

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
  let est = 0;
  for (const p of hand) if (pointsOf(p) >= 11) est++;
  let strongCombo = false;
  let bigPair = false;
  forEachCombo(hand, undefined, (_idx, _len, type, total) => {
    if (STRONG_TYPES.has(type) && total >= 12) strongCombo = true;
    else if (type === 'PAIR' && total >= 16) bigPair = true;
  });
  if (strongCombo || bigPair) est++;
  est = Math.min(8, est);
  const forbidden = new Set<number>();
  if (position === 3) forbidden.add(8 - earlier.reduce((a, b) => a + b, 0));
  if (mustBeNonzero) forbidden.add(0);
  for (let delta = 0; delta <= 8; delta++) {
    for (const v of [est + delta, est - delta]) if (v >= 0 && v <= 8 && !forbidden.has(v)) return v;
  }
  return 1;
}

/** The n lowest-point pieces (stable: lower index first on ties), lowest first. */
function lowest(hand: readonly PieceKind[], n: number): number[] {
  const chosen: number[] = [];
  for (let k = 0; k < n && k < hand.length; k++) {
    let bi = -1;
    let bv = Infinity;
    for (let i = 0; i < hand.length; i++) {
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

/** Core sum of an extended straight given as hand positions: one piece per distinct kind (§6.2). */
function coreOf(hand: readonly PieceKind[], idx: readonly number[], len: number): number {
  const seen: PieceKind[] = [];
  let sum = 0;
  for (let i = 0; i < len; i++) {
    const kind = hand[idx[i] as number] as PieceKind;
    if (seen.includes(kind)) continue;
    seen.push(kind);
    sum += pointsOf(kind);
  }
  return sum;
}

/** The strategic bot's play: takes piles while short of its declaration, dumps low pieces once it has enough. */
export function strategicPlay(state: LiapState, seat: Seat): number[] {
  const p = state.players[seat];
  const t = state.turn;
  const hand = p?.hand ?? [];
  const need = (p?.declared ?? 0) - (p?.capturedPiles ?? 0);
  const required = t?.required ?? null;
  if (required === null) {
    if (need <= 0) return lowest(hand, 1);
    const best = bestCombo(hand, undefined, (_idx, len) => len <= need);
    return best === null ? lowest(hand, 1) : best.idx.slice();
  }
  if (need < required || t === null) return lowest(hand, required);
  // Only spend good pieces when they beat the play currently winning this turn.
  const plays = t.plays;
  const leader = plays[turnWinnerIndex(plays.map((x) => x.pieces))];
  if (leader === undefined) return lowest(hand, required);
  const leaderStrength = playStrength(leader.pieces, leader.playType);
  const beats = (idx: readonly number[], len: number, type: string, total: number): boolean =>
    type === leader.playType && (type === 'EXTENDED_STRAIGHT' || type === 'EXTENDED_STRAIGHT_5' ? coreOf(hand, idx, len) : total) > leaderStrength;
  const cheapest = bestCombo(hand, required, beats, 'lowest');
  return cheapest === null ? lowest(hand, required) : cheapest.idx.slice();
}

/**
 * The command the bot (default level legacy, §9.2) sends for `seat`, or null if the game is not waiting on that seat.
 * The command id is deterministic (`bot:<seq>:<seat>`), so a retried bot move is idempotent upstream.
 */
export function botMove(state: LiapState, seat: Seat, rng: Rng, level: BotLevel = 'legacy'): LiapCommand | null {
  if (!seatsToAct(state).includes(seat)) return null;
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
