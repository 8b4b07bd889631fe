import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTestClient, UpgradeRejectedError, type TestClient } from '../src/testing/index.js';
import { createTransport, FrameError, msgpackCodec, serializeCookie, standardPipeline, type FrameContext, type Transport } from '../src/index.js';
import { startTransport, until } from './helpers.js';

const open: Transport[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const t of open.splice(0)) await t.close({ budgetMs: 1000 });
});

async function start(setup: Parameters<typeof startTransport>[0], options?: Parameters<typeof startTransport>[1]) {
  const s = await startTransport(setup, options);
  open.push(s.t);
  return s;
}
async function client(url: string, opts?: Parameters<typeof connectTestClient>[1]) {
  const c = await connectTestClient(url, opts);
  clients.push(c);
  return c;
}

describe('routing and upgrade', () => {
  it('routes by path and decodes path parameters', async () => {
    const { url } = await start((t) => {
      t.ws('/ws/:room', {
        onOpen: (conn) => void t.send(conn, { type: 'hello', room: conn.params['room'], route: conn.route, query: conn.query }),
        pipeline: [],
      });
      t.ws('/lobby', { onOpen: (conn) => void t.send(conn, { type: 'lobby' }), pipeline: [] });
    });
    const a = await client(`${url}/ws/ROOM%201?x=1`);
    const b = await client(`${url}/lobby`);
    expect(await a.waitFor((f) => f['type'] === 'hello')).toEqual({ type: 'hello', room: 'ROOM 1', route: '/ws/:room', query: 'x=1' });
    expect(await b.waitFor((f) => f['type'] === 'lobby')).toEqual({ type: 'lobby' });
  });

  it('rejects an upgrade with the hook status and accepts with attributes, identity and a Set-Cookie', async () => {
    const { url } = await start((t) => {
      t.ws<{ session: string }, string>('/ws/:room', {
        upgrade: async (req) => {
          await Promise.resolve();
          if (req.params['room'] === 'FULL') return { reject: { status: 403, message: 'room full' } };
          const session = req.cookies['sid'] ?? 'new-session';
          return {
            attributes: { session },
            identity: req.headers['x-player'] ?? 'anon',
            headers: { 'set-cookie': serializeCookie('sid', session, { maxAgeSeconds: 3600 }) },
          };
        },
        onOpen: (conn) => void t.send(conn, { type: 'who', session: conn.attributes.session, identity: conn.identity }),
        pipeline: [],
      });
    });
    await expect(connectTestClient(`${url}/ws/FULL`)).rejects.toMatchObject({ status: 403, body: 'room full' });
    await expect(connectTestClient(`${url}/ws/FULL`)).rejects.toBeInstanceOf(UpgradeRejectedError);
    const c = await client(`${url}/ws/A`, { headers: { cookie: 'sid=abc; other=1', 'x-player': 'p1' } });
    expect(await c.waitFor((f) => f['type'] === 'who')).toEqual({ type: 'who', session: 'abc', identity: 'p1' });
    expect(String(c.upgradeHeaders['set-cookie'])).toContain('sid=abc; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax');
  });

  it('answers 500 when the upgrade hook throws, and the server keeps serving', async () => {
    const { url } = await start((t) => {
      t.ws('/ws/:room', {
        upgrade: (req) => {
          if (req.params['room'] === 'BOOM') throw new Error('boom');
          return {};
        },
        onOpen: (conn) => void t.send(conn, { type: 'ok' }),
        pipeline: [],
      });
    });
    await expect(connectTestClient(`${url}/ws/BOOM`)).rejects.toMatchObject({ status: 500 });
    const c = await client(`${url}/ws/FINE`);
    await c.waitFor((f) => f['type'] === 'ok');
  });

  it('survives a client that disconnects while an async upgrade hook is pending', async () => {
    let release!: () => void;
    let hookCalls = 0;
    const { t, url } = await start((t) => {
      t.ws('/ws', {
        upgrade: async () => {
          hookCalls++;
          if (hookCalls === 1) await new Promise<void>((r) => (release = r));
          return {};
        },
        onOpen: (conn) => void t.send(conn, { type: 'open' }),
        pipeline: [],
      });
    });
    const port = Number(new URL(url).port);
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await until(() => hookCalls === 1);
    sock.destroy();
    await new Promise((r) => sock.once('close', r));
    release();
    const c = await client(`${url}/ws`);
    await c.waitFor((f) => f['type'] === 'open');
    expect(t.connectionCount()).toBe(1);
  });

  it('calls onClose with the client close code and reason, after leaving rooms', async () => {
    const closes: { code: number; reason: string; rooms: number }[] = [];
    const { t, url } = await start((t) => {
      t.ws('/ws/:room', {
        upgrade: (req) => ({ rooms: [req.params['room']!] }),
        onClose: (conn, code, reason) => void closes.push({ code, reason, rooms: t.roomSize(conn.params['room']!) }),
        pipeline: [],
      });
    });
    const c = await connectTestClient(`${url}/ws/R`);
    await until(() => t.roomSize('R') === 1);
    await c.close(4100, 'bye');
    await until(() => closes.length === 1);
    expect(closes[0]).toEqual({ code: 4100, reason: 'bye', rooms: 0 });
    expect(t.connectionCount()).toBe(0);
  });
});

