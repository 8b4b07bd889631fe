/**
 * Hostile input on a live game: garbage, non-JSON and non-object frames, oversize frames, unknown events,
 * missing or mistyped data, actions in the wrong phase or out of turn, another player's name, out-of-range
 * and duplicate indices, and floods. The sender gets readable `error` frames and keeps its socket (except
 * a flood, which may be closed with 1008), the room's version is unchanged, the server stays up and another
 * room's game plays on to game over.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createProtocolDefaultPolicies } from '@game/rate-limit';
import { describe, expect, it } from 'vitest';
import { settled, waitForMove } from './crash/moves.js';
import { startTwoHumanGame, useSqliteServer } from './harness.js';
import { botLike } from './strategies.js';
import { Browser, ScriptedPlayer, playUntilGameOver, startGame, type FrontendSocket, type ServerFrame } from './support/index.js';

const MAX_FRAME_BYTES = 4096;
const PING_BURST = 20;

/** The generous test table, except `ping`: a small bucket with the flood block, to show a flood being cut off. */
async function limitsFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'liap-hostile-'));
  const file = path.join(dir, 'limits.json');
  const policies = createProtocolDefaultPolicies().map((p) =>
    p.name === 'ws.ping'
      ? { name: p.name, key: p.key, capacity: PING_BURST, refillPerSecond: 0.5, messageTypes: ['ping'], block: { afterViolations: 10, withinMs: 10_000, durationMs: 60_000 } }
      : {
          name: p.name,
          key: p.key,
          capacity: p.capacity * 100,
          refillPerSecond: p.capacity * 100,
          ...(p.messageTypes ? { messageTypes: p.messageTypes } : {}),
          ...(p.exceptMessageTypes ? { exceptMessageTypes: p.exceptMessageTypes } : {}),
        },
  );
  await writeFile(file, JSON.stringify({ policies }));
  return file;
}

/** Sends raw text/bytes and waits for the error frame it causes. */
async function rawError(socket: FrontendSocket, payload: string | Buffer): Promise<ServerFrame> {
  const since = socket.mark();
  expect(socket.sendRaw(payload)).toBe(true);
  return socket.waitFor('error', { since, timeoutMs: 5_000 });
}

/** A readable refusal: a sentence for a person, no stack trace, no internal error. */
function expectReadable(e: ServerFrame, what: string): void {
  const message = e.data['message'];
  expect(typeof message, `${what}: ${JSON.stringify(e.data)}`).toBe('string');
  expect((message as string).length, what).toBeGreaterThan(5);
  expect(message, what).not.toMatch(/\n\s+at |\.ts:\d+|Internal error|undefined|\[object Object\]/);
  expect(e.data['type'], what).not.toBe('server_error');
}

