import { describe, expect, it } from 'vitest';
import { startSubscription, type SubscriptionPort } from '../src/internal/subscription-runner.js';
import type { RecordedEvent } from '../src/index.js';

/** A port over an in-memory log whose reads fail while `down` is set (a database outage). */
function flakyPort(log: RecordedEvent[]) {
  const state = { down: false, failedReads: 0, checkpoint: null as number | null };
  const fail = () => Promise.reject(new Error('connection refused'));
  const port: SubscriptionPort = {
    read: (after, limit) => {
      if (state.down) {
        state.failedReads++;
        return fail();
      }
      return Promise.resolve({ events: log.filter((e) => e.position > after).slice(0, limit), fence: 0n });
    },
    waitTarget: () => Promise.resolve({ position: log.length }),
    reached: (c, target) => Promise.resolve(!('position' in target) || c >= target.position),
    head: () => (state.down ? fail() : Promise.resolve(log.length)),
    tail: () => Promise.resolve(log.length),
    lag: (c) => (state.down ? fail() : Promise.resolve(log.filter((e) => e.position > c).length)),
    loadCheckpoint: () => Promise.resolve(state.checkpoint),
    createCheckpoint: (_n, p) => {
      state.checkpoint ??= p;
      return Promise.resolve(state.checkpoint);
    },
    deliver: async (_n, _from, p, handle) => {
      await handle();
      state.checkpoint = p;
    },
    deadLetter: () => Promise.resolve(),
    pendingRetries: () => Promise.resolve([]),
    resolveDeadLetter: async (_id, handle) => handle(),
    failDeadLetter: () => Promise.resolve(),
    countDeadLetters: () => (state.down ? fail() : Promise.resolve(0)),
    onAppend: () => () => undefined,
  };
  return { port, state };
}

const event = (position: number): RecordedEvent => ({
  id: `e${position}`,
  streamId: 's',
  version: position,
  position,
  type: 't',
  data: position,
  metadata: {},
  schemaVersion: 1,
  recordedAt: new Date(0),
});

describe('subscription loop', () => {
  it('survives failing reads (an outage): records the error, answers health with nulls, resumes from the checkpoint', async () => {
    const log = [event(1), event(2)];
    const { port, state } = flakyPort(log);
    const seen: number[] = [];
    const sub = startSubscription(
      port,
      {
        name: 'p',
        handler: (e) => void seen.push(e.position),
        backoff: () => 1,
        pollInterval: { min: 1, max: 2 },
      },
      () => undefined,
    );
    await sub.waitFor();
    expect(seen).toEqual([1, 2]);
    state.down = true;
    log.push(event(3), event(4));
    await new Promise<void>((resolve) => {
      const check = () => (state.failedReads >= 3 ? resolve() : setImmediate(check));
      check();
    });
    const during = await sub.health();
    expect(during).toMatchObject({ state: 'running', head: null, lag: null, deadLetters: null, position: 2 });
    expect(during.lastError?.message).toBe('connection refused');
    state.down = false;
    await sub.waitFor();
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(await sub.health()).toMatchObject({ state: 'running', lag: 0, position: 4 });
    await sub.stop();
    expect((await sub.health()).state).toBe('stopped');
  });
});