describe('options', () => {
  it('rejects impossible options with INVALID_OPTIONS and the value', () => {
    let error: unknown;
    try {
      createTransport({ backpressure: { closeBytes: 0 } });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('closeBytes=0') as unknown });
    expect(() => createTransport({ maxQueuedFrames: 0 })).toThrow(/maxQueuedFrames/);
    expect(() => createTransport({ resume: { historySize: -1 } })).toThrow(/historySize/);
  });

  it('refuses a second listen and routes added after listen', async () => {
    const { t } = await start((t) => t.ws('/ws', { pipeline: [] }));
    await expect(t.listen()).rejects.toMatchObject({ code: 'ALREADY_LISTENING' });
    expect(() => t.ws('/late', { pipeline: [] })).toThrow(/before listen/);
  });
});

describe('rooms and sends', () => {
  it('broadcasts to a room, excludes the sender on request, and sends personalised frames', async () => {
    const { t, url } = await start((t) => {
      t.ws<Record<string, unknown>, string>('/ws/:room', {
        upgrade: (req) => ({ identity: req.query.replace('p=', ''), rooms: [req.params['room']!] }),
        pipeline: standardPipeline<Record<string, unknown>, string>({
          handler: (ctx) => {
            const room = ctx.conn.params['room']!;
            t.publish(room, { type: 'said', by: ctx.conn.identity, text: ctx.message['text'] }, { except: ctx.conn });
            for (const m of t.roomMembers(room)) t.send(m, { type: 'private', to: m.identity });
          },
        }),
      });
    });
    const a = await client(`${url}/ws/R1?p=a`);
    const b = await client(`${url}/ws/R1?p=b`);
    const other = await client(`${url}/ws/R2?p=c`);
    await until(() => t.roomSize('R1') === 2 && t.roomSize('R2') === 1);
    expect(t.roomNames().sort()).toEqual(['R1', 'R2']);
    a.send({ type: 'say', text: 'hi' });
    expect(await b.waitFor((f) => f['type'] === 'said')).toEqual({ type: 'said', by: 'a', text: 'hi' });
    expect(await a.waitFor((f) => f['type'] === 'private')).toEqual({ type: 'private', to: 'a' });
    expect(await b.waitFor((f) => f['type'] === 'private')).toEqual({ type: 'private', to: 'b' });
    // a round trip on `other` proves nothing from R1 reached it
    t.publish('R2', { type: 'mark' });
    await other.waitFor((f) => f['type'] === 'mark');
    expect(other.frames).toEqual([{ type: 'mark' }]);
    expect(a.frames.some((f) => (f as { type: string }).type === 'said')).toBe(false);
  });

  it('join/leave change membership and counts; sends to a closed connection report closed', async () => {
    let conn: Parameters<Transport['send']>[0] | undefined;
    const { t, url } = await start((t) => {
      t.ws('/x', { onOpen: (c) => void (conn = c), pipeline: [] });
    });
    const c = await connectTestClient(`${url}/x`);
    await until(() => conn !== undefined);
    t.join(conn!, 'a');
    t.join(conn!, 'b');
    expect([...conn!.rooms].sort()).toEqual(['a', 'b']);
    expect(t.publish('a', { type: 'in-a' }).recipients).toBe(1);
    t.leave(conn!, 'a');
    expect(t.roomSize('a')).toBe(0);
    expect(t.publish('a', { type: 'in-a-again' }).recipients).toBe(0);
    t.publish('b', { type: 'in-b' });
    await c.waitFor((f) => f['type'] === 'in-b');
    expect(c.frames).toEqual([{ type: 'in-a' }, { type: 'in-b' }]);
    await c.close();
    await until(() => !conn!.isOpen);
    expect(t.send(conn!, { type: 'late' })).toBe('closed');
    expect(t.stats().sendFailures).toBe(1);
  });

  it('cork sends several frames outside a handler in order, and still runs its function once the socket is closed', async () => {
    let conn: Parameters<Transport['send']>[0] | undefined;
    const { t, url } = await start((t) => {
      t.ws('/x', { onOpen: (c) => void (conn = c), pipeline: [] });
    });
    const c = await connectTestClient(`${url}/x`);
    await until(() => conn !== undefined);
    await new Promise<void>((resolve) => setTimeout(resolve, 0)); // outside any uWS callback
    const results: string[] = [];
    t.cork(conn!, () => {
      for (let i = 1; i <= 3; i++) results.push(t.send(conn!, { type: 'corked', i }));
    });
    expect(results).toEqual(['sent', 'sent', 'sent']);
    await c.waitFor((f) => f['i'] === 3);
    expect(c.frames).toEqual([1, 2, 3].map((i) => ({ type: 'corked', i })));
    await c.close();
    await until(() => !conn!.isOpen);
    let ran = false;
    t.cork(conn!, () => {
      ran = true;
      expect(t.send(conn!, { type: 'late' })).toBe('closed');
    });
    expect(ran).toBe(true);
  });

  it('closeConnection closes with the given code and reason; a second call is a no-op', async () => {
    const closes: number[] = [];
    const { t, url } = await start((t) => {
      t.ws('/ws', {
        onClose: (_c, code) => void closes.push(code),
        pipeline: standardPipeline({
          handler: (ctx) => {
            t.closeConnection(ctx.conn, 4403, 'seat taken');
            t.closeConnection(ctx.conn, 4000, 'again');
          },
        }),
      });
    });
    const c = await connectTestClient(`${url}/ws`);
    c.send({ type: 'take_seat' });
    expect(await c.closed).toEqual({ code: 4403, reason: 'seat taken' });
    expect(closes).toEqual([4403]);
    expect(t.connectionCount()).toBe(0);
  });

  it('cuts a long non-ASCII close reason to 123 bytes on a character boundary (regression: the client saw 1006)', async () => {
    const { t, url } = await start((t) => {
      t.ws('/ws', {
        pipeline: standardPipeline({
          handler: (ctx) => {
            t.closeConnection(ctx.conn, 4000, String(ctx.message['reason']));
          },
        }),
      });
    });
    const accented = await connectTestClient(`${url}/ws`);
    accented.send({ type: 'bye', reason: 'é'.repeat(100) });
    expect(await accented.closed).toEqual({ code: 4000, reason: 'é'.repeat(61) });
    const emoji = await connectTestClient(`${url}/ws`);
    emoji.send({ type: 'bye', reason: `x${'😀'.repeat(40)}` });
    expect(await emoji.closed).toEqual({ code: 4000, reason: `x${'😀'.repeat(30)}` });
    const shutdown = await connectTestClient(`${url}/ws`);
    await until(() => t.connectionCount() === 1);
    await t.close({ budgetMs: 1000, reason: 'redémarrage '.repeat(20) });
    const closed = await shutdown.closed;
    expect(closed.code).toBe(1001);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect('redémarrage '.repeat(20).startsWith(closed.reason)).toBe(true);
    expect(Buffer.byteLength(closed.reason)).toBeGreaterThan(120);
  });

  it('speaks msgpack binary frames to clients that choose it, JSON to the others, in one room', async () => {
    const { url } = await start((t) => {
      t.ws('/ws', {
        upgrade: (req) => ({ codec: req.protocols.includes('msgpack') ? 'msgpack' : 'json', rooms: ['r'] }),
        pipeline: standardPipeline({ handler: (ctx) => void t.publish('r', { type: 'echo', n: ctx.message['n'], codec: ctx.conn.codec }) }),
      });
    });
    const bin = await client(`${url}/ws`, { protocols: ['msgpack'] });
    const text = await client(`${url}/ws`);
    expect(bin.socket.protocol).toBe('msgpack');
    bin.send({ type: 'n', n: 7 });
    expect(await text.waitFor((f) => f['type'] === 'echo')).toEqual({ type: 'echo', n: 7, codec: 'msgpack' });
    expect(await bin.waitFor((f) => f['type'] === 'echo')).toEqual({ type: 'echo', n: 7, codec: 'msgpack' });
  });
});

