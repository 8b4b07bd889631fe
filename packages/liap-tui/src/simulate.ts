/** A bot-only game driver (tests, benchmarks, load generation): pure, deterministic per seed. */
import { botMove, seatsToAct, type BotLevel } from './bot.js';
import { decide } from './decide.js';
import { evolve } from './evolve.js';
import { createRng, type Rng } from './rng.js';
import { initialState } from './config.js';
import { nextDeadline } from './view.js';
import type { LiapCommand, LiapConfigInput, LiapEvent, LiapState } from './types.js';

/** Options of `simulateGame`. */
export interface SimulateOptions {
  readonly seed: number;
  /** Defaults to `{ timeScale: 0 }`. */
  readonly config?: LiapConfigInput;
  /** Keep every event (for replay checks). Default false. */
  readonly recordEvents?: boolean;
  /** Called after each decided command (for invariant checks). */
  readonly onStep?: (before: LiapState, command: LiapCommand, events: readonly LiapEvent[], after: LiapState) => void;
  /** Safety stop. Default 100000 commands. */
  readonly maxCommands?: number;
  /** Bot level for every seat. Default `strategic` (legacy bots rarely finish a bot-only game, see README). */
  readonly botLevel?: BotLevel;
  /** Rng for decisions and bots; default `createRng(seed)`. */
  readonly rng?: Rng;
}

/** Result of one simulated game. */
export interface SimulationResult {
  readonly state: LiapState;
  readonly events: readonly LiapEvent[];
  readonly eventCount: number;
  readonly commandCount: number;
}

/**
 * Plays a whole game with the default bot in every seat (the host seat included), firing timers as soon as they
 * are due on a virtual clock. Throws if the game stalls or a bot command is rejected.
 */
export function simulateGame(options: SimulateOptions): SimulationResult {
  const rng = options.rng ?? createRng(options.seed);
  let state = initialState(options.config ?? { timeScale: 0 });
  let now = 0;
  let eventCount = 0;
  let commandCount = 0;
  const events: LiapEvent[] = [];
  const max = options.maxCommands ?? 100000;
  const run = (command: LiapCommand): void => {
    const out = decide(state, command, { now, rng });
    const before = state;
    for (const e of out) state = evolve(state, e);
    eventCount += out.length;
    commandCount++;
    if (options.recordEvents === true) events.push(...out);
    options.onStep?.(before, command, out, state);
  };
  run({ type: 'create_room', id: 'c0', name: 'Host' });
  run({ type: 'start_game', id: 'c1', seat: 0 });
  while (state.status === 'in_game') {
    if (commandCount > max) throw new Error(`simulateGame(seed ${options.seed}): no end after ${max} commands`);
    const acts = seatsToAct(state);
    const seat = acts[0];
    if (seat !== undefined) {
      const cmd = botMove(state, seat, rng, options.botLevel ?? 'strategic');
      if (cmd === null) throw new Error(`simulateGame(seed ${options.seed}): no bot move for seat ${seat} in ${state.phase}`);
      run(cmd);
      continue;
    }
    const t = nextDeadline(state);
    if (t === null) throw new Error(`simulateGame(seed ${options.seed}): stalled in ${state.phase} with nothing to do`);
    now = Math.max(now, t.dueAt);
    run({ type: 'timer_fired', id: `t${commandCount}`, timer: t.timer, dueAt: t.dueAt });
  }
  return { state, events, eventCount, commandCount };
}
