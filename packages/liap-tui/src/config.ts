/** Configuration defaults and the initial (empty room) state. */
import type { LiapConfig, LiapConfigInput, LiapDelays, LiapState, PlayerState } from './types.js';

/** The original game's timings (§3.4, §8.3, §8.9, §9.1). */
export const DEFAULT_DELAYS: LiapDelays = {
  dealingMs: 2000,
  redealPauseMs: 4000,
  roundStartMs: 5000,
  turnRevealMs: 5000,
  nextTurnMs: 7000,
  turnResultsMs: 7000,
  scoringMs: 7000,
  redealTimeoutMs: 30000,
  redealWarningMs: 20000,
  botThinkMs: 1000,
};

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`liap-tui config: ${name} must be a finite number >= 0 (got ${value})`);
  return value;
}

/** Fills defaults and validates a configuration; throws RangeError on bad values. */
export function resolveConfig(input: LiapConfigInput = {}): LiapConfig {
  const delays = { ...DEFAULT_DELAYS, ...(input.delays ?? {}) };
  for (const [k, v] of Object.entries(delays)) nonNegative(`delays.${k}`, v);
  const timeScale = nonNegative('timeScale', input.timeScale ?? 1);
  const turnTimeoutMs = input.turnTimeoutMs ?? null;
  if (turnTimeoutMs !== null) nonNegative('turnTimeoutMs', turnTimeoutMs);
  let dealing: LiapConfig['dealing'] = { mode: 'random' };
  if (input.dealing?.mode === 'forced_weak') {
    const weakSeats = [...(input.dealing.weakSeats ?? [0])];
    if (weakSeats.length < 1 || weakSeats.length > 3 || new Set(weakSeats).size !== weakSeats.length || weakSeats.some((s) => !Number.isInteger(s) || s < 0 || s > 3)) {
      throw new RangeError('liap-tui config: dealing.weakSeats must list 1 to 3 distinct seats 0..3');
    }
    const maxForcedDeals = input.dealing.maxForcedDeals ?? 2;
    if (!Number.isInteger(maxForcedDeals) || maxForcedDeals < 0) throw new RangeError('liap-tui config: dealing.maxForcedDeals must be an integer >= 0');
    dealing = { mode: 'forced_weak', weakSeats, maxForcedDeals };
  }
  return { delays, timeScale, turnTimeoutMs, dealing };
}

/** A fresh per-seat record. */
export function freshPlayer(): PlayerState {
  return { hand: [], score: 0, declared: 0, capturedPiles: 0, zeroDeclaresInARow: 0, turnsWon: 0, perfectRounds: 0 };
}

/** The state of a room that does not exist yet (the first command must be `create_room`). */
export function initialState(config: LiapConfigInput = {}): LiapState {
  return {
    config: resolveConfig(config),
    status: 'empty',
    seats: [null, null, null, null],
    host: null,
    phase: 'waiting',
    round: 0,
    players: [freshPlayer(), freshPlayer(), freshPlayer(), freshPlayer()],
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
    timers: [],
    startedAt: null,
    endedAt: null,
    seq: 0,
    updatedAt: 0,
    closedReason: null,
  };
}

/** A delay scaled by the config's timeScale, in whole milliseconds. */
export function scaled(config: LiapConfig, ms: number): number {
  return Math.round(ms * config.timeScale);
}
