/** Plain-JSON data types of the Liap Tui decider: config, state, commands, events, timers. */
import type { PieceKind } from './pieces.js';
import type { PlayType, ScoreBreakdown } from './rules.js';
import type { Rng } from './rng.js';

/** Seat index 0..3; the seat order is the play order. */
export type Seat = number;

/** Phases of §8.1 (wire values). `waiting` is the pre-game room. */
export type Phase =
  | 'waiting'
  | 'preparation'
  | 'round_start'
  | 'declaration'
  | 'turn'
  | 'turn_results'
  | 'scoring'
  | 'game_over';

/** Delays in milliseconds (before `timeScale`); defaults are the original's (§3.4, §8.3, §8.9). */
export interface LiapDelays {
  /** Dealing animation pause when nobody is weak (§3.5). Default 2000. */
  readonly dealingMs: number;
  /** Extra pause after an accepted redeal without new weak hands (§3.3). Default 4000. */
  readonly redealPauseMs: number;
  /** ROUND_START display time (§8.3). Default 5000. */
  readonly roundStartMs: number;
  /** Pause between the last play of a turn and its result (§6.5). Default 5000. */
  readonly turnRevealMs: number;
  /** Pause between a turn result and the next turn (§6.5). Default 7000. */
  readonly nextTurnMs: number;
  /** TURN_RESULTS display time (§8.3). Default 7000. */
  readonly turnResultsMs: number;
  /** SCORING display time (§7.3). Default 7000. */
  readonly scoringMs: number;
  /** Redeal decision timeout: undecided weak players decline (§3.4). Default 30000. */
  readonly redealTimeoutMs: number;
  /** Redeal timeout warning (§3.4). Default 20000. */
  readonly redealWarningMs: number;
  /** Bot think time the host waits before sending a bot command (§9.1). Default 1000. */
  readonly botThinkMs: number;
}

/** How hands are dealt: uniform random (production), or the test mode forcing weak hands (decision 2). */
export type DealingMode =
  | { readonly mode: 'random' }
  | {
      readonly mode: 'forced_weak';
      /** Seats that get 8 weak pieces. Default [0]. */
      readonly weakSeats: readonly Seat[];
      /** Deals per round that force weak hands; later deals give everyone a strong piece. Default 2. */
      readonly maxForcedDeals: number;
    };

/** Room and game configuration (resolved: every field present). */
export interface LiapConfig {
  readonly delays: LiapDelays;
  /** Multiplies every delay; 0 = no delays (tests, simulations). Default 1. */
  readonly timeScale: number;
  /** Optional per-move timeout (declaration and turn); on expiry the legacy bot moves for the seat. */
  readonly turnTimeoutMs: number | null;
  readonly dealing: DealingMode;
}

/** Partial configuration accepted by `initialState`. */
export interface LiapConfigInput {
  readonly delays?: Partial<LiapDelays>;
  readonly timeScale?: number;
  readonly turnTimeoutMs?: number | null;
  readonly dealing?:
    | { readonly mode: 'random' }
    | { readonly mode: 'forced_weak'; readonly weakSeats?: readonly Seat[]; readonly maxForcedDeals?: number };
}

/** Names of the deadlines the state can hold. */
export type TimerName =
  | 'dealingEnds'
  | 'redealWarning'
  | 'redealTimeout'
  | 'roundStartEnds'
  | 'turnRevealEnds'
  | 'nextTurnStarts'
  | 'turnResultsEnds'
  | 'scoringEnds'
  | 'moveTimeout';

/** A pending deadline; the host arms a real timer and sends `timer_fired {timer, dueAt}` when it is due. */
export interface Timer {
  readonly timer: TimerName;
  readonly dueAt: number;
  /** For `moveTimeout`: the seat being waited on. */
  readonly seat?: Seat;
}

/** Who sits in a seat. */
export interface SeatInfo {
  readonly name: string;
  /** True for bots and for humans whose seat a bot currently plays (disconnected or left). */
  readonly isBot: boolean;
  /** True for a seat created as a bot. */
  readonly originalIsBot: boolean;
  readonly connected: boolean;
  /** Set when a human left a running game: a bot plays the seat for good. */
  readonly left: boolean;
  readonly avatarColor: string | null;
}

/** Per-seat game data. */
export interface PlayerState {
  /** Pieces in server order (the order `play` indices refer to). */
  readonly hand: readonly PieceKind[];
  readonly score: number;
  /** This round's declaration (0 before declaring, see `DeclarationState.values`). */
  readonly declared: number;
  readonly capturedPiles: number;
  readonly zeroDeclaresInARow: number;
  readonly turnsWon: number;
  readonly perfectRounds: number;
}

