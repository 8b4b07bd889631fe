import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHealthRegistry, createShutdownController, HealthConfigError, type ShutdownOptions } from '../src/index.js';

/** Signals come from this emitter, exits are recorded: nothing touches the test process. */
function harness(options: Partial<ShutdownOptions> = {}) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const events: string[] = [];
  const health = createHealthRegistry({ started: true });
  const controller = createShutdownController({
    health,
    drainDelayMs: 1000,
    budgetMs: 10_000,
    exit: (code) => {
      exits.push(code);
      events.push(`exit ${code}`);
    },
    signalSource: {
      on: (s, l) => signals.on(s, l),
      off: (s, l) => signals.off(s, l),
    },
    ...options,
  });
  return { signals, exits, events, health, controller };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('shutdown controller', () => {
  it('SIGTERM flips readiness at once, waits the drain delay, runs hooks in order, then exits 0', async () => {
    const { signals, exits, events, health, controller } = harness();
    controller.install();
    controller.addHook('close-db', () => void events.push('close-db'), { phase: 'close' });
    controller.addHook('second', () => void events.push('second'), { order: 2 });
    controller.addHook('first', () => void events.push('first'), { order: 1 });
    controller.addHook('also-second', () => void events.push('also-second'), { order: 2 });

    signals.emit('SIGTERM', 'SIGTERM');
    expect(controller.state).toBe('draining');
    expect((await health.readiness()).httpStatus).toBe(503);
    expect(health.liveness().httpStatus).toBe(200);

    await vi.advanceTimersByTimeAsync(999);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['first', 'second', 'also-second', 'close-db', 'exit 0']);
    expect(exits).toEqual([0]);
    expect(controller.state).toBe('stopped');
    await expect(controller.shutdown()).resolves.toMatchObject({ forced: false, exitCode: 0 });
  });

  it('a beacon delays the close phase and the exit until released', async () => {
    const { events, controller } = harness();
    const beacon = controller.beacon('room:ABCD');
    controller.addHook('close-db', () => void events.push('close-db'), { phase: 'close' });
    const outcome = controller.shutdown('test');
    await vi.advanceTimersByTimeAsync(5000);
    expect(events).toEqual([]);
    expect(controller.inFlight).toEqual(['room:ABCD']);
    beacon.release();
    beacon.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['close-db', 'exit 0']);
    await expect(outcome).resolves.toMatchObject({ forced: false, pending: [] });
  });

  it('track() holds a beacon until the promise settles, even when it rejects', async () => {
    const { exits, controller } = harness({ drainDelayMs: 0 });
    let fail!: (e: Error) => void;
    const work = controller.track('append', new Promise<void>((_, reject) => (fail = reject)));
    work.catch(() => undefined);
    void controller.shutdown();
    await vi.advanceTimersByTimeAsync(100);
    expect(exits).toEqual([]);
    fail(new Error('conflict'));
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([0]);
  });

  it('the budget forces exit 1 when a beacon is never released, naming it', async () => {
    const lines: Array<[string, Record<string, unknown>, string | undefined]> = [];
    const log =
      (level: string) =>
      (obj: object | string, msg?: string): void => {
        lines.push(typeof obj === 'string' ? [level, {}, obj] : [level, obj as Record<string, unknown>, msg]);
      };
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
    const { exits, controller } = harness({ budgetMs: 3000, logger });
    controller.beacon('stuck-append');
    const outcome = controller.shutdown();
    await vi.advanceTimersByTimeAsync(2999);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    await expect(outcome).resolves.toMatchObject({ forced: true, exitCode: 1, pending: ['stuck-append'] });
    const forced = lines.find(([, , m]) => m === 'shutdown budget exceeded: forcing exit');
    expect(forced?.[0]).toBe('error');
    expect(forced?.[1]).toMatchObject({ pending: ['stuck-append'], phase: 'in-flight', budgetMs: 3000 });
  });

  it('the budget aborts a hanging hook through its signal', async () => {
    const { exits, controller } = harness({ budgetMs: 2000 });
    let reason: unknown;
    controller.addHook(
      'hangs',
      (signal) =>
        new Promise<void>(() =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
          }),
        ),
    );
    void controller.shutdown();
    await vi.advanceTimersByTimeAsync(2000);
    expect(exits).toEqual([1]);
    expect(String(reason)).toContain('shutdown budget exceeded');
  });

  it('a failing hook is logged, the others still run, and the exit code is 1', async () => {
    const { events, controller } = harness({ drainDelayMs: 0 });
    controller.addHook('bad', () => Promise.reject(new Error('nope')));
    controller.addHook('good', () => void events.push('good'));
    const outcome = controller.shutdown();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['good', 'exit 1']);
    await expect(outcome).resolves.toMatchObject({ forced: false, exitCode: 1, failedHooks: ['bad'] });
  });

  it('a second signal forces exit at once; uninstall stops listening', async () => {
    const { signals, exits, controller } = harness();
    controller.install();
    controller.beacon('forever');
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([1]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(exits).toEqual([1]);

    const other = harness();
    other.controller.install().uninstall();
    other.signals.emit('SIGTERM', 'SIGTERM');
    expect(other.controller.state).toBe('running');
  });

  it('rejects a budget not larger than the drain delay', () => {
    expect(() => createShutdownController({ drainDelayMs: 5000, budgetMs: 5000 })).toThrow(HealthConfigError);
    expect(() => createShutdownController({ drainDelayMs: -1 })).toThrow(/drainDelayMs/);
    // "No budget" spelt as a huge number: Node would fire the budget timer after 1 ms and force the exit.
    expect(() => createShutdownController({ budgetMs: 2 ** 31 })).toThrow(/budgetMs: must be at most 2147483647 ms/);
    expect(() => createShutdownController({ drainDelayMs: 3e9, budgetMs: 4e9 })).toThrow(/drainDelayMs/);
    expect(() => createShutdownController({ drainDelayMs: 0, budgetMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
