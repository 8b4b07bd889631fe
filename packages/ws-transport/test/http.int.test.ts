import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, type HttpContext, type Transport } from '../src/index.js';
import { startTransport, until } from './helpers.js';

let dir: string;
let t: Transport;
let base: string;
let port: number;
const bigJs = `console.log(${JSON.stringify('game '.repeat(2000))});\n`;
let abortedCtx: HttpContext | undefined;
let headStreamClosed: boolean | undefined;
let releaseSlow!: () => void;
const uploads: { settled: 'resolved' | 'rejected' | undefined; error: unknown }[] = [];
const requests: { route: string; status: number }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ws-transport-static-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>game</title>');
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'assets', 'app.3f9a1c2b7d.js'), bigJs);
  await writeFile(path.join(dir, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  await writeFile(path.join(os.tmpdir(), 'ws-transport-secret.txt'), 'TOP-SECRET-CONTENT');
  // Links out of the root (to a file, to a directory) and hidden files must never be served.
  await symlink(path.join(os.tmpdir(), 'ws-transport-secret.txt'), path.join(dir, 'linked.txt'));
  await symlink(os.tmpdir(), path.join(dir, 'tmplink'));
  await writeFile(path.join(dir, '.env'), 'SECRET=1');
  await mkdir(path.join(dir, '.git'));
  await writeFile(path.join(dir, '.git', 'config'), 'SECRET=2');
  await mkdir(path.join(dir, '.well-known'));
  await writeFile(path.join(dir, '.well-known', 'security.txt'), 'Contact: mailto:security@example.com');
  // A link that stays inside the root is fine.
  await symlink(path.join(dir, 'favicon.ico'), path.join(dir, 'icon-link.ico'));
  const s = await startTransport(
    (t) => {
      t.http.use(async (ctx, next) => {
        ctx.header('x-middleware', 'yes');
        await next();
      });
      t.http.get('/api/rooms/:id', (ctx) => ctx.json(200, { id: ctx.params['id'], q: ctx.query, cid: ctx.correlationId }));
      t.http.post('/api/echo', async (ctx) => ctx.json(201, { got: await ctx.readJson() }));
      t.http.del('/api/rooms/:id', async (ctx) => ctx.json(200, { deleted: ctx.params['id'], bodyBytes: (await ctx.body()).byteLength }));
      t.http.get('/api/teapot', () => {
        throw new HttpError(409, 'INVALID_OPTIONS', 'conflict here');
      });
      t.http.get('/api/crash', () => {
        throw new Error('secret internals');
      });
      t.http.get('/api/slow', async (ctx) => {
        abortedCtx = ctx;
        await new Promise<void>((r) => (releaseSlow = r));
        await ctx.json(200, { late: true });
      });
      t.http.post('/api/upload', async (ctx) => {
        const upload: (typeof uploads)[number] = { settled: undefined, error: undefined };
        uploads.push(upload);
        try {
          await ctx.body();
          upload.settled = 'resolved';
        } catch (error) {
          upload.error = error;
          upload.settled = 'rejected';
        }
        await ctx.json(200, { ok: true });
      });
      t.http.get('/api/both', (ctx) => ctx.json(200, { via: 'get' }));
      t.http.head('/api/both', (ctx) => {
        ctx.header('x-via', 'head');
        ctx.empty(204);
      });
      t.http.get('/api/events', (ctx) => {
        const stream = ctx.stream(200, 'text/event-stream');
        stream.write('data: one\n\n');
        headStreamClosed = stream.closed;
      });
      t.uwsApp.get('/raw/health', (res) => {
        res.writeStatus('200 OK').end('raw ok');
      });
      t.http.static({ root: dir, exclude: ['/api/', '/ws', '/raw/'] });
      t.ws('/ws', { pipeline: [] });
    },
    { http: { maxBodyBytes: 1024 }, metrics: { httpRequest: (_method, route, status) => void requests.push({ route, status }) } },
  );
  t = s.t;
  base = s.http;
  port = t.port;
});

