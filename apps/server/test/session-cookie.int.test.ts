/**
 * The session cookie (protocol decision 4) comes with a page load or the WebSocket upgrade, never with a
 * response a shared cache may keep (hashed assets are cached for a year) nor with probes and metrics.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, tempSqlite, type TestServer } from './harness.js';

describe('session cookie on HTTP responses', () => {
  let t: TestServer;
  let dir: string;
  let db: Awaited<ReturnType<typeof tempSqlite>>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'liap-static-'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>Liap Tui</title>');
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'assets', 'index-3f9a1c2b.js'), 'console.log(1)');
    db = await tempSqlite();
    t = await startTestServer({ DATABASE_URL: db.url, STATIC_DIR: dir });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['/', '/index.html', '/lobby', '/room/ABC123'])('a page load (%s) sets liap_sid', async (p) => {
    const res = await fetch(`${t.baseUrl}${p}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/^liap_sid=[A-Za-z0-9_-]+;.*HttpOnly/i);
  });

  it.each(['/assets/index-3f9a1c2b.js', '/health/live', '/metrics', '/api/health'])('%s does not', async (p) => {
    const res = await fetch(`${t.baseUrl}${p}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('a browser that has one is not given another', async () => {
    const res = await fetch(`${t.baseUrl}/`, { headers: { cookie: 'liap_sid=abcdefghijklmnopqrstuvwx' } });
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
