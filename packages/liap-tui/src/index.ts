/** @game/liap-tui: Liap Tui's rules and room/game state machine as a pure decider, with bots. */
export {
  PIECE_TABLE,
  createDeck,
  pointsOf,
  nameOf,
  colorOf,
  isPieceKind,
  pieceLabel,
  wirePiece,
  type PieceKind,
  type PieceName,
  type PieceColor,
  type WirePiece,
} from './pieces.js';
export {
  playType,
  totalPoints,
  coreSum,
  playStrength,
  comparePlays,
  turnWinnerIndex,
  winningPlayIndex,
  isWeakHand,
  scoreRound,
  gameWinners,
  validDeclarations,
  rotationFrom,
  WINNING_SCORE,
  type PlayType,
  type TypedPlay,
  type ScoreBreakdown,
} from './rules.js';
export { DomainError, isDomainError, type DomainErrorCode } from './errors.js';
export { createRng, type Rng } from './rng.js';
export { initialState, resolveConfig, DEFAULT_DELAYS } from './config.js';
export { decide, dealHands, AVATAR_COLORS } from './decide.js';
export { evolve, isLiapEventType } from './evolve.js';
export {
  botMove,
  seatsToAct,
  isBotControlled,
  botThinkTime,
  legacyDeclare,
  legacyPlay,
  strategicDeclare,
  strategicPlay,
  type BotLevel,
  type DeclareInput,
} from './bot.js';
export {
  viewFor,
  turnCompleteData,
  roomSummary,
  nextDeadline,
  type PhaseChangeData,
  type PlayerView,
  type RoomSummary,
  type SeatSummary,
} from './view.js';
export type {
  Seat,
  Phase,
  LiapConfig,
  LiapConfigInput,
  LiapDelays,
  DealingMode,
  TimerName,
  Timer,
  SeatInfo,
  PlayerState,
  PreparationState,
  TurnPlay,
  TurnState,
  DeclarationState,
  RoundScore,
  ScoringState,
  Ranking,
  LiapState,
  DecideContext,
  LiapCommand,
  LiapCommandType,
  LiapEvent,
  LiapEventType,
  CompletedPlay,
} from './types.js';
export { simulateGame, type SimulateOptions, type SimulationResult } from './simulate.js';