afterAll(async () => {
  await t.close({ budgetMs: 1000 });
  await rm(dir, { recursive: true, force: true });
});

/** A raw HTTP/1.1 exchange, for paths fetch would normalise. */
function raw(reqText: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(reqText));
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n')) s.end();
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('HTTP routes', () => {
  it('routes with params, runs middleware, echoes the correlation id and sets security headers', async () => {
    const res = await fetch(`${base}/api/rooms/AB%20C?x=1`, { headers: { 'x-correlation-id': 'corr-1' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'AB C', q: 'x=1', cid: 'corr-1' });
    expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    expect(res.headers.get('x-middleware')).toBe('yes');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('parses JSON bodies, refuses oversize bodies with 413 and bad JSON with 400', async () => {
    const ok = await fetch(`${base}/api/echo`, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ got: { a: 1 } });
    const big = await fetch(`${base}/api/echo`, { method: 'POST', body: JSON.stringify({ a: 'x'.repeat(5000) }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'BODY_TOO_LARGE', limit: 1024 } });
    const bad = await fetch(`${base}/api/echo`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_BODY' } });
  });

  it('reads an empty body for a request that announces none (DELETE without body)', async () => {
    const res = await fetch(`${base}/api/rooms/R9`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: 'R9', bodyBytes: 0 });
  });

  it('serves handlers registered on the underlying uWS app on the same port', async () => {
    const res = await fetch(`${base}/raw/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('raw ok');
  });

  it('maps HttpError to its status and other errors to a 500 without internals', async () => {
    const a = await fetch(`${base}/api/teapot`);
    expect(a.status).toBe(409);
    expect(await a.json()).toEqual({ error: { code: 'INVALID_OPTIONS', message: 'conflict here' } });
    const b = await fetch(`${base}/api/crash`);
    expect(b.status).toBe(500);
    const body = await b.text();
    expect(body).not.toContain('secret');
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'INTERNAL' } });
  });

  it('survives a client that aborts before the async handler responds (no use-after-abort)', async () => {
    const req = request({ host: '127.0.0.1', port, path: '/api/slow' });
    req.on('error', () => undefined);
    req.end();
    await until(() => abortedCtx !== undefined);
    req.destroy();
    await until(() => abortedCtx!.aborted, 5000, 'abort to be noticed');
    releaseSlow();
    await until(() => abortedCtx!.responded);
    const after = await fetch(`${base}/api/rooms/1`);
    expect(after.status).toBe(200);
  });

  it('rejects a pending body() with 499 CLOSED when the client aborts the upload (regression: it never settled)', async () => {
    const s = net.connect(port, '127.0.0.1', () => s.write('POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(100)));
    s.on('error', () => undefined);
    await until(() => uploads.length === 1, 5000, 'the handler to start');
    s.destroy();
    await until(() => uploads[0]!.settled !== undefined, 5000, 'the body promise to settle');
    expect(uploads[0]!.settled).toBe('rejected');
    expect(uploads[0]!.error).toBeInstanceOf(HttpError);
    expect(uploads[0]!.error).toMatchObject({ status: 499, code: 'CLOSED' });
    await until(() => requests.some((r) => r.route === '/api/upload'), 5000, 'the request metric');
    expect(requests.filter((r) => r.route === '/api/upload')).toEqual([{ route: '/api/upload', status: 499 }]);
  });
});

describe('HEAD on routes', () => {
  it('a GET route answers HEAD with its status and headers and no body; an explicit HEAD route wins; a stream ends at once', async () => {
    const get = await fetch(`${base}/api/rooms/42`);
    const head = await raw('HEAD /api/rooms/42 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(head.startsWith('HTTP/1.1 200')).toBe(true);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(head.toLowerCase()).toContain(`content-length: ${(await get.text()).length}`);
    expect(head.split('\r\n\r\n')[1]).toBe('');
    const explicit = await raw('HEAD /api/both HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(explicit.startsWith('HTTP/1.1 204')).toBe(true);
    expect(explicit.toLowerCase()).toContain('x-via: head');
    const sse = await raw('HEAD /api/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(sse.startsWith('HTTP/1.1 200')).toBe(true);
    expect(sse.toLowerCase()).toContain('content-type: text/event-stream');
    expect(sse).not.toContain('data: one');
    expect(headStreamClosed).toBe(true);
  });
});

describe('static files', () => {
  it('serves index.html with no-cache and an ETag, and answers 304 to If-None-Match', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(await res.text()).toContain('<title>game</title>');
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('falls back to index.html for app routes, but not for files, excluded prefixes or traversal', async () => {
    const spa = await fetch(`${base}/room/ABC123`);
    expect(spa.status).toBe(200);
    expect(await spa.text()).toContain('<title>game</title>');
    expect((await fetch(`${base}/missing.png`)).status).toBe(404);
    const api = await fetch(`${base}/api/nothing`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const traversal = await raw('GET /../ws-transport-secret.txt HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(traversal.startsWith('HTTP/1.1 404')).toBe(true);
    expect(traversal).not.toContain('TOP-SECRET-CONTENT');
    const encoded = await raw('GET /%2e%2e/ws-transport-secret.txt HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(encoded.startsWith('HTTP/1.1 404')).toBe(true);
    expect(encoded).not.toContain('TOP-SECRET-CONTENT');
    // An excluded prefix holds in any spelling.
    const spelt = await fetch(`${base}/%61pi/nothing`);
    expect(spelt.status).toBe(404);
    expect(await spelt.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('keeps excluded prefixes for paths that normalise into them (regression: //api/nope got index.html)', async () => {
    for (const p of ['//api/nope', '/./api/nope', '/x/../api/nope', '//ws', '/%2e/api/nope', '//raw/x']) {
      const res = await raw(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(res.split('\r\n')[0], p).toBe('HTTP/1.1 404 Not Found');
      expect(res.toLowerCase(), p).toContain('content-type: application/json');
    }
    const file = await raw('GET /x/../favicon.ico HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(file.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it('never follows a link out of the root, never serves hidden files; .well-known and links inside the root are served', async () => {
    for (const p of ['/linked.txt', '/tmplink/ws-transport-secret.txt', '/.env', '/.git/config', '/%2eenv']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(404);
      expect(await res.text(), p).not.toMatch(/TOP-SECRET-CONTENT|SECRET=/);
    }
    const wellKnown = await fetch(`${base}/.well-known/security.txt`);
    expect(wellKnown.status).toBe(200);
    expect(await wellKnown.text()).toContain('Contact:');
    const inside = await fetch(`${base}/icon-link.ico`);
    expect(inside.status).toBe(200);
    expect(Buffer.from(await inside.arrayBuffer())).toEqual(Buffer.from([0, 0, 1, 0]));
  });

  it('gzips compressible assets for clients that accept it and marks hashed names immutable', async () => {
    const res = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/assets/app.3f9a1c2b7d.js', headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body.byteLength).toBeLessThan(bigJs.length / 5);
    expect(gunzipSync(res.body).toString()).toBe(bigJs);
    const plain = await fetch(`${base}/favicon.ico`, { headers: { 'accept-encoding': 'gzip' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('content-type')).toBe('image/x-icon');
  });

  it('answers HEAD with the headers and length but no body', async () => {
    const res = await raw('HEAD /assets/app.3f9a1c2b7d.js HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(res.startsWith('HTTP/1.1 200')).toBe(true);
    expect(res.toLowerCase()).toContain(`content-length: ${Buffer.byteLength(bigJs)}`);
    expect(res.toLowerCase()).toContain('etag: "');
    expect(res.split('\r\n\r\n')[1]).toBe('');
  });
});
