import { describe, expect, it } from 'vitest';
import { deepFreeze } from './helpers.js';
import { botMove, createRng, decide, evolve, initialState, nextDeadline, seatsToAct, type LiapCommand, type LiapConfigInput, type LiapState } from '../src/index.js';

/**
 * Plays a bot-only game where every state is deep-frozen (any write by decide, evolve or the bots throws) and
 * also compared as JSON before and after each step (the input state must be deep-equal afterwards).
 */
function frozenGame(seed: number, config: LiapConfigInput, level: 'strategic' | 'legacy'): number {
  const rng = createRng(seed);
  let state: LiapState = deepFreeze(initialState(config));
  let now = 0;
  let steps = 0;
  const run = (cmd: LiapCommand): void => {
    const before = JSON.stringify(state);
    const events = decide(state, cmd, { now, rng });
    expect(JSON.stringify(state)).toBe(before);
    for (const e of events) {
      const eventBefore = JSON.stringify(e);
      const inputBefore = JSON.stringify(state);
      const next = deepFreeze(evolve(state, e));
      expect(next).not.toBe(state);
      expect(JSON.stringify(state)).toBe(inputBefore);
      expect(JSON.stringify(e)).toBe(eventBefore);
      state = next;
    }
    steps++;
  };
  run({ type: 'create_room', id: 'c', name: 'Host' });
  run({ type: 'start_game', id: 's', seat: 0 });
  while (state.status === 'in_game' && steps < 3000) {
    const seat = seatsToAct(state)[0];
    if (seat !== undefined) {
      const before = JSON.stringify(state);
      const cmd = botMove(state, seat, rng, level)!;
      expect(JSON.stringify(state)).toBe(before);
      run(cmd);
      continue;
    }
    const t = nextDeadline(state)!;
    now = Math.max(now, t.dueAt);
    run({ type: 'timer_fired', id: 't', timer: t.timer, dueAt: t.dueAt });
  }
  return steps;
}

describe('immutability', () => {
  it.each<[string, LiapConfigInput, 'strategic' | 'legacy']>([
    ['strategic bots, no delays', { timeScale: 0 }, 'strategic'],
    ['strategic bots, move timeouts, original timings', { timeScale: 1, turnTimeoutMs: 1000 }, 'strategic'],
    ['legacy bots, forced weak hands', { timeScale: 0, dealing: { mode: 'forced_weak', weakSeats: [1, 3] } }, 'legacy'],
  ])('decide, evolve and botMove never change their inputs (%s)', (_n, config, level) => {
    for (let seed = 0; seed < 3; seed++) expect(frozenGame(seed, config, level)).toBeGreaterThan(10);
  });
});
