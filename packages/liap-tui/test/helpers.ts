import {
  createDeck,
  createRng,
  decide,
  evolve,
  initialState,
  isWeakHand,
  type LiapCommand,
  type LiapConfigInput,
  type LiapEvent,
  type LiapState,
  type PieceKind,
  type Rng,
  type TimerName,
} from '../src/index.js';

/** Parses "A B C" into kinds. */
export const k = (s: string): PieceKind[] => s.split(' ').filter(Boolean) as PieceKind[];

/** Applies events in order. */
export function applyAll(state: LiapState, events: readonly LiapEvent[]): LiapState {
  return events.reduce(evolve, state);
}

/** Decides and applies one command; returns the new state and the events. */
export function run(state: LiapState, command: LiapCommand, now = state.updatedAt, rng: Rng = createRng(7)): { state: LiapState; events: LiapEvent[] } {
  const events = decide(state, command, { now, rng });
  return { state: applyAll(state, events), events };
}

let n = 0;
/** A fresh command id. */
export const id = (): string => `cmd-${++n}`;

/** A room created by "Host" (seat 0 human, seats 1-3 bots). */
export function lobby(config: LiapConfigInput = { timeScale: 0 }): LiapState {
  return run(initialState(config), { type: 'create_room', id: id(), name: 'Host' }, 0).state;
}

/** Hands with the given seats fixed; the rest of the deck dealt round-robin to the other seats (strong pieces first). */
export function makeHands(fixed: Partial<Record<0 | 1 | 2 | 3, PieceKind[]>>): PieceKind[][] {
  const rest = createDeck();
  const hands: PieceKind[][] = [[], [], [], []];
  for (const [seat, pieces] of Object.entries(fixed)) {
    for (const p of pieces) {
      const i = rest.indexOf(p);
      if (i < 0) throw new Error(`piece ${p} not available`);
      rest.splice(i, 1);
    }
    hands[Number(seat)] = [...pieces];
  }
  const open = [0, 1, 2, 3].filter((s) => !(s in fixed));
  let j = 0;
  for (const p of rest) {
    while ((hands[open[j % open.length]!] as PieceKind[]).length >= 8) j++;
    hands[open[j % open.length]!]!.push(p);
    j++;
  }
  return hands;
}

/** Every seat starts with the given pieces; the rest of the deck tops the hands up to 8, round-robin. */
export function partialHands(parts: Partial<Record<0 | 1 | 2 | 3, PieceKind[]>>): PieceKind[][] {
  const rest = createDeck();
  const hands = [0, 1, 2, 3].map((s) => [...(parts[s as 0 | 1 | 2 | 3] ?? [])]);
  for (const p of hands.flat()) {
    const i = rest.indexOf(p);
    if (i < 0) throw new Error(`piece ${p} not available`);
    rest.splice(i, 1);
  }
  let s = 0;
  for (const p of rest) {
    while (hands[s % 4]!.length >= 8) s++;
    hands[s % 4]!.push(p);
    s++;
  }
  return hands;
}

/** A started game whose first deal is replaced by the given hands (at time `at`). */
export function gameWithHands(hands: PieceKind[][], config: LiapConfigInput = { timeScale: 0 }, at = 0): LiapState {
  const s = lobby(config);
  return applyAll(s, [
    { type: 'game_started', at, players: s.seats.map((x) => x!.name) },
    {
      type: 'hands_dealt',
      at,
      round: 1,
      multiplier: 1,
      hands,
      weakSeats: [0, 1, 2, 3].filter((i) => isWeakHand(hands[i]!)),
      afterRedeal: false,
    },
  ]);
}

/** Fires the pending timer of that name (at its due time unless `now` is given). */
export function fire(state: LiapState, timer: TimerName, now?: number, rng?: Rng): { state: LiapState; events: LiapEvent[] } {
  const t = state.timers.find((x) => x.timer === timer);
  if (t === undefined) throw new Error(`no pending ${timer}; pending: ${state.timers.map((x) => x.timer).join(',')}`);
  return run(state, { type: 'timer_fired', id: id(), timer, dueAt: t.dueAt }, now ?? Math.max(state.updatedAt, t.dueAt), rng);
}

/** Deep-freezes a value (tests catch any mutation by decide/evolve). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Catches a DomainError code from a thunk. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** Structural equality of JSON-like values (fast; for hot property loops where expect() is too slow). */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const key of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Throws with a message when a property does not hold (cheap check for hot loops). */
export function check(cond: boolean, message: () => string): asserts cond {
  if (!cond) throw new Error(`property violated: ${message()}`);
}
