import { describe, expect, it } from 'vitest';
import { connectTestClient, type TestClient } from '../src/testing/index.js';
import type { Socket } from 'node:net';
import { createTransport, standardPipeline, type Connection, type ResumeResult, type TransportOptions } from '../src/index.js';
import { startTransport, until } from './helpers.js';

type Frame = Record<string, unknown>;

async function setup(historySize: number, options: Omit<TransportOptions, 'resume'> & { resume?: Partial<NonNullable<TransportOptions['resume']>> } = {}) {
  const s = await startTransport(
    (t) => {
      t.ws('/ws/:room', {
        pipeline: standardPipeline({
          dedupe: false,
          handler: (ctx) => {
            const room = ctx.conn.params['room']!;
            if (ctx.message['type'] === 'join') {
              t.join(ctx.conn, room);
              ctx.reply({ type: 'joined', ...t.position(room) });
            } else if (ctx.message['type'] === 'resume') {
              const r: ResumeResult = t.resume(ctx.conn, { room, since: Number(ctx.message['since']), epoch: String(ctx.message['epoch']) });
              if (!r.recovered) ctx.reply({ type: 'snapshot', offset: r.offset, epoch: r.epoch, reason: r.reason });
              ctx.reply({ type: 'resumed', result: r });
            }
          },
        }),
      });
    },
    { ...options, resume: { historySize, ...options.resume } },
  );
  return s;
}

const moves = (c: TestClient) => c.frames.filter((f) => (f as Frame)['type'] === 'move') as Frame[];

