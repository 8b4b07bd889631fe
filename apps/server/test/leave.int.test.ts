/**
 * Leaving a running game (`leave_game`, the frontend's "Leave game"): the others hear `player_disconnected`
 * (as the original told them when the leaver's socket closed, spec §1.9) and, for the host, `host_changed`;
 * a bot keeps the seat for good; the leaver's socket is unbound; the game goes on to its end.
 */
import { describe, expect, it } from 'vitest';
import { settled, waitForOwnTurn } from './crash/moves.js';
import { listDirectory } from '../src/storage.js';
import { startTwoHumanGame, until, useSqliteServer, type TestServer } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, playUntilGameOver, startGame } from './support/index.js';

describe('leaving a running game', () => {
  const srv = useSqliteServer();

  it('the host leaves: the table hears player_disconnected and host_changed, a bot plays the seat to the end, the leaver sees no hand', { timeout: 90_000 }, async () => {
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    await settled(actor);

    const markB = b.socket.mark();
    a.socket.send('leave_game', { player_name: 'Alice', reason: 'player_left' });
    const gone = await b.socket.waitFor((f) => f.event === 'player_disconnected' && f.data['player_name'] === 'Alice', { since: markB });
    expect(gone.data).toMatchObject({ ai_activated: true, can_reconnect: false, is_bot: true });
    const hostChanged = await b.socket.waitFor('host_changed', { since: markB });
    expect(hostChanged.data).toMatchObject({ old_host: 'Alice', new_host: 'Bob' });
    await until(() => actor.state.seats[0]?.left === true, 'Alice marked as left');
    expect(actor.state.seats[0]).toMatchObject({ name: 'Alice', isBot: true });
    // Frames sent before the leave was handled may still arrive: everything after this pong comes after it.
    await a.socket.request('ping', { timestamp: 1 }, 'pong');
    const afterLeave = a.socket.mark();

    // Bob plays on with the bots to game over; Alice's seat is played by a bot.
    const bobPlayer = new ScriptedPlayer(b.socket, { redeal: 'decline', ...botLike });
    const [over] = await playUntilGameOver([bobPlayer], { timeoutMs: 60_000 });
    expect(over!.data['phase']).toBe('game_over');
    expect(bobPlayer.errors().map((e) => e.data)).toEqual([]);
    // The leaver's socket, still open, saw no hand after leaving (it is unbound).
    const after = a.socket.frames().slice(afterLeave).filter((f) => f.event === 'phase_change');
    expect(after.length).toBeGreaterThan(0);
    for (const pc of after) {
      for (const p of Object.values(pc.data['players'] as Record<string, { hand: unknown[] }>)) expect(p.hand).toEqual([]);
    }
    await Promise.all([alice.closeAll(), bob.closeAll()]);
  });
});

describe('leaving while the table waits for someone else', () => {
  const srv = useSqliteServer();

  it('the host leaves: the others get player_disconnected and host_changed and no phase_change (protocol §1.9, §6.8)', async () => {
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    // A stable point: the table waits for Bob in the declaration or turn phase (nobody else acts meanwhile).
    const alicePlayer = new ScriptedPlayer(a.socket, { redeal: 'decline', ...botLike }).start();
    await waitForOwnTurn(b.socket, 'Bob');
    alicePlayer.stop();
    await settled(actor);
    const markB = b.socket.mark();
    a.socket.send('leave_game', { player_name: 'Alice', reason: 'player_left' });
    await b.socket.waitFor('host_changed', { since: markB });
    await b.socket.request('ping', { timestamp: 1 }, 'pong');
    expect(b.socket.frames().slice(markB).map((f) => f.event)).toEqual(['player_disconnected', 'host_changed', 'pong']);
    expect(actor.state.seats[0]).toMatchObject({ name: 'Alice', isBot: true, left: true });
    await Promise.all([alice.closeAll(), bob.closeAll()]);
  });
});

/**
 * A running game with no human left is closed after ROOM_ABANDON_MS (spec §1.9), whether its last human's
 * socket dropped or they left with `leave_game`. Real game timings (GAME_TIME_SCALE 1) so that the bots
 * cannot finish the game before the abandonment is due.
 */
describe('abandoning a running game', () => {
  const srv = useSqliteServer({ GAME_TIME_SCALE: 1, ROOM_ABANDON_MS: 200 });

  const soloGame = async (t: TestServer, name: string) => {
    const browser = new Browser(name.toLowerCase());
    const entry = await browser.createRoom(t.baseUrl, name, { pingIntervalMs: 0 });
    await startGame(entry.socket);
    const actor = t.server.rooms.get(entry.roomId)!;
    expect(actor.state.status).toBe('in_game');
    return { browser, entry };
  };
  const directoryStatus = async (t: TestServer, roomId: string) =>
    (await listDirectory(t.server.storage)).find((r) => r.roomId === roomId)?.status;

  it("the last human's socket drops: the room is closed and listed as abandoned", async () => {
    const t = srv.t;
    const { browser, entry } = await soloGame(t, 'Alice');
    await browser.closeAll();
    await until(() => t.server.rooms.get(entry.roomId) === undefined, 'the room to be unloaded');
    expect(await directoryStatus(t, entry.roomId)).toBe('abandoned');
  });

  it('the last human leaves with leave_game: the room is closed too, not played on by four bots', async () => {
    const t = srv.t;
    const { browser, entry } = await soloGame(t, 'Alice');
    const mark = entry.socket.mark();
    entry.socket.send('leave_game', { player_name: 'Alice', reason: 'player_left' });
    // The leaver's socket stays open and subscribed to the room: it hears the room close.
    const closed = await entry.socket.waitFor('room_closed', { since: mark, timeoutMs: 5_000 });
    expect(closed.data).toMatchObject({ room_id: entry.roomId, reason: 'All players disconnected' });
    await until(() => t.server.rooms.get(entry.roomId) === undefined, 'the room to be unloaded');
    expect(await directoryStatus(t, entry.roomId)).toBe('abandoned');
    await browser.closeAll();
  });
});
