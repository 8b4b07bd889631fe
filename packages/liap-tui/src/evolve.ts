/** `evolve(state, event)`: pure, deterministic, copy-on-write (never clones the whole state). */
import { freshPlayer, scaled } from './config.js';
import type { LiapEvent, LiapState, PlayerState, Seat, SeatInfo, Timer, TimerName } from './types.js';

function timer(state: LiapState, name: TimerName, at: number, ms: number, seat?: Seat): Timer {
  const dueAt = at + scaled(state.config, ms);
  return seat === undefined ? { timer: name, dueAt } : { timer: name, dueAt, seat };
}

function moveTimers(state: LiapState, at: number, seat: Seat | undefined): readonly Timer[] {
  const t = state.config.turnTimeoutMs;
  if (t === null || seat === undefined) return [];
  return [timer(state, 'moveTimeout', at, t, seat)];
}

type Patch = { -readonly [K in keyof LiapState]?: LiapState[K] };

/** Builds the next state with one fixed property order (one hidden class: spreads of varying shapes are slow). */
function next(s: LiapState, p: Patch, seq: number, updatedAt: number): LiapState {
  return {
    config: s.config,
    status: p.status !== undefined ? p.status : s.status,
    seats: p.seats !== undefined ? p.seats : s.seats,
    host: p.host !== undefined ? p.host : s.host,
    phase: p.phase !== undefined ? p.phase : s.phase,
    round: p.round !== undefined ? p.round : s.round,
    players: p.players !== undefined ? p.players : s.players,
    multiplier: p.multiplier !== undefined ? p.multiplier : s.multiplier,
    currentStarter: p.currentStarter !== undefined ? p.currentStarter : s.currentStarter,
    starterReason: p.starterReason !== undefined ? p.starterReason : s.starterReason,
    lastTurnWinner: p.lastTurnWinner !== undefined ? p.lastTurnWinner : s.lastTurnWinner,
    turnsPlayed: p.turnsPlayed !== undefined ? p.turnsPlayed : s.turnsPlayed,
    prep: p.prep !== undefined ? p.prep : s.prep,
    declaration: p.declaration !== undefined ? p.declaration : s.declaration,
    turn: p.turn !== undefined ? p.turn : s.turn,
    scoring: p.scoring !== undefined ? p.scoring : s.scoring,
    rankings: p.rankings !== undefined ? p.rankings : s.rankings,
    winners: p.winners !== undefined ? p.winners : s.winners,
    timers: p.timers !== undefined ? p.timers : s.timers,
    startedAt: p.startedAt !== undefined ? p.startedAt : s.startedAt,
    endedAt: p.endedAt !== undefined ? p.endedAt : s.endedAt,
    seq,
    updatedAt,
    closedReason: p.closedReason !== undefined ? p.closedReason : s.closedReason,
  };
}

function player(p: PlayerState, patch: Partial<PlayerState>): PlayerState {
  return {
    hand: patch.hand !== undefined ? patch.hand : p.hand,
    score: patch.score !== undefined ? patch.score : p.score,
    declared: patch.declared !== undefined ? patch.declared : p.declared,
    capturedPiles: patch.capturedPiles !== undefined ? patch.capturedPiles : p.capturedPiles,
    zeroDeclaresInARow: patch.zeroDeclaresInARow !== undefined ? patch.zeroDeclaresInARow : p.zeroDeclaresInARow,
    turnsWon: patch.turnsWon !== undefined ? patch.turnsWon : p.turnsWon,
    perfectRounds: patch.perfectRounds !== undefined ? patch.perfectRounds : p.perfectRounds,
  };
}

function setAt<T>(list: readonly T[], index: number, value: T): T[] {
  const copy = list.slice();
  copy[index] = value;
  return copy;
}

function updatePlayer(state: LiapState, seat: Seat, patch: Partial<PlayerState>): readonly PlayerState[] {
  return setAt(state.players, seat, player(state.players[seat] as PlayerState, patch));
}

function updateSeat(state: LiapState, seat: Seat, patch: Partial<SeatInfo>): readonly (SeatInfo | null)[] {
  return setAt(state.seats, seat, { ...(state.seats[seat] as SeatInfo), ...patch });
}

