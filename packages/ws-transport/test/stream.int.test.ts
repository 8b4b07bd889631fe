import { request } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpStream, Transport } from '../src/index.js';
import { startTransport, until } from './helpers.js';

let t: Transport;
let port: number;
const streams: HttpStream[] = [];
let closedCount = 0;
let opened!: () => void;
let openedP = new Promise<void>((r) => (opened = r));
const MiB = 1024 * 1024;
const download: { writes?: number; lastWrite?: boolean; drained?: boolean } = {};

beforeAll(async () => {
  const s = await startTransport((tr) => {
    tr.http.get('/events', (ctx) => {
      const stream = ctx.stream(200, 'text/event-stream');
      stream.onClose(() => closedCount++);
      streams.push(stream);
      stream.write('retry: 1000\n\n');
      opened();
    });
    tr.http.get('/download', async (ctx) => {
      const stream = ctx.stream(200, 'application/octet-stream');
      const chunk = Buffer.alloc(MiB, 'a');
      let writes = 0;
      let ok = true;
      while (ok && writes < 64) {
        writes++;
        ok = stream.write(chunk);
      }
      download.writes = writes;
      download.lastWrite = ok;
      await stream.drain();
      download.drained = true;
      stream.write('END');
      stream.end();
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
    await expect(s.drain()).resolves.toBeUndefined();
    s.end(); // idempotent, no throw
  });

  it('write returns false once a client that does not read is behind; drain() resolves when it reads again (regression: write always said true)', async () => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write('GET /download HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    sock.pause();
    const received: Buffer[] = [];
    sock.on('data', (d: Buffer) => received.push(d));
    await until(() => download.writes !== undefined, 10_000, 'the handler to meet backpressure');
    expect(download.lastWrite).toBe(false);
    expect(download.writes).toBeLessThan(64);
    sock.resume();
    await until(() => download.drained === true, 10_000, 'drain');
    await until(() => Buffer.concat(received.slice(-2)).toString('latin1').endsWith('0\r\n\r\n'), 10_000, 'the end of the response');
    const all = Buffer.concat(received);
    const body = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect(body.reduce((n, b) => n + (b === 0x61 ? 1 : 0), 0)).toBe(download.writes! * MiB);
    expect(body.toString('latin1')).toContain('END');
    sock.destroy();
  });
});
