import { describe, expect, it } from 'vitest';
import {
  compose,
  dedupe,
  defaultEventOf,
  errorFrames,
  FrameError,
  parse,
  silentLogger,
  sizeLimit,
  standardPipeline,
  timing,
  type Connection,
  type FrameContext,
  type Middleware,
} from '../src/index.js';
import { msgpackCodec } from '../src/codec.js';

function fakeConn(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'c1',
    route: '/ws',
    path: '/ws',
    params: {},
    query: '',
    remoteAddress: '127.0.0.1',
    codec: 'json',
    attributes: {},
    identity: undefined,
    rooms: new Set(),
    isOpen: true,
    openedAt: 0,
    ...overrides,
  };
}

function ctxFor(frame: string | Uint8Array, conn = fakeConn()): FrameContext & { replies: unknown[] } {
  const replies: unknown[] = [];
  return {
    conn,
    raw: typeof frame === 'string' ? new TextEncoder().encode(frame) : frame,
    isBinary: typeof frame !== 'string',
    receivedAt: 0,
    correlationId: 'srv-1',
    message: undefined,
    event: 'unknown',
    messageId: undefined,
    state: {},
    log: silentLogger,
    reply: (m) => (replies.push(m), 'sent'),
    replies,
  };
}

describe('compose', () => {
  it('runs middleware as an onion in array order and stops when next() is not called', async () => {
    const trace: string[] = [];
    const mw = (name: string, stop = false): Middleware => async (_ctx, next) => {
      trace.push(`${name}>`);
      if (!stop) await next();
      trace.push(`<${name}`);
    };
    await compose([mw('a'), mw('b', true), mw('c')])(ctxFor('{}'));
    expect(trace).toEqual(['a>', 'b>', '<b', '<a']);
  });

  it('rejects a middleware that calls next() twice', async () => {
    const twice: Middleware = async (_ctx, next) => {
      await next();
      await next();
    };
    await expect(compose([twice])(ctxFor('{}'))).rejects.toThrow(/more than once/);
  });
});