/** PREPARATION sub-state (§3). */
export interface PreparationState {
  readonly weakSeats: readonly Seat[];
  /** Per seat: null = not asked or not decided, else the decision. */
  readonly decisions: readonly (boolean | null)[];
  /** Seat of the last decision, for `player_decided`. */
  readonly lastDecided: Seat | null;
  readonly timeoutWarning: boolean;
  /** Accepter of an earlier cycle in this phase (`redeal_requester`). */
  readonly redealRequester: Seat | null;
  /** Deals made in this round (1 = first deal). */
  readonly dealsThisRound: number;
  /** True between the deal and the end of the dealing pause (frontend animation). */
  readonly dealing: boolean;
}

/** One play in the current turn. */
export interface TurnPlay {
  readonly seat: Seat;
  readonly pieces: readonly PieceKind[];
  readonly playType: PlayType;
  readonly playValue: number;
  readonly at: number;
}

/** TURN sub-state (§6). */
export interface TurnState {
  readonly number: number;
  readonly starter: Seat;
  readonly order: readonly Seat[];
  readonly required: number | null;
  readonly plays: readonly TurnPlay[];
  /** Set once resolved (after the reveal pause). */
  readonly result: { readonly winner: Seat; readonly pilesWon: number; readonly nextStarter: Seat } | null;
}

/** DECLARATION sub-state (§5). */
export interface DeclarationState {
  readonly order: readonly Seat[];
  readonly index: number;
  /** Per seat: declared value or null if not yet declared. */
  readonly values: readonly (number | null)[];
  readonly total: number;
}

/** Per-seat result of a scored round. */
export interface RoundScore extends ScoreBreakdown {
  readonly totalScore: number;
}

/** Result of SCORING (§7). */
export interface ScoringState {
  readonly round: number;
  readonly scores: readonly RoundScore[];
  readonly gameComplete: boolean;
  readonly winners: readonly Seat[];
  readonly multiplier: number;
}

/** Final ranking entry (§7.5). */
export interface Ranking {
  readonly seat: Seat;
  readonly name: string;
  readonly score: number;
  readonly rank: number;
  readonly turnsWon: number;
  readonly perfectRounds: number;
}

/** The whole room: plain JSON, replaceable by replaying its events through `evolve`. */
export interface LiapState {
  readonly config: LiapConfig;
  /** `empty` before create_room; `open` pre-game; `in_game`; `over` after GAME_OVER; `closed`. */
  readonly status: 'empty' | 'open' | 'in_game' | 'over' | 'closed';
  readonly seats: readonly (SeatInfo | null)[];
  readonly host: Seat | null;
  readonly phase: Phase;
  readonly round: number;
  readonly players: readonly PlayerState[];
  readonly multiplier: number;
  /** `current_player` of the engine between rounds / redeals: the carried-over starter. */
  readonly currentStarter: Seat | null;
  readonly starterReason: string | null;
  readonly lastTurnWinner: Seat | null;
  readonly turnsPlayed: number;
  readonly prep: PreparationState | null;
  readonly declaration: DeclarationState | null;
  readonly turn: TurnState | null;
  readonly scoring: ScoringState | null;
  readonly rankings: readonly Ranking[] | null;
  readonly winners: readonly Seat[];
  readonly timers: readonly Timer[];
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  /** Number of events applied (a per-room sequence). */
  readonly seq: number;
  /** `at` of the last event applied. */
  readonly updatedAt: number;
  readonly closedReason: string | null;
}

/** Context of one `decide` call: the current time and the randomness source. */
export interface DecideContext {
  readonly now: number;
  readonly rng: Rng;
}

interface CommandBase {
  /** Unique id of the command (idempotency upstream). */
  readonly id: string;
}

/** Every command the room accepts. `seat` names the acting seat (bound by the host, never by name). */
export type LiapCommand =
  | (CommandBase & { readonly type: 'create_room'; readonly name: string })
  | (CommandBase & { readonly type: 'join_room'; readonly name: string })
  | (CommandBase & { readonly type: 'leave_room'; readonly seat: Seat })
  | (CommandBase & { readonly type: 'add_bot'; readonly seat: Seat; readonly slot: Seat })
  | (CommandBase & { readonly type: 'remove_player'; readonly seat: Seat; readonly slot: Seat })
  | (CommandBase & { readonly type: 'start_game'; readonly seat: Seat })
  | (CommandBase & { readonly type: 'accept_redeal'; readonly seat: Seat })
  | (CommandBase & { readonly type: 'decline_redeal'; readonly seat: Seat })
  | (CommandBase & { readonly type: 'declare'; readonly seat: Seat; readonly value: number })
  | (CommandBase & { readonly type: 'play'; readonly seat: Seat; readonly indices: readonly number[] })
  | (CommandBase & { readonly type: 'player_disconnected'; readonly seat: Seat })
  | (CommandBase & { readonly type: 'player_reconnected'; readonly seat: Seat })
  | (CommandBase & { readonly type: 'timer_fired'; readonly timer: TimerName; readonly dueAt: number });

