import type { Logger } from '@game/observability';
import { HealthConfigError } from './errors.js';
import { silentLogger } from './internal/silent-logger.js';
import { MAX_TIMER_MS, nonNegative } from './internal/options.js';

/** The part of a {@link HealthRegistry} the controller needs: the readiness flip. */
export interface Drainable {
  setDraining(reason?: string): void;
}

/** The part of `process` the controller listens on (injectable for tests). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Options of {@link createShutdownController}. */
export interface ShutdownOptions {
  /** The health registry whose readiness fails as soon as shutdown begins. */
  health?: Drainable;
  /** Wait this long after failing readiness so load balancers stop routing here (default 5000). */
  drainDelayMs?: number;
  /** The whole shutdown must end within this many ms, or the process exits with code 1 (default 25000). */
  budgetMs?: number;
  /** Signals that start shutdown (default SIGTERM and SIGINT). */
  signals?: readonly NodeJS.Signals[];
  /** A second signal during shutdown forces exit at once (default true). */
  forceOnSecondSignal?: boolean;
  logger?: Logger;
  /** Called to end the process (default `process.exit`). */
  exit?: (code: number) => void;
  /** Where signals come from (default `process`). */
  signalSource?: SignalSource;
}

/** When a hook runs: `drain` before waiting for beacons, `close` after (close pools and servers there). */
export type HookPhase = 'drain' | 'close';

/** Options of a hook. */
export interface HookOptions {
  /** Hooks of one phase run in increasing `order`, then registration order (default 0). */
  order?: number;
  /** Default `'drain'`. */
  phase?: HookPhase;
}

/** A hook gets a signal that aborts when the budget runs out. */
export type ShutdownHook = (signal: AbortSignal) => void | Promise<void>;

/** A piece of in-flight work that shutdown waits for; release it when the work is done. */
export interface Beacon {
  readonly name: string;
  /** Ends the wait for this work; calling it again does nothing. */
  release(): void;
}

/** How a shutdown ended. */
export interface ShutdownOutcome {
  readonly forced: boolean;
  readonly exitCode: number;
  readonly durationMs: number;
  /** Beacons still held when a forced exit happened. */
  readonly pending: readonly string[];
  /** Hooks that threw or rejected. */
  readonly failedHooks: readonly string[];
}

/** The controller's lifecycle. */
export type ShutdownState = 'running' | 'draining' | 'stopped';

/**
 * Graceful shutdown: readiness flip, drain delay, ordered hooks, in-flight beacons, a budget.
 * @example
 * const shutdown = createShutdownController({ health, logger, drainDelayMs: 5000, budgetMs: 25000 }).install();
 * shutdown.addHook('ws', () => transport.drain());
 * shutdown.addHook('db', () => db.destroy(), { phase: 'close' });
 * const b = shutdown.beacon(`room:${id}`); try { await append(); } finally { b.release(); }
 */
export interface ShutdownController {
  /** Listens for the configured signals; returns the controller. */
  install(): ShutdownController;
  /** Stops listening for signals. */
  uninstall(): void;
  /** Registers a hook; returns a function that removes it. */
  addHook(name: string, hook: ShutdownHook, options?: HookOptions): () => void;
  /** Registers in-flight work; shutdown waits until it is released (or the budget runs out). */
  beacon(name: string): Beacon;
  /** Holds a beacon until `work` settles; returns `work`. */
  track<T>(name: string, work: Promise<T>): Promise<T>;
  /** Starts shutdown (what a signal does); every call returns the same outcome. */
  shutdown(reason?: string): Promise<ShutdownOutcome>;
  readonly state: ShutdownState;
  /** Names of the beacons held now. */
  readonly inFlight: readonly string[];
}

interface HookEntry {
  readonly name: string;
  readonly hook: ShutdownHook;
  readonly order: number;
  readonly phase: HookPhase;
  readonly seq: number;
}


