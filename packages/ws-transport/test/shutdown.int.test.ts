import { describe, expect, it } from 'vitest';
import { connectTestClient } from '../src/testing/index.js';
import { standardPipeline, type SendResult } from '../src/index.js';
import { startTransport, until } from './helpers.js';

describe('graceful shutdown', () => {
  it('runs the drain hook, closes every socket with 1001, waits for in-flight handlers, then refuses connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const events: string[] = [];
    let lateSend: SendResult | undefined;
    const { t, url } = await startTransport((t) => {
      t.ws('/ws', {
        upgrade: () => ({ rooms: ['all'] }),
        pipeline: standardPipeline({
          handler: async (ctx) => {
            events.push('handler-start');
            await gate;
            // the socket is closed by now: this must be a counted no-op, not a uWS crash
            lateSend = ctx.reply({ type: 'late' });
            events.push('handler-end');
          },
        }),
      });
    });
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectTestClient(`${url}/ws`)));
    await until(() => t.roomSize('all') === 20);
    clients[0]!.send({ type: 'slow' });
    await until(() => events.includes('handler-start'));

    const closing = t.close({
      budgetMs: 5000,
      reason: 'maintenance',
      drain: () => {
        events.push('drain-hook');
        expect(t.state).toBe('draining');
        t.publish('all', { type: 'bye' });
      },
    });
    const codes = await Promise.all(clients.map((c) => c.closed));
    expect(codes.every((c) => c.code === 1001 && c.reason === 'maintenance')).toBe(true);
    expect(clients.every((c) => c.frames.some((f) => (f as { type: string }).type === 'bye'))).toBe(true);
    expect(t.state).toBe('draining'); // still waiting for the handler
    release();
    const report = await closing;
    expect(report).toEqual({ closedSockets: 20, abandonedFrames: 0, drainHookTimedOut: false });
    expect(events).toEqual(['handler-start', 'drain-hook', 'handler-end']);
    expect(lateSend).toBe('closed');
    expect(t.state).toBe('closed');
    expect(t.connectionCount()).toBe(0);
    await expect(connectTestClient(`${url}/ws`, { timeoutMs: 2000 })).rejects.toThrow();
  });

  it('reports handlers still running when the budget runs out, and close() is idempotent', async () => {
    const { t, url } = await startTransport((t) => {
      t.ws('/ws', { pipeline: standardPipeline({ handler: () => new Promise<void>(() => undefined) }) });
    });
    const c = await connectTestClient(`${url}/ws`);
    c.send({ type: 'stuck' });
    await until(() => t.stats().inFlightFrames === 1);
    const a = t.close({ budgetMs: 200 });
    const b = t.close();
    expect(b).toBe(a);
    expect(await a).toEqual({ closedSockets: 1, abandonedFrames: 1, drainHookTimedOut: false });
    expect((await c.closed).code).toBe(1001);
  });

  it('refuses upgrades with 503 while draining', async () => {
    let releaseDrain!: () => void;
    const { t, url } = await startTransport((t) => {
      t.ws('/ws', { pipeline: [] });
    });
    const closing = t.close({ drain: () => new Promise<void>((r) => (releaseDrain = r)) });
    await until(() => t.state === 'draining');
    await expect(connectTestClient(`${url}/ws`)).rejects.toMatchObject({ status: 503 });
    releaseDrain();
    await closing;
  });
});