describe('built-in middleware', () => {
  it('parse sets message, event and message id; rejects non-objects', async () => {
    const ctx = ctxFor('{"type":"play_pieces","id":"m-1","x":1}');
    await compose([parse()])(ctx);
    expect(ctx.message).toEqual({ type: 'play_pieces', id: 'm-1', x: 1 });
    expect(ctx.event).toBe('play_pieces');
    expect(ctx.messageId).toBe('m-1');
    for (const bad of ['[]', '1', '"s"', 'null', 'true']) {
      await expect(compose([parse()])(ctxFor(bad))).rejects.toMatchObject({ code: 'NOT_AN_OBJECT' });
    }
    await expect(compose([parse()])(ctxFor('{'))).rejects.toMatchObject({ code: 'INVALID_FRAME' });
  });

  it('parse decodes msgpack frames for msgpack connections', async () => {
    const ctx = ctxFor(msgpackCodec.encode({ type: 'x', n: 2 }), fakeConn({ codec: 'msgpack' }));
    await compose([parse()])(ctx);
    expect(ctx.message).toEqual({ type: 'x', n: 2 });
  });

  it('an event name that is not a short identifier is reported as unknown (bounded metric labels)', async () => {
    const ctx = ctxFor(JSON.stringify({ type: 'x'.repeat(200) }));
    await compose([parse()])(ctx);
    expect(ctx.event).toBe('unknown');
  });

  it('the default event name is a 1–48 character identifier of [A-Za-z0-9_.:-], else unknown', () => {
    const pattern = /^[A-Za-z0-9_.:-]{1,48}$/;
    const chars = 'aZ09_.:-/ \n\u00e9\u{1F3B2}@[`{';
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const cases = ['', 'a', 'x'.repeat(48), 'x'.repeat(49), 'play_pieces', 'room:join', 'a\n', '\na', 'é'];
    for (let i = 0; i < 2000; i++) cases.push(Array.from({ length: rnd(52) }, () => [...chars][rnd([...chars].length)]).join(''));
    for (const t of cases) expect(defaultEventOf({ type: t })).toBe(pattern.test(t) ? t : 'unknown');
    expect(defaultEventOf({ event: 'e1' })).toBe('e1');
    expect(defaultEventOf({ type: 7 })).toBe('unknown');
  });

  it('sizeLimit carries the limit and the size', async () => {
    await expect(compose([sizeLimit({ maxBytes: 4 })])(ctxFor('{"a":1}'))).rejects.toMatchObject({
      code: 'FRAME_TOO_LARGE',
      details: { limit: 4, size: 7 },
    });
    expect(() => sizeLimit({ maxBytes: 0 })).toThrow(/maxBytes/);
  });

  it('dedupe forgets ids after the window (injected clock) and after a failed handling', async () => {
    let now = 0;
    let calls = 0;
    let fail = true;
    const chain = compose([
      parse(),
      dedupe({ ttlMs: 1000, now: () => now }),
      () => {
        calls++;
        if (fail) throw new Error('db down');
      },
    ]);
    await expect(chain(ctxFor('{"id":"a"}'))).rejects.toThrow('db down');
    fail = false;
    await chain(ctxFor('{"id":"a"}'));
    await chain(ctxFor('{"id":"a"}'));
    expect(calls).toBe(2);
    now = 1001;
    await chain(ctxFor('{"id":"a"}'));
    expect(calls).toBe(3);
    // scope is per identity when bound: another connection of the same identity is a duplicate
    const p1 = fakeConn({ id: 'c2', identity: 'player-1' });
    const p1b = fakeConn({ id: 'c3', identity: 'player-1' });
    await chain(ctxFor('{"id":"b"}', p1));
    await chain(ctxFor('{"id":"b"}', p1b));
    expect(calls).toBe(4);
  });

  it('errorFrames replies with the formatter, falling back to the default when the formatter throws', async () => {
    const ctx = ctxFor('{}');
    await compose([
      errorFrames({
        format: () => {
          throw new Error('formatter bug');
        },
      }),
      () => {
        throw new FrameError('RATE_LIMITED', 'slow down');
      },
    ])(ctx);
    expect(ctx.replies).toEqual([{ type: 'error', code: 'RATE_LIMITED', message: 'slow down', correlationId: 'srv-1' }]);
    const ctx2 = ctxFor('{}');
    await compose([errorFrames({ format: (e) => ({ event: 'error', msg: (e as Error).message }) }), () => Promise.reject(new FrameError('INVALID_FRAME', 'x'))])(ctx2);
    expect(ctx2.replies).toEqual([{ event: 'error', msg: 'x' }]);
  });

  it('timing reports the outcome of synchronous and asynchronous handling', async () => {
    const reports: [string, string][] = [];
    const report = (event: string, _s: number, outcome: 'ok' | 'error'): void => void reports.push([event, outcome]);
    await compose([timing(report), parse(), () => undefined])(ctxFor('{"type":"a"}'));
    await compose([timing(report), parse(), () => Promise.resolve()])(ctxFor('{"type":"b"}'));
    await expect(compose([timing(report), parse(), () => Promise.reject(new Error('x'))])(ctxFor('{"type":"c"}'))).rejects.toThrow('x');
    await expect(
      compose([
        timing(report),
        parse(),
        () => {
          throw new Error('y');
        },
      ])(ctxFor('{"type":"d"}')),
    ).rejects.toThrow('y');
    expect(reports).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'error'],
      ['d', 'error'],
    ]);
  });

  it('built-in steps keep the onion semantics of their function form, mixed with async hooks and user middleware', async () => {
    const trace: string[] = [];
    const mw = (name: string): Middleware => async (_ctx, next) => {
      trace.push(`${name}>`);
      await next();
      trace.push(`<${name}`);
    };
    const reports: string[] = [];
    let fail = false;
    let duplicates = 0;
    const pipeline = standardPipeline({
      onTiming: (event, _s, outcome) => void reports.push(`${event}:${outcome}`),
      rateLimit: async () => (trace.push('rate'), true),
      validate: (m) => (trace.push('validate'), { ok: true, value: { ...m, v: 1 } }),
      identify: () => Promise.resolve(void trace.push('identify')),
      dedupe: {
        onDuplicate: async () => {
          await Promise.resolve();
          duplicates++;
        },
      },
      use: [mw('use')],
      handler: (ctx) => {
        trace.push(`handle:${String(ctx.message['v'])}`);
        if (fail) throw new FrameError('RATE_LIMITED', 'no');
      },
    });
    const chain = compose(pipeline);
    const ctx1 = ctxFor('{"type":"a","id":"m1"}');
    await chain(ctx1);
    expect(trace).toEqual(['rate', 'validate', 'identify', 'use>', 'handle:1', '<use']);
    // a duplicate stops before `use` and the handler; its async onDuplicate is awaited
    trace.length = 0;
    const ctx2 = ctxFor('{"type":"a","id":"m1"}');
    await chain(ctx2);
    expect([trace, duplicates, ctx2.state['duplicate']]).toEqual([['rate', 'validate', 'identify'], 1, true]);
    // a failure becomes an error frame, the id is forgotten (the retry runs), timing saw the error
    fail = true;
    const ctx3 = ctxFor('{"type":"b","id":"m2"}');
    await chain(ctx3);
    expect(ctx3.replies).toEqual([{ type: 'error', code: 'RATE_LIMITED', message: 'no', correlationId: 'srv-1' }]);
    fail = false;
    trace.length = 0;
    await chain(ctxFor('{"type":"b","id":"m2"}'));
    expect(trace).toContain('handle:1');
    // a synchronous built-in failure (size limit) is answered too, and reported by timing
    const big = ctxFor(JSON.stringify({ type: 'c', pad: 'x'.repeat(20_000) }));
    await chain(big);
    expect(big.replies).toMatchObject([{ code: 'FRAME_TOO_LARGE' }]);
    expect(reports).toEqual(['a:ok', 'a:ok', 'b:error', 'b:ok', 'unknown:error']);
  });

  it('a chain of synchronous built-ins finishes within the call (no microtask)', () => {
    const handled: string[] = [];
    const ctx = ctxFor('{"type":"sync"}');
    void compose(standardPipeline({ handler: (c) => void handled.push(c.event) }))(ctx);
    expect(handled).toEqual(['sync']);
    const bad = ctxFor('[]');
    void compose(standardPipeline({ handler: () => undefined }))(bad);
    expect(bad.replies).toMatchObject([{ code: 'NOT_AN_OBJECT' }]);
  });

  it('standardPipeline adopts a client correlation id and passes a transformed message to the handler', async () => {
    const seen: unknown[] = [];
    const ctx = ctxFor('{"type":"a","correlationId":"client-7"}');
    await compose(
      standardPipeline({
        validate: (m) => ({ ok: true, value: { ...m, validated: true } }),
        handler: (c) => void seen.push([c.correlationId, c.message]),
      }),
    )(ctx);
    expect(seen).toEqual([['client-7', { type: 'a', correlationId: 'client-7', validated: true }]]);
  });
});

describe('frame parsing fuzz', () => {
  it('any byte sequence either parses to a plain object or becomes INVALID_FRAME / NOT_AN_OBJECT / FRAME_TOO_LARGE', async () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = '{}[]":,0123456789.-eE truefalsnul\\u"ab';
    const chain = compose(standardPipeline({ maxFrameBytes: 64, dedupe: false, handler: () => undefined }));
    for (let i = 0; i < 3000; i++) {
      const len = rnd(80);
      const useBytes = rnd(3) === 0;
      const frame = useBytes
        ? Uint8Array.from({ length: len }, () => rnd(256))
        : Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
      const ctx = ctxFor(frame, fakeConn({ codec: useBytes && rnd(2) === 0 ? 'msgpack' : 'json' }));
      await chain(ctx);
      if (ctx.replies.length === 0) {
        expect(typeof ctx.message).toBe('object');
        expect(Array.isArray(ctx.message)).toBe(false);
      } else {
        expect(ctx.replies).toHaveLength(1);
        expect(['INVALID_FRAME', 'NOT_AN_OBJECT', 'FRAME_TOO_LARGE']).toContain((ctx.replies[0] as { code: string }).code);
      }
    }
  });
});
