/** The health endpoints over HTTP (docs/health-and-metrics.md): GET and HEAD answer, other methods get 405. */
import { describe, expect, it } from 'vitest';
import { useSqliteServer } from './harness.js';

describe('health endpoints', () => {
  const srv = useSqliteServer();

  it.each(['/health', '/health/live', '/health/ready', '/health/startup'])('%s: GET gives the report, HEAD its headers only, POST/DELETE 405', async (path) => {
    const url = srv.t.baseUrl + path;
    const get = await fetch(url);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain('application/health+json');
    expect(get.headers.get('content-type'), 'sent once').not.toContain(',');
    expect(((await get.json()) as { status: string }).status).toBe('pass');

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('application/health+json');
    expect(await head.text()).toBe('');

    for (const method of ['POST', 'DELETE']) {
      const r = await fetch(url, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(r.status, method).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
      await r.body?.cancel();
    }
  });
  it.each(['/metrics', '/api/health', '/api/stats/leaderboard'])('HEAD %s answers like GET, without a body', async (path) => {
    const head = await fetch(srv.t.baseUrl + path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
