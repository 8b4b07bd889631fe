/** Per-recipient views: the frontend's `phase_change` data, `turn_complete` data and room summaries. */
import { scaled } from './config.js';
import { pieceLabel, wirePiece, type WirePiece } from './pieces.js';
import type { LiapEvent, LiapState, Seat, Timer } from './types.js';

/** `allowed_actions` per phase (§8.5; informational for the frontend). */
const ALLOWED_ACTIONS: Record<LiapState['phase'], readonly string[]> = {
  waiting: ['phase_transition', 'player_disconnect', 'player_reconnect'],
  preparation: ['redeal_request', 'redeal_response', 'player_disconnect', 'player_reconnect'],
  round_start: ['player_disconnect', 'player_reconnect'],
  declaration: ['declare', 'player_disconnect', 'player_reconnect', 'timeout'],
  turn: ['play_pieces', 'player_disconnect', 'player_reconnect', 'timeout'],
  turn_results: ['player_disconnect', 'player_reconnect'],
  scoring: ['game_state_update', 'player_disconnect', 'player_reconnect', 'timeout'],
  game_over: ['player_disconnect', 'player_reconnect', 'timeout'],
};

/** One entry of `phase_change.players` (protocol §3.4.1). */
export interface PlayerView {
  readonly name: string;
  readonly is_bot: boolean;
  readonly is_host: boolean;
  readonly avatar_color: string | null;
  readonly hand: readonly WirePiece[];
  readonly hand_size: number;
  readonly zero_declares_in_a_row: number;
  readonly declared: number;
  readonly captured_piles: number;
  readonly score: number;
}

/** The `data` object of a `phase_change` frame for one recipient. */
export interface PhaseChangeData {
  readonly phase: LiapState['phase'];
  readonly round: number;
  readonly allowed_actions: readonly string[];
  readonly phase_data: Readonly<Record<string, unknown>>;
  readonly players: Readonly<Record<string, PlayerView>>;
  readonly reason: string;
  readonly sequence: number;
  /** Epoch seconds of the last applied event. */
  readonly timestamp: number;
}

function name(state: LiapState, seat: Seat | null | undefined): string | null {
  if (seat === null || seat === undefined) return null;
  return state.seats[seat]?.name ?? null;
}

function names(state: LiapState, seats: readonly Seat[]): string[] {
  return seats.map((s) => name(state, s) ?? '');
}

function byName<T>(state: LiapState, f: (seat: Seat) => T): Record<string, T> {
  const out: Record<string, T> = {};
  state.seats.forEach((s, i) => {
    if (s !== null) out[s.name] = f(i);
  });
  return out;
}

/** A configured delay as the players see it: scaled by the room's timeScale, in seconds. */
function delaySeconds(state: LiapState, ms: number): number {
  return scaled(state.config, ms) / 1000;
}

function preparationData(state: LiapState): Record<string, unknown> {
  const prep = state.prep;
  const data: Record<string, unknown> = { dealing_cards: prep?.dealing ?? true, redeal_multiplier: state.multiplier };
  if (prep === null) return data;
  const weak = names(state, prep.weakSeats);
  data['weak_players'] = weak;
  data['weak_hands'] = weak;
  if (prep.weakSeats.length === 0) return data;
  const awaiting = prep.weakSeats.filter((s) => prep.decisions[s] === null);
  const received = prep.weakSeats.length - awaiting.length;
  const decisions: Record<string, boolean> = {};
  for (const s of prep.weakSeats) {
    const d = prep.decisions[s];
    if (d !== null && d !== undefined) decisions[name(state, s) ?? ''] = d;
  }
  Object.assign(data, {
    weak_players_awaiting: names(state, awaiting),
    decisions_received: received,
    decisions_needed: prep.weakSeats.length,
    simultaneous_mode: true,
    decision_timeout: delaySeconds(state, state.config.delays.redealTimeoutMs),
    redeal_decisions: decisions,
    all_decided: awaiting.length === 0,
  });
  if (prep.lastDecided !== null) {
    data['player_decided'] = name(state, prep.lastDecided);
    data['decision'] = prep.decisions[prep.lastDecided] === true ? 'accept' : 'decline';
  }
  if (prep.timeoutWarning) {
    data['timeout_warning'] = true;
    data['seconds_remaining'] = delaySeconds(state, state.config.delays.redealTimeoutMs - state.config.delays.redealWarningMs);
  }
  return data;
}

