import { EventEmitter, once } from 'node:events';
import { setTimeout as sleepPromise } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { bindContext, getContext, getCorrelationId, newCorrelationId, withContext } from '../src/index.js';
import { capture } from './helpers.js';

describe('withContext', () => {
  it('is empty outside any context', () => {
    expect(getContext()).toBeUndefined();
    expect(getCorrelationId()).toBeUndefined();
  });

  it('adds its fields to every log line written inside', () => {
    const { logger, lines } = capture();
    withContext({ correlationId: 'c-1', roomId: 'ROOM', player: 'ann' }, () => logger.info('inside'));
    logger.info('outside');
    const [inside, outside] = lines();
    expect(inside).toMatchObject({ correlationId: 'c-1', roomId: 'ROOM', player: 'ann', msg: 'inside' });
    expect(outside).not.toHaveProperty('correlationId');
  });

  it('survives await, timers, immediates and microtasks', async () => {
    const { logger, lines } = capture();
    await withContext({ correlationId: 'async-1' }, async () => {
      await Promise.resolve();
      logger.info('after await');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          logger.info('in setTimeout');
          resolve();
        }, 1),
      );
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          logger.info('in setImmediate');
          resolve();
        }),
      );
      queueMicrotask(() => logger.info('in microtask'));
      await sleepPromise(1);
      logger.info('after timers/promises');
    });
    expect(lines().map((l) => [l['msg'], l['correlationId']])).toEqual([
      ['after await', 'async-1'],
      ['in setTimeout', 'async-1'],
      ['in setImmediate', 'async-1'],
      ['in microtask', 'async-1'],
      ['after timers/promises', 'async-1'],
    ]);
  });

  it('survives event emitters emitted inside the context', async () => {
    const { logger, lines } = capture();
    const emitter = new EventEmitter();
    emitter.on('move', (n: number) => logger.info({ n }, 'listener'));
    await withContext({ correlationId: 'ee-1' }, async () => {
      const got = once(emitter, 'done');
      setTimeout(() => {
        emitter.emit('move', 1);
        emitter.emit('done');
      }, 1);
      await got;
      logger.info('after once');
    });
    expect(lines().map((l) => [l['msg'], l['correlationId']])).toEqual([
      ['listener', 'ee-1'],
      ['after once', 'ee-1'],
    ]);
  });

  it('bindContext carries the context into callbacks called from outside it', () => {
    const { logger, lines } = capture();
    const emitter = new EventEmitter();
    withContext({ correlationId: 'bound' }, () => {
      emitter.on('x', bindContext(() => logger.info('bound listener')));
    });
    emitter.emit('x'); // emitted outside any context
    expect(lines()[0]).toMatchObject({ correlationId: 'bound' });
  });

  it('keeps concurrent contexts apart', async () => {
    const seen: Array<[string, string | undefined]> = [];
    await Promise.all(
      ['a', 'b', 'c'].map((id, i) =>
        withContext({ correlationId: id }, async () => {
          await sleepPromise(3 - i);
          seen.push([id, getCorrelationId()]);
          await Promise.resolve();
          seen.push([id, getCorrelationId()]);
        }),
      ),
    );
    expect(seen).toHaveLength(6);
    for (const [id, got] of seen) expect(got).toBe(id);
  });

  it('nests: inner fields are added and win, outer ones come back after', () => {
    withContext({ correlationId: 'outer', roomId: 'R' }, () => {
      withContext({ correlationId: 'inner', player: 'bob' }, () => {
        expect(getContext()).toEqual({ correlationId: 'inner', roomId: 'R', player: 'bob' });
      });
      expect(getContext()).toEqual({ correlationId: 'outer', roomId: 'R' });
    });
  });

  it('returns what fn returns and freezes the context', () => {
    const out = withContext({ correlationId: 'x' }, () => {
      expect(Object.isFrozen(getContext())).toBe(true);
      return 42;
    });
    expect(out).toBe(42);
  });

  it('makes distinct UUID correlation ids', () => {
    const a = newCorrelationId();
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(newCorrelationId()).not.toBe(a);
  });
});

describe('regressions', () => {
  it('logging fields inside a context neither throws nor leaks them into the context', () => {
    const { logger, lines } = capture();
    withContext({ correlationId: 'frozen' }, () => {
      logger.info({ n: 1 }, 'first');
      logger.info('second');
      expect(getContext()).toEqual({ correlationId: 'frozen' });
    });
    expect(lines()[1]).not.toHaveProperty('n');
  });
});
