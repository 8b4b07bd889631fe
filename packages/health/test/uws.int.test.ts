import uWS from 'uWebSockets.js';
import type { us_listen_socket } from 'uWebSockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthRegistry, registerUwsHealthRoutes, type HealthJson } from '../src/index.js';

let dbUp = true;
const health = createHealthRegistry({
  started: true,
  checks: [
    {
      name: 'db',
      cacheMs: 0,
      check: () => {
        if (!dbUp) throw new Error('db down');
      },
    },
  ],
});
let listenSocket: us_listen_socket | undefined;
let port = 0;

beforeAll(async () => {
  const app = uWS.App();
  registerUwsHealthRoutes(app, health); // the real TemplatedApp satisfies the structural type
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').end('app route');
  });
  await new Promise<void>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (token) => {
      if (!token) return reject(new Error('uWS could not listen'));
      listenSocket = token;
      port = uWS.us_socket_local_port(token);
      resolve();
    });
  });
});

afterAll(() => {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
});

async function get(path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text };
}

describe('uWebSockets.js adapter on a real uWS server', () => {
  it('serves the probes as health+json', async () => {
    for (const path of ['/health', '/health/live', '/health/ready', '/health/startup']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.type).toBe('application/health+json');
      expect((JSON.parse(r.text) as HealthJson).status).toBe('pass');
    }
  });

  it('readiness 503 with the failing check, liveness 200', async () => {
    dbUp = false;
    try {
      const ready = await get('/health/ready');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text)).toMatchObject({ status: 'fail', checks: { db: [{ status: 'fail', output: 'db down' }] } });
      expect((await get('/health/live')).status).toBe(200);
    } finally {
      dbUp = true;
    }
  });

  it('HEAD answers without a body; other paths reach the app', async () => {
    const head = await get('/health/live', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(await get('/elsewhere')).toMatchObject({ status: 404, text: 'app route' });
  });

  it('other methods on a probe path get 405 with allow, as from the node:http listener (not the app catch-all)', async () => {
    for (const method of ['POST', 'DELETE', 'PUT']) {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    expect(await get('/elsewhere', 'POST')).toMatchObject({ status: 404, text: 'app route' });
  });

  it('takes a basePath without its leading slash, as the node:http listener does', async () => {
    const app = uWS.App();
    registerUwsHealthRoutes(app, health, { basePath: 'probes/' });
    const socket = await new Promise<us_listen_socket>((resolve, reject) => {
      app.listen('127.0.0.1', 0, (token) => (token ? resolve(token) : reject(new Error('uWS could not listen'))));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${uWS.us_socket_local_port(socket)}/probes/live`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as HealthJson).status).toBe('pass');
    } finally {
      uWS.us_listen_socket_close(socket);
    }
  });
});
