import { describe, expect, it } from 'vitest';
import { startTestServer, tempSqlite } from './harness.js';
import { Browser, startGame, waitForPhase } from './support/index.js';

/** Resolves once `cond` holds, re-checking on every macrotask; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('restart recovery', () => {
  it('rebuilds a running room after a restart; a player who does not come back within the grace gets a bot, and one who does gets the snapshot', async () => {
    const db = await tempSqlite();
    const first = await startTestServer({ DATABASE_URL: db.url });
    const alice = new Browser('alice');
    const entry = await alice.createRoom(first.baseUrl, 'Alice');
    const bob = new Browser('bob');
    const b = await bob.joinRoom(first.baseUrl, entry.roomId, 'Bob');
    await startGame(entry.socket);
    await waitForPhase(entry.socket, 'preparation');
    const before = first.server.rooms.get(entry.roomId)!;
    await before.whenIdle();
    await first.stop();

    const second = await startTestServer({ DATABASE_URL: db.url, RECONNECT_GRACE_MS: 300 });
    try {
      const actor = second.server.rooms.get(entry.roomId);
      expect(actor, 'the room is rebuilt at start').toBeDefined();
      expect(actor!.state.status).toBe('in_game');
      // Bob comes back at once (same browser): snapshot with his hand.
      const back = await bob.connect(second.baseUrl, entry.roomId, { playerName: 'Bob' });
      const snap = await back.waitFor('phase_change');
      const players = snap.data['players'] as Record<string, { hand: unknown[] }>;
      expect(players['Bob']!.hand.length).toBeGreaterThan(0);
      expect(players['Alice']!.hand).toEqual([]);
      // Alice never returns: after the grace her seat is played by a bot.
      await until(() => actor!.state.seats[0]?.isBot === true, "Alice's seat to be handed to a bot");
      expect(actor!.state.seats[1]?.isBot).toBe(false);
      await back.waitFor((f) => f.event === 'player_disconnected' && f.data['player_name'] === 'Alice');
      await back.close();
      await b.socket.close().catch(() => undefined);
    } finally {
      await second.stop();
      await db.cleanup();
    }
  });

  it('a room whose players drop while the server shuts down is not abandoned by the shutdown: the next start resumes it', async () => {
    const db = await tempSqlite();
    const first = await startTestServer({ DATABASE_URL: db.url, ROOM_ABANDON_MS: 0 });
    const alice = new Browser('alice');
    const entry = await alice.createRoom(first.baseUrl, 'Alice');
    await startGame(entry.socket);
    await waitForPhase(entry.socket, 'preparation');
    await first.server.rooms.get(entry.roomId)!.whenIdle();
    // The shutdown has begun draining the rooms when the last human's disconnect gets handled: the
    // abandonment it would trigger (ROOM_ABANDON_MS 0) must not close the room.
    await first.server.rooms.stopAll();
    await first.server.rooms.abandon(entry.roomId);
    await entry.socket.close().catch(() => undefined);
    await first.stop();

    const second = await startTestServer({ DATABASE_URL: db.url });
    try {
      const actor = second.server.rooms.get(entry.roomId);
      expect(actor, 'the room is rebuilt at start').toBeDefined();
      expect(actor!.state.status).toBe('in_game');
    } finally {
      await second.stop();
      await db.cleanup();
    }
  });
});