function turnData(state: LiapState): Record<string, unknown> {
  const t = state.turn;
  if (t === null) return {};
  const complete = t.plays.length >= 4;
  const plays: Record<string, unknown> = {};
  for (const p of t.plays) {
    plays[name(state, p.seat) ?? ''] = {
      pieces: p.pieces.map(pieceLabel),
      piece_count: p.pieces.length,
      play_type: p.playType,
      play_value: p.playValue,
      is_valid: true,
      timestamp: p.at / 1000,
    };
  }
  const data: Record<string, unknown> = {
    current_turn_starter: name(state, t.starter),
    current_player: name(state, t.order[complete ? 3 : t.plays.length]),
    turn_order: names(state, t.order),
    required_piece_count: t.required,
    turn_plays: plays,
    turn_complete: complete,
    current_turn_number: t.number,
    pile_counts: byName(state, (s) => state.players[s]?.capturedPiles ?? 0),
  };
  if (t.result !== null) {
    data['winner'] = name(state, t.result.winner);
    data['piles_won'] = t.result.pilesWon;
    data['next_turn_starter'] = name(state, t.result.nextStarter);
  }
  return data;
}

function playerStats(state: LiapState): Record<string, unknown> {
  return byName(state, (s) => ({ turns_won: state.players[s]?.turnsWon ?? 0, perfect_rounds: state.players[s]?.perfectRounds ?? 0 }));
}

function phaseData(state: LiapState): Record<string, unknown> {
  switch (state.phase) {
    case 'waiting': {
      const connected = state.seats.filter((s) => s !== null && s.connected);
      return {
        connected_players: connected.length,
        required_players: 4,
        room_ready: state.seats.every((s) => s !== null),
        connected_player_names: connected.map((s) => s?.name ?? ''),
      };
    }
    case 'preparation':
      return preparationData(state);
    case 'round_start':
      return {
        round_number: state.round,
        current_starter: name(state, state.currentStarter),
        starter_reason: state.starterReason ?? 'default',
        display_duration: delaySeconds(state, state.config.delays.roundStartMs),
      };
    case 'declaration': {
      const d = state.declaration;
      if (d === null) return {};
      const declarations: Record<string, number> = {};
      for (const s of d.order) {
        const v = d.values[s];
        if (v !== null && v !== undefined) declarations[name(state, s) ?? ''] = v;
      }
      return {
        declaration_order: names(state, d.order),
        current_declarer_index: d.index,
        declarations,
        declaration_total: d.total,
        current_declarer: name(state, d.order[d.index]),
      };
    }
    case 'turn':
      return turnData(state);
    case 'turn_results': {
      const t = state.turn;
      const winner = t?.result?.winner;
      const winning = t?.plays.find((p) => p.seat === winner);
      return {
        turn_winner: name(state, state.lastTurnWinner),
        winning_play:
          winning === undefined
            ? null
            : { pieces: winning.pieces.map(pieceLabel), value: winning.playValue, type: winning.playType, pilesWon: t?.result?.pilesWon ?? 0 },
        turn_plays: {},
        display_duration: delaySeconds(state, state.config.delays.turnResultsMs),
        next_phase: 'scoring',
        auto_transition: true,
        player_stats: playerStats(state),
        pile_counts: byName(state, (s) => state.players[s]?.capturedPiles ?? 0),
      };
    }
    case 'scoring': {
      const sc = state.scoring;
      if (sc === null) return {};
      return {
        round_scores: byName(state, (s) => {
          const r = sc.scores[s];
          return r === undefined
            ? null
            : {
                declared: r.declared,
                actual: r.actual,
                base_score: r.baseScore,
                bonus: r.bonus,
                hit_value: r.hitValue,
                multiplier: r.multiplier,
                final_score: r.finalScore,
                total_score: r.totalScore,
              };
        }),
        total_scores: byName(state, (s) => state.players[s]?.score ?? 0),
        scoring_players_data: state.seats.map((seat, i) => ({
          name: seat?.name ?? '',
          is_bot: seat?.isBot ?? false,
          pile_count: state.players[i]?.declared ?? 0,
          captured_piles: state.players[i]?.capturedPiles ?? 0,
        })),
        player_stats: playerStats(state),
        game_complete: sc.gameComplete,
        winners: names(state, sc.winners),
        scores_calculated: true,
        redeal_multiplier: sc.multiplier,
      };
    }
    case 'game_over': {
      const start = state.startedAt ?? 0;
      const end = state.endedAt ?? start;
      return {
        final_rankings: (state.rankings ?? []).map((r) => ({
          name: r.name,
          score: r.score,
          rank: r.rank,
          turns_won: r.turnsWon,
          perfect_rounds: r.perfectRounds,
        })),
        game_stats: {
          total_rounds: state.round,
          game_duration: `${Math.floor((end - start) / 60000)} min`,
          start_time: start / 1000,
          end_time: end / 1000,
        },
        winners: names(state, state.winners),
      };
    }
  }
}

