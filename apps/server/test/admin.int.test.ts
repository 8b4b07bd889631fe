import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRooms, replayRoom } from '../src/main.js';
import { startTestServer, tempSqlite, type TestServer } from './harness.js';
import { Browser, startGame, waitForPhase } from './support/index.js';

const TOKEN = 'test-admin-token-0123456789';

describe('admin API and recovery tools', () => {
  let t: TestServer;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const db = await tempSqlite();
    cleanup = db.cleanup;
    t = await startTestServer({ DATABASE_URL: db.url, ADMIN_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await t?.stop();
    await cleanup?.();
  });
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${t.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  it('refuses requests without the token', async () => {
    expect((await fetch(`${t.baseUrl}/api/admin/rooms`)).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/api/admin/rooms`, { headers: { authorization: 'Bearer wrong-token-wrong-token-xx' } })).status).toBe(401);
    // The scheme is case-insensitive.
    expect((await fetch(`${t.baseUrl}/api/admin/rooms`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('answers a bad number with 400 naming the parameter (public leaderboard, event pages, the event stream), and ends paging at the head', async () => {
    expect((await fetch(`${t.baseUrl}/api/stats/leaderboard?limit=1.5`)).status).toBe(400);
    expect(await (await fetch(`${t.baseUrl}/api/stats/leaderboard?limit=0`)).json()).toMatchObject({ error: { message: 'limit must be a whole number from 1 to 100' } });
    expect((await fetch(`${t.baseUrl}/api/stats/leaderboard?limit=100`)).status).toBe(200);
    const alice = new Browser('alice-params');
    const entry = await alice.createRoom(t.baseUrl, 'Alice');
    const id = entry.roomId;
    for (const q of ['from=1.5', 'from=0', 'from=Infinity', 'from=99999999999999999999', 'limit=-1', 'limit=1001', 'limit=1e3']) {
      const res = await admin(`/api/admin/rooms/${id}/events?${q}`);
      expect(res.status, q).toBe(400);
    }
    const all = (await (await admin(`/api/admin/rooms/${id}/events?limit=1000`)).json()) as { events: unknown[]; head: number; next: number | null };
    const exact = (await (await admin(`/api/admin/rooms/${id}/events?limit=${all.head}`)).json()) as { next: number | null };
    expect(exact.next).toBeNull(); // a full page that ends at the head has no next page
    for (const [q, headers] of [['from=1.5', {}], ['', { 'last-event-id': '100000000000000000000' }], ['', { 'last-event-id': 'x' }]] as const) {
      const res = await admin(`/api/admin/rooms/${id}/stream?${q}`, { headers });
      expect(res.status, `${q} ${JSON.stringify(headers)}`).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    }
    await alice.closeAll();
  });

  it('lists rooms, shows state with hands, pages events, draws the phase diagram, pauses and restores', async () => {
    const alice = new Browser('alice');
    const entry = await alice.createRoom(t.baseUrl, 'Alice');
    const id = entry.roomId;
    await startGame(entry.socket);
    // Stop at Alice's first decision point: bots and timers run at time scale 0, so the game waits for her.
    await waitForPhase(entry.socket, 'declaration', (d) => (d['phase_data'] as { current_declarer?: string }).current_declarer === 'Alice').catch(
      () => waitForPhase(entry.socket, 'preparation'),
    );

    const list = (await (await admin('/api/admin/rooms')).json()) as { rooms: Array<{ room_id: string; live: boolean }> };
    expect(list.rooms.find((r) => r.room_id === id)?.live).toBe(true);

    const room = (await (await admin(`/api/admin/rooms/${id}`)).json()) as { version: number; state: { players: Array<{ hand: string[] }> } };
    expect(room.state.players.every((p) => p.hand.length === 8)).toBe(true); // operators see every hand

    const page = (await (await admin(`/api/admin/rooms/${id}/events?from=1&limit=2`)).json()) as { events: Array<{ version: number; type: string }>; next: number; head: number };
    expect(page.events.map((e) => e.version)).toEqual([1, 2]);
    expect(page.events[0]!.type).toBe('room_created');
    expect(page.next).toBe(3);

    const diagram = await (await admin(`/api/admin/rooms/${id}/diagram`)).text();
    expect(diagram).toContain('stateDiagram-v2');
    expect(diagram).toMatch(/class (declaration|preparation) current/);

    const paused = await admin(`/api/admin/rooms/${id}/pause`, { method: 'POST' });
    expect(((await paused.json()) as { paused: boolean }).paused).toBe(true);
    entry.socket.send('declare', { value: 1, player_name: 'Alice' });
    const refused = await entry.socket.waitFor((f) => f.event === 'error');
    expect(String(refused.data['message'])).toMatch(/paused/);

    // Restore to the moment the game started (v = the game_started event).
    const actor = t.server.rooms.get(id)!;
    const before = actor.version;
    const events = (await (await admin(`/api/admin/rooms/${id}/events?from=1&limit=100`)).json()) as { events: Array<{ version: number; type: string }> };
    const startedAt = events.events.find((e) => e.type === 'game_started')!.version;
    const bad = await admin(`/api/admin/rooms/${id}/restore`, { method: 'POST', body: JSON.stringify({ version: before + 5 }) });
    expect(bad.status).toBe(400);
    const ok = await admin(`/api/admin/rooms/${id}/restore`, { method: 'POST', body: JSON.stringify({ version: startedAt }) });
    expect(ok.status).toBe(200);
    expect(actor.version).toBe(before + 1); // the marker event
    const replayed = await replayRoom(t.server.storage, id, startedAt);
    const { config: _a, ...restoredState } = actor.state;
    const { config: _b, ...expected } = replayed.state;
    expect(restoredState).toEqual(expected);
    // A full replay (marker included) reaches the live state, and verify finds nothing wrong.
    const head = await replayRoom(t.server.storage, id);
    expect(head.version).toBe(actor.version);
    expect(JSON.stringify({ ...head.state, config: null })).toBe(JSON.stringify({ ...actor.state, config: null }));
    expect(await verifyRooms(t.server.storage)).toEqual([]);

    await admin(`/api/admin/rooms/${id}/resume`, { method: 'POST' });
    expect(actor.paused).toBe(false);
    await alice.closeAll();
  });

  it('streams a room\'s events as server-sent events: history from a version, then live ones', async () => {
    const alice = new Browser('alice-sse');
    const entry = await alice.createRoom(t.baseUrl, 'Alice');
    const url = new URL(`${t.baseUrl}/api/admin/rooms/${entry.roomId}/stream?from=1`);
    const seen: Array<{ id: number; event: string }> = [];
    let wake: (() => void) | undefined;
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const event = /^event: (.+)$/m.exec(block)?.[1];
          if (id && event) seen.push({ id: Number(id), event });
        }
        wake?.();
      });
      res.on('end', () => {
        ended = true;
        wake?.();
      });
    });
    let ended = false;
    req.end();
    const until = async (cond: () => boolean) => {
      while (!cond()) await new Promise<void>((r) => (wake = r));
    };
    await until(() => seen.some((e) => e.event === 'room_created'));
    expect(seen[0]).toEqual({ id: 1, event: 'room_created' });
    await startGame(entry.socket); // live events arrive on the open stream
    await until(() => seen.some((e) => e.event === 'hands_dealt'));
    const ids = seen.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in order, each once
    expect(new Set(ids).size).toBe(ids.length);
    // The room stops here (abandoned): the stream ends rather than stay open on a room that will say nothing.
    await t.server.rooms.abandon(entry.roomId);
    await until(() => ended);
    await alice.closeAll();
  });

  it('answers 404 for admin routes when no token is configured', async () => {
    const db = await tempSqlite();
    const other = await startTestServer({ DATABASE_URL: db.url });
    try {
      expect((await fetch(`${other.baseUrl}/api/admin/rooms`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      await other.stop();
      await db.cleanup();
    }
  });
});
