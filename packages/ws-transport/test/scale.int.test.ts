import { describe, expect, it } from 'vitest';
import { connectTestClient, type TestClient } from '../src/testing/index.js';
import { standardPipeline, type MetricsHooks } from '../src/index.js';
import { startTransport, until } from './helpers.js';

describe('1,000 concurrent clients', () => {
  it('accepts them all, broadcasts to each, answers each personally, and reports metrics', async () => {
    const counts = { opened: 0, closed: 0, framesIn: 0, out: 0, broadcasts: 0 };
    const metrics: MetricsHooks = {
      connectionOpened: () => void counts.opened++,
      connectionClosed: () => void counts.closed++,
      frameIn: () => void counts.framesIn++,
      frameOut: (_e, _b, n) => void (counts.out += n),
      broadcastDuration: () => void counts.broadcasts++,
    };
    const { t, url } = await startTransport(
      (t) => {
        t.ws('/ws/:room', {
          upgrade: (req) => ({ rooms: [req.params['room']!] }),
          pipeline: standardPipeline({ handler: (ctx) => void ctx.reply({ type: 'you', id: ctx.conn.id, n: ctx.message['n'] }) }),
        });
      },
      { metrics },
    );
    const N = 1000;
    const clients: TestClient[] = [];
    for (let batch = 0; batch < N; batch += 100) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => connectTestClient(`${url}/ws/${(batch + i) % 2 === 0 ? 'even' : 'odd'}`, { timeoutMs: 20_000 })))));
    }
    await until(() => t.connectionCount() === N, 20_000);
    expect(t.roomSize('even')).toBe(500);
    expect(t.roomSize('odd')).toBe(500);
    expect(t.publish('even', { type: 'hello-even' }).recipients).toBe(500);
    expect(t.publish('odd', { type: 'hello-odd' }).recipients).toBe(500);
    clients.forEach((c, i) => c.send({ type: 'who', n: i }));
    await Promise.all(clients.map((c, i) => c.waitFor((f) => f['type'] === 'you' && f['n'] === i, 20_000)));
    await Promise.all(clients.map((c, i) => c.waitFor((f) => f['type'] === (i % 2 === 0 ? 'hello-even' : 'hello-odd'), 20_000)));
    const ids = new Set(clients.map((c) => (c.frames.find((f) => (f as { type: string }).type === 'you') as { id: string }).id));
    expect(ids.size).toBe(N);
    expect(counts).toMatchObject({ opened: N, framesIn: N, out: 2 * N, broadcasts: 2 });
    const report = await t.close({ budgetMs: 5000 });
    expect(report.closedSockets).toBe(N);
    const codes = await Promise.all(clients.map((c) => c.closed));
    expect(codes.every((c) => c.code === 1001)).toBe(true);
    expect(counts.closed).toBe(N);
  }, 60_000);
});