const REASONS: Record<LiapState['phase'], string> = {
  waiting: 'Waiting for players',
  preparation: 'Dealing and redeal decisions',
  round_start: 'Round starting',
  declaration: 'Players declare their target piles',
  turn: 'Turn in progress',
  turn_results: 'Round turns finished',
  scoring: 'Round scored',
  game_over: 'Game over',
};

/**
 * The `data` of the `phase_change` frame for `seat`: its own hand in full, every other hand as `[]` with
 * the right `hand_size` (decision 10). Pass `null` for a spectator view with no hand at all.
 */
export function viewFor(state: LiapState, seat: Seat | null): PhaseChangeData {
  const players: Record<string, PlayerView> = {};
  state.seats.forEach((s, i) => {
    if (s === null) return;
    const p = state.players[i];
    const hand = p?.hand ?? [];
    players[s.name] = {
      name: s.name,
      is_bot: s.isBot,
      is_host: state.host === i,
      avatar_color: s.avatarColor,
      hand: i === seat ? hand.map(wirePiece) : [],
      hand_size: hand.length,
      zero_declares_in_a_row: p?.zeroDeclaresInARow ?? 0,
      declared: p?.declared ?? 0,
      captured_piles: p?.capturedPiles ?? 0,
      score: p?.score ?? 0,
    };
  });
  return {
    phase: state.phase,
    round: state.round,
    allowed_actions: ALLOWED_ACTIONS[state.phase],
    phase_data: phaseData(state),
    players,
    reason: REASONS[state.phase],
    sequence: state.seq,
    timestamp: state.updatedAt / 1000,
  };
}

/** The `data` of the `turn_complete` frame (§8.8) for a `turn_completed` event. */
export function turnCompleteData(event: Extract<LiapEvent, { type: 'turn_completed' }>): Record<string, unknown> {
  const win = event.plays.find((p) => p.seat === event.winner);
  const winningPlay =
    win === undefined ? null : { pieces: win.pieces.map(pieceLabel), value: win.playValue, type: win.playType, pilesWon: event.pilesWon };
  const playerPiles: Record<string, number> = {};
  event.names.forEach((n, i) => (playerPiles[n] = i === event.winner ? event.pilesWon : 0));
  return {
    winner: event.winnerName,
    winning_play: winningPlay,
    turn_resolution: {
      all_plays: event.plays.map((p) => ({ player: p.name, pieces: p.pieces.map(pieceLabel), is_valid: true, play_type: p.playType, play_value: p.playValue })),
      winner: event.winnerName,
      winner_play: winningPlay,
    },
    player_piles: playerPiles,
    turn_players_data: event.names.map((n, i) => ({ name: n, captured_piles: event.capturedPiles[i] ?? 0, declared: event.declared[i] ?? 0 })),
    turn_number: event.turnNumber,
    next_starter: event.nextStarterName,
    all_hands_empty: event.allHandsEmpty,
    will_continue: !event.allHandsEmpty,
    phase: 'turn',
    timestamp: event.at / 1000,
    reason: 'Turn completed',
  };
}

/** One seat of a room summary. */
export interface SeatSummary {
  readonly seat: Seat;
  readonly name: string;
  readonly is_bot: boolean;
  readonly is_host: boolean;
  readonly connected: boolean;
  readonly avatar_color: string | null;
}

/** Room summary for lobby lists and `room_update` frames. */
export interface RoomSummary {
  /** Exactly 4 entries in seat order, null for empty seats. */
  readonly seats: readonly (SeatSummary | null)[];
  readonly host_name: string | null;
  readonly started: boolean;
  readonly status: LiapState['status'];
  readonly phase: LiapState['phase'];
  readonly occupied: number;
  /** Humans currently seated (a joinable room has fewer than 4, decision 9). */
  readonly humans: number;
}

/** A summary of the room (seats, host, started flag) for lobby/room frames. */
export function roomSummary(state: LiapState): RoomSummary {
  const seats = state.seats.map((s, i) =>
    s === null
      ? null
      : { seat: i, name: s.name, is_bot: s.isBot, is_host: state.host === i, connected: s.connected, avatar_color: s.avatarColor },
  );
  return {
    seats,
    host_name: state.host === null ? null : (state.seats[state.host]?.name ?? null),
    started: state.status === 'in_game' || state.status === 'over',
    status: state.status,
    phase: state.phase,
    occupied: seats.filter((s) => s !== null).length,
    humans: state.seats.filter((s) => s !== null && !s.originalIsBot).length,
  };
}

/** The earliest pending deadline, or null when nothing is scheduled. */
export function nextDeadline(state: LiapState): Timer | null {
  let best: Timer | null = null;
  for (const t of state.timers) if (best === null || t.dueAt < best.dueAt) best = t;
  return best;
}