describe('inbound pipeline', () => {
  it('runs middleware in order and handles frames of one connection in arrival order despite async steps', async () => {
    const trace: string[] = [];
    const { url } = await start((t) => {
      t.ws('/ws', {
        pipeline: standardPipeline({
          rateLimit: async (ctx) => {
            trace.push(`rate:${String(ctx.message?.['n'])}`);
            // later frames finish their async step sooner: ordering must still hold
            await new Promise((r) => setTimeout(r, 10 - Number(ctx.message?.['n'])));
            return true;
          },
          validate: (m) => (trace.push(`validate:${String(m['n'])}`), { ok: true }),
          identify: (ctx) => void trace.push(`identify:${String(ctx.message?.['n'])}`),
          handler: (ctx) => {
            trace.push(`handle:${String(ctx.message['n'])}`);
            ctx.reply({ type: 'done', n: ctx.message['n'] });
          },
        }),
      });
    });
    const c = await client(`${url}/ws`);
    for (let n = 0; n < 5; n++) c.send({ type: 'step', n });
    await c.waitFor((f) => f['n'] === 4);
    expect(c.frames.map((f) => (f as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(trace.slice(0, 4)).toEqual(['rate:0', 'validate:0', 'identify:0', 'handle:0']);
    expect(trace.filter((s) => s.startsWith('handle'))).toEqual(['handle:0', 'handle:1', 'handle:2', 'handle:3', 'handle:4']);
  });

  it("refuses frames beyond maxQueuedFrames with the overloaded message (default or the protocol's own) and handles the queued ones", async () => {
    for (const custom of [false, true]) {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const handled: number[] = [];
      const { t, url } = await start(
        (tr) => {
          tr.ws('/ws', {
            pipeline: standardPipeline({
              // The first frame waits on the gate: every later one queues behind it.
              rateLimit: async (ctx) => {
                if (ctx.message?.['n'] === 0) await gate;
                return true;
              },
              handler: (ctx) => void handled.push(Number(ctx.message['n'])),
            }),
          });
        },
        {
          maxQueuedFrames: 3,
          ...(custom ? { overloadedMessage: ({ maxQueuedFrames }) => ({ event: 'error', data: { type: 'rate_limit', message: `busy (${maxQueuedFrames})` } }) } : {}),
        },
      );
      const c = await client(`${url}/ws`);
      for (let n = 0; n < 6; n++) c.send({ type: 'step', n });
      // 0 is in flight, 1-3 wait, 4 and 5 are refused.
      await until(() => c.frames.length === 2, 5000, 'two refusals');
      const expected = custom
        ? { event: 'error', data: { type: 'rate_limit', message: 'busy (3)' } }
        : { type: 'error', code: 'OVERLOADED', message: 'more than 3 frames waiting; frame dropped' };
      expect(c.frames).toEqual([expected, expected]);
      expect(t.stats().inboundOverflows).toBe(2);
      release();
      await until(() => handled.length === 4, 5000, 'the queued frames');
      expect(handled).toEqual([0, 1, 2, 3]);
    }
  });

  it('keeps arrival order when synchronous and asynchronous frames interleave', async () => {
    const handled: number[] = [];
    const { url } = await start((t) => {
      t.ws('/ws', {
        pipeline: standardPipeline({
          dedupe: false,
          handler: (ctx) => {
            const n = Number(ctx.message['n']);
            if (n % 3 === 1) {
              // an asynchronous frame: the ones behind it must wait, even the synchronous ones
              return new Promise<void>((r) => setTimeout(r, 5)).then(() => {
                handled.push(n);
                ctx.reply({ n });
              });
            }
            handled.push(n);
            ctx.reply({ n });
          },
        }),
      });
    });
    const c = await client(`${url}/ws`);
    for (let n = 0; n < 30; n++) c.send({ type: 'step', n });
    await c.waitFor((f) => f['n'] === 29);
    expect(handled).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(c.frames.map((f) => (f as { n: number }).n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('ctx.raw is the exact frame, whether read in the callback, after an await, or after the frame was handled', async () => {
    const kept: { binary: boolean; early: string; late: Promise<string>; later?: () => string }[] = [];
    // 0: read now; 1: read after an await; 2: never read while handling, only after it finished
    const record = (ctx: FrameContext, wait: boolean): Promise<void> | undefined => {
      const hex = (): string => Buffer.from(ctx.raw.buffer, ctx.raw.byteOffset, ctx.raw.byteLength).toString('hex');
      const mode = kept.length % 3;
      const early = mode === 0 ? hex() : '';
      const late = mode === 1 ? new Promise<void>((r) => setTimeout(r, 5)).then(hex) : Promise.resolve('');
      kept.push({ binary: ctx.isBinary, early, late, ...(mode === 2 ? { later: hex } : {}) });
      return mode === 1 && wait ? late.then(() => undefined) : undefined;
    };
    const { url } = await start((t) => {
      t.ws('/ws', {
        upgrade: (req) => ({ codec: req.protocols.includes('msgpack') ? 'msgpack' : 'json' }),
        // frames that parse reach `use`; the others are recorded by onError
        pipeline: standardPipeline({
          onError: (_error, ctx) => void record(ctx, false),
          use: [(ctx, next) => (record(ctx, true) ?? Promise.resolve()).then(next)],
          handler: (ctx) => void ctx.reply({ type: 'ok' }),
        }),
      });
    });
    const text = await client(`${url}/ws`);
    const bin = await client(`${url}/ws`, { protocols: ['msgpack'] });
    const texts = ['{"type":"a","s":"héllo wörld ✓ 🎲"}', '{"type":"b"}', 'not json at all ¿', '["é"]', '{"x":"' + 'é'.repeat(300) + '"}'];
    const binaries = [
      Buffer.from([0, 255, 1, 254, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
      Buffer.from('{"type":"c"}'),
      msgpackCodec.encode({ type: 'm', s: 'ü' }) as Uint8Array,
      Buffer.alloc(200, 0xff),
    ];
    const frames: [TestClient, string | Uint8Array][] = [];
    for (const t of texts) frames.push([text, t]);
    // binary frames to a JSON connection (decoded as UTF-8, which they need not be) and to a msgpack one
    for (const c of [text, bin]) for (const b of binaries) frames.push([c, b]);
    const sent: string[] = [];
    const send = (c: TestClient, f: string | Uint8Array): void => {
      if (typeof f === 'string') c.send(f);
      else c.socket.send(f, { binary: true });
      sent.push(Buffer.from(f).toString('hex'));
    };
    const replies = (): number => text.frames.length + bin.frames.length;
    // one at a time (each frame meets an idle connection: read in place), three times so each kind meets each read mode
    for (let i = 0; i < 3; i++) {
      for (const [c, f] of frames) {
        send(c, f);
        await until(() => replies() === sent.length, 5000, 'reply');
      }
    }
    // in bursts (frames wait in the connection's queue)
    for (let i = 0; i < 3; i++) for (const [c, f] of frames) send(c, f);
    await until(() => replies() === sent.length, 5000, 'replies');
    await new Promise((r) => setTimeout(r, 20));
    const seen = await Promise.all(kept.map(async (k) => `${k.binary ? 'binary' : 'text'} ${k.early || (await k.late) || k.later!()}`));
    // frames of two connections: compare as sorted lists (each connection keeps its own order)
    const expected = sent.map((hex, i) => `${typeof frames[i % frames.length]![1] === 'string' ? 'text' : 'binary'} ${hex}`);
    expect(seen.sort()).toEqual(expected.sort());
  });

  it('answers garbage, oversize and non-object frames with error frames and keeps the socket open', async () => {
    const { url } = await start((t) => {
      t.ws('/ws', {
        maxPayloadBytes: 64 * 1024,
        pipeline: standardPipeline({ maxFrameBytes: 1024, handler: (ctx) => void ctx.reply({ type: 'ok', n: ctx.message['n'] }) }),
      });
    });
    const c = await client(`${url}/ws`);
    c.send('{not json');
    expect(await c.waitFor((f) => f['code'] === 'INVALID_FRAME')).toMatchObject({ type: 'error', code: 'INVALID_FRAME' });
    c.send('x'.repeat(5000));
    expect(await c.waitFor((f) => f['code'] === 'FRAME_TOO_LARGE')).toMatchObject({ details: { limit: 1024, size: 5000 } });
    c.send('[1,2]');
    c.send('42');
    c.send('null');
    c.send(Buffer.from([0xff, 0xfe, 0x00]));
    await until(() => c.frames.filter((f) => (f as { code?: string }).code !== undefined).length === 6);
    expect(c.frames.map((f) => (f as { code: string }).code)).toEqual([
      'INVALID_FRAME',
      'FRAME_TOO_LARGE',
      'NOT_AN_OBJECT',
      'NOT_AN_OBJECT',
      'NOT_AN_OBJECT',
      'INVALID_FRAME',
    ]);
    c.send({ type: 'x', n: 1 });
    expect(await c.waitFor((f) => f['type'] === 'ok')).toEqual({ type: 'ok', n: 1 });
  });

  it('turns a thrown handler error into an error frame (internal details hidden) and a FrameError into its code', async () => {
    const { url } = await start((t) => {
      t.ws('/ws', {
        pipeline: standardPipeline({
          handler: (ctx) => {
            if (ctx.message['type'] === 'bad') throw new FrameError('VALIDATION_FAILED', 'not your turn', { seat: 2 });
            throw new Error('database password is hunter2');
          },
        }),
      });
    });
    const c = await client(`${url}/ws`);
    c.send({ type: 'bad', correlationId: 'c-1' });
    expect(await c.waitFor((f) => f['correlationId'] === 'c-1')).toEqual({
      type: 'error',
      code: 'VALIDATION_FAILED',
      message: 'not your turn',
      correlationId: 'c-1',
      details: { seat: 2 },
    });
    c.send({ type: 'crash', correlationId: 'c-2' });
    expect(await c.waitFor((f) => f['correlationId'] === 'c-2')).toEqual({ type: 'error', code: 'INTERNAL', message: 'internal error', correlationId: 'c-2' });
    expect(c.socket.readyState).toBe(c.socket.OPEN);
  });

  it('deduplicates by client message id, and rate-limit / validation refusals carry their facts', async () => {
    let handled = 0;
    const { url } = await start((t) => {
      t.ws('/ws', {
        pipeline: standardPipeline({
          rateLimit: (ctx) => (ctx.message?.['type'] === 'spam' ? { allowed: false, retryAfterMs: 250 } : true),
          validate: (m) => (typeof m['type'] === 'string' ? { ok: true } : { ok: false, issues: ['type must be a string'] }),
          handler: (ctx) => {
            handled++;
            ctx.reply({ type: 'ack', id: ctx.messageId });
          },
        }),
      });
    });
    const c = await client(`${url}/ws`);
    c.send({ type: 'move', id: 'm1' });
    c.send({ type: 'move', id: 'm1' });
    c.send({ type: 'move', id: 'm2' });
    c.send({ type: 'spam' });
    c.send({ type: 5 });
    await c.waitFor((f) => f['code'] === 'VALIDATION_FAILED');
    expect(handled).toBe(2);
    expect(c.frames).toEqual([
      { type: 'ack', id: 'm1' },
      { type: 'ack', id: 'm2' },
      expect.objectContaining({ code: 'RATE_LIMITED', details: { retryAfterMs: 250 } }),
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { issues: ['type must be a string'] } }),
    ]);
  });

  it("passes the app's own ping/pong frames through to the handler", async () => {
    const { url } = await start((t) => {
      t.ws('/ws', { pipeline: standardPipeline({ handler: (ctx) => void (ctx.message['type'] === 'ping' && ctx.reply({ type: 'pong', t: ctx.message['t'] })) }) });
    });
    const c = await client(`${url}/ws`);
    c.send({ type: 'ping', t: 123 });
    expect(await c.waitFor((f) => f['type'] === 'pong')).toEqual({ type: 'pong', t: 123 });
  });
});