/** Creates a shutdown controller (call `install()` to react to SIGTERM/SIGINT). */
export function createShutdownController(options: ShutdownOptions = {}): ShutdownController {
  const drainDelayMs = nonNegative('drainDelayMs', options.drainDelayMs, 5000, MAX_TIMER_MS);
  const budgetMs = nonNegative('budgetMs', options.budgetMs, 25_000, MAX_TIMER_MS);
  if (budgetMs <= drainDelayMs) {
    throw new HealthConfigError('budgetMs', `must be greater than drainDelayMs (${drainDelayMs}), got ${budgetMs}`);
  }
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const logger = (options.logger ?? silentLogger).child({ component: 'shutdown' });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = options.signalSource ?? process;
  const forceOnSecond = options.forceOnSecondSignal ?? true;

  const hooks: HookEntry[] = [];
  let seq = 0;
  const beacons = new Map<number, string>();
  let beaconSeq = 0;
  let onBeaconsEmpty: (() => void) | undefined;
  let state: ShutdownState = 'running';
  let outcome: Promise<ShutdownOutcome> | undefined;
  let installed = false;
  let exited = false;

  const doExit = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (state === 'running') {
      void controller.shutdown(signal);
      return;
    }
    if (forceOnSecond && state === 'draining') {
      logger.error({ signal, pending: [...beacons.values()] }, 'second signal during shutdown: forcing exit');
      state = 'stopped';
      doExit(1);
    }
  };

  const run = async (reason: string): Promise<ShutdownOutcome> => {
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    const abort = new AbortController();
    const failedHooks: string[] = [];
    let phase = 'drain-delay';
    options.health?.setDraining(reason);
    logger.info({ reason, drainDelayMs, budgetMs, inFlight: [...beacons.values()] }, 'shutdown started');

    let budgetTimer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<'budget'>((resolve) => {
      budgetTimer = setTimeout(() => resolve('budget'), budgetMs);
    });

    const sequence = async (): Promise<'done'> => {
      await new Promise((r) => setTimeout(r, drainDelayMs));
      const runPhase = async (p: HookPhase) => {
        const list = hooks.filter((h) => h.phase === p).sort((a, b) => a.order - b.order || a.seq - b.seq);
        for (const h of list) {
          if (abort.signal.aborted) return;
          phase = `${p}:${h.name}`;
          const start = performance.now();
          try {
            await h.hook(abort.signal);
            logger.info({ hook: h.name, phase: p, durationMs: Math.round(performance.now() - start) }, 'shutdown hook done');
          } catch (err) {
            failedHooks.push(h.name);
            logger.error({ hook: h.name, phase: p, err }, 'shutdown hook failed');
          }
        }
      };
      await runPhase('drain');
      if (abort.signal.aborted) return 'done';
      phase = 'in-flight';
      if (beacons.size > 0) {
        logger.info({ inFlight: [...beacons.values()] }, 'waiting for in-flight work');
        await new Promise<void>((resolve) => {
          onBeaconsEmpty = resolve;
        });
        onBeaconsEmpty = undefined;
      }
      await runPhase('close');
      return 'done';
    };

    const result = await Promise.race([sequence(), budget]);
    clearTimeout(budgetTimer);
    state = 'stopped';
    if (result === 'budget') {
      abort.abort(new Error('shutdown budget exceeded'));
      const pending = [...beacons.values()];
      logger.error({ budgetMs, phase, pending, durationMs: elapsed() }, 'shutdown budget exceeded: forcing exit');
      doExit(1);
      return { forced: true, exitCode: 1, durationMs: elapsed(), pending, failedHooks };
    }
    logger.info({ durationMs: elapsed(), failedHooks }, 'shutdown complete');
    const exitCode = failedHooks.length > 0 ? 1 : 0;
    doExit(exitCode);
    return { forced: false, exitCode, durationMs: elapsed(), pending: [], failedHooks };
  };

  const controller: ShutdownController = {
    install() {
      if (!installed) {
        for (const s of signals) source.on(s, onSignal);
        installed = true;
      }
      return controller;
    },
    uninstall() {
      if (!installed) return;
      for (const s of signals) source.off(s, onSignal);
      installed = false;
    },
    addHook(name, hook, hookOptions = {}) {
      if (typeof hook !== 'function') throw new HealthConfigError(`hook ${name}`, 'must be a function');
      const phase = hookOptions.phase ?? 'drain';
      if (phase !== 'drain' && phase !== 'close') {
        throw new HealthConfigError(`hook ${name}.phase`, `must be 'drain' or 'close', got ${String(phase)}`);
      }
      const entry: HookEntry = { name, hook, order: hookOptions.order ?? 0, phase, seq: seq++ };
      hooks.push(entry);
      return () => {
        const i = hooks.indexOf(entry);
        if (i !== -1) hooks.splice(i, 1);
      };
    },
    beacon(name) {
      const id = beaconSeq++;
      beacons.set(id, name);
      return {
        name,
        release() {
          if (!beacons.delete(id)) return;
          if (beacons.size === 0) onBeaconsEmpty?.();
        },
      };
    },
    track(name, work) {
      const b = controller.beacon(name);
      work.then(
        () => b.release(),
        () => b.release(),
      );
      return work;
    },
    shutdown(reason = 'requested') {
      if (!outcome) {
        state = 'draining';
        outcome = run(reason);
      }
      return outcome;
    },
    get state() {
      return state;
    },
    get inFlight() {
      return [...beacons.values()];
    },
  };
  return controller;
}
