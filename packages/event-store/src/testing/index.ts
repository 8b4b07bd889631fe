/**
 * The event store conformance suite: every backend runs it.
 * @example describeEventStoreConformance('sqlite', async (options) => ({ store: createEventStore({ db, ...options }), close }))
 */
import { afterEach, describe, expect, it } from 'vitest';
import { withEventContext } from '../context.js';
import { ConcurrencyError, EventIdConflictError, InvalidArgumentError, StreamLiveError } from '../errors.js';
import { handleCommand, loadState, type Decider } from '../decider.js';
import type { EventStore, EventStoreOptions, ExportedEvent, RecordedEvent } from '../types.js';

/** A store under test plus what the suite needs around it. */
export interface EventStoreHarness {
  store: EventStore;
  /** Runs `fn` in a database transaction, when the backend has them (unit-of-work tests). */
  transaction?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Releases the store's storage (drop tables, close the database). */
  close(): Promise<void>;
}

/** Creates a fresh, empty store with the given options. */
export type EventStoreHarnessFactory = (options: EventStoreOptions) => Promise<EventStoreHarness>;

/** A clock the tests move by hand. */
export function createManualClock(start = new Date('2026-01-01T00:00:00.000Z')): {
  now: () => Date;
  advance: (ms: number) => void;
} {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

const ev = (type: string, data: unknown = {}, id?: string) =>
  id === undefined ? { type, data } : { id, type, data };

interface CounterState {
  count: number;
}
type CounterCommand = { type: 'add'; by: number };
type CounterEvent = { type: 'added'; by: number };
const counter: Decider<CounterState, CounterCommand, CounterEvent> = {
  initialState: { count: 0 },
  decide: (_s, c) => [{ type: 'added', by: c.by }],
  evolve: (s, e) => ({ count: s.count + e.by }),
};

/** Registers the conformance tests for one backend under `describe(name)`. */
export function describeEventStoreConformance(
  name: string,
  factory: EventStoreHarnessFactory,
  features: { transactions?: boolean } = {},
): void {
  describe(`event store conformance: ${name}`, () => {
    const open: EventStoreHarness[] = [];
    const make = async (options: EventStoreOptions = {}) => {
      const h = await factory(options);
      open.push(h);
      return h;
    };
    afterEach(async () => {
      for (const h of open.splice(0)) {
        await h.store.close();
        await h.close();
      }
    });

    describe('append', () => {
      it('numbers a new stream 1..n, assigns increasing global positions and stamps the clock', async () => {
        const clock = createManualClock();
        const { store } = await make({ clock: clock.now });
        const r = await store.append('s-1', [ev('a', { n: 1 }), ev('b', { n: 2 }), ev('c', [1, 'x', null])], {
          expectedVersion: 'no_stream',
        });
        expect(r.nextExpectedVersion).toBe(3);
        expect(r.duplicate).toBe(false);
        expect(r.events.map((e) => e.version)).toEqual([1, 2, 3]);
        const positions = r.events.map((e) => e.position);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(3);
        expect(r.lastPosition).toBe(positions[2]);
        const read = await store.readStream('s-1');
        expect(read.map((e) => [e.type, e.data, e.version, e.streamId])).toEqual([
          ['a', { n: 1 }, 1, 's-1'],
          ['b', { n: 2 }, 2, 's-1'],
          ['c', [1, 'x', null], 3, 's-1'],
        ]);
        expect(read[0]!.recordedAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
        expect(read.every((e) => typeof e.id === 'string' && e.id.length > 0)).toBe(true);
        expect(await store.streamVersion('s-1')).toBe(3);
        expect(await store.streamVersion('nope')).toBe(0);
      });

      it('round-trips JSON payloads exactly (nested, unicode, numbers, strings that look like JSON)', async () => {
        const { store } = await make();
        const payloads = [
          { a: { b: [1.5, -2, 1e21] }, s: 'é漢🎲\n"q"' },
          'plain string',
          '{"not":"parsed"}',
          42,
          true,
          null,
          [],
        ];
        await store.append(
          'json',
          payloads.map((p) => ev('p', p)),
        );
        expect((await store.readStream('json')).map((e) => e.data)).toEqual(payloads);
      });

      it('checks every kind of expected version and reports stream, expected and actual', async () => {
        const { store } = await make();
        await expect(
          store.append('s', [ev('a')], { expectedVersion: 'stream_exists' }),
        ).rejects.toMatchObject({
          code: 'CONCURRENCY',
          streamId: 's',
          expectedVersion: 'stream_exists',
          actualVersion: 0,
        });
        await expect(store.append('s', [ev('a')], { expectedVersion: 3 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        await store.append('s', [ev('a')], { expectedVersion: 0 });
        await store.append('s', [ev('b')], { expectedVersion: 1 });
        await store.append('s', [ev('c')], { expectedVersion: 'stream_exists' });
        await store.append('s', [ev('d')], { expectedVersion: 'any' });
        await store.append('s', [ev('e')]);
        const err = await store
          .append('s', [ev('x')], { expectedVersion: 'no_stream' })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConcurrencyError);
        expect(err).toMatchObject({
          code: 'CONCURRENCY',
          streamId: 's',
          expectedVersion: 'no_stream',
          actualVersion: 5,
        });
        await expect(store.append('s', [ev('x')], { expectedVersion: 4 })).rejects.toMatchObject({
          actualVersion: 5,
          expectedVersion: 4,
        });
        expect(await store.streamVersion('s')).toBe(5);
        expect((await store.readStream('s')).map((e) => e.type)).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('lets exactly one of many concurrent appends with the same expected version win', async () => {
        const { store } = await make();
        await store.append('race', [ev('start')]);
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.append('race', [ev('w', { i }), ev('w2', { i })], { expectedVersion: 1 }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((x) => x.status === 'rejected')) {
          expect(r.reason).toBeInstanceOf(ConcurrencyError);
        }
        expect((await store.readStream('race')).map((e) => e.version)).toEqual([1, 2, 3]);
      });

      it('rejects bad input with InvalidArgumentError naming the argument', async () => {
        const { store } = await make();
        await expect(store.append('', [ev('a')])).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          argument: 'streamId',
        });
        await expect(store.append('s', [])).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.append('s', [ev('')])).rejects.toMatchObject({ argument: 'events[0].type' });
        await expect(store.append('s', [ev('a')], { expectedVersion: -1 })).rejects.toMatchObject({
          argument: 'expectedVersion',
        });
        await expect(store.append('s', [{ type: 'a', data: undefined }])).rejects.toMatchObject({
          argument: 'events[0].data',
        });
        await expect(store.append('s', [ev('a', {}, 'x'), ev('b', {}, 'x')])).rejects.toMatchObject({
          argument: 'events[1].id',
        });
        await expect(store.readAll({ after: -1 })).rejects.toMatchObject({ argument: 'after' });
        await expect(store.readStream('s', { fromVersion: 1.5 })).rejects.toMatchObject({
          argument: 'fromVersion',
        });
        expect(await store.headPosition()).toBe(0);
      });

      it('refuses what PostgreSQL cannot store (U+0000, lone surrogates) and malformed numbers on every backend', async () => {
        const { store } = await make();
        const bad: Array<[() => Promise<unknown>, string]> = [
          [() => store.append('a\u0000b', [ev('a')]), 'streamId'],
          [() => store.append('s', [ev('t\u0000')]), 'events[0].type'],
          [() => store.append('s', [ev('a', {}, 'id\u0000')]), 'events[0].id'],
          [() => store.append('s', [ev('a', { s: 'a\u0000b' })]), 'events[0].data'],
          [() => store.append('s', [ev('a', { ['k\u0000']: 1 })]), 'events[0].data'],
          [() => store.append('s', [ev('a', ['\ud800'])]), 'events[0].data'],
          [() => store.append('s', [ev('a', 'x\udc00')]), 'events[0].data'],
          [
            () => store.append('s', [{ type: 'a', data: {}, metadata: { n: '\u0000' } }]),
            'events[0].metadata',
          ],
          [() => store.append('s', [ev('a', { b: 1n })]), 'events[0].data'],
          [() => store.setStreamLive('\ud800', true), 'streamId'],
          [() => store.listStreams({ limit: -1 }), 'limit'],
          [() => store.listStreams({ limit: 1.5 }), 'limit'],
          [
            () => store.saveSnapshot({ streamId: 's', version: 0, schemaVersion: 1, state: { b: 1n } }),
            'state',
          ],
          [
            () => store.saveSnapshot({ streamId: 's', version: 0, schemaVersion: 1, state: '\u0000' }),
            'state',
          ],
        ];
        for (const [call, argument] of bad) {
          await expect(call(), argument).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument });
        }
        expect(await store.headPosition()).toBe(0);
        expect(await store.listStreams()).toEqual([]);
        // Valid pairs, backslashes and other control characters are fine everywhere.
        const odd = { s: '🎲 \\u0000 \\\\ud800 \u0001', é漢: ['\ud83c\udfb2'] };
        await store.append('s', [ev('a', odd)]);
        expect((await store.readStream('s'))[0]!.data).toEqual(odd);
        await store.append('s', [ev('a'), ev('a')]);
        const fold = () => ({});
        for (const upToVersion of [2.5, -1]) {
          await expect(
            store.compact('s', { upToVersion, fold, archive: () => undefined }),
          ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'upToVersion' });
        }
        expect((await store.readStream('s')).map((e) => e.version)).toEqual([1, 2, 3]);
        expect(await store.listStreams({ limit: 0 })).toEqual([]);
      });

      it('appends, reads back and retries a batch of 10,000 events', async () => {
        const { store } = await make();
        const batch = Array.from({ length: 10_000 }, (_, i) => ev('bulk', { i }, `b-${i}`));
        const r = await store.append('bulk', batch);
        expect(r.nextExpectedVersion).toBe(10_000);
        expect(r.lastPosition).toBe(r.events[9_999]!.position);
        const read = await store.readStream('bulk', { fromVersion: 9_001 });
        expect(read.map((e) => [e.version, e.id])).toEqual(
          Array.from({ length: 1000 }, (_, i) => [9_001 + i, `b-${9_000 + i}`]),
        );
        const retry = await store.append('bulk', batch);
        expect(retry.duplicate).toBe(true);
        expect(retry.events.map((e) => e.position)).toEqual(r.events.map((e) => e.position));
        // The fast path (an exact expected version) and a partial retry of a large batch.
        const more = Array.from({ length: 9_000 }, (_, i) => ev('bulk', { i }, `m-${i}`));
        expect((await store.append('bulk', more, { expectedVersion: 10_000 })).nextExpectedVersion).toBe(
          19_000,
        );
        await expect(store.append('bulk', [...more, ev('bulk', {}, 'new')])).rejects.toBeInstanceOf(
          EventIdConflictError,
        );
        expect(await store.streamVersion('bulk')).toBe(19_000);
      });
    });

    describe('idempotency', () => {
      it('makes a retried append with the same event ids a no-op returning the original result', async () => {
        const { store } = await make();
        const first = await store.append('s', [ev('a', 1, 'e1'), ev('b', 2, 'e2')], {
          expectedVersion: 'no_stream',
        });
        await store.append('s', [ev('c', 3, 'e3')], { expectedVersion: 2 });
        // The retry carries its original (now stale) expected version: still a no-op, not a conflict.
        const retry = await store.append('s', [ev('a', 1, 'e1'), ev('b', 2, 'e2')], {
          expectedVersion: 'no_stream',
        });
        expect(retry.duplicate).toBe(true);
        expect(retry.events.map((e) => [e.id, e.version, e.position])).toEqual(
          first.events.map((e) => [e.id, e.version, e.position]),
        );
        const anyRetry = await store.append('s', [ev('c', 3, 'e3')]);
        expect(anyRetry.duplicate).toBe(true);
        expect(anyRetry.events[0]!.version).toBe(3);
        expect(await store.streamVersion('s')).toBe(3);
        expect((await store.readAll()).length).toBe(3);
      });

      it('refuses a batch whose ids are only partly stored', async () => {
        const { store } = await make();
        await store.append('s', [ev('a', 1, 'e1')]);
        const err = await store.append('s', [ev('a', 1, 'e1'), ev('b', 2, 'e2')]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EventIdConflictError);
        expect(err).toMatchObject({ code: 'EVENT_ID_CONFLICT', streamId: 's', existingIds: ['e1'] });
        expect(await store.streamVersion('s')).toBe(1);
        expect((await store.readAll()).map((e) => e.id)).toEqual(['e1']);
        // Nothing of the refused batch is left behind: the next append takes version 2.
        const next = await store.append('s', [ev('c', 3, 'e3')], { expectedVersion: 1 });
        expect(next.events.map((e) => [e.id, e.version])).toEqual([['e3', 2]]);
      });

      it('scopes event ids to their stream', async () => {
        const { store } = await make();
        await store.append('s1', [ev('a', 1, 'same')]);
        const r = await store.append('s2', [ev('a', 1, 'same')]);
        expect(r.duplicate).toBe(false);
        expect(await store.streamVersion('s2')).toBe(1);
      });
    });

    describe('metadata', () => {
      it('fills correlation, causation and trace ids from the ambient context unless given', async () => {
        const { store } = await make();
        await withEventContext({ correlationId: 'c-1', causationId: 'k-1', traceId: 't-1' }, () =>
          store.append('m', [
            ev('a'),
            { type: 'b', data: {}, metadata: { correlationId: 'mine', extra: 7 } },
          ]),
        );
        await store.append('m', [ev('c')], { metadata: { causationId: 'opt' } });
        const [a, b, c] = await store.readStream('m');
        expect(a!.metadata).toEqual({ correlationId: 'c-1', causationId: 'k-1', traceId: 't-1' });
        expect(b!.metadata).toEqual({ correlationId: 'mine', causationId: 'k-1', traceId: 't-1', extra: 7 });
        expect(c!.metadata).toEqual({ causationId: 'opt' });
      });

      it('uses the store’s context function when one is given', async () => {
        const { store } = await make({ context: () => ({ correlationId: 'from-fn' }) });
        await store.append('m', [ev('a')]);
        expect((await store.readStream('m'))[0]!.metadata.correlationId).toBe('from-fn');
      });
    });

    describe('reads', () => {
      it('reads a stream by version range, direction, limit and as of a time', async () => {
        const clock = createManualClock();
        const { store } = await make({ clock: clock.now });
        for (let i = 1; i <= 6; i++) {
          await store.append('r', [ev('e', { i })]);
          clock.advance(1000);
        }
        const versions = async (o: Parameters<EventStore['readStream']>[1]) =>
          (await store.readStream('r', o)).map((e) => e.version);
        expect(await versions({ fromVersion: 2, toVersion: 4 })).toEqual([2, 3, 4]);
        expect(await versions({ toVersion: 2 })).toEqual([1, 2]);
        expect(await versions({ direction: 'backward', limit: 2 })).toEqual([6, 5]);
        expect(await versions({ fromVersion: 3, limit: 2 })).toEqual([3, 4]);
        expect(await versions({ untilTime: new Date('2026-01-01T00:00:02.000Z') })).toEqual([1, 2, 3]);
        expect(await versions({ untilTime: new Date('2025-12-31T00:00:00.000Z') })).toEqual([]);
        expect(await store.readStream('missing')).toEqual([]);
      });

      it('reads the global log in order, after a position, in pages, with nothing skipped or repeated', async () => {
        const { store } = await make();
        const written: string[] = [];
        for (let i = 0; i < 15; i++) {
          const r = await store.append(`g-${i % 4}`, [ev('x', { i }), ev('y', { i })]);
          written.push(...r.events.map((e) => e.id));
        }
        const seen: RecordedEvent[] = [];
        let after = 0;
        for (;;) {
          const page = await store.readAll({ after, limit: 7 });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(7);
          seen.push(...page);
          after = page[page.length - 1]!.position;
        }
        expect(seen.map((e) => e.id)).toEqual(written);
        expect(await store.headPosition()).toBe(seen[seen.length - 1]!.position);
        expect((await store.readAll()).map((e) => e.id)).toEqual(written);
      });

      it('lists streams with their versions and live flags', async () => {
        const { store } = await make();
        await store.append('room-b', [ev('a'), ev('b')]);
        await store.append('room-a', [ev('a')]);
        await store.append('other', [ev('a')]);
        await store.setStreamLive('room-b', true);
        expect(await store.listStreams({ prefix: 'room-' })).toEqual([
          { streamId: 'room-a', version: 1, live: false },
          { streamId: 'room-b', version: 2, live: true },
        ]);
        expect((await store.listStreams({ after: 'other', limit: 1 })).map((s) => s.streamId)).toEqual([
          'room-a',
        ]);
        await store.append('room-😀-1', [ev('a')]);
        expect((await store.listStreams({ prefix: 'room-😀' })).map((s) => s.streamId)).toEqual([
          'room-😀-1',
        ]);
      });
    });

    describe('snapshots', () => {
      it('saves, replaces and loads by schema version, ignoring other schema versions', async () => {
        const { store } = await make();
        expect(await store.loadSnapshot('s', { schemaVersion: 1 })).toBeNull();
        await store.append(
          's',
          [1, 2, 3, 4, 5].map((n) => ev('n', n)),
        );
        await store.saveSnapshot({ streamId: 's', version: 3, schemaVersion: 1, state: { n: 3 } });
        await store.saveSnapshot({ streamId: 's', version: 5, schemaVersion: 1, state: { n: 5 } });
        expect(await store.loadSnapshot('s', { schemaVersion: 1 })).toMatchObject({
          streamId: 's',
          version: 5,
          state: { n: 5 },
        });
        expect(await store.loadSnapshot('s', { schemaVersion: 2 })).toBeNull();
      });

      it('refuses a snapshot ahead of its stream; the decider folds from events past one that is', async () => {
        const { store } = await make();
        await store.append('counter', [ev('added', { type: 'added', by: 2 })]);
        await expect(
          store.saveSnapshot({ streamId: 'counter', version: 50, schemaVersion: 1, state: { count: 99 } }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'version' });
        await expect(
          store.saveSnapshot({ streamId: 'none', version: 1, schemaVersion: 1, state: {} }),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'version' });
        expect(await store.loadSnapshot('counter', { schemaVersion: 1 })).toBeNull();
        // One stored before this check existed, or left behind by restoring the events from an older export.
        // (Until a real snapshot replaces it.)
        const ahead: EventStore = {
          ...store,
          loadSnapshot: async <State>(streamId: string, o: { schemaVersion: number }) =>
            (await store.loadSnapshot<State>(streamId, o)) ?? {
              streamId: 'counter',
              version: 50,
              schemaVersion: 1,
              state: { count: 99 } as State,
              createdAt: new Date(0),
            },
        };
        expect(await loadState({ store: ahead, streamId: 'counter', decider: counter })).toEqual({
          state: { count: 2 },
          version: 1,
          fromSnapshot: false,
        });
        // The stale snapshot was replaced by the folded state: it cannot pass for valid once the stream grows.
        expect(await store.loadSnapshot('counter', { schemaVersion: 1 })).toMatchObject({ version: 1, state: { count: 2 } });
        const r = await handleCommand({
          store: ahead,
          streamId: 'counter',
          decider: counter,
          command: { type: 'add', by: 3 },
          maxAttempts: 2,
        });
        expect([r.version, r.state]).toEqual([2, { count: 5 }]);
      });
    });

    describe('upcasting', () => {
      it('applies upcaster chains on read, stamps new events with the newest schema version, never rewrites rows', async () => {
        const { store } = await make({
          upcasters: [
            { type: 'joined', fromVersion: 1, upcast: (d) => ({ ...(d as object), seat: null }) },
            { type: 'joined', fromVersion: 2, upcast: (d) => ({ ...(d as object), v3: true }) },
            { type: 'old_name', fromVersion: 1, newType: 'renamed', upcast: (d) => ({ wrapped: d }) },
          ],
        });
        await store.append('u', [
          { type: 'joined', data: { name: 'ann' }, schemaVersion: 1 },
          { type: 'joined', data: { name: 'bob', seat: 2 }, schemaVersion: 2 },
          { type: 'joined', data: { name: 'cy', seat: 1, v3: false } },
          { type: 'old_name', data: 5, schemaVersion: 1 },
        ]);
        const read = await store.readStream('u');
        expect(read.map((e) => [e.type, e.schemaVersion, e.data])).toEqual([
          ['joined', 3, { name: 'ann', seat: null, v3: true }],
          ['joined', 3, { name: 'bob', seat: 2, v3: true }],
          ['joined', 3, { name: 'cy', seat: 1, v3: false }],
          ['renamed', 2, { wrapped: 5 }],
        ]);
        // Reading twice gives the same result: the upcast is applied to what is stored, not stored back.
        expect(await store.readAll()).toEqual(read);
      });
    });

    describe('compaction', () => {
      it('archives then folds history up to a version into one event, keeping later events and versions', async () => {
        const { store } = await make();
        await store.append(
          'c',
          [1, 2, 3, 4, 5].map((n) => ev('n', n)),
        );
        const archived: RecordedEvent[] = [];
        const result = await store.compact('c', {
          upToVersion: 3,
          fold: (events) => ({ sum: events.reduce((s, e) => s + (e.data as number), 0) }),
          archive: (events) => void archived.push(...events),
        });
        expect(result).toEqual({ streamId: 'c', removed: 2, compactedVersion: 3 });
        expect(archived.map((e) => e.data)).toEqual([1, 2, 3]);
        const read = await store.readStream('c');
        expect(read.map((e) => [e.version, e.type, e.data])).toEqual([
          [3, '$compacted', { sum: 6 }],
          [4, 'n', 4],
          [5, 'n', 5],
        ]);
        expect((await store.readAll()).map((e) => e.version)).toEqual([3, 4, 5]);
        await store.append('c', [ev('n', 6)], { expectedVersion: 5 });
        expect(await store.streamVersion('c')).toBe(6);
      });

      it('refuses live streams and leaves everything in place when the archiver fails', async () => {
        const { store } = await make();
        await store.append('c', [ev('a'), ev('b'), ev('c')]);
        await store.setStreamLive('c', true);
        const archive = () => undefined;
        await expect(store.compact('c', { fold: () => ({}), archive })).rejects.toBeInstanceOf(
          StreamLiveError,
        );
        await store.setStreamLive('c', false);
        await expect(
          store.compact('c', {
            fold: () => ({}),
            archive: () => {
              throw new Error('disk full');
            },
          }),
        ).rejects.toThrow('disk full');
        expect((await store.readStream('c')).map((e) => e.type)).toEqual(['a', 'b', 'c']);
      });
    });

    if (features.transactions) {
      describe('unit of work', () => {
        it('rolls back an append together with the caller’s transaction', async () => {
          const h = await make();
          const transaction = h.transaction;
          expect(transaction, 'a harness declaring transactions must provide transaction()').toBeTypeOf(
            'function',
          );
          await h.store.append('uow', [ev('kept')]);
          await expect(
            transaction!(async () => {
              await h.store.append('uow', [ev('lost-1'), ev('lost-2')], { expectedVersion: 1 });
              expect(await h.store.streamVersion('uow')).toBe(3);
              throw new Error('projection failed');
            }),
          ).rejects.toThrow('projection failed');
          expect((await h.store.readStream('uow')).map((e) => e.type)).toEqual(['kept']);
          await transaction!(() => h.store.append('uow', [ev('committed')], { expectedVersion: 1 }));
          expect(await h.store.streamVersion('uow')).toBe(2);
        });

        it('waitFor a position a rolled-back append took (a gap on PostgreSQL) resolves once the subscription passed it', async () => {
          const h = await make();
          const first = await h.store.append('gap', [ev('kept')]);
          await expect(
            h.transaction!(async () => {
              await h.store.append('gap', [ev('lost')], { expectedVersion: 1 });
              throw new Error('rolled back');
            }),
          ).rejects.toThrow('rolled back');
          const last = await h.store.append('gap', [ev('after')], { expectedVersion: 1 });
          const sub = h.store.subscribe({ name: 'gap', handler: () => undefined, pollInterval: { min: 5, max: 20 } });
          await sub.waitFor(last.lastPosition);
          // Before: on PostgreSQL the skipped position never counted as reached, and this waited until stop().
          await sub.waitFor(first.lastPosition + 1);
          await sub.stop();
        });
      });
    }

    describe('subscriptions', () => {
      it('delivers history then new appends in global order, and resumes from its checkpoint after a stop', async () => {
        const { store } = await make();
        await store.append('a', [ev('x', 1), ev('x', 2)]);
        const seen: number[] = [];
        const sub = store.subscribe({
          name: 'proj',
          handler: (e) => void seen.push(e.data as number),
          pollInterval: { min: 5, max: 20 },
        });
        await store.append('b', [ev('x', 3)]);
        await sub.waitFor();
        expect(seen).toEqual([1, 2, 3]);
        await sub.stop();
        await store.append('a', [ev('x', 4), ev('x', 5)]);
        const again = store.subscribe({
          name: 'proj',
          handler: (e) => void seen.push(e.data as number),
          pollInterval: { min: 5, max: 20 },
        });
        await again.waitFor();
        expect(seen).toEqual([1, 2, 3, 4, 5]);
        const health = await again.health();
        expect(health).toMatchObject({
          name: 'proj',
          state: 'running',
          lag: 0,
          lastError: null,
          deadLetters: 0,
        });
        expect(health.lastProgressAt).toBeInstanceOf(Date);
        await again.stop();
        expect((await again.health()).state).toBe('stopped');
      });

      it('starts at the end when asked and filters by event type', async () => {
        const { store } = await make();
        await store.append('a', [ev('x', 1)]);
        const seen: unknown[] = [];
        const sub = store.subscribe({
          name: 'tail',
          from: 'end',
          eventTypes: ['y'],
          handler: (e) => void seen.push(e.data),
          pollInterval: { min: 5, max: 20 },
        });
        await sub.waitFor();
        await store.append('a', [ev('x', 2), ev('y', 3)]);
        await sub.waitFor();
        expect(seen).toEqual([3]);
        expect((await sub.health()).lag).toBe(0);
      });

      it('retries a failing event with backoff, dead-letters it after maxAttempts, and re-drives it on request', async () => {
        const { store } = await make();
        let failing = true;
        const attempts: number[] = [];
        const seen: unknown[] = [];
        const sub = store.subscribe({
          name: 'dlq',
          maxAttempts: 3,
          backoff: () => 1,
          pollInterval: { min: 5, max: 20 },
          handler: (e, ctx) => {
            if (e.data === 'poison' && failing) {
              attempts.push(ctx.attempt);
              throw new Error('cannot handle poison');
            }
            seen.push(e.data);
          },
        });
        await store.append('s', [ev('x', 'ok-1'), ev('x', 'poison'), ev('x', 'ok-2')]);
        await sub.waitFor();
        expect(attempts).toEqual([1, 2, 3]);
        // At-least-once: a backend delivering batches in one transaction may deliver ok-1 again.
        expect([...new Set(seen)]).toEqual(['ok-1', 'ok-2']);
        const letters = await store.listDeadLetters({ subscription: 'dlq' });
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({
          subscription: 'dlq',
          streamId: 's',
          version: 2,
          eventType: 'x',
          attempts: 3,
          status: 'failed',
        });
        expect(letters[0]!.error).toContain('cannot handle poison');
        const health = await sub.health();
        expect(health.deadLetters).toBe(1);
        expect(health.lastError?.message).toBe('cannot handle poison');
        failing = false;
        expect(await store.retryDeadLetters({ subscription: 'dlq' })).toBe(1);
        await sub.waitFor();
        expect([...new Set(seen)]).toEqual(['ok-1', 'ok-2', 'poison']);
        expect(await store.listDeadLetters()).toEqual([]);
      });

      it('waitFor(position) resolves once that position is processed, not before it exists', async () => {
        const { store } = await make();
        const seen: number[] = [];
        const sub = store.subscribe({
          name: 'wf',
          handler: (e) => void seen.push(e.position),
          pollInterval: { min: 5, max: 20 },
        });
        const first = await store.append('wf', [ev('x', 1)]);
        await sub.waitFor(first.lastPosition);
        expect(seen).toEqual([first.lastPosition]);
        let resolved = false;
        const later = sub.waitFor(first.lastPosition + 3).then(() => void (resolved = true));
        const second = await store.append('wf', [ev('x', 2)]);
        // A waiter registered after `later` and resolved: `later` would have resolved first.
        await sub.waitFor();
        expect(seen).toEqual([first.lastPosition, second.lastPosition]);
        expect(resolved).toBe(false);
        const rest = await store.append('wf', [ev('x', 3), ev('x', 4)]);
        expect(rest.lastPosition).toBe(first.lastPosition + 3);
        await later;
        expect(seen).toEqual([
          first.lastPosition,
          second.lastPosition,
          ...rest.events.map((e) => e.position),
        ]);
        await expect(sub.waitFor(-1)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          argument: 'position',
        });
      });

      it('waitFor() resolves once the events before the call are processed, while new ones keep coming', async () => {
        const { store } = await make();
        const total = 100;
        let handled = 0;
        let fed!: () => void;
        const allFed = new Promise<void>((resolve) => (fed = resolve));
        const sub = store.subscribe({
          name: 'feed',
          pollInterval: { min: 5, max: 20 },
          handler: async (e) => {
            handled++;
            const n = e.data as number;
            // Each event appends the next (on SQL stores, with the checkpoint): the log never runs dry.
            if (n < total) await store.append('feed', [ev('tick', n + 1)]);
            else fed();
          },
        });
        await store.append('feed', [ev('tick', 1)]);
        await sub.waitFor();
        expect(handled).toBeGreaterThanOrEqual(1);
        expect(handled).toBeLessThan(total);
        await allFed;
        expect(handled).toBe(total);
      });

      it('two running instances of one subscription apply each event once and never move its checkpoint back', async () => {
        const { store } = await make();
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) {
          const r = await store.append(`s-${i % 3}`, [ev('x', i), ev('x', i)]);
          ids.push(...r.events.map((e) => e.id));
        }
        const applied: string[] = [];
        const instance = () =>
          store.subscribe({
            name: 'twice',
            batchSize: 5,
            pollInterval: { min: 5, max: 20 },
            handler: (e) => void applied.push(e.id),
          });
        const subs = [instance(), instance()];
        await Promise.all(subs.map((sub) => sub.waitFor()));
        expect(applied).toEqual(ids);
        const last = (await store.readAll()).at(-1)!.position;
        expect(await Promise.all(subs.map(async (sub) => (await sub.health()).position))).toEqual([
          last,
          last,
        ]);
        await Promise.all(subs.map((sub) => sub.stop()));
        // The stored checkpoint is at the end: a third instance has nothing to do.
        const third = instance();
        await third.waitFor();
        expect(applied).toEqual(ids);
        expect((await third.health()).position).toBe(last);
      });
    });

    describe('decider runner', () => {
      it('loads, decides, appends, snapshots every N and converges under contention', async () => {
        const { store } = await make();
        const run = (by: number) =>
          handleCommand({
            store,
            streamId: 'counter',
            decider: counter,
            command: { type: 'add', by },
            snapshotEvery: 5,
            maxAttempts: 50,
          });
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => run(i + 1)));
        expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
        const loaded = await loadState({ store, streamId: 'counter', decider: counter });
        expect(loaded.state.count).toBe(78);
        expect(loaded.version).toBe(12);
        const snap = await store.loadSnapshot<CounterState>('counter', { schemaVersion: 1 });
        expect(snap?.version).toBe(10);
        expect(loaded.fromSnapshot).toBe(true);
        // A snapshot of another schema version is ignored: the state is rebuilt from events.
        const rebuilt = await loadState({
          store,
          streamId: 'counter',
          decider: counter,
          snapshotSchemaVersion: 2,
        });
        expect(rebuilt).toEqual({ state: { count: 78 }, version: 12, fromSnapshot: false });
      });

      it('is idempotent per commandId', async () => {
        const { store } = await make();
        const cmd = {
          store,
          streamId: 'c',
          decider: counter,
          command: { type: 'add', by: 2 } as const,
          commandId: 'cmd-1',
        };
        const first = await handleCommand(cmd);
        const second = await handleCommand(cmd);
        expect(second.duplicate).toBe(true);
        expect(second.version).toBe(first.version);
        expect((await loadState({ store, streamId: 'c', decider: counter })).state.count).toBe(2);
      });
    });

    describe('import', () => {
      it('writes exported events with their ids, versions and times, refusing conflicts', async () => {
        const { store } = await make();
        const n = await store.importEvents([
          {
            id: 'i1',
            streamId: 'imp',
            version: 4,
            type: 'a',
            data: { x: 1 },
            metadata: { correlationId: 'c' },
            schemaVersion: 1,
            recordedAt: '2025-05-05T05:05:05.005Z',
          },
          {
            id: 'i2',
            streamId: 'imp',
            version: 5,
            type: 'b',
            data: null,
            metadata: {},
            schemaVersion: 2,
            recordedAt: '2025-05-05T05:05:06.000Z',
          },
        ]);
        expect(n).toBe(2);
        const read = await store.readStream('imp');
        expect(
          read.map((e) => [
            e.id,
            e.version,
            e.type,
            e.data,
            e.schemaVersion,
            e.recordedAt.toISOString(),
            e.metadata,
          ]),
        ).toEqual([
          ['i1', 4, 'a', { x: 1 }, 1, '2025-05-05T05:05:05.005Z', { correlationId: 'c' }],
          ['i2', 5, 'b', null, 2, '2025-05-05T05:05:06.000Z', {}],
        ]);
        expect(await store.streamVersion('imp')).toBe(5);
        await expect(
          store.importEvents([
            {
              id: 'i3',
              streamId: 'imp',
              version: 5,
              type: 'a',
              data: 1,
              metadata: {},
              schemaVersion: 1,
              recordedAt: '2025-05-05T05:05:06.000Z',
            },
          ]),
        ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(await store.streamVersion('imp')).toBe(5);
      });

      it('checks every imported event as the SQL stores store it, writing nothing of a bad batch', async () => {
        const { store } = await make();
        await store.append('imp', [ev('a', 1, 'taken')]);
        const good: ExportedEvent = {
          id: 'g',
          streamId: 'imp',
          version: 2,
          type: 'a',
          data: {},
          metadata: {},
          schemaVersion: 1,
          recordedAt: '2025-05-05T05:05:05.005Z',
        };
        const cases: Array<[unknown[], string]> = [
          [[good, null], 'events[1]'],
          [[{ ...good, data: undefined }], 'events[0].data'],
          [[{ ...good, data: { s: 'a\u0000' } }], 'events[0].data'],
          [[{ ...good, recordedAt: 'yesterday' }], 'events[0].recordedAt'],
          [[{ ...good, type: undefined }], 'events[0].type'],
          [[{ ...good, schemaVersion: undefined }], 'events[0].schemaVersion'],
          [[{ ...good, id: '' }], 'events[0].id'],
          [[{ ...good, streamId: 'x\u0000' }], 'streamId'],
          [[good, { ...good, version: 3 }], 'events[1].id'],
        ];
        for (const [events, argument] of cases) {
          await expect(store.importEvents(events as ExportedEvent[]), argument).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
            argument,
          });
        }
        await expect(store.importEvents([good, { ...good, id: 'taken', version: 3 }])).rejects.toMatchObject({
          code: 'EVENT_ID_CONFLICT',
          existingIds: ['taken'],
        });
        expect((await store.readAll()).map((e) => e.id)).toEqual(['taken']);
        expect(await store.streamVersion('imp')).toBe(1);
      });
    });
  });
}
