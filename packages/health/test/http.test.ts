import { describe, expect, it } from 'vitest';
import { createHealthHttpHandler, createHealthRegistry, HEALTH_CONTENT_TYPE, registerUwsHealthRoutes } from '../src/index.js';
import type { UwsRequestLike, UwsResponseLike } from '../src/index.js';

function setup(started = true) {
  let dbOk = true;
  const health = createHealthRegistry({
    started,
    serviceId: 'svc',
    checks: [
      {
        name: 'db',
        cacheMs: 0,
        check: () => {
          if (!dbOk) throw new Error('down');
        },
      },
    ],
  });
  return { health, setDb: (ok: boolean) => (dbOk = ok) };
}

describe('framework-neutral HTTP handler', () => {
  it('serves the four paths as health+json, not cached', async () => {
    const { health } = setup();
    const handle = createHealthHttpHandler(health);
    for (const path of ['/health', '/health/live', '/health/ready', '/health/startup']) {
      const res = await handle(path);
      expect(res?.status, path).toBe(200);
      expect(res?.headers).toEqual({ 'content-type': HEALTH_CONTENT_TYPE, 'cache-control': 'no-store' });
      expect((JSON.parse(res!.body) as { status: string }).status).toBe('pass');
    }
  });

  it('returns undefined for other paths so the app can route them', async () => {
    const handle = createHealthHttpHandler(setup().health);
    expect(await handle('/')).toBeUndefined();
    expect(await handle('/healthz')).toBeUndefined();
    expect(await handle('/health/other')).toBeUndefined();
  });

  it('ignores the query string and a trailing slash', async () => {
    const handle = createHealthHttpHandler(setup().health);
    expect((await handle('/health/ready/?verbose=1'))?.status).toBe(200);
  });

  it('answers 503 with the failing check on readiness, 200 on liveness', async () => {
    const { health, setDb } = setup();
    setDb(false);
    const handle = createHealthHttpHandler(health);
    const ready = await handle('/health/ready');
    expect(ready?.status).toBe(503);
    expect(JSON.parse(ready!.body)).toMatchObject({
      status: 'fail',
      serviceId: 'svc',
      checks: { db: [{ status: 'fail', output: 'down', critical: true }] },
    });
    expect((await handle('/health/live'))?.status).toBe(200);
    expect((await handle('/health'))?.status).toBe(503);
  });

  it('HEAD has no body, other methods get 405 with Allow', async () => {
    const handle = createHealthHttpHandler(setup().health);
    const head = await handle('/health/live', 'HEAD');
    expect(head?.status).toBe(200);
    expect(head?.body).toBe('');
    const post = await handle('/health/live', 'POST');
    expect(post?.status).toBe(405);
    expect(post?.headers['allow']).toBe('GET, HEAD');
  });

  it('honours basePath and can hide the details document', async () => {
    const handle = createHealthHttpHandler(setup().health, { basePath: '/ops/health/', details: false });
    expect((await handle('/ops/health/ready'))?.status).toBe(200);
    expect(await handle('/ops/health')).toBeUndefined();
    expect(await handle('/health/ready')).toBeUndefined();
  });
});

describe('uWebSockets.js adapter (structural)', () => {
  it('registers GET and HEAD routes and writes status, headers and body inside cork', async () => {
    const { health, setDb } = setup();
    setDb(false);
    const routes = new Map<string, (res: UwsResponseLike, req: UwsRequestLike) => void>();
    const app = {
      get: (p: string, h: (res: UwsResponseLike, req: UwsRequestLike) => void) => routes.set(`GET ${p}`, h),
      head: (p: string, h: (res: UwsResponseLike, req: UwsRequestLike) => void) => routes.set(`HEAD ${p}`, h),
    };
    registerUwsHealthRoutes(app, health);
    expect([...routes.keys()].sort()).toEqual(
      ['/health', '/health/live', '/health/ready', '/health/startup'].flatMap((p) => [`GET ${p}`, `HEAD ${p}`]).sort(),
    );
    const written: string[] = [];
    let corked = false;
    const done = new Promise<void>((resolve) => {
      const res: UwsResponseLike = {
        onAborted: () => res,
        cork: (cb) => {
          corked = true;
          cb();
          corked = false;
          return res;
        },
        writeStatus: (s) => {
          written.push(`status ${s} corked=${corked}`);
          return res;
        },
        writeHeader: (k, v) => {
          written.push(`header ${k}: ${v}`);
          return res;
        },
        end: (body) => {
          written.push(`body ${body ?? ''}`);
          resolve();
          return res;
        },
      };
      routes.get('GET /health/ready')!(res, { getUrl: () => '/health/ready', getMethod: () => 'get' });
    });
    await done;
    expect(written[0]).toBe('status 503 Service Unavailable corked=true');
    expect(written).toContain('header content-type: application/health+json');
    expect(JSON.parse(written.at(-1)!.slice(5))).toMatchObject({ status: 'fail' });
  });

  it('writes nothing after the client aborted', async () => {
    const { health } = setup();
    const routes = new Map<string, (res: UwsResponseLike, req: UwsRequestLike) => void>();
    registerUwsHealthRoutes({ get: (p, h) => routes.set(p, h) }, health);
    let onAbort: (() => void) | undefined;
    const writes: string[] = [];
    const res: UwsResponseLike = {
      onAborted: (h) => (onAbort = h),
      cork: (cb) => cb(),
      writeStatus: (s) => writes.push(s),
      writeHeader: () => undefined,
      end: () => writes.push('end'),
    };
    routes.get('/health')!(res, { getUrl: () => '/health', getMethod: () => 'get' });
    onAbort!();
    await health.runChecks();
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([]);
  });
});
