/**
 * Seat binding (protocol decision 4): a seat belongs to the browser session that took it. Another browser
 * naming the player cannot act for the seat; a bound socket always acts for its own seat whatever
 * `player_name` says; the owner's browser gets its seat back after a refresh.
 */
import { describe, expect, it } from 'vitest';
import { errorsSince, expectError, settled, waitForMove } from './crash/moves.js';
import { startTwoHumanGame, until, useSqliteServer } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, playUntilGameOver, startGame, type ServerFrame } from './support/index.js';

const phaseChanges = (frames: readonly ServerFrame[]) => frames.filter((f) => f.event === 'phase_change');
const handOf = (f: ServerFrame, name: string): unknown[] => {
  const players = f.data['players'] as Record<string, { hand: unknown[] }>;
  return players[name]?.hand ?? [];
};

describe('seat binding by session cookie', () => {
  const srv = useSqliteServer();

  it("a second browser naming Alice cannot act for her seat; Bob's socket acts only for Bob; Alice's own browser can after a refresh", { timeout: 90_000 }, async () => {
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    const mallory = new Browser('mallory');

    // The game waits for Alice (humans have no move timeout): a stable point to attack. Bob plays until then.
    const bobPlayer = new ScriptedPlayer(b.socket, { redeal: 'decline', ...botLike }).start();
    const { move } = await waitForMove(a.socket, 'Alice');
    bobPlayer.stop();
    const before = await settled(actor);
    const aliceSeq = actor.state.seats.findIndex((s) => s?.name === 'Alice');
    expect(aliceSeq).toBe(0);

    // 1. Another browser opens the room socket with client_ready {player_name: "Alice"}.
    const m = await mallory.connect(srv.t.baseUrl, a.roomId, { playerName: 'Alice', pingIntervalMs: 0 });
    const refused = await m.waitFor('error');
    expect(refused.data['type']).toBe('not_your_seat');
    expect(String(refused.data['message'])).toMatch(/belongs to another browser/);
    expect(mallory.cookies()['liap_sid']).toBeTruthy();
    expect(mallory.cookies()['liap_sid']).not.toBe(alice.cookies()['liap_sid']);
    // It still got the state, before the error and without any hand (checked below): a recovery is answered
    // with a snapshot or room_not_found, never with nothing.
    expect(m.frames().findIndex((fr) => fr.event === 'phase_change')).toBeGreaterThanOrEqual(0);
    expect(m.frames().findIndex((fr) => fr.event === 'phase_change')).toBeLessThan(m.frames().indexOf(refused));

    // 2. ... then sends Alice's exact move, naming her.
    const markA = a.socket.mark();
    const asAlice = await expectError(m, move.event, { ...move.data, player_name: 'Alice' });
    expect(asAlice.data['type']).toBe('not_your_seat');
    // 3. ... and the other spellings of an action that the frontend uses.
    for (const [event, data] of [
      ['declare', { value: 1, player_name: 'Alice' }],
      ['play', { piece_indices: [0], player_name: 'Alice' }],
      ['play_pieces', { indices: [0], player_name: 'Alice' }],
      ['leave_game', { player_name: 'Alice' }],
      ['accept_redeal', { player_name: 'Alice' }],
    ] as const) {
      const e = await expectError(m, event, data);
      expect(e.data['type'], `${event}: ${JSON.stringify(e.data)}`).toBe('not_your_seat');
    }
    // Even a forged cookie of the right shape is just another session.
    const forger = new Browser('forger');
    forger.setCookie('liap_sid', 'A'.repeat(24));
    const f = await forger.connect(srv.t.baseUrl, a.roomId, { playerName: 'Alice', pingIntervalMs: 0 });
    expect((await f.waitFor('error')).data['type']).toBe('not_your_seat');
    expect((await expectError(f, move.event, { ...move.data, player_name: 'Alice' })).data['type']).toBe('not_your_seat');

    // Nothing changed, nobody was told anything, and the intruders never saw a hand.
    expect(await settled(actor)).toEqual(before);
    expect(phaseChanges(a.socket.frames().slice(markA))).toEqual([]);
    for (const s of [m, f]) for (const pc of phaseChanges(s.frames())) for (const n of ['Alice', 'Bob']) expect(handOf(pc, n)).toEqual([]);

    // 4. Bob's socket is bound to Bob: naming Alice acts for Bob's seat, which is not on turn -> refused.
    const markB = b.socket.mark();
    const bobAsAlice = await expectError(b.socket, move.event, { ...move.data, player_name: 'Alice' });
    expect(bobAsAlice.data['type']).toBe('NOT_YOUR_TURN');
    // client_ready naming Alice on Bob's bound socket does not rebind it: the snapshot shows Bob's hand only.
    const snap = await b.socket.request('client_ready', { room_id: a.roomId, player_name: 'Alice', is_reconnection: true }, 'phase_change');
    expect(handOf(snap, 'Alice')).toEqual([]);
    expect(handOf(snap, 'Bob').length).toBeGreaterThan(0);
    expect(await settled(actor)).toEqual(before);
    expect(errorsSince(b.socket, markB).map((e) => e.data['type'])).toEqual(['NOT_YOUR_TURN']);

    // 5. Alice's own socket acts (her move is accepted).
    const accepted = a.socket.mark();
    a.socket.send(move.event, move.data);
    await a.socket.waitFor((x) => x.event === 'phase_change', { since: accepted });
    const after = await settled(actor);
    expect(after.version).toBeGreaterThan(before.version);
    expect(errorsSince(a.socket, accepted)).toEqual([]);

    // 6. Alice refreshes: same browser, new socket; she gets her seat (and hand) back and plays on to game over.
    bobPlayer.start();
    await a.socket.close(1001, 'Page reload');
    const a2 = await alice.connect(srv.t.baseUrl, a.roomId, { playerName: 'Alice', pingIntervalMs: 0 });
    const back = await a2.waitFor((x) => x.event === 'phase_change' && handOf(x, 'Alice').length > 0);
    expect(handOf(back, 'Bob')).toEqual([]);
    await b.socket.waitFor((x) => x.event === 'player_reconnected' && x.data['player_name'] === 'Alice');
    expect(b.socket.frames().some((x) => x.event === 'player_reconnected' && x.data['player_name'] === 'Alice')).toBe(true);
    expect(a2.frames().filter((x) => x.event === 'error')).toEqual([]);
    const alicePlayer = new ScriptedPlayer(a2, { redeal: 'accept', ...botLike });
    const [overA] = await playUntilGameOver([alicePlayer, bobPlayer], { timeoutMs: 60_000 });
    expect(overA!.data['phase']).toBe('game_over');
    const aliceActions = alicePlayer.actions().filter((x) => x.sent);
    expect(aliceActions.length).toBeGreaterThan(0);
    // Every action Alice's refreshed socket sent was accepted (no seat error ever).
    expect(alicePlayer.errors().map((e) => e.data)).toEqual([]);
    // The stream holds human (not bot) moves for Alice's seat made after the refresh.
    const events = await srv.t.server.storage.events.readStream(`room-${a.roomId}`, { fromVersion: after.version + 1 });
    const humanMoves = events.map((e) => e.data as { type: string; seat?: number; auto?: boolean }).filter((e) => (e.type === 'declared' || e.type === 'pieces_played') && e.seat === 0 && e.auto === false);
    expect(humanMoves.length).toBeGreaterThan(0);
    await Promise.all([alice.closeAll(), bob.closeAll(), mallory.closeAll(), forger.closeAll()]);
  });

  it("the frontend's recovery socket (client_ready without a name) takes the seat back from the bot on its first frame naming the player", { timeout: 60_000 }, async () => {
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    // Alice's connection drops: a bot plays her seat. Bob does not play, so the game soon waits for him.
    await a.socket.drop();
    await until(() => actor.state.seats[0]?.isBot === true, 'a bot on Alice\'s seat');
    await settled(actor);

    // The recovery socket: client_ready without player_name, then a frame that names her.
    const r = await alice.connect(srv.t.baseUrl, a.roomId, { pingIntervalMs: 0 });
    const markB = b.socket.mark();
    r.send('accept_redeal', { player_name: 'Alice' });
    await b.socket.waitFor((x) => x.event === 'player_reconnected' && x.data['player_name'] === 'Alice', { since: markB });
    await settled(actor);
    expect(actor.state.seats[0]).toMatchObject({ name: 'Alice', isBot: false, connected: true });
    // The socket is hers now: it sees her hand, and Bob's socket never does.
    await r.waitFor((x) => x.event === 'phase_change' && handOf(x, 'Alice').length > 0);
    for (const pc of phaseChanges(b.socket.frames())) expect(handOf(pc, 'Alice')).toEqual([]);
    await Promise.all([alice.closeAll(), bob.closeAll()]);
  });

  it('a removed player\'s socket that stays open is unbound: it neither sees nor acts for whoever takes the seat next', { timeout: 60_000 }, async () => {
    const alice = new Browser('alice');
    const bob = new Browser('bob');
    const carol = new Browser('carol');
    const a = await alice.createRoom(srv.t.baseUrl, 'Alice', { pingIntervalMs: 0 });
    const b = await bob.joinRoom(srv.t.baseUrl, a.roomId, 'Bob', { pingIntervalMs: 0 });
    const actor = srv.t.server.rooms.get(a.roomId)!;
    const bobSeat = actor.state.seats.findIndex((x) => x?.name === 'Bob');
    expect(bobSeat).toBeGreaterThan(0);
    // The host removes Bob; his browser keeps the room socket open.
    a.socket.send('remove_player', { slot_id: bobSeat + 1 });
    await until(() => actor.state.seats[bobSeat]?.name !== 'Bob', 'Bob removed');
    // Carol takes the seat, and the game starts.
    await carol.joinRoom(srv.t.baseUrl, a.roomId, 'Carol', { pingIntervalMs: 0 });
    expect(actor.state.seats.findIndex((x) => x?.name === 'Carol')).toBe(bobSeat);
    const markB = b.socket.mark();
    await startGame(a.socket);
    await b.socket.waitFor((x) => x.event === 'phase_change', { since: markB });
    const { version } = await settled(actor);
    // Bob's old socket sees no hand (Carol's least of all) and cannot act for the seat.
    for (const pc of phaseChanges(b.socket.frames())) for (const n of ['Alice', 'Bob', 'Carol']) expect(handOf(pc, n)).toEqual([]);
    const refused = await expectError(b.socket, 'declare', { value: 1 });
    expect(String(refused.data['message'])).toMatch(/client_ready|identity/);
    // ... and its close does not disconnect Carol (a bound socket's close would hand her seat to a bot).
    await b.socket.close(1000);
    await a.socket.request('ping', { timestamp: 1 }, 'pong');
    await settled(actor);
    expect(actor.state.seats[bobSeat]).toMatchObject({ name: 'Carol', isBot: false, connected: true });
    const later = await srv.t.server.storage.events.readStream(`room-${a.roomId}`, { fromVersion: version + 1 });
    expect(later.map((e) => e.data as { type: string; seat?: number }).filter((e) => e.seat === bobSeat && /disconnect|left|removed/.test(e.type))).toEqual([]);
    await Promise.all([alice.closeAll(), bob.closeAll(), carol.closeAll()]);
  });
  it('client_ready naming nobody at the table gets the state without a hand, then an error; the game is untouched', async () => {
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    // A stable point: the game waits for Alice (humans have no move timeout).
    const bobPlayer = new ScriptedPlayer(b.socket, { redeal: 'decline', ...botLike }).start();
    await waitForMove(a.socket, 'Alice');
    bobPlayer.stop();
    const before = await settled(actor);
    const ghost = new Browser('ghost');
    const g = await ghost.connect(srv.t.baseUrl, a.roomId, { playerName: 'Ghost', pingIntervalMs: 0 });
    const refused = await g.waitFor('error');
    expect(refused.data).toMatchObject({ type: 'validation_error', message: 'No player named Ghost in this room' });
    const snapshot = phaseChanges(g.frames())[0];
    expect(snapshot).toBeDefined();
    expect(g.frames().indexOf(snapshot!)).toBeLessThan(g.frames().indexOf(refused));
    for (const n of ['Alice', 'Bob']) expect(handOf(snapshot!, n)).toEqual([]);
    expect(await settled(actor)).toEqual(before);
    await Promise.all([alice.closeAll(), bob.closeAll(), ghost.closeAll()]);
  });
});
