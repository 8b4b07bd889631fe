/** `evolve(state, event)`: pure, deterministic, copy-on-write (never clones the whole state). */
import { freshPlayer, scaled } from './config.js';
import type { PieceKind } from './pieces.js';
import type {
  TurnState,
  LiapEvent,
  LiapEventType,
  LiapState,
  PlayerState,
  Seat,
  SeatInfo,
  Timer,
  TimerName,
} from './types.js';

function timer(state: LiapState, name: TimerName, at: number, ms: number, seat?: Seat): Timer {
  const dueAt = at + scaled(state.config, ms);
  return seat === undefined ? { timer: name, dueAt } : { timer: name, dueAt, seat };
}

/** No timers: the state's own list when it is already empty (states are immutable, so it can be shared). */
function noTimers(state: LiapState): readonly Timer[] {
  return state.timers.length === 0 ? state.timers : [];
}

function moveTimers(state: LiapState, at: number, seat: Seat | undefined): readonly Timer[] {
  const t = state.config.turnTimeoutMs;
  if (t === null || seat === undefined) return noTimers(state);
  return [timer(state, 'moveTimeout', at, t, seat)];
}

type Mutable = { -readonly [K in keyof LiapState]: LiapState[K] };

/** A shallow copy with one fixed property order (one hidden class: spreads of varying shapes are slow). */
function copy(s: LiapState): Mutable {
  return {
    config: s.config,
    status: s.status,
    seats: s.seats,
    host: s.host,
    phase: s.phase,
    round: s.round,
    players: s.players,
    multiplier: s.multiplier,
    currentStarter: s.currentStarter,
    starterReason: s.starterReason,
    lastTurnWinner: s.lastTurnWinner,
    turnsPlayed: s.turnsPlayed,
    prep: s.prep,
    declaration: s.declaration,
    turn: s.turn,
    scoring: s.scoring,
    rankings: s.rankings,
    winners: s.winners,
    timers: s.timers,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    seq: s.seq,
    updatedAt: s.updatedAt,
    closedReason: s.closedReason,
  };
}

/**
 * A player record in one fixed property order. Callers build each record explicitly (no patch objects: a
 * `Partial<PlayerState>` of a different shape per event made every field read polymorphic).
 */
function playerOf(
  hand: PlayerState['hand'],
  score: number,
  declared: number,
  capturedPiles: number,
  zeroDeclaresInARow: number,
  turnsWon: number,
  perfectRounds: number,
): PlayerState {
  return { hand, score, declared, capturedPiles, zeroDeclaresInARow, turnsWon, perfectRounds };
}

function turnState(
  t: TurnState,
  plays: TurnState['plays'],
  required: number | null,
  result: TurnState['result'],
): TurnState {
  return { number: t.number, starter: t.starter, order: t.order, required, plays, result };
}

function setAt<T>(list: readonly T[], index: number, value: T): T[] {
  const copy = list.slice();
  copy[index] = value;
  return copy;
}

function updateSeat(state: LiapState, seat: Seat, patch: Partial<SeatInfo>): readonly (SeatInfo | null)[] {
  return setAt(state.seats, seat, { ...(state.seats[seat] as SeatInfo), ...patch });
}

/** The hand without the played positions (in hand order). */
function remaining(hand: readonly PieceKind[], indices: readonly number[]): PieceKind[] {
  let played = 0; // bitmask of the played positions (hands hold 8 pieces; the general case below otherwise)
  if (hand.length > 31) return hand.filter((_, k) => !indices.includes(k));
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j] as number;
    if (!((i | 0) === i && i >= 0 && i < 31)) return hand.filter((_, k) => !indices.includes(k));
    played |= 1 << i;
  }
  // an exact-size copy to overwrite (growing an empty array by push allocates spare capacity)
  let kept = 0;
  for (let i = 0; i < hand.length; i++) if ((played & (1 << i)) === 0) kept++;
  const out = hand.slice(0, kept);
  let j = 0;
  for (let i = 0; i < hand.length; i++) if ((played & (1 << i)) === 0) out[j++] = hand[i] as PieceKind;
  return out;
}

/** A copy of `list` with `value` appended, allocated at its exact size. */
function appended<T>(list: readonly T[], value: T): T[] {
  switch (list.length) {
    case 0:
      return [value];
    case 1:
      return [list[0] as T, value];
    case 2:
      return [list[0] as T, list[1] as T, value];
    case 3:
      return [list[0] as T, list[1] as T, list[2] as T, value];
    default: {
      const copy = list.slice();
      copy.push(value);
      return copy;
    }
  }
}

function human(name: string, avatarColor: string): SeatInfo {
  return { name, isBot: false, originalIsBot: false, connected: true, left: false, avatarColor };
}

function bot(name: string): SeatInfo {
  return { name, isBot: true, originalIsBot: true, connected: true, left: false, avatarColor: null };
}

