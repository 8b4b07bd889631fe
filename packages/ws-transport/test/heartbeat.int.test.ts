import { describe, expect, it } from 'vitest';
import { connectTestClient } from '../src/testing/index.js';
import { standardPipeline } from '../src/index.js';
import { startTransport } from './helpers.js';

describe('heartbeat', () => {
  it('closes a peer that stops answering pings after the idle timeout; a peer that answers stays open', async () => {
    const closed: { id: string; code: number }[] = [];
    const { t, url } = await startTransport((t) => {
      t.ws('/ws', {
        idleTimeoutSeconds: 8,
        onClose: (conn, code) => void closed.push({ id: conn.id, code }),
        pipeline: standardPipeline({ handler: (ctx) => void ctx.reply({ type: 'pong' }) }),
      });
    });
    const live = await connectTestClient(`${url}/ws`, { timeoutMs: 30_000 });
    const dead = await connectTestClient(`${url}/ws`, { autoPong: false });
    const deadClose = await dead.closed;
    expect(closed).toHaveLength(1);
    expect(live.socket.readyState).toBe(live.socket.OPEN);
    live.send({ type: 'ping' });
    await live.waitFor((f) => f['type'] === 'pong');
    expect(t.connectionCount()).toBe(1);
    expect([1006, 1000, 1001]).toContain(deadClose.code);
    await t.close({ budgetMs: 1000 });
  }, 40_000);

  it('rejects an idle timeout uWS cannot honour', () => {
    return startTransport((t) => {
      expect(() => t.ws('/ws', { idleTimeoutSeconds: 3, pipeline: [] })).toThrow(/idleTimeoutSeconds/);
    }).then(({ t }) => t.close());
  });

  it('rejects idle timeouts above 960 s and non-integers (regression: 961 aborted the process in uWS at listen)', async () => {
    const { t } = await startTransport((t) => {
      for (const idle of [8.5, Number.NaN, 961, 3600, -1]) {
        let error: unknown;
        try {
          t.ws(`/ws/${idle}`, { idleTimeoutSeconds: idle, pipeline: [] });
        } catch (e) {
          error = e;
        }
        expect(error, String(idle)).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining(`from 8 to 960, got ${idle}`) as unknown });
      }
      t.ws('/max', { idleTimeoutSeconds: 960, pipeline: [] });
      t.ws('/off', { idleTimeoutSeconds: 0, pipeline: [] });
    });
    const c = await connectTestClient(`ws://127.0.0.1:${t.port}/max`);
    await c.close();
    await t.close();
  });
});
