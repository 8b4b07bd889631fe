import { createDatabase, migrate, transaction, type Database } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, eventStoreMigrations, type EventStore, type RecordedEvent } from '../src/index.js';
import { until } from './support/child.js';

let schema: PgSchema;
let db: Database;
let store: EventStore;

beforeAll(async () => {
  await requirePostgres();
  schema = await createPgSchema('es_gap');
  db = await createDatabase({ url: schema.url, pool: { max: 20 } });
  await migrate(db, [eventStoreMigrations]);
  store = createEventStore({ db });
});

afterAll(async () => {
  await store?.close();
  await db?.close();
  await schema?.drop();
});

async function readEverything(after = 0): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after, limit: 200 });
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1]!.position;
  }
}

describe('gap-safe global order on PostgreSQL', () => {
  it('holds back a later commit while an older transaction with a smaller position is still open', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let appended!: () => void;
    const appendedA = new Promise<void>((r) => (appended = r));
    const slow = transaction(db, async () => {
      await store.append('fence-a', [{ type: 'slow', data: {} }]);
      appended();
      await held;
    });
    await appendedA;
    const fast = await store.append('fence-b', [{ type: 'fast', data: {} }]);
    // A naive reader (position > last) sees the fast event now and would move past the slow one's position.
    const naive = await sql<{
      position: string;
    }>`select position from es_events where stream_id like 'fence-%'`.execute(db.kysely);
    expect(naive.rows.map((r) => Number(r.position))).toEqual([fast.lastPosition]);
    expect((await store.readAll()).filter((e) => e.streamId.startsWith('fence-'))).toEqual([]);
    release();
    await slow;
    await until(
      async () => (await store.readAll()).filter((e) => e.streamId.startsWith('fence-')).length === 2,
      'both events',
    );
    const seen = (await store.readAll()).filter((e) => e.streamId.startsWith('fence-'));
    expect(seen.map((e) => e.type)).toEqual(['slow', 'fast']);
    expect(seen[0]!.position).toBeLessThan(seen[1]!.position);
  });

  it('a tailing reader sees every event of many concurrent, randomly delayed writers exactly once, in one consistent order', async () => {
    const written = new Set<string>();
    let writersDone = false;
    const writers = Promise.all(
      Array.from({ length: 30 }, async (_, w) => {
        for (let k = 0; k < 6; k++) {
          await transaction(db, async () => {
            const n = 1 + Math.floor(Math.random() * 3);
            const r = await store.append(
              `tail-${(w + k) % 5}`,
              Array.from({ length: n }, (_, i) => ({ type: 'e', data: { w, k, i } })),
            );
            for (const e of r.events) written.add(e.id);
            // Commit later than the sequence values were taken, in random order across writers.
            await new Promise((res) => setTimeout(res, Math.random() * 15));
          });
        }
      }),
    ).finally(() => {
      writersDone = true;
    });
    const seen: RecordedEvent[] = [];
    const tail = (async () => {
      let after = 0;
      while (!writersDone || seen.length < written.size) {
        const page = await store.readAll({ after, limit: 25 });
        if (page.length === 0) {
          await new Promise((res) => setTimeout(res, 2));
          continue;
        }
        seen.push(...page.filter((e) => e.streamId.startsWith('tail-')));
        after = page[page.length - 1]!.position;
      }
    })();
    await writers;
    await tail;
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(written);
    // The same order on a fresh read from the start: the order is a property of the log, not of timing.
    const tailOnly = (events: RecordedEvent[]) =>
      events.filter((e) => e.streamId.startsWith('tail-')).map((e) => e.id);
    expect(tailOnly(await readEverything())).toEqual(ids);
    // Positions did commit out of order (so a position-only reader would have skipped events).
    let inversions = 0;
    let max = 0;
    for (const e of seen) {
      if (e.position < max) inversions++;
      max = Math.max(max, e.position);
    }
    expect(inversions).toBeGreaterThan(0);
    // Resuming from any event's position continues with exactly the rest.
    const cut = Math.floor(seen.length / 2);
    expect(tailOnly(await readEverything(seen[cut]!.position))).toEqual(ids.slice(cut + 1));
  });

  it('resuming after a position that compaction removed, or that was rolled back, skips no event of an overlapping transaction', async () => {
    const own = await createPgSchema('es_gap_compact');
    const odb = await createDatabase(own.url);
    const s = createEventStore({ db: odb });
    try {
      await migrate(odb, [eventStoreMigrations]);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let began!: () => void;
      const begun = new Promise<void>((r) => (began = r));
      let c2 = 0;
      // An older transaction that writes again after a younger one committed: positions and transaction
      // ids then disagree about the order.
      const older = transaction(odb, async () => {
        await s.append('C', [{ id: 'c1', type: 't', data: {} }]);
        began();
        await gate;
        await s.append('E', [{ id: 'e2', type: 't', data: {} }]);
        c2 = (await s.append('C', [{ id: 'c2', type: 't', data: {} }])).lastPosition;
      });
      await begun;
      await s.append('R', [{ id: 'r', type: 't', data: {} }]);
      let rolledBack = 0;
      await transaction(odb, async () => {
        rolledBack = (await s.append('X', [{ id: 'x', type: 't', data: {} }])).lastPosition;
        throw new Error('roll back');
      }).catch(() => undefined);
      release();
      await older;
      await s.append('C', [{ id: 'c3', type: 't', data: {} }]);
      const ids = (events: RecordedEvent[]) => events.map((e) => e.id);
      expect(ids(await s.readAll())).toEqual(['c1', 'e2', 'c2', 'r', 'c3']);
      expect(rolledBack).toBeLessThan(c2);
      // A position never stored resumes conservatively: everything stored after it, perhaps some again.
      expect(ids(await s.readAll({ after: rolledBack }))).toEqual(['e2', 'c2', 'r', 'c3']);

      // c2 is its transaction's last event, and every later position belongs to a younger transaction than
      // r's: only the transaction id recorded at compaction tells that r comes after c2.
      await s.compact('C', { fold: () => ({}), archive: () => undefined });
      const rest = ['r', 'C:compacted:3'];
      expect(ids(await s.readAll({ after: c2 }))).toEqual(rest);
      // A subscription whose checkpoint is the removed c2.
      const seen: string[] = [];
      const sub = s.subscribe({ name: 'resume', from: c2, handler: (e) => void seen.push(e.id) });
      await sub.waitFor();
      expect(seen).toEqual(rest);
      expect((await sub.health()).lag).toBe(0);
    } finally {
      await s.close();
      await odb.close();
      await own.drop();
    }
  });

  it('a subscription following concurrent writers delivers each event once', async () => {
    const delivered: string[] = [];
    const sub = store.subscribe({
      name: 'gap-sub',
      from: 'end',
      handler: (e) => void delivered.push(e.id),
      pollInterval: { min: 5, max: 50 },
    });
    await sub.waitFor();
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let k = 0; k < 5; k++) {
          await transaction(db, async () => {
            const r = await store.append(`subgap-${w}`, [{ type: 'e', data: { w, k } }]);
            ids.push(r.events[0]!.id);
            await new Promise((res) => setTimeout(res, Math.random() * 10));
          });
        }
      }),
    );
    await sub.waitFor();
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(new Set(delivered)).toEqual(new Set(ids));
    await sub.stop();
  });
});
