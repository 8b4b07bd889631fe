import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, createMemoryEventStore, loadState, type ExpectedVersion } from '../src/index.js';

const op = fc.record({
  stream: fc.constantFrom('a', 'b', 'c'),
  size: fc.integer({ min: 1, max: 4 }),
  expected: fc.oneof(
    fc.constant<ExpectedVersion>('any'),
    fc.constant<ExpectedVersion>('no_stream'),
    fc.constant<ExpectedVersion>('stream_exists'),
    fc.integer({ min: 0, max: 8 }),
  ),
  retry: fc.boolean(),
});

describe('event store properties (memory)', () => {
  it('appends behave like the model: versions contiguous, conflicts exactly when expected, retries idempotent, global log = append order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const store = createMemoryEventStore();
        const model = new Map<string, number>();
        const log: string[] = [];
        let k = 0;
        for (const o of ops) {
          const actual = model.get(o.stream) ?? 0;
          const ok =
            o.expected === 'any' ||
            (o.expected === 'no_stream' && actual === 0) ||
            (o.expected === 'stream_exists' && actual > 0) ||
            o.expected === actual;
          const events = Array.from({ length: o.size }, (_, i) => ({
            id: `e${k}-${i}`,
            type: 't',
            data: { k, i },
          }));
          k++;
          const result = await store
            .append(o.stream, events, { expectedVersion: o.expected })
            .catch((e: unknown) => e);
          if (!ok) {
            expect(result).toBeInstanceOf(ConcurrencyError);
            expect(result).toMatchObject({ streamId: o.stream, actualVersion: actual });
            continue;
          }
          expect(result).toMatchObject({ nextExpectedVersion: actual + o.size, duplicate: false });
          model.set(o.stream, actual + o.size);
          log.push(...events.map((e) => e.id));
          if (o.retry) {
            const again = await store.append(o.stream, events, { expectedVersion: o.expected });
            expect(again.duplicate).toBe(true);
          }
        }
        expect((await store.readAll({ limit: 10_000 })).map((e) => e.id)).toEqual(log);
        for (const [stream, version] of model) {
          expect((await store.readStream(stream)).map((e) => e.version)).toEqual(
            Array.from({ length: version }, (_, i) => i + 1),
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it('replay is exact: folding the stored stream (with or without a snapshot) equals folding what was appended', async () => {
    const decider = {
      initialState: { sum: 0, last: null as number | null, count: 0 },
      decide: () => [],
      evolve: (s: { sum: number; last: number | null; count: number }, e: { n: number }) => ({
        sum: s.sum + e.n,
        last: e.n,
        count: s.count + 1,
      }),
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        async (ns, cut) => {
          const store = createMemoryEventStore();
          await store.append(
            'r',
            ns.map((n) => ({ type: 'n', data: { n } })),
          );
          const expected = ns.reduce((s, n) => decider.evolve(s, { n }), decider.initialState);
          expect((await loadState({ store, streamId: 'r', decider })).state).toEqual(expected);
          const at = (cut % ns.length) + 1;
          const partial = ns.slice(0, at).reduce((s, n) => decider.evolve(s, { n }), decider.initialState);
          await store.saveSnapshot({ streamId: 'r', version: at, schemaVersion: 1, state: partial });
          const loaded = await loadState({ store, streamId: 'r', decider });
          expect(loaded).toEqual({ state: expected, version: ns.length, fromSnapshot: true });
        },
      ),
      { numRuns: 150 },
    );
  });
});
