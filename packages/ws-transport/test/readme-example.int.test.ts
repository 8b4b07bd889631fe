// The README's quick start, as a test that compiles and runs: keep the two in step.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTransport, FrameError, serializeCookie, silentLogger, standardPipeline, type Connection } from '../src/index.js';
import { connectTestClient } from '../src/testing/index.js';

describe('README quick start', () => {
  it('runs as written', async () => {
    const publicDir = await mkdtemp(path.join(os.tmpdir(), 'ws-readme-'));
    await writeFile(path.join(publicDir, 'index.html'), '<!doctype html>');
    // stand-ins for the app's own parts
    const logger = silentLogger;
    const isRoom = (id: string | undefined): boolean => id === 'ROOM1';
    const newSessionId = (): string => 'sess-1';
    const limiter = { take: (_key: string) => true };
    const schemas = { check: (m: Record<string, unknown>) => typeof m['event'] === 'string', errors: ['event must be a string'] };
    const seen: unknown[] = [];
    const rooms = {
      disconnected: (_conn: Connection<{ session: string }, string>, _code: number) => undefined,
      command: (conn: Connection<{ session: string }, string>, msg: Record<string, unknown>) => {
        seen.push([conn.attributes.session, msg]);
        return Promise.resolve();
      },
      flush: () => Promise.resolve(),
    };

    // --- README begins ---
    const t = createTransport({ logger, backpressure: { closeBytes: 1 << 20 }, resume: { historySize: 256 } });
    t.ws<{ session: string }, string>('/ws/:room', {
      upgrade: (req) => {
        if (!isRoom(req.params['room'])) return { reject: { status: 404, message: 'no such room' } };
        const session = req.cookies['sid'] ?? newSessionId();
        return { attributes: { session }, rooms: [req.params['room']!], headers: { 'set-cookie': serializeCookie('sid', session) } };
      },
      onClose: (conn, code) => rooms.disconnected(conn, code),
      pipeline: standardPipeline({
        maxFrameBytes: 16 * 1024,
        rateLimit: (ctx) => limiter.take(ctx.conn.attributes.session),
        validate: (msg) => (schemas.check(msg) ? { ok: true } : { ok: false, issues: schemas.errors }),
        formatError: (err) => ({ event: 'error', data: { message: err instanceof FrameError ? err.message : 'internal error' } }),
        handler: async (ctx) => {
          await rooms.command(ctx.conn, ctx.message);
        },
      }),
    });
    t.http.get('/api/health', (ctx) => ctx.json(200, { ok: true }));
    t.http.static({ root: publicDir, exclude: ['/api/', '/ws'] });
    await t.listen({ port: 0 });
    // --- README ends ---

    const base = `127.0.0.1:${t.port}`;
    expect(await (await fetch(`http://${base}/api/health`)).json()).toEqual({ ok: true });
    await expect(connectTestClient(`ws://${base}/ws/NOPE`)).rejects.toMatchObject({ status: 404 });
    const c = await connectTestClient(`ws://${base}/ws/ROOM1`);
    expect(String(c.upgradeHeaders['set-cookie'])).toContain('sid=sess-1');
    c.send({ event: 'play', data: { pieces: [1] } });
    c.send({ nope: true });
    expect(await c.waitFor((f) => f['event'] === 'error')).toEqual({ event: 'error', data: { message: 'message failed validation' } });
    expect(seen).toEqual([['sess-1', { event: 'play', data: { pieces: [1] } }]]);
    t.publish('ROOM1', { event: 'phase_change', data: {} });
    expect(await c.waitFor((f) => f['event'] === 'phase_change')).toMatchObject({ offset: 1 });
    const report = await t.close({ budgetMs: 10_000, drain: () => rooms.flush() });
    expect(report.closedSockets).toBe(1);
    expect((await c.closed).code).toBe(1001);
    await rm(publicDir, { recursive: true, force: true });
  });
});
