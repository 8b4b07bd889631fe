/**
 * Refresh / reconnect mid-turn: a player's connection drops while the table waits for them; the others hear
 * `player_disconnected` and a bot plays the seat at once (the game does not wait); the player comes back
 * with the same browser (cookie) and gets `player_reconnected` broadcast plus a `phase_change` snapshot with
 * their own hand, and the game goes on to game over.
 */
import { describe, expect, it } from 'vitest';
import { contractViolations, explainViolations, settled, waitForMove, waitForOwnTurn } from './crash/moves.js';
import { startTwoHumanGame, useSqliteServer } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, findForeignHands, playUntilGameOver, type ServerFrame } from './support/index.js';

const handOf = (f: ServerFrame, name: string): unknown[] => (f.data['players'] as Record<string, { hand: unknown[] }>)[name]?.hand ?? [];
const turnPlays = (f: ServerFrame): Record<string, unknown> => ((f.data['phase_data'] as Record<string, unknown>)['turn_plays'] ?? {}) as Record<string, unknown>;

describe('refresh and reconnect mid-turn', () => {
  const srv = useSqliteServer();
  it('a socket for an unknown room is told room_not_found once (on open), not again for its client_ready', async () => {
    const eve = new Browser('eve');
    const s = await eve.connect(srv.t.baseUrl, 'NOPE42', { playerName: 'Eve', pingIntervalMs: 0 });
    await s.request('ping', { timestamp: 1 }, 'pong');
    expect(s.frames().filter((f) => f.event === 'room_not_found').map((f) => f.data['room_id'])).toEqual(['NOPE42']);
    await eve.closeAll();
  });

  for (const how of ['drop', 'refresh'] as const) {
    it(`${how === 'drop' ? 'a dropped connection (1006)' : 'a page refresh (1001)'} on Bob's turn: a bot plays at once, Bob resumes with his hand, the game finishes`, { timeout: 90_000 }, async () => {
      const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
      const alicePlayer = new ScriptedPlayer(a.socket, { redeal: 'decline', ...botLike }).start();

      // Bob declares like the frontend would; then the table waits for his first play.
      let since = 0;
      let bobsTurn: ServerFrame;
      for (;;) {
        const { frame, move } = await waitForMove(b.socket, 'Bob', since);
        if (frame.data['phase'] === 'turn') {
          bobsTurn = frame;
          break;
        }
        since = b.socket.mark();
        b.socket.send(move.event, move.data);
      }
      const round = bobsTurn.data['round'];
      const turnNo = (bobsTurn.data['phase_data'] as Record<string, unknown>)['current_turn_number'];
      const before = await settled(actor);
      expect(before.phase).toBe('turn');
      const bobSeat = actor.state.seats.findIndex((s) => s?.name === 'Bob');
      expect(actor.state.seats[bobSeat]?.isBot).toBe(false);

      const markA = a.socket.mark();
      if (how === 'drop') expect((await b.socket.drop()).code).toBe(1006);
      else expect((await b.socket.close(1001, 'Page reload')).code).toBe(1001);

      // The others are told, and the seat's move is made by a bot without waiting for Bob.
      const gone = await a.socket.waitFor((f) => f.event === 'player_disconnected' && f.data['player_name'] === 'Bob', { since: markA });
      expect(gone.data['ai_activated']).toBe(true);
      expect(gone.data['can_reconnect']).toBe(true);
      const botPlayed = await a.socket.waitFor(
        (f) =>
          f.event === 'phase_change' &&
          f.data['round'] === round &&
          (f.data['phase'] !== 'turn' || (f.data['phase_data'] as Record<string, unknown>)['current_turn_number'] !== turnNo || 'Bob' in turnPlays(f)),
        { since: markA },
      );
      expect(botPlayed).toBeDefined();
      const afterBot = await a.socket.waitFor((f) => f.event === 'phase_change' && (f.data['players'] as Record<string, { is_bot: boolean }>)['Bob']?.is_bot === true, { since: markA });
      expect(afterBot).toBeDefined();
      const stored = await srv.t.server.storage.events.readStream(`room-${a.roomId}`, { fromVersion: before.version + 1 });
      const types = stored.map((e) => (e.data as { type: string; seat?: number }).type);
      expect(types[0]).toBe('player_disconnected');
      expect(stored.some((e) => (e.data as { type: string; seat?: number }).type === 'pieces_played' && (e.data as { seat: number }).seat === bobSeat)).toBe(true);

      // Bob comes back in the same browser: the table hears it and his socket gets a snapshot with his hand.
      const markA2 = a.socket.mark();
      const b2 = await bob.connect(srv.t.baseUrl, a.roomId, { playerName: 'Bob', pingIntervalMs: 0 });
      const back = await a.socket.waitFor((f) => f.event === 'player_reconnected' && f.data['player_name'] === 'Bob', { since: markA2 });
      expect(back.data['resumed_control']).toBe(true);
      // (A broadcast may reach the new socket before its client_ready is handled: that one is seatless.)
      const snapshot = await b2.waitFor((f) => f.event === 'phase_change' && handOf(f, 'Bob').length > 0);
      const players = snapshot.data['players'] as Record<string, { hand: unknown[]; hand_size: number; is_bot: boolean }>;
      expect(players['Bob']!.hand.length).toBe(players['Bob']!.hand_size);
      expect(handOf(snapshot, 'Alice')).toEqual([]);
      expect(b2.frames().filter((f) => f.event === 'error')).toEqual([]);
      await b2.waitFor((f) => f.event === 'phase_change' && (f.data['players'] as Record<string, { is_bot: boolean }>)['Bob']?.is_bot === false);
      expect(actor.state.seats[bobSeat]?.isBot).toBe(false);
      // Each state reaches the socket once (decision 1): the reconnect's phase_change is not followed by the same frame as a snapshot.
      await b2.request('ping', { timestamp: 1 }, 'pong');
      const seen = b2.frames().filter((f) => f.event === 'phase_change').map((f) => JSON.stringify(f.data));
      expect(seen.length).toBe(new Set(seen).size);

      // Play continues to game over with Bob in control again.
      const bobPlayer = new ScriptedPlayer(b2, { redeal: 'accept', ...botLike });
      const [overA, overB] = await playUntilGameOver([alicePlayer, bobPlayer], { timeoutMs: 60_000 });
      expect(overA!.data['phase']).toBe('game_over');
      expect(overB!.data['phase']).toBe('game_over');
      expect(bobPlayer.actions().filter((x) => x.sent).length).toBeGreaterThan(0);
      expect(bobPlayer.errors().map((e) => e.data)).toEqual([]);
      // Contract checks on every socket, including frame order: turn_complete before the next turn.
      for (const sock of [a.socket, ...bob.sockets()]) {
        const vs = contractViolations(sock);
        expect(vs, explainViolations(sock, vs)).toEqual([]);
      }
      for (const s of bob.sockets()) expect(findForeignHands(s.frames(), 'Bob')).toEqual([]);
      expect(findForeignHands(a.socket.frames(), 'Alice')).toEqual([]);
      await Promise.all([alice.closeAll(), bob.closeAll()]);
    });
  }
  it('the table hears player_disconnected / player_reconnected and no phase_change of them; the snapshot goes to the returning socket only (§6.8)', { timeout: 60_000 }, async () => {
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    // A stable point: the table waits for Alice in the declaration or turn phase (nobody else acts meanwhile).
    const bobPlayer = new ScriptedPlayer(b.socket, { redeal: 'decline', ...botLike }).start();
    await waitForOwnTurn(a.socket, 'Alice');
    bobPlayer.stop();
    const before = await settled(actor);

    const markA = a.socket.mark();
    expect((await b.socket.drop()).code).toBe(1006);
    await a.socket.waitFor((f) => f.event === 'player_disconnected' && f.data['player_name'] === 'Bob', { since: markA });
    await a.socket.request('ping', { timestamp: 1 }, 'pong');
    expect(a.socket.frames().slice(markA).map((f) => f.event)).toEqual(['player_disconnected', 'pong']);

    const markA2 = a.socket.mark();
    const b2 = await bob.connect(srv.t.baseUrl, a.roomId, { playerName: 'Bob', pingIntervalMs: 0 });
    await a.socket.waitFor((f) => f.event === 'player_reconnected' && f.data['player_name'] === 'Bob', { since: markA2 });
    const snapshot = await b2.waitFor((f) => f.event === 'phase_change' && handOf(f, 'Bob').length > 0);
    expect(snapshot.data['phase']).toBe(before.phase);
    expect(b2.frames().filter((f) => f.event === 'phase_change')).toEqual([snapshot]);
    await a.socket.request('ping', { timestamp: 2 }, 'pong');
    expect(a.socket.frames().slice(markA2).map((f) => f.event)).toEqual(['player_reconnected', 'pong']);
    expect(actor.state.seats[1]).toMatchObject({ name: 'Bob', isBot: false });
    await Promise.all([alice.closeAll(), bob.closeAll()]);
  });
});
