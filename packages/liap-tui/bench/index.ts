/**
 * Benchmarks for @game/liap-tui. Each case runs our code and a baseline in the same process and prints the ratio.
 * Run: `pnpm --filter @game/liap-tui build && pnpm --filter @game/liap-tui bench`. Numbers vary with machine load: compare ratios.
 */
import { existsSync } from 'node:fs';
import type * as Lib from '../src/index.js';
import type { LiapCommand, LiapEvent, LiapState, PieceKind } from '../src/index.js';

// Measure what ships: the tsc build in dist/ when present (tsx's esbuild transform keeps function names by
// wrapping named closures in a helper; the hot paths measured 1.5-2x slower that way here). Run the build first.
const fromDist = existsSync(new URL('../dist/index.js', import.meta.url));
const lib = (await import(fromDist ? '../dist/index.js' : '../src/index.js')) as typeof Lib;
const { botMove, createRng, decide, evolve, initialState, legacyPlay, nextDeadline, playType, seatsToAct, simulateGame, viewFor } = lib;
console.log(`@game/liap-tui bench: ${fromDist ? 'dist/ (tsc build)' : 'src/ through tsx (run the build first for shipping numbers)'}, Node ${process.version}`);

const CASE_MS = Number(process.env['BENCH_CASE_MS'] ?? 2500);

interface Rate {
  readonly perSec: number;
  readonly perCpuSec: number;
  readonly ops: number;
}

function cpuMs(since?: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

/**
 * Runs `op` for about CASE_MS of CPU time after a CPU-time warm-up (on a loaded machine a wall-clock warm-up
 * may not give the JIT enough cycles), and returns operations per wall second and per CPU second.
 */
function measure(op: (i: number) => number): Rate {
  const w0 = process.cpuUsage();
  let i = 0;
  while (cpuMs(w0) < CASE_MS / 2) op(i++);
  let ops = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (cpuMs(c0) < CASE_MS) ops += op(i++);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  return { perSec: ops / wall, perCpuSec: ops / cpu, ops };
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function report(name: string, unit: string, ours: Rate, baseName: string, base: Rate): void {
  console.log(`\n${name}`);
  console.log(`  ours     : ${fmt(ours.perSec)} ${unit}/s wall, ${fmt(ours.perCpuSec)} ${unit}/s per CPU-second`);
  console.log(`  baseline : ${fmt(base.perSec)} ${unit}/s wall, ${fmt(base.perCpuSec)} ${unit}/s per CPU-second (${baseName})`);
  console.log(`  ratio    : ${(ours.perCpuSec / base.perCpuSec).toFixed(2)}x (CPU-time based)`);
}

/** The host loop of a bot-only game with a pluggable evolve (decide + evolve + botMove per command). */
function playGame(seed: number, apply: (s: LiapState, e: LiapEvent) => LiapState): number {
  const rng = createRng(seed);
  let state = initialState({ timeScale: 0 });
  let now = 0;
  let events = 0;
  const run = (cmd: LiapCommand): void => {
    for (const e of decide(state, cmd, { now, rng })) {
      state = apply(state, e);
      events++;
    }
  };
  run({ type: 'create_room', id: 'c', name: 'Host' });
  run({ type: 'start_game', id: 's', seat: 0 });
  while (state.status === 'in_game') {
    const seat = seatsToAct(state)[0];
    if (seat !== undefined) {
      run(botMove(state, seat, rng, 'strategic')!);
      continue;
    }
    const t = nextDeadline(state)!;
    now = Math.max(now, t.dueAt);
    run({ type: 'timer_fired', id: 't', timer: t.timer, dueAt: t.dueAt });
  }
  return events;
}

// Every "ours" runs before any baseline: structuredClone'd states have other hidden classes and would make the
// engine's inline caches megamorphic for the cases measured after them.
let eventsTotal = 0;
let games = 0;
const gamesOurs = measure((i) => {
  eventsTotal += playGame(i, evolve);
  games++;
  return 1;
});

const recorded = Array.from({ length: 20 }, (_, i) => simulateGame({ seed: 1000 + i, recordEvents: true }).events);
const replay =
  (apply: (s: LiapState, e: LiapEvent) => LiapState) =>
  (i: number): number => {
    const evs = recorded[i % recorded.length]!;
    let s = initialState({ timeScale: 0 });
    for (const e of evs) s = apply(s, e);
    return evs.length;
  };
const replayOurs = measure(replay(evolve));

const hands: PieceKind[][] = recorded.flatMap((evs) => evs.flatMap((e) => (e.type === 'hands_dealt' ? e.hands.map((h) => [...h]) : [])));
const searchOurs = measure((i) => (legacyPlay(hands[i % hands.length]!, null), 1));

const states: LiapState[] = [];
simulateGame({ seed: 77, onStep: (_b, _c, _e, after) => states.push(after) });
const viewOurs = measure((i) => (viewFor(states[i % states.length]!, i % 4), 1));

const POINTS = ['GENERAL_RED', 'GENERAL_BLACK', 'ADVISOR_RED', 'ADVISOR_BLACK', 'ELEPHANT_RED', 'ELEPHANT_BLACK', 'CHARIOT_RED', 'CHARIOT_BLACK', 'HORSE_RED', 'HORSE_BLACK', 'CANNON_RED', 'CANNON_BLACK', 'SOLDIER_RED', 'SOLDIER_BLACK'];
/** The original's approach: every subset of sizes 1..6 through playType(), highest total wins. */
function bruteForceBest(hand: readonly PieceKind[]): number[] {
  let best: number[] | null = null;
  let bestTotal = -1;
  for (let size = 1; size <= 6; size++) {
    for (let mask = 0; mask < 1 << hand.length; mask++) {
      const idx: number[] = [];
      for (let j = 0; j < hand.length; j++) if (mask & (1 << j)) idx.push(j);
      if (idx.length !== size) continue;
      const pieces = idx.map((j) => hand[j]!);
      if (playType(pieces) === 'INVALID') continue;
      const total = pieces.reduce((a, p) => a + 14 - POINTS.indexOf(p), 0);
      if (total > bestTotal) {
        bestTotal = total;
        best = idx;
      }
    }
  }
  return best ?? [0];
}

const naiveEvolve = (s: LiapState, e: LiapEvent): LiapState => evolve(structuredClone(s), e);

report(
  'complete bot-only games (decide + evolve + botMove, strategic bots, timeScale 0)',
  'games',
  gamesOurs,
  'same loop, structuredClone of the state before every evolve',
  measure((i) => (playGame(i, naiveEvolve), 1)),
);
console.log(`  events/game: ${(eventsTotal / games).toFixed(0)}; target >= 1,000 games/s on one core`);
report('replay: evolve over recorded game events', 'events', replayOurs, 'structuredClone + evolve per event', measure(replay(naiveEvolve)));
report(
  'bot search: best valid combination of an 8-piece hand (legacy starter play)',
  'searches',
  searchOurs,
  'all 2^8 subsets through playType()',
  measure((i) => (bruteForceBest(hands[i % hands.length]!), 1)),
);
report(
  'viewFor: phase_change data for one recipient',
  'views',
  viewOurs,
  'structuredClone of the whole state (a full copy, for scale)',
  measure((i) => (structuredClone(states[i % states.length]!), 1)),
);