describe('resume', () => {
  it('replays exactly the missed reliable messages, then live ones; volatile messages take no offset', async () => {
    const { t, url } = await setup(100);
    const a = await connectTestClient(`${url}/ws/R`);
    a.send({ type: 'join' });
    await a.waitFor((f) => f['type'] === 'joined');
    const p1 = t.publish('R', { type: 'move', n: 1 });
    const p2 = t.publish('R', { type: 'move', n: 2 });
    expect(t.publish('R', { type: 'cursor' }, { volatile: true }).position).toBeUndefined();
    expect([p1.position?.offset, p2.position?.offset]).toEqual([1, 2]);
    await a.waitFor((f) => f['n'] === 2);
    expect(moves(a)).toEqual([
      { type: 'move', n: 1, offset: 1, epoch: p1.position!.epoch },
      { type: 'move', n: 2, offset: 2, epoch: p1.position!.epoch },
    ]);
    expect(a.frames.find((f) => (f as Frame)['type'] === 'cursor')).toEqual({ type: 'cursor' });
    const last = moves(a).at(-1)!;
    await a.close();
    await until(() => t.roomSize('R') === 0);

    t.publish('R', { type: 'move', n: 3 });
    t.publish('R', { type: 'move', n: 4 });
    const b = await connectTestClient(`${url}/ws/R`);
    b.send({ type: 'resume', since: last['offset'], epoch: last['epoch'] });
    await b.waitFor((f) => f['type'] === 'resumed');
    t.publish('R', { type: 'move', n: 5 });
    await b.waitFor((f) => f['n'] === 5);
    expect(moves(b).map((m) => [m['n'], m['offset']])).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(b.frames.find((f) => (f as Frame)['type'] === 'resumed')).toEqual({
      type: 'resumed',
      result: { recovered: true, replayed: 2, epoch: last['epoch'], offset: 4 },
    });
    await b.close();
    await t.close({ budgetMs: 1000 });
  });

  it('resumes with no gap as a no-op join', async () => {
    const { t, url } = await setup(10);
    t.publish('R', { type: 'move', n: 1 });
    const pos = t.position('R')!;
    const c = await connectTestClient(`${url}/ws/R`);
    c.send({ type: 'resume', since: pos.offset, epoch: pos.epoch });
    expect(await c.waitFor((f) => f['type'] === 'resumed')).toMatchObject({ result: { recovered: true, replayed: 0 } });
    expect(t.roomSize('R')).toBe(1);
    expect(moves(c)).toEqual([]);
    await c.close();
    await t.close({ budgetMs: 1000 });
  });

  it('answers not recovered when the gap is older than the history or the epoch changed, so the app sends a snapshot', async () => {
    const { t, url } = await setup(3);
    for (let n = 1; n <= 10; n++) t.publish('R', { type: 'move', n });
    const epoch = t.position('R')!.epoch;
    const c = await connectTestClient(`${url}/ws/R`);
    c.send({ type: 'resume', since: 2, epoch });
    expect(await c.waitFor((f) => f['type'] === 'snapshot')).toEqual({ type: 'snapshot', offset: 10, epoch, reason: 'too_old' });
    expect(moves(c)).toEqual([]);

    const reset = t.resetRoom('R')!;
    expect(reset.epoch).not.toBe(epoch);
    c.send({ type: 'resume', since: 10, epoch });
    expect(await c.waitFor((f) => f['reason'] === 'epoch_changed')).toEqual({ type: 'snapshot', offset: 0, epoch: reset.epoch, reason: 'epoch_changed' });
    c.send({ type: 'resume', since: 0, epoch: 'nope' });
    await c.waitFor((f) => f['type'] === 'resumed' && (f['result'] as Frame)['reason'] === 'epoch_changed' && c.frames.length >= 6);
    await c.close();
    await t.close({ budgetMs: 1000 });
  });

  it('a new transport instance (restart) has a new epoch: old positions are not recovered', async () => {
    const first = await setup(10);
    first.t.publish('R', { type: 'move', n: 1 });
    const old = first.t.position('R')!;
    await first.t.close({ budgetMs: 1000 });
    const second = await setup(10);
    second.t.publish('R', { type: 'move', n: 1 });
    expect(second.t.position('R')!.epoch).not.toBe(old.epoch);
    const c = await connectTestClient(`${second.url}/ws/R`);
    c.send({ type: 'resume', since: old.offset, epoch: old.epoch });
    expect(await c.waitFor((f) => f['type'] === 'snapshot')).toMatchObject({ reason: 'epoch_changed' });
    await c.close();
    await second.t.close({ budgetMs: 1000 });
  });

  it('drops the history of a room that has had no members for longer than the retention (regression: histories were never freed)', async () => {
    let clock = 1_000;
    const { t, url } = await setup(10, { now: () => clock, resume: { retentionMs: 60_000 } });
    t.publish('nobody', { type: 'move', n: 1 });
    const a = await connectTestClient(`${url}/ws/busy`);
    a.send({ type: 'join' });
    await a.waitFor((f) => f['type'] === 'joined');
    const before = t.publish('busy', { type: 'move', n: 1 }).position!;

    clock += 60_001;
    expect(t.position('nobody')).toBeUndefined();
    // a room with members keeps its history however long
    expect(t.position('busy')).toEqual(before);

    await a.close();
    await until(() => t.roomSize('busy') === 0);
    clock += 60_000;
    expect(t.position('busy')).toEqual(before);
    clock += 1;
    expect(t.position('busy')).toBeUndefined();
    const b = await connectTestClient(`${url}/ws/busy`);
    b.send({ type: 'resume', since: before.offset, epoch: before.epoch });
    expect(await b.waitFor((f) => f['type'] === 'snapshot')).toEqual({ type: 'snapshot', offset: 0, reason: 'unknown_room' });
    await b.close();
    await t.close({ budgetMs: 1000 });
  });

  it('keeps at most maxRooms histories of rooms nobody is in (the one empty longest goes first), never a room with members; forgetRoom drops one at once', async () => {
    const { t, url } = await setup(10, { resume: { maxRooms: 2 } });
    const member = await connectTestClient(`${url}/ws/live`);
    member.send({ type: 'join' });
    await member.waitFor((f) => (f as Frame)['type'] === 'joined');
    t.publish('live', { type: 'move' }); // a room with a member: first in, but never dropped by the cap
    t.publish('a', { type: 'move' });
    t.publish('b', { type: 'move' }); // over the cap: 'a' (empty longest) goes
    expect(t.position('a')).toBeUndefined();
    t.publish('c', { type: 'move' }); // 'b' goes
    expect(t.position('b')).toBeUndefined();
    expect([t.position('live')?.offset, t.position('c')?.offset]).toEqual([1, 1]);
    // More rooms with members than the cap: none loses its history (regression: the cap took the least
    // recently published room even with players in it, so its resume never worked).
    for (let i = 0; i < 5; i++) t.publish('c', { type: 'move' });
    expect(t.position('live')?.offset).toBe(1);
    const old = t.position('c')!;
    expect(t.forgetRoom('c')).toBe(true);
    expect(t.forgetRoom('c')).toBe(false);
    expect(t.position('c')).toBeUndefined();
    const again = t.publish('c', { type: 'move' }).position!;
    expect(again.offset).toBe(1);
    expect(again.epoch).not.toBe(old.epoch);
    expect(() => createTransport({ resume: { historySize: 1, maxRooms: 0 } })).toThrow(/maxRooms/);
    expect(() => createTransport({ resume: { historySize: 1, retentionMs: Number.NaN } })).toThrow(/retentionMs/);
    await member.close();
    await t.close({ budgetMs: 1000 });
  });

  it('answers closed, not recovered, when the replay closes the socket as a slow consumer (regression: reported recovered)', async () => {
    let conn: Connection<unknown, unknown> | undefined;
    const closes: number[] = [];
    const { t, url } = await startTransport(
      (t) => t.ws('/ws', { onOpen: (c) => void (conn = c), onClose: (_c, code) => void closes.push(code), pipeline: [] }),
      { resume: { historySize: 512 }, backpressure: { closeBytes: 256 * 1024 } },
    );
    const first = t.publish('g', { type: 'move', n: 0 }).position!;
    for (let n = 1; n < 512; n++) t.publish('g', { type: 'move', n, data: 'z'.repeat(32 * 1024) });
    const c = await connectTestClient(`${url}/ws`);
    await until(() => conn !== undefined);
    (c.socket as unknown as { _socket: Socket })._socket.pause();
    const r = t.resume(conn!, { room: 'g', since: first.offset, epoch: first.epoch });
    expect(r).toEqual({ recovered: false, reason: 'closed', epoch: first.epoch, offset: 512 });
    expect(conn!.isOpen).toBe(false);
    expect(t.roomSize('g')).toBe(0);
    expect(closes).toEqual([4008]);
    (c.socket as unknown as { _socket: Socket })._socket.resume();
    expect((await c.closed).code).toBe(4008);
    await t.close({ budgetMs: 1000 });
  });
});