describe('hostile input', () => {
  const srv = useSqliteServer(async () => ({ MAX_FRAME_BYTES, RATE_LIMITS_FILE: await limitsFile() }));

  it('every hostile frame gets a readable error, the room is unchanged, the server stays up and another room finishes its game', { timeout: 120_000 }, async () => {
    // Room B: an ordinary game that must not notice anything.
    const carol = new Browser('carol');
    const c = await carol.createRoom(srv.t.baseUrl, 'Carol', { pingIntervalMs: 0 });
    await startGame(c.socket);
    const carolPlayer = new ScriptedPlayer(c.socket, { redeal: 'accept', ...botLike });
    const roomB = playUntilGameOver([carolPlayer], { timeoutMs: 100_000 });

    // Room A: Alice and Bob; attacked while the table waits for Alice.
    const { alice, bob, a, b, actor } = await startTwoHumanGame(srv.t);
    // Bob plays his moves until the table waits for Alice; then he stops (his socket is used by hand below).
    const bobPlayer = new ScriptedPlayer(b.socket, { redeal: 'decline', ...botLike }).start();
    const { frame, move } = await waitForMove(a.socket, 'Alice');
    bobPlayer.stop();
    const phase = frame.data['phase'];
    const before = await settled(actor);
    // A ping barrier: frames to one socket arrive in order, so after its pong nothing older is in flight.
    await Promise.all([a.socket, b.socket].map((x) => x.request('ping', { timestamp: 0 }, 'pong')));
    const markA = a.socket.mark();
    const markB = b.socket.mark();

    // --- Malformed frames from Alice's own (bound, on-turn) socket.
    const malformed: Array<[string, string | Buffer]> = [
      ['binary garbage', Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x13, 0x37])],
      ['non-JSON text', 'hello {{{ not json'],
      ['empty text', ''],
      ['JSON array', '[1,2,3]'],
      ['JSON string', '"declare"'],
      ['JSON number', '42'],
      ['JSON null', 'null'],
      ['JSON true', 'true'],
      ['oversize frame', JSON.stringify({ event: move.event, data: { ...move.data, pad: 'x'.repeat(MAX_FRAME_BYTES * 2) } })],
      ['unknown event', JSON.stringify({ event: 'hack_the_planet', data: {} })],
      ['prototype event name', JSON.stringify({ event: '__proto__', data: {} })],
      ['constructor event name', JSON.stringify({ event: 'constructor', data: {} })],
      ['event not a string', JSON.stringify({ event: 42, data: {} })],
      ['missing event', JSON.stringify({ data: { value: 1 } })],
      ['missing data', JSON.stringify({ event: 'declare' })],
      ['data is an array', JSON.stringify({ event: 'declare', data: [1] })],
      ['data is a string', JSON.stringify({ event: 'play', data: 'all of them' })],
      ['value smuggled in __proto__', '{"event":"declare","data":{"__proto__":{"value":1}}}'],
      ['declare as a string', JSON.stringify({ event: 'declare', data: { value: '3' } })],
      ['declare 9', JSON.stringify({ event: 'declare', data: { value: 9 } })],
      ['declare -1', JSON.stringify({ event: 'declare', data: { value: -1 } })],
      ['declare 1.5', JSON.stringify({ event: 'declare', data: { value: 1.5 } })],
      ['play no indices', JSON.stringify({ event: 'play', data: {} })],
      ['play empty indices', JSON.stringify({ event: 'play', data: { piece_indices: [] } })],
      ['play duplicate indices', JSON.stringify({ event: 'play', data: { piece_indices: [0, 0] } })],
      ['play index 99', JSON.stringify({ event: 'play', data: { piece_indices: [99] } })],
      ['play index -1', JSON.stringify({ event: 'play', data: { piece_indices: [-1] } })],
      ['play index 0.5', JSON.stringify({ event: 'play', data: { piece_indices: [0.5] } })],
      ['play index as string', JSON.stringify({ event: 'play', data: { piece_indices: ['0'] } })],
      ['play seven pieces', JSON.stringify({ event: 'play', data: { piece_indices: [0, 1, 2, 3, 4, 5, 6] } })],
      ['play_pieces duplicate', JSON.stringify({ event: 'play_pieces', data: { indices: [1, 1] } })],
      ['redeal_decision bogus choice', JSON.stringify({ event: 'redeal_decision', data: { choice: 'maybe' } })],
      ['add_bot slot 0', JSON.stringify({ event: 'add_bot', data: { slot_id: 0 } })],
      ['player name with markup', JSON.stringify({ event: 'declare', data: { value: 1, player_name: '<script>' } })],
    ];
    // --- Well-formed frames the game must refuse in this phase or for this seat.
    const refusedByGame: Array<[string, string]> = [
      ['start_game mid-game', JSON.stringify({ event: 'start_game', data: {} })],
      ['add_bot mid-game', JSON.stringify({ event: 'add_bot', data: { slot_id: 2 } })],
      ['remove_player mid-game', JSON.stringify({ event: 'remove_player', data: { slot_id: 2 } })],
      ['accept_redeal outside preparation', JSON.stringify({ event: 'accept_redeal', data: {} })],
      ['decline_redeal outside preparation', JSON.stringify({ event: 'decline_redeal', data: {} })],
      phase === 'declaration'
        ? ['play during declaration', JSON.stringify({ event: 'play', data: { piece_indices: [0] } })]
        : ['declare during a turn', JSON.stringify({ event: 'declare', data: { value: 1 } })],
      phase === 'declaration'
        ? ['play_pieces during declaration', JSON.stringify({ event: 'play_pieces', data: { indices: [0] } })]
        : ['index beyond the hand', JSON.stringify({ event: 'play', data: { piece_indices: [25] } })],
      ['join_room on a room socket', JSON.stringify({ event: 'join_room', data: { room_id: a.roomId, player_name: 'Alice' } })],
    ];
    const replies: string[] = [];
    for (const [what, payload] of [...malformed, ...refusedByGame]) {
      const e = await rawError(a.socket, payload);
      expectReadable(e, what);
      replies.push(`${what}: [${String(e.data['type'])}] ${String(e.data['message'])}`);
      expect(a.socket.isOpen, what).toBe(true);
    }
    // One error per hostile frame, nothing else sent to Alice: no phase_change, no partial effects.
    const sinceA = a.socket.frames().slice(markA);
    expect(sinceA.filter((f) => f.event === 'error')).toHaveLength(malformed.length + refusedByGame.length);
    expect(sinceA.filter((f) => f.event !== 'error' && f.event !== 'room_update').map((f) => f.event)).toEqual([]);
    expect(await settled(actor)).toEqual(before);

    // --- Out of turn, and another player's name: Bob's socket acts for Bob only.
    for (const data of [move.data, { ...move.data, player_name: 'Alice' }]) {
      const e = await rawError(b.socket, JSON.stringify({ event: move.event, data }));
      expectReadable(e, `Bob sends ${JSON.stringify(data)}`);
      expect(e.data['type']).toBe('NOT_YOUR_TURN');
    }
    // --- A socket that never said who it is (no client_ready) cannot act at all.
    const stranger = new Browser('stranger');
    const s = await stranger.connect(srv.t.baseUrl, a.roomId, { skipClientReady: true, pingIntervalMs: 0 });
    const anon = await rawError(s, JSON.stringify({ event: move.event, data: { value: 1, piece_indices: [0] } }));
    expectReadable(anon, 'anonymous action');
    expect(anon.data['message']).toMatch(/client_ready|identity/);
    expect(await settled(actor)).toEqual(before);

    // --- A flood of pings from one connection: refused with RATE_LIMIT_EXCEEDED, then possibly closed (1008).
    const flooder = await stranger.connect(srv.t.baseUrl, a.roomId, { pingIntervalMs: 0 });
    const floodMark = flooder.mark();
    for (let i = 0; i < 200 && flooder.isOpen; i++) flooder.send('ping', { timestamp: i });
    await flooder.waitFor((f) => f.event === 'error' && f.data['code'] === 'RATE_LIMIT_EXCEEDED', { since: floodMark });
    const floodFrames = flooder.frames().slice(floodMark);
    const limited = floodFrames.filter((f) => f.event === 'error' && f.data['code'] === 'RATE_LIMIT_EXCEEDED');
    expect(limited.length).toBeGreaterThan(0);
    for (const e of limited) {
      expectReadable(e, 'rate limit');
      expect(e.data['type']).toBe('rate_limit');
      expect(typeof e.data['retry_after_ms']).toBe('number');
    }
    expect(floodFrames.filter((f) => f.event === 'pong').length).toBeLessThanOrEqual(PING_BURST + 2);
    if (!flooder.isOpen) expect((await flooder.closed).code).toBe(1008);

    // --- A frame beyond the transport's payload limit: only that socket goes.
    const giant = await stranger.connect(srv.t.baseUrl, a.roomId, { pingIntervalMs: 0 });
    giant.sendRaw(JSON.stringify({ event: 'ping', data: { pad: 'y'.repeat(300_000) } }));
    const giantClose = await giant.closed;
    expect(giantClose.code).not.toBe(1000);

    // The room did not move, its sockets are still served, the server is healthy.
    expect(await settled(actor)).toEqual(before);
    expect(a.socket.isOpen && b.socket.isOpen).toBe(true);
    const pong = await a.socket.request('ping', { timestamp: 1 }, 'pong');
    expect(pong.data['room_id']).toBe(a.roomId);
    expect((await fetch(`${srv.t.baseUrl}/health/live`)).status).toBe(200);
    // (`room_update` is excluded: the answer to the lobby flow's get_room_state is repeated 250 ms later, decision 10.)
    const quiet = (f: ServerFrame) => f.event !== 'error' && f.event !== 'pong' && f.event !== 'room_update';
    expect(b.socket.frames().slice(markB).filter(quiet).map((f) => f.event)).toEqual([]);
    expect(a.socket.frames().slice(markA).filter(quiet).map((f) => f.event)).toEqual([]);

    // Alice's real move still goes through.
    const go = a.socket.mark();
    a.socket.send(move.event, move.data);
    await a.socket.waitFor('phase_change', { since: go });
    expect((await settled(actor)).version).toBeGreaterThan(before.version);
    expect(a.socket.frames().slice(go).filter((f) => f.event === 'error')).toEqual([]);

    // Room B never noticed.
    const [overB] = await roomB;
    expect(overB!.data['phase']).toBe('game_over');
    expect(carolPlayer.errors().map((e) => e.data)).toEqual([]);
    expect(carolPlayer.violations()).toEqual([]);
    expect(replies.length).toBe(malformed.length + refusedByGame.length);
    await Promise.all([alice.closeAll(), bob.closeAll(), carol.closeAll(), stranger.closeAll()]);
  });
});