/** The `type` strings of all commands. */
export type LiapCommandType = LiapCommand['type'];

interface EventBase {
  /** `ctx.now` of the decision that produced the event. */
  readonly at: number;
}

/** A play as recorded in `turn_completed`. */
export interface CompletedPlay {
  readonly seat: Seat;
  readonly name: string;
  readonly pieces: readonly PieceKind[];
  readonly playType: PlayType;
  readonly playValue: number;
}

/** Every event; self-describing (names included) so a host can map them to frames without rules. */
export type LiapEvent =
  | (EventBase & { readonly type: 'room_created'; readonly name: string; readonly avatarColor: string; readonly bots: readonly string[] })
  | (EventBase & { readonly type: 'player_joined'; readonly seat: Seat; readonly name: string; readonly avatarColor: string; readonly replacedBot: string | null })
  | (EventBase & { readonly type: 'player_left'; readonly seat: Seat; readonly name: string; readonly inGame: boolean })
  | (EventBase & { readonly type: 'room_closed'; readonly reason: 'host_left' })
  | (EventBase & { readonly type: 'host_changed'; readonly from: Seat; readonly to: Seat; readonly oldHost: string; readonly newHost: string })
  | (EventBase & { readonly type: 'bot_added'; readonly seat: Seat; readonly name: string; readonly replaced: string | null })
  | (EventBase & { readonly type: 'player_removed'; readonly seat: Seat; readonly name: string; readonly wasBot: boolean; readonly removedBy: string })
  | (EventBase & { readonly type: 'game_started'; readonly players: readonly string[] })
  | (EventBase & {
      readonly type: 'hands_dealt';
      readonly round: number;
      readonly multiplier: number;
      readonly hands: readonly (readonly PieceKind[])[];
      readonly weakSeats: readonly Seat[];
      readonly afterRedeal: boolean;
    })
  | (EventBase & { readonly type: 'redeal_decided'; readonly seat: Seat; readonly name: string; readonly accept: boolean; readonly auto: boolean })
  | (EventBase & { readonly type: 'redeal_warning'; readonly secondsRemaining: number })
  | (EventBase & { readonly type: 'redeal_accepted'; readonly seat: Seat; readonly name: string; readonly multiplier: number })
  | (EventBase & { readonly type: 'round_started'; readonly round: number; readonly starter: Seat; readonly starterName: string; readonly reason: string })
  | (EventBase & { readonly type: 'declarations_opened'; readonly order: readonly Seat[] })
  | (EventBase & { readonly type: 'declared'; readonly seat: Seat; readonly name: string; readonly value: number; readonly auto: boolean })
  | (EventBase & { readonly type: 'turn_started'; readonly turnNumber: number; readonly starter: Seat; readonly order: readonly Seat[] })
  | (EventBase & {
      readonly type: 'pieces_played';
      readonly seat: Seat;
      readonly name: string;
      readonly indices: readonly number[];
      readonly pieces: readonly PieceKind[];
      readonly playType: PlayType;
      readonly playValue: number;
      readonly auto: boolean;
    })
  | (EventBase & {
      readonly type: 'turn_completed';
      readonly turnNumber: number;
      readonly winner: Seat;
      readonly winnerName: string;
      readonly pilesWon: number;
      readonly plays: readonly CompletedPlay[];
      readonly nextStarter: Seat;
      readonly nextStarterName: string;
      readonly allHandsEmpty: boolean;
      /** Per seat, after this turn. */
      readonly capturedPiles: readonly number[];
      readonly declared: readonly number[];
      readonly names: readonly string[];
    })
  | (EventBase & { readonly type: 'turn_results_shown'; readonly lastTurnWinner: Seat })
  | (EventBase & {
      readonly type: 'round_scored';
      readonly round: number;
      readonly multiplier: number;
      readonly scores: readonly RoundScore[];
      readonly gameComplete: boolean;
      readonly winners: readonly Seat[];
    })
  | (EventBase & { readonly type: 'game_ended'; readonly winners: readonly Seat[]; readonly winnerNames: readonly string[]; readonly rankings: readonly Ranking[]; readonly totalRounds: number })
  | (EventBase & { readonly type: 'player_disconnected'; readonly seat: Seat; readonly name: string })
  | (EventBase & { readonly type: 'player_reconnected'; readonly seat: Seat; readonly name: string });

/** The `type` strings of all events. */
export type LiapEventType = LiapEvent['type'];