function human(name: string, avatarColor: string): SeatInfo {
  return { name, isBot: false, originalIsBot: false, connected: true, left: false, avatarColor };
}

function bot(name: string): SeatInfo {
  return { name, isBot: true, originalIsBot: true, connected: true, left: false, avatarColor: null };
}

/** Applies one event to the state and returns the new state; the input is never mutated. */
export function evolve(state: LiapState, event: LiapEvent): LiapState {
  return next(state, apply(state, event), state.seq + 1, event.at);
}

function apply(state: LiapState, e: LiapEvent): Patch {
  switch (e.type) {
    case 'room_created':
      return {
        status: 'open',
        phase: 'waiting',
        host: 0,
        seats: [human(e.name, e.avatarColor), ...e.bots.map(bot)],
      };
    case 'player_joined':
      return { seats: setAt(state.seats, e.seat, human(e.name, e.avatarColor)) };
    case 'player_left':
      if (!e.inGame) return { seats: setAt(state.seats, e.seat, null) };
      return { seats: updateSeat(state, e.seat, { isBot: true, connected: false, left: true }) };
    case 'room_closed':
      return { status: 'closed', closedReason: e.reason, timers: [] };
    case 'host_changed':
      return { host: e.to };
    case 'bot_added':
      return { seats: setAt(state.seats, e.seat, bot(e.name)) };
    case 'player_removed':
      return { seats: setAt(state.seats, e.seat, null) };
    case 'game_started':
      return {
        status: 'in_game',
        phase: 'preparation',
        round: 1,
        startedAt: e.at,
        players: [freshPlayer(), freshPlayer(), freshPlayer(), freshPlayer()],
        seats: state.seats.map((s) => (s !== null && !s.connected ? { ...s, isBot: true } : s)),
        multiplier: 1,
        currentStarter: null,
        starterReason: null,
        lastTurnWinner: null,
        turnsPlayed: 0,
        prep: null,
        declaration: null,
        turn: null,
        scoring: null,
        rankings: null,
        winners: [],
      };
    case 'hands_dealt': {
      const newRound = e.round !== state.round;
      const prevPrep = newRound ? null : state.prep;
      const weak = e.weakSeats.length > 0;
      const players = state.players.map((p, i) => player(p, { hand: e.hands[i] ?? [], declared: 0, capturedPiles: 0 }));
      const d = state.config.delays;
      const timers: Timer[] = weak
        ? [timer(state, 'redealWarning', e.at, d.redealWarningMs), timer(state, 'redealTimeout', e.at, d.redealTimeoutMs)]
        : [timer(state, 'dealingEnds', e.at, d.dealingMs + (e.afterRedeal ? d.redealPauseMs : 0))];
      return {
        phase: 'preparation',
        round: e.round,
        multiplier: e.multiplier,
        currentStarter: newRound ? state.lastTurnWinner : state.currentStarter,
        players,
        prep: {
          weakSeats: e.weakSeats,
          decisions: [null, null, null, null],
          lastDecided: null,
          timeoutWarning: false,
          redealRequester: prevPrep?.redealRequester ?? null,
          dealsThisRound: (prevPrep?.dealsThisRound ?? 0) + 1,
          dealing: !weak,
        },
        declaration: null,
        turn: null,
        scoring: null,
        timers,
      };
    }
    case 'redeal_decided': {
      const prep = state.prep;
      if (prep === null) return {};
      return { prep: { ...prep, decisions: setAt(prep.decisions, e.seat, e.accept), lastDecided: e.seat } };
    }
    case 'redeal_warning': {
      const prep = state.prep;
      return {
        prep: prep === null ? null : { ...prep, timeoutWarning: true },
        timers: state.timers.filter((t) => t.timer !== 'redealWarning'),
      };
    }
    case 'redeal_accepted': {
      const prep = state.prep;
      return {
        multiplier: e.multiplier,
        currentStarter: e.seat,
        starterReason: 'accepted_redeal',
        prep: prep === null ? null : { ...prep, redealRequester: e.seat },
      };
    }
    case 'round_started':
      return {
        phase: 'round_start',
        currentStarter: e.starter,
        starterReason: e.reason,
        timers: [timer(state, 'roundStartEnds', e.at, state.config.delays.roundStartMs)],
      };
    case 'declarations_opened':
      return {
        phase: 'declaration',
        prep: null,
        declaration: { order: e.order, index: 0, values: [null, null, null, null], total: 0 },
        timers: moveTimers(state, e.at, e.order[0]),
      };
    case 'declared': {
      const decl = state.declaration;
      if (decl === null) return {};
      const p = state.players[e.seat] as PlayerState;
      const index = decl.index + 1;
      return {
        declaration: { ...decl, index, values: setAt(decl.values, e.seat, e.value), total: decl.total + e.value },
        players: updatePlayer(state, e.seat, {
          declared: e.value,
          zeroDeclaresInARow: e.value === 0 ? p.zeroDeclaresInARow + 1 : 0,
        }),
        timers: moveTimers(state, e.at, decl.order[index]),
      };
    }
    case 'turn_started':
      return {
        phase: 'turn',
        turn: { number: e.turnNumber, starter: e.starter, order: e.order, required: null, plays: [], result: null },
        timers: moveTimers(state, e.at, e.starter),
      };
    case 'pieces_played': {
      const turn = state.turn;
      if (turn === null) return {};
      const p = state.players[e.seat] as PlayerState;
      const hand = p.hand.filter((_, i) => !e.indices.includes(i));
      const plays = [...turn.plays, { seat: e.seat, pieces: e.pieces, playType: e.playType, playValue: e.playValue, at: e.at }];
      return {
        players: updatePlayer(state, e.seat, { hand }),
        turn: { ...turn, plays, required: turn.required ?? e.pieces.length },
        timers:
          plays.length === 4
            ? [timer(state, 'turnRevealEnds', e.at, state.config.delays.turnRevealMs)]
            : moveTimers(state, e.at, turn.order[plays.length]),
      };
    }
    case 'turn_completed': {
      const turn = state.turn;
      if (turn === null) return {};
      const players = state.players.map((p, i) =>
        player(p, { capturedPiles: e.capturedPiles[i] ?? p.capturedPiles, turnsWon: i === e.winner ? p.turnsWon + 1 : p.turnsWon }),
      );
      return {
        players,
        turn: { ...turn, result: { winner: e.winner, pilesWon: e.pilesWon, nextStarter: e.nextStarter } },
        turnsPlayed: state.turnsPlayed + 1,
        lastTurnWinner: e.allHandsEmpty ? e.winner : state.lastTurnWinner,
        timers: e.allHandsEmpty ? [] : [timer(state, 'nextTurnStarts', e.at, state.config.delays.nextTurnMs)],
      };
    }
    case 'turn_results_shown':
      return {
        phase: 'turn_results',
        lastTurnWinner: e.lastTurnWinner,
        timers: [timer(state, 'turnResultsEnds', e.at, state.config.delays.turnResultsMs)],
      };
    case 'round_scored': {
      const players = state.players.map((p, i) => {
        const s = e.scores[i];
        if (s === undefined) return p;
        return player(p, { score: s.totalScore, perfectRounds: s.declared > 0 && s.actual === s.declared ? p.perfectRounds + 1 : p.perfectRounds });
      });
      return {
        phase: 'scoring',
        players,
        scoring: { round: e.round, scores: e.scores, gameComplete: e.gameComplete, winners: e.winners, multiplier: e.multiplier },
        winners: e.winners,
        timers: [timer(state, 'scoringEnds', e.at, state.config.delays.scoringMs)],
      };
    }
    case 'game_ended':
      return {
        phase: 'game_over',
        status: 'over',
        rankings: e.rankings,
        winners: e.winners,
        endedAt: e.at,
        timers: [],
      };
    case 'player_disconnected':
      return { seats: updateSeat(state, e.seat, { connected: false, isBot: state.status === 'in_game' || state.status === 'over' }) };
    case 'player_reconnected': {
      const s = state.seats[e.seat] as SeatInfo;
      return { seats: updateSeat(state, e.seat, { connected: true, isBot: s.originalIsBot }) };
    }
  }
}
