/**
 * The lobby's `room_list_update`: every directory change reaches a lobby socket, and a burst of changes
 * costs it at most one full list per LOBBY_UPDATE_INTERVAL_MS (the list carries the whole directory).
 */
import { describe, expect, it } from 'vitest';
import { useSqliteServer } from './harness.js';
import { Browser, type ServerFrame } from './support/index.js';

const INTERVAL_MS = 1_000;
const ROOMS = 8;

const roomIds = (f: ServerFrame): string[] => ((f.data['rooms'] as Array<{ room_id: string }>) ?? []).map((r) => r.room_id);

describe('lobby room_list_update', () => {
  const srv = useSqliteServer({ LOBBY_UPDATE_INTERVAL_MS: INTERVAL_MS });

  it('the first change goes out at once; the rest of a burst as few full lists, at least the interval apart, the last one holding every room', { timeout: 30_000 }, async () => {
    const watcher = new Browser('watcher');
    const lobby = await watcher.connect(srv.t.baseUrl, 'lobby', { pingIntervalMs: 0 });
    lobby.send('get_rooms', {});
    await lobby.waitFor('room_list_update');
    const since = lobby.mark();
    const lists: Array<{ at: number; rooms: string[] }> = [];
    lobby.onFrame((f) => {
      if (f.event === 'room_list_update') lists.push({ at: performance.now(), rooms: roomIds(f) });
    });

    const hosts = Array.from({ length: ROOMS }, (_, i) => new Browser(`host-${i}`));
    // No list has gone out on this server yet: the first change is not held back.
    const t0 = performance.now();
    // One after another: each creation is its own directory change, in its own event-loop turn.
    const created = [];
    for (const [i, b] of hosts.entries()) created.push(await b.createRoom(srv.t.baseUrl, `Host${i}`, { pingIntervalMs: 0 }));
    const ids = created.map((c) => c.roomId);
    // The list that has them all arrives (at the latest one interval after the last change).
    await lobby.waitFor((f) => f.event === 'room_list_update' && ids.every((id) => roomIds(f).includes(id)), { since, timeoutMs: 10_000 });

    // Eight changes, a few ms apart, in far fewer lists (without the interval: one list per change).
    expect(lists.length).toBeGreaterThanOrEqual(1);
    expect(lists[0]!.at - t0, 'the first list waited for the interval').toBeLessThan(INTERVAL_MS);
    expect(lists[0]!.rooms.some((id) => ids.includes(id))).toBe(true);
    expect(lists.length).toBeLessThan(ROOMS);
    for (let i = 1; i < lists.length; i++) expect(lists[i]!.at - lists[i - 1]!.at).toBeGreaterThan(INTERVAL_MS - 20);
    expect(lists.at(-1)!.rooms).toEqual(expect.arrayContaining(ids));
    await Promise.all(created.map((c) => c.socket.close()));
    await lobby.close();
  });
});
