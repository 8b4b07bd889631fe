import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTestClient } from '../src/testing/index.js';
import type { Connection, SendResult } from '../src/index.js';
import { startTransport, until } from './helpers.js';

const chunk = { type: 'blob', data: 'x'.repeat(32 * 1024) };

describe('backpressure', () => {
  it('drops volatile messages for a slow consumer, keeps it open, and counts the drops', async () => {
    let conn: Connection<unknown, unknown> | undefined;
    const dropped: string[] = [];
    const { t, url } = await startTransport(
      (t) => t.ws('/ws', { onOpen: (c) => void (conn ??= c), pipeline: [] }),
      { backpressure: { volatileDropBytes: 64 * 1024, closeBytes: 64 * 1024 * 1024 }, metrics: { dropped: (event) => void dropped.push(event) } },
    );
    const c = await connectTestClient(`${url}/ws`);
    await until(() => conn !== undefined);
    (c.socket as unknown as { _socket: Socket })._socket.pause();
    const results: SendResult[] = [];
    for (let i = 0; i < 4000 && !results.includes('dropped'); i++) results.push(t.send(conn!, chunk, { volatile: true }));
    expect(results).toContain('dropped');
    expect(t.stats().drops).toBeGreaterThan(0);
    expect(dropped.length).toBe(t.stats().drops);
    expect(dropped[0]).toBe('blob');
    expect(conn!.isOpen).toBe(true);
    // a fast consumer in the same room still gets volatile messages while the slow one is skipped
    t.join(conn!, 'r');
    const other = await connectTestClient(`${url}/ws`);
    await until(() => t.connectionCount() === 2);
    const fast = t.connections().find((x) => x !== conn);
    t.join(fast!, 'r');
    const dropsBefore = t.stats().drops;
    const r = t.publish('r', { type: 'tick' }, { volatile: true });
    expect(r.recipients).toBe(1);
    expect(r.position).toBeUndefined();
    expect(t.stats().drops).toBe(dropsBefore + 1);
    await other.waitFor((f) => f['type'] === 'tick');
    await t.close({ budgetMs: 1000 });
  });

  it('closes a slow consumer of reliable messages with 4008 after the bound, for sends and for room broadcasts', async () => {
    const closes: number[] = [];
    const conns: Connection<unknown, unknown>[] = [];
    const hooked = { backpressureClosed: 0, sendFailed: 0 };
    const { t, url } = await startTransport(
      (t) =>
        t.ws('/ws', {
          upgrade: () => ({ rooms: ['r'] }),
          onOpen: (c) => void conns.push(c),
          onClose: (_c, code) => void closes.push(code),
          pipeline: [],
        }),
      {
        backpressure: { volatileDropBytes: 16 * 1024, closeBytes: 512 * 1024 },
        metrics: { backpressureClosed: () => void hooked.backpressureClosed++, sendFailed: () => void hooked.sendFailed++ },
      },
    );
    const slowDirect = await connectTestClient(`${url}/ws`);
    await until(() => conns.length === 1);
    (slowDirect.socket as unknown as { _socket: Socket })._socket.pause();
    const results: SendResult[] = [];
    for (let i = 0; i < 4000 && !results.includes('closed'); i++) results.push(t.send(conns[0]!, chunk));
    expect(results.at(-1)).toBe('closed');
    expect(closes).toEqual([4008]);
    expect(t.stats().backpressureCloses).toBe(1);

    const slowRoom = await connectTestClient(`${url}/ws`);
    const healthy = await connectTestClient(`${url}/ws`);
    await until(() => conns.length === 3 && t.roomSize('r') === 2);
    (slowRoom.socket as unknown as { _socket: Socket })._socket.pause();
    let received = 0;
    healthy.socket.on('message', () => received++);
    let published = 0;
    // yield between broadcasts so the healthy in-process client keeps reading
    for (let i = 0; i < 4000 && t.roomSize('r') === 2; i++) {
      t.publish('r', chunk);
      published++;
      await new Promise((r) => setImmediate(r));
    }
    expect(closes).toEqual([4008, 4008]);
    expect(t.stats().backpressureCloses).toBe(2);
    expect(hooked.backpressureClosed).toBe(2);
    expect(t.roomSize('r')).toBe(1);
    // the healthy client got every reliable message
    await until(() => received === published, 10_000, 'healthy client to receive every broadcast');
    (slowRoom.socket as unknown as { _socket: Socket })._socket.resume();
    expect((await slowRoom.closed).code).toBe(4008);
    await t.close({ budgetMs: 1000 });
  });

  it('lets a single message larger than the bound through to a socket that keeps up', async () => {
    let conn: Connection<unknown, unknown> | undefined;
    const { t, url } = await startTransport((t) => t.ws('/ws', { onOpen: (c) => void (conn = c), pipeline: [] }), {
      backpressure: { closeBytes: 64 * 1024 },
    });
    const c = await connectTestClient(`${url}/ws`);
    await until(() => conn !== undefined);
    const big = { type: 'snapshot', data: 'y'.repeat(200 * 1024) };
    expect(['sent', 'buffered']).toContain(t.send(conn!, big));
    expect(await c.waitFor((f) => f['type'] === 'snapshot')).toEqual(big);
    expect(conn!.isOpen).toBe(true);
    expect(t.stats().backpressureCloses).toBe(0);
    await t.close({ budgetMs: 1000 });
  });

  it("delivers a broadcast before what a slow member's onClose publishes (regression: player_left reached the room before move)", async () => {
    const conns: Connection<unknown, unknown>[] = [];
    const { t, url } = await startTransport(
      (t) =>
        t.ws('/ws', {
          upgrade: () => ({ rooms: ['r'] }),
          onOpen: (c) => void conns.push(c),
          onClose: (c, code) => void t.publish('r', { type: 'player_left', who: c.id, code }),
          pipeline: [],
        }),
      { backpressure: { closeBytes: 256 * 1024 } },
    );
    const slow = await connectTestClient(`${url}/ws`);
    const healthy = await connectTestClient(`${url}/ws`);
    await until(() => conns.length === 2 && t.roomSize('r') === 2);
    (slow.socket as unknown as { _socket: Socket })._socket.pause();
    // personal frames until the slow socket is behind (something buffered, well under the bound)
    const results: SendResult[] = [];
    for (let i = 0; i < 4000 && !results.includes('buffered'); i++) results.push(t.send(conns[0]!, chunk));
    expect(results.at(-1)).toBe('buffered');
    const r = t.publish('r', { type: 'move', data: 'y'.repeat(300 * 1024) });
    expect(r.recipients).toBe(1);
    expect(conns[0]!.isOpen).toBe(false);
    await healthy.waitFor((f) => f['type'] === 'player_left');
    const order = healthy.frames.map((f) => (f as Record<string, unknown>)['type']).filter((type) => type !== 'blob');
    expect(order).toEqual(['move', 'player_left']);
    expect(healthy.frames.at(-1)).toMatchObject({ type: 'player_left', who: conns[0]!.id, code: 4008 });
    await t.close({ budgetMs: 1000 });
  });
});