/** Every event type (a Record, so that a new type that is not listed fails to compile). */
const EVENT_TYPES: Record<LiapEventType, true> = {
  bot_added: true,
  declarations_opened: true,
  declared: true,
  game_ended: true,
  game_started: true,
  hands_dealt: true,
  host_changed: true,
  pieces_played: true,
  player_disconnected: true,
  player_joined: true,
  player_left: true,
  player_reconnected: true,
  player_removed: true,
  redeal_accepted: true,
  redeal_decided: true,
  redeal_warning: true,
  room_closed: true,
  room_created: true,
  round_scored: true,
  round_started: true,
  turn_completed: true,
  turn_results_shown: true,
  turn_started: true,
};

/** Whether `type` is an event type of this version of the engine (a stored stream may hold a newer one). */
export function isLiapEventType(type: string): type is LiapEventType {
  return Object.hasOwn(EVENT_TYPES, type);
}

/** Applies one event to the state and returns the new state; the input is never mutated. */
export function evolve(state: LiapState, event: LiapEvent): LiapState {
  const n = copy(state);
  apply(state, event, n);
  n.seq = state.seq + 1;
  n.updatedAt = event.at;
  return n;
}

function apply(state: LiapState, e: LiapEvent, n: Mutable): void {
  switch (e.type) {
    case 'room_created':
      n.status = 'open';
      n.phase = 'waiting';
      n.host = 0;
      n.seats = [human(e.name, e.avatarColor), ...e.bots.map(bot)];
      return;
    case 'player_joined':
      n.seats = setAt(state.seats, e.seat, human(e.name, e.avatarColor));
      return;
    case 'player_left':
      if (!e.inGame) {
        n.seats = setAt(state.seats, e.seat, null);
        return;
      }
      n.seats = updateSeat(state, e.seat, { isBot: true, connected: false, left: true });
      return;
    case 'room_closed':
      n.status = 'closed';
      n.closedReason = e.reason;
      n.timers = [];
      return;
    case 'host_changed':
      n.host = e.to;
      return;
    case 'bot_added':
      n.seats = setAt(state.seats, e.seat, bot(e.name));
      return;
    case 'player_removed':
      n.seats = setAt(state.seats, e.seat, null);
      return;
    case 'game_started':
      n.status = 'in_game';
      n.phase = 'preparation';
      n.round = 1;
      n.startedAt = e.at;
      n.players = [freshPlayer(), freshPlayer(), freshPlayer(), freshPlayer()];
      n.seats = state.seats.map((s) => (s !== null && !s.connected ? { ...s, isBot: true } : s));
      n.multiplier = 1;
      n.currentStarter = null;
      n.starterReason = null;
      n.lastTurnWinner = null;
      n.turnsPlayed = 0;
      n.prep = null;
      n.declaration = null;
      n.turn = null;
      n.scoring = null;
      n.rankings = null;
      n.winners = [];
      return;
    case 'hands_dealt': {
      const newRound = e.round !== state.round;
      const prevPrep = newRound ? null : state.prep;
      const weak = e.weakSeats.length > 0;
      const players = state.players.slice();
      for (let i = 0; i < players.length; i++) {
        const p = players[i] as PlayerState;
        players[i] = playerOf(e.hands[i] ?? [], p.score, 0, 0, p.zeroDeclaresInARow, p.turnsWon, p.perfectRounds);
      }
      const d = state.config.delays;
      const timers: Timer[] = weak
        ? [
            timer(state, 'redealWarning', e.at, d.redealWarningMs),
            timer(state, 'redealTimeout', e.at, d.redealTimeoutMs),
          ]
        : [timer(state, 'dealingEnds', e.at, d.dealingMs + (e.afterRedeal ? d.redealPauseMs : 0))];
      n.phase = 'preparation';
      n.round = e.round;
      n.multiplier = e.multiplier;
      n.currentStarter = newRound ? state.lastTurnWinner : state.currentStarter;
      n.players = players;
      n.prep = {
        weakSeats: e.weakSeats,
        decisions: [null, null, null, null],
        lastDecided: null,
        timeoutWarning: false,
        redealRequester: prevPrep?.redealRequester ?? null,
        dealsThisRound: (prevPrep?.dealsThisRound ?? 0) + 1,
        dealing: !weak,
      };
      n.declaration = null;
      n.turn = null;
      n.scoring = null;
      n.timers = timers;
      return;
    }
    case 'redeal_decided': {
      const prep = state.prep;
      if (prep === null) {
        return;
      }
      n.prep = { ...prep, decisions: setAt(prep.decisions, e.seat, e.accept), lastDecided: e.seat };
      return;
    }
    case 'redeal_warning': {
      const prep = state.prep;
      n.prep = prep === null ? null : { ...prep, timeoutWarning: true };
      n.timers = state.timers.filter((t) => t.timer !== 'redealWarning');
      return;
    }
    case 'redeal_accepted': {
      const prep = state.prep;
      n.multiplier = e.multiplier;
      n.currentStarter = e.seat;
      n.starterReason = 'accepted_redeal';
      n.prep = prep === null ? null : { ...prep, redealRequester: e.seat };
      return;
    }
    case 'round_started':
      n.phase = 'round_start';
      n.currentStarter = e.starter;
      n.starterReason = e.reason;
      n.timers = [timer(state, 'roundStartEnds', e.at, state.config.delays.roundStartMs)];
      return;
    case 'declarations_opened':
      n.phase = 'declaration';
      n.prep = null;
      n.declaration = { order: e.order, index: 0, values: [null, null, null, null], total: 0 };
      n.timers = moveTimers(state, e.at, e.order[0]);
      return;
    case 'declared': {
      const decl = state.declaration;
      if (decl === null) {
        return;
      }
      const p = state.players[e.seat] as PlayerState;
      const index = decl.index + 1;
      n.declaration = {
        order: decl.order,
        index,
        values: setAt(decl.values, e.seat, e.value),
        total: decl.total + e.value,
      };
      n.players = setAt(
        state.players,
        e.seat,
        playerOf(p.hand, p.score, e.value, p.capturedPiles, e.value === 0 ? p.zeroDeclaresInARow + 1 : 0, p.turnsWon, p.perfectRounds),
      );
      n.timers = moveTimers(state, e.at, decl.order[index]);
      return;
    }
    case 'turn_started':
      n.phase = 'turn';
      n.turn = {
        number: e.turnNumber,
        starter: e.starter,
        order: e.order,
        required: null,
        plays: [],
        result: null,
      };
      n.timers = moveTimers(state, e.at, e.starter);
      return;
    case 'pieces_played': {
      const turn = state.turn;
      if (turn === null) {
        return;
      }
      const p = state.players[e.seat] as PlayerState;
      const hand = remaining(p.hand, e.indices);
      const plays = appended(turn.plays, { seat: e.seat, pieces: e.pieces, playType: e.playType, playValue: e.playValue, at: e.at });
      n.players = setAt(state.players, e.seat, playerOf(hand, p.score, p.declared, p.capturedPiles, p.zeroDeclaresInARow, p.turnsWon, p.perfectRounds));
      n.turn = turnState(turn, plays, turn.required ?? e.pieces.length, turn.result);
      n.timers =
        plays.length === 4
          ? [timer(state, 'turnRevealEnds', e.at, state.config.delays.turnRevealMs)]
          : moveTimers(state, e.at, turn.order[plays.length]);
      return;
    }
    case 'turn_completed': {
      const turn = state.turn;
      if (turn === null) {
        return;
      }
      const players = state.players.slice();
      for (let i = 0; i < players.length; i++) {
        const p = players[i] as PlayerState;
        players[i] = playerOf(
          p.hand,
          p.score,
          p.declared,
          e.capturedPiles[i] ?? p.capturedPiles,
          p.zeroDeclaresInARow,
          i === e.winner ? p.turnsWon + 1 : p.turnsWon,
          p.perfectRounds,
        );
      }
      n.players = players;
      n.turn = turnState(turn, turn.plays, turn.required, {
        winner: e.winner,
        pilesWon: e.pilesWon,
        nextStarter: e.nextStarter,
      });
      n.turnsPlayed = state.turnsPlayed + 1;
      n.lastTurnWinner = e.allHandsEmpty ? e.winner : state.lastTurnWinner;
      n.timers = e.allHandsEmpty
        ? noTimers(state)
        : [timer(state, 'nextTurnStarts', e.at, state.config.delays.nextTurnMs)];
      return;
    }
    case 'turn_results_shown':
      n.phase = 'turn_results';
      n.lastTurnWinner = e.lastTurnWinner;
      n.timers = [timer(state, 'turnResultsEnds', e.at, state.config.delays.turnResultsMs)];
      return;
    case 'round_scored': {
      const players = state.players.slice();
      for (let i = 0; i < players.length; i++) {
        const p = players[i] as PlayerState;
        const s = e.scores[i];
        if (s === undefined) continue;
        players[i] = playerOf(
          p.hand,
          s.totalScore,
          p.declared,
          p.capturedPiles,
          p.zeroDeclaresInARow,
          p.turnsWon,
          s.declared > 0 && s.actual === s.declared ? p.perfectRounds + 1 : p.perfectRounds,
        );
      }
      n.phase = 'scoring';
      n.players = players;
      n.scoring = {
        round: e.round,
        scores: e.scores,
        gameComplete: e.gameComplete,
        winners: e.winners,
        multiplier: e.multiplier,
      };
      n.winners = e.winners;
      n.timers = [timer(state, 'scoringEnds', e.at, state.config.delays.scoringMs)];
      return;
    }
    case 'game_ended':
      n.phase = 'game_over';
      n.status = 'over';
      n.rankings = e.rankings;
      n.winners = e.winners;
      n.endedAt = e.at;
      n.timers = [];
      return;
    case 'player_disconnected':
      n.seats = updateSeat(state, e.seat, {
        connected: false,
        isBot: state.status === 'in_game' || state.status === 'over',
      });
      return;
    case 'player_reconnected': {
      const s = state.seats[e.seat] as SeatInfo;
      n.seats = updateSeat(state, e.seat, { connected: true, isBot: s.originalIsBot });
      return;
    }
  }
}
