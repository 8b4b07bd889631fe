import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpStream, Transport } from '../src/index.js';
import { startTransport } from './helpers.js';

let t: Transport;
let port: number;
const streams: HttpStream[] = [];
let closedCount = 0;
let opened!: () => void;
let openedP = new Promise<void>((r) => (opened = r));

beforeAll(async () => {
  const s = await startTransport((tr) => {
    tr.http.get('/events', (ctx) => {
      const stream = ctx.stream(200, 'text/event-stream');
      stream.onClose(() => closedCount++);
      streams.push(stream);
      stream.write('retry: 1000\n\n');
      opened();
    });
  });
  t = s.t;
  port = Number(new URL(s.http).port);
});
afterAll(async () => {
  await t?.close({ budgetMs: 1000 });
});

function open(): Promise<{ chunks: string[]; status: number; headers: Record<string, unknown>; next(): Promise<string>; ended: Promise<void>; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
      const chunks: string[] = [];
      let waiter: ((c: string) => void) | undefined;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        chunks.push(c);
        waiter?.(c);
        waiter = undefined;
      });
      const ended = new Promise<void>((r) => res.on('end', () => r()).on('close', () => r()));
      resolve({
        chunks,
        status: res.statusCode ?? 0,
        headers: res.headers,
        next: () => new Promise((r) => (waiter = r)),
        ended,
        destroy: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('streamed HTTP responses', () => {
  it('sends headers at once, chunks as written, and ends when the server ends it', async () => {
    const c = await open();
    await openedP;
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream');
    expect(c.headers['cache-control']).toBe('no-cache');
    const s = streams.at(-1)!;
    const got = c.next();
    expect(s.write('data: one\n\n')).toBe(true);
    expect((await got) + c.chunks.join('')).toContain('data: one');
    s.end();
    await c.ended;
    expect(s.closed).toBe(true);
    expect(s.write('late')).toBe(false);
    expect(closedCount).toBe(1);
  });

  it('tells the handler when the client goes away; later writes are no-ops (no use-after-abort)', async () => {
    openedP = new Promise<void>((r) => (opened = r));
    const c = await open();
    await openedP;
    const s = streams.at(-1)!;
    const closed = new Promise<void>((r) => s.onClose(r));
    c.destroy();
    await closed;
    expect(s.closed).toBe(true);
    expect(s.write('after abort')).toBe(false);
    s.end(); // idempotent, no throw
  });
});
