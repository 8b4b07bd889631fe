import { sql, type Generated, type Kysely, type Selectable } from 'kysely';
import { currentExecutor, inTransaction, transaction, type Database } from '@game/persistence';
import {
  ConcurrencyError,
  EventIdConflictError,
  InvalidArgumentError,
  StreamLiveError,
  UnreadableEventError,
} from '../errors.js';
import { silentLogger } from '../logger.js';
import { createUpcasterChain } from '../upcasting.js';
import type {
  AppendResult,
  DeadLetter,
  EventStore,
  EventStoreBackend,
  EventStoreOptions,
  ExpectedVersion,
  RecordedEvent,
  Snapshot,
  Subscription,
} from '../types.js';
import {
  checkImport,
  chunks,
  maxOf,
  prepareEvents,
  toJson,
  validateExpected,
  validateListStreams,
  validatePositionAndLimit,
  validateReadStream,
  validateStreamId,
  validateUpToVersion,
  type PreparedEvent,
} from './common.js';
import {
  CheckpointConflictError,
  startSubscription,
  type FencedBatch,
  type SubscriptionPort,
} from './subscription-runner.js';
import { createPgListener, type AppendListener } from '../postgres/listener.js';
import { createFastPostgresAppend, fastPostgresAppendApplies } from '../postgres/fast-append.js';
import { createFastSqliteAppend } from '../sqlite/fast-append.js';

interface EventRow {
  position: number | string;
  stream_id: string;
  version: number | string;
  event_id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  schema_version: number;
  recorded_at: Date | string;
}

interface Tables {
  es_events: Omit<EventRow, 'position'> & { position: Generated<number | string> };
  es_streams: { stream_id: string; version: number; live: number; created_at: unknown; updated_at: unknown };
  es_snapshots: {
    stream_id: string;
    version: number;
    schema_version: number;
    state: unknown;
    created_at: unknown;
  };
  es_checkpoints: { name: string; position: number; updated_at: unknown };
  es_dead_letters: {
    id: Generated<number>;
    subscription: string;
    position: number;
    stream_id: string;
    version: number;
    event_id: string;
    event_type: string;
    error: string;
    attempts: number;
    status: string;
    failed_at: unknown;
  };
}

/** Options of the SQL-backed stores. */
export interface SqlEventStoreOptions extends EventStoreOptions {
  /** An open `@game/persistence` database with {@link eventStoreMigrations} applied. */
  db: Database;
}

const eventColumns = [
  'position',
  'stream_id',
  'version',
  'event_id',
  'type',
  'data',
  'metadata',
  'schema_version',
  'recorded_at',
] as const;

// Rows per statement: 8 parameters a row stays far below PostgreSQL's 65,535 bind parameters (and SQLite's 32,766).
const ROWS_PER_STATEMENT = 1000;

// In-process wake-ups, per database: subscriptions on any store over the same database hear appends.
const localListeners = new WeakMap<Database, Set<() => void>>();

/** The SQL event store shared by the SQLite and PostgreSQL backends: SQL text by dialect, features by capabilities, fast paths by driver kind. */
export function createSqlEventStore(options: SqlEventStoreOptions): EventStore {
  const { db } = options;
  if (!db || typeof db !== 'object' || !('capabilities' in db)) {
    throw new InvalidArgumentError('db', 'must be a database from @game/persistence createDatabase()');
  }
  const caps = db.capabilities;
  const backend: EventStoreBackend = caps.dialect;
  const clock = options.clock ?? (() => new Date());
  const upcasters = createUpcasterChain(options.upcasters);
  const logger = (options.logger ?? silentLogger).child({ component: 'event-store' });
  const x = () => currentExecutor(db) as unknown as Kysely<Tables>;
  const fenced = caps.transactionIds;
  const subscriptions = new Set<Subscription>();
  let pgListener: AppendListener | null = null;
  const sqliteHandle = db.driver.kind === 'sqlite' ? db.driver.sqlite : null;
  const fastAppend = sqliteHandle ? createFastSqliteAppend(sqliteHandle) : null;
  const fastPgAppend = caps.dialect === 'postgres' ? createFastPostgresAppend(db) : null;

  const local = localListeners.get(db) ?? new Set<() => void>();
  localListeners.set(db, local);
  const notifyLocal = () => {
    for (const l of local) l();
  };

  const jsonIn = (json: string) => json;
  const jsonOut = (v: unknown): unknown => (caps.jsonb ? v : JSON.parse(v as string));
  const timeIn = (d: Date): Date | string => (caps.dialect === 'postgres' ? d : d.toISOString());
  const timeOut = (v: unknown): Date => (v instanceof Date ? v : new Date(v as string));

  const decode = (row: EventRow): RecordedEvent => {
    const position = Number(row.position);
    const version = Number(row.version);
    try {
      return upcasters.apply({
        id: row.event_id,
        streamId: row.stream_id,
        version,
        position,
        type: row.type,
        data: jsonOut(row.data),
        metadata: jsonOut(row.metadata) as RecordedEvent['metadata'],
        schemaVersion: Number(row.schema_version),
        recordedAt: timeOut(row.recorded_at),
      });
    } catch (err) {
      throw new UnreadableEventError(row.stream_id, version, position, err);
    }
  };

  const streamVersionIn = async (streamId: string): Promise<number> => {
    const row = await x()
      .selectFrom('es_streams')
      .select('version')
      .where('stream_id', '=', streamId)
      .executeTakeFirst();
    return row ? Number(row.version) : 0;
  };

  const existingRows = async (streamId: string, ids: string[]): Promise<EventRow[]> => {
    const rows: EventRow[] = [];
    for (const part of chunks(ids, ROWS_PER_STATEMENT)) {
      rows.push(
        ...((await x()
          .selectFrom('es_events')
          .select(eventColumns)
          .where('stream_id', '=', streamId)
          .where('event_id', 'in', part)
          .execute()) as EventRow[]),
      );
    }
    return rows.sort((a, b) => Number(a.version) - Number(b.version));
  };

  /** The result of an append that stored `prepared` as the versions up to `newVersion`, at `positions` (in order). */
  const writtenResult = (
    streamId: string,
    prepared: readonly PreparedEvent[],
    newVersion: number,
    positions: readonly number[],
    now: Date,
  ): AppendResult => {
    const first = newVersion - prepared.length + 1;
    return {
      streamId,
      nextExpectedVersion: newVersion,
      lastPosition: maxOf(positions),
      events: prepared.map((e, i) =>
        upcasters.apply({
          id: e.id,
          streamId,
          version: first + i,
          position: positions[i]!,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          schemaVersion: e.schemaVersion,
          recordedAt: now,
        }),
      ),
      duplicate: false,
    };
  };

  /** Compare-and-set on the stream row: returns the new version, or null when `expected` does not hold. */
  const claimVersions = async (
    streamId: string,
    expected: ExpectedVersion,
    count: number,
    now: Date,
  ): Promise<number | null> => {
    const t = timeIn(now);
    let row: { version: number | string } | undefined;
    if (expected === 'any' || expected === 'no_stream' || expected === 0) {
      let q = x()
        .insertInto('es_streams')
        .values({ stream_id: streamId, version: count, live: 0, created_at: t, updated_at: t });
      q =
        expected === 'any'
          ? q.onConflict((oc) =>
              oc
                .column('stream_id')
                .doUpdateSet({ version: sql`es_streams.version + ${count}`, updated_at: t }),
            )
          : q.onConflict((oc) =>
              oc
                .column('stream_id')
                .doUpdateSet({ version: count, updated_at: t })
                .where('es_streams.version', '=', 0),
            );
      row = await q.returning('version').executeTakeFirst();
    } else {
      let q = x()
        .updateTable('es_streams')
        .set({ version: sql`version + ${count}`, updated_at: t })
        .where('stream_id', '=', streamId);
      q = expected === 'stream_exists' ? q.where('version', '>', 0) : q.where('version', '=', expected);
      row = await q.returning('version').executeTakeFirst();
    }
    return row ? Number(row.version) : null;
  };

  const duplicateResult = async (streamId: string, rows: EventRow[]): Promise<AppendResult> => {
    const events = rows.map(decode);
    return {
      streamId,
      nextExpectedVersion: await streamVersionIn(streamId),
      lastPosition: maxOf(events.map((e) => e.position)),
      events,
      duplicate: true,
    };
  };

  const appendInTransaction = async (
    streamId: string,
    prepared: PreparedEvent[],
    expected: ExpectedVersion,
    callerIds: string[],
  ): Promise<AppendResult> => {
    const now = clock();
    const count = prepared.length;
    const newVersion = await claimVersions(streamId, expected, count, now);
    if (newVersion === null) {
      if (callerIds.length > 0) {
        const rows = await existingRows(streamId, callerIds);
        if (rows.length === count) return duplicateResult(streamId, rows);
        if (rows.length > 0)
          throw new EventIdConflictError(
            streamId,
            rows.map((r) => r.event_id),
          );
      }
      throw new ConcurrencyError(streamId, expected, await streamVersionIn(streamId));
    }
    const first = newVersion - count + 1;
    const recordedAt = timeIn(now);
    const inserted: Array<{ position: number | string; version: number | string }> = [];
    // In runs of rows (one statement's bind parameters are limited), all inside this transaction.
    for (const [k, part] of chunks(prepared, ROWS_PER_STATEMENT).entries()) {
      let insert = x()
        .insertInto('es_events')
        .values(
          part.map((e, i) => ({
            stream_id: streamId,
            version: first + k * ROWS_PER_STATEMENT + i,
            event_id: e.id,
            type: e.type,
            data: jsonIn(e.dataJson),
            metadata: jsonIn(e.metadataJson),
            schema_version: e.schemaVersion,
            recorded_at: recordedAt,
          })),
        );
      // With caller ids, a retry is recognised by the insert itself (no separate look-up round trip): ids
      // already stored are skipped, and then the claim and any rows written are undone. The stream row is
      // locked by the claim, so a concurrent retry has committed or waits.
      if (callerIds.length > 0)
        insert = insert.onConflict((oc) => oc.columns(['stream_id', 'event_id']).doNothing());
      inserted.push(...((await insert.returning(['position', 'version']).execute()) as typeof inserted));
    }
    if (inserted.length < count) {
      for (const part of chunks(inserted, ROWS_PER_STATEMENT)) {
        await x()
          .deleteFrom('es_events')
          .where(
            'position',
            'in',
            part.map((r) => Number(r.position)),
          )
          .execute();
      }
      await x()
        .updateTable('es_streams')
        .set({ version: sql`version - ${count}` })
        .where('stream_id', '=', streamId)
        .execute();
      const rows = await existingRows(streamId, callerIds);
      if (rows.length === count) return duplicateResult(streamId, rows);
      throw new EventIdConflictError(
        streamId,
        rows.map((r) => r.event_id),
      );
    }
    const positions = new Map(inserted.map((r) => [Number(r.version), Number(r.position)]));
    return writtenResult(
      streamId,
      prepared,
      newVersion,
      prepared.map((_, i) => positions.get(first + i)!),
      now,
    );
  };

  /** The transaction id of the event at `position`, also when compaction removed it (null: never stored). */
  const storedTx = (position: number) =>
    sql`coalesce(
      (select transaction_id from es_events where position = ${position}),
      (select transaction_id from es_compacted_positions where position = ${position}))`;

  /**
   * The transaction id `after` stands for in the fenced global order. A position never stored (a rolled-back
   * append) resolves at or before every later stored position: a resume may deliver again, never skip.
   */
  const afterTx = (after: number) =>
    after <= 0
      ? sql`'0'::xid8`
      : sql`coalesce(
      ${storedTx(after)},
      least(
        (select max(transaction_id) from es_events where position <= ${after}),
        (select min(transaction_id) from es_events where position > ${after})),
      '0'::xid8)`;

  const readFenced = async (after: number, limit: number): Promise<FencedBatch> => {
    if (!fenced) {
      const rows = (await x()
        .selectFrom('es_events')
        .select(eventColumns)
        .where('position', '>', after)
        .orderBy('position')
        .limit(limit)
        .execute()) as EventRow[];
      return { events: rows.map(decode), fence: 0n };
    }
    // Rows of transactions older than the snapshot's xmin are final: none can still appear before them.
    const cond =
      after > 0 ? sql`and (e.transaction_id, e.position) > (${afterTx(after)}, ${after}::bigint)` : sql``;
    const result = await sql<EventRow & { fence: string }>`
      select f.xmin::text as fence, e.position, e.stream_id, e.version, e.event_id, e.type, e.data, e.metadata,
             e.schema_version, e.recorded_at
      from (select pg_snapshot_xmin(pg_current_snapshot()) as xmin) f
      left join lateral (
        select * from es_events e
        where e.transaction_id < f.xmin ${cond}
        order by e.transaction_id, e.position
        limit ${limit}
      ) e on true`.execute(x());
    const rows = result.rows;
    const fence = BigInt(rows[0]?.fence ?? '0');
    return { events: rows.filter((r) => r.position !== null).map(decode), fence };
  };

  const head = async (): Promise<number> => {
    const row = await x()
      .selectFrom('es_events')
      .select((eb) => eb.fn.max('position').as('p'))
      .executeTakeFirst();
    return row?.p === null || row?.p === undefined ? 0 : Number(row.p);
  };

  /**
   * Compare-and-set of a checkpoint, first in its delivery's transaction: it locks the row (PostgreSQL) or
   * takes the write lock (SQLite), so a second instance of the subscription waits, then finds the checkpoint
   * moved and runs nothing. The checkpoint never moves backwards.
   */
  const moveCheckpoint = async (name: string, from: number, to: number) => {
    const r = await x()
      .updateTable('es_checkpoints')
      .set({ position: to, updated_at: timeIn(clock()) })
      .where('name', '=', name)
      .where('position', '=', from)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new CheckpointConflictError(name, from);
  };

  const loadCheckpoint = async (name: string) => {
    const row = await x()
      .selectFrom('es_checkpoints')
      .select('position')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? Number(row.position) : null;
  };

  const toDeadLetter = (r: Selectable<Tables['es_dead_letters']>): DeadLetter => ({
    id: Number(r.id),
    subscription: r.subscription,
    position: Number(r.position),
    streamId: r.stream_id,
    version: Number(r.version),
    eventId: r.event_id,
    eventType: r.event_type,
    error: r.error,
    attempts: Number(r.attempts),
    failedAt: timeOut(r.failed_at),
    status: r.status === 'retry' ? 'retry' : 'failed',
  });

  const port: SubscriptionPort = {
    read: readFenced,
    async waitTarget() {
      // Position order is commit order on a single writer; on PostgreSQL every transaction committed
      // before this call has an id below the snapshot's xmax.
      if (!fenced) return { position: await head() };
      const r = await sql<{
        xmax: string;
      }>`select pg_snapshot_xmax(pg_current_snapshot())::text as xmax`.execute(x());
      return { mark: BigInt(r.rows[0]!.xmax) };
    },
    async reached(checkpoint, target) {
      if ('position' in target) {
        if (!fenced || target.position === 0) return checkpoint >= target.position;
        // The checkpoint's event is at or after the target's in (transaction id, position) order: it was read
        // under a fence above both, so everything before it has been delivered. An event not yet stored
        // (or never) is not reached.
        // A position that is not stored but lies below the head (a rolled-back append's gap: PostgreSQL leaves
        // one for every rollback) is reached once the checkpoint has passed it, as on the other backends.
        const r = await sql<{ reached: boolean | null }>`
          select case
            when t.tx is not null
              then (${afterTx(checkpoint)}, ${checkpoint}::bigint) >= (t.tx, ${target.position}::bigint)
            else ${checkpoint}::bigint >= ${target.position}::bigint
              and exists (select 1 from es_events where position > ${target.position})
          end as reached
          from (select ${storedTx(target.position)} as tx) t`.execute(x());
        return r.rows[0]?.reached === true;
      }
      // Every transaction below the mark has ended, and none of their events lies after the checkpoint. The
      // checkpoint's transaction id is read first, so that the search is a range of the (transaction id,
      // position) index rather than a scan of the table.
      const mark = target.mark.toString();
      const tx = await sql<{ tx: string }>`select (${afterTx(checkpoint)})::text as tx`.execute(x());
      const from = tx.rows[0]!.tx;
      const r = await sql<{ reached: boolean }>`
        select pg_snapshot_xmin(pg_current_snapshot()) >= ${mark}::xid8
          and not exists (
            select 1 from es_events
            where transaction_id >= ${from}::xid8 and transaction_id < ${mark}::xid8
              and (transaction_id, position) > (${from}::xid8, ${checkpoint}::bigint)
          ) as reached`.execute(x());
      return r.rows[0]?.reached === true;
    },
    head,
    async tail() {
      if (!fenced) return head();
      const r = await sql<{ position: string }>`
        select position from es_events
        where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        order by transaction_id desc, position desc limit 1`.execute(x());
      return r.rows[0] ? Number(r.rows[0].position) : 0;
    },
    async lag(checkpoint) {
      let q = x()
        .selectFrom('es_events')
        .select((eb) => eb.fn.countAll().as('n'));
      if (checkpoint > 0) {
        q = fenced
          ? q.where(
              sql<boolean>`(transaction_id, position) > (${afterTx(checkpoint)}, ${checkpoint}::bigint)`,
            )
          : q.where('position', '>', checkpoint);
      }
      const row = await q.executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    loadCheckpoint,
    async createCheckpoint(name, position) {
      await x()
        .insertInto('es_checkpoints')
        .values({ name, position, updated_at: timeIn(clock()) })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      return (await loadCheckpoint(name)) ?? position;
    },
    deliver: (name, from, position, handle) =>
      transaction(db, async () => {
        await moveCheckpoint(name, from, position);
        await handle();
      }),
    deliverBatch: (name, from, run) =>
      transaction(db, async () => {
        await moveCheckpoint(name, from, from);
        const position = await run();
        if (position > 0) await moveCheckpoint(name, from, position);
      }),
    deadLetter: (name, from, event, error, attempts) =>
      transaction(db, async () => {
        await moveCheckpoint(name, from, event.position);
        await x()
          .insertInto('es_dead_letters')
          .values({
            subscription: name,
            position: event.position,
            stream_id: event.streamId,
            version: event.version,
            event_id: event.id,
            event_type: event.type,
            error,
            attempts,
            status: 'failed',
            failed_at: timeIn(clock()),
          })
          .execute();
      }),
    async pendingRetries(name) {
      const rows = await x()
        .selectFrom('es_dead_letters')
        .selectAll()
        .where('subscription', '=', name)
        .where('status', '=', 'retry')
        .orderBy('id')
        .execute();
      const out = [];
      for (const r of rows) {
        const ev = (await x()
          .selectFrom('es_events')
          .select(eventColumns)
          .where('stream_id', '=', r.stream_id)
          .where('event_id', '=', r.event_id)
          .executeTakeFirst()) as EventRow | undefined;
        out.push({ id: Number(r.id), attempts: Number(r.attempts), event: ev ? decode(ev) : null });
      }
      return out;
    },
    resolveDeadLetter: (id, handle) =>
      transaction(db, async () => {
        // Taken first (locks the row): another instance re-driving the same letter finds it gone and skips it.
        const r = await x()
          .deleteFrom('es_dead_letters')
          .where('id', '=', id)
          .where('status', '=', 'retry')
          .executeTakeFirst();
        if (Number(r.numDeletedRows) === 1) await handle();
      }),
    async failDeadLetter(id, error, attempts) {
      await x()
        .updateTable('es_dead_letters')
        .set({ error, attempts, status: 'failed', failed_at: timeIn(clock()) })
        .where('id', '=', id)
        .execute();
    },
    async countDeadLetters(name) {
      const row = await x()
        .selectFrom('es_dead_letters')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('subscription', '=', name)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    onAppend(listener) {
      local.add(listener);
      if (caps.listenNotify && db.driver.kind === 'postgres') {
        pgListener ??= createPgListener(db.driver.pool, logger);
        pgListener.add(listener);
      }
      return () => {
        local.delete(listener);
        pgListener?.remove(listener);
      };
    },
  };

  const store: EventStore = {
    backend,

    async append(streamId, events, appendOptions) {
      validateStreamId(streamId);
      const expected = appendOptions?.expectedVersion ?? 'any';
      validateExpected(expected);
      const prepared = prepareEvents(events, appendOptions, options, upcasters);
      const callerIds = events.some((e) => e.id !== undefined) ? prepared.map((e) => e.id) : [];
      let result: AppendResult;
      if (fastAppend && sqliteHandle && (inTransaction(db) || !sqliteHandle.inTransaction)) {
        // Either nothing else holds the connection (one synchronous transaction), or this flow's own unit
        // of work does (@game/persistence holds SQLite's one connection for the whole unit, so the append
        // runs synchronously inside it, as a savepoint): no promise per statement either way.
        const now = clock();
        const out = fastAppend(streamId, prepared, expected, callerIds, now);
        if (out.kind === 'duplicate') {
          const events = out.rows.map(decode);
          return {
            streamId,
            nextExpectedVersion: out.version,
            lastPosition: maxOf(events.map((e) => e.position)),
            events,
            duplicate: true,
          };
        }
        result = writtenResult(streamId, prepared, out.newVersion, out.positions, now);
      } else {
        let fast: AppendResult | null = null;
        if (fastPgAppend && fastPostgresAppendApplies(expected) && !inTransaction(db)) {
          // One statement, its own transaction; null (nothing written) sends the rare cases -- a claim that
          // did not hold, an event id already stored -- down the usual path, which tells them apart.
          const now = clock();
          const out = await fastPgAppend(streamId, prepared, expected, now);
          if (out) fast = writtenResult(streamId, prepared, out.newVersion, out.positions, now);
        }
        result = fast ?? (await transaction(db, () => appendInTransaction(streamId, prepared, expected, callerIds)));
      }
      if (!result.duplicate) queueMicrotask(notifyLocal);
      return result;
    },

    async readStream(streamId, o) {
      validateStreamId(streamId);
      validateReadStream(o);
      let q = x().selectFrom('es_events').select(eventColumns).where('stream_id', '=', streamId);
      if (o?.fromVersion !== undefined) q = q.where('version', '>=', o.fromVersion);
      if (o?.toVersion !== undefined) q = q.where('version', '<=', o.toVersion);
      if (o?.untilTime !== undefined) q = q.where('recorded_at', '<=', timeIn(o.untilTime));
      q = q.orderBy('version', o?.direction === 'backward' ? 'desc' : 'asc');
      if (o?.limit !== undefined) q = q.limit(o.limit);
      return ((await q.execute()) as EventRow[]).map(decode);
    },

    async readAll(o) {
      validatePositionAndLimit(o?.after, o?.limit);
      return (await readFenced(o?.after ?? 0, o?.limit ?? 1000)).events;
    },

    async streamVersion(streamId) {
      return streamVersionIn(streamId);
    },

    async listStreams(o) {
      validateListStreams(o);
      let q = x().selectFrom('es_streams').select(['stream_id', 'version', 'live']).where('version', '>', 0);
      if (o?.after !== undefined) q = q.where('stream_id', '>', o.after);
      // substr counts code points, not UTF-16 units.
      if (o?.prefix) q = q.where(sql<boolean>`substr(stream_id, 1, ${[...o.prefix].length}) = ${o.prefix}`);
      const rows = await q
        .orderBy('stream_id')
        .limit(o?.limit ?? 1000)
        .execute();
      return rows.map((r) => ({
        streamId: r.stream_id,
        version: Number(r.version),
        live: Number(r.live) === 1,
      }));
    },

    headPosition: head,

    async saveSnapshot(s) {
      validateStreamId(s.streamId);
      if (!Number.isSafeInteger(s.version) || s.version < 0)
        throw new InvalidArgumentError('version', 'must be an integer >= 0');
      if (!Number.isSafeInteger(s.schemaVersion))
        throw new InvalidArgumentError('schemaVersion', 'must be an integer');
      const stateJson = toJson(s.state, 'state');
      // A snapshot ahead of its stream would be folded as if those events existed.
      const head = await streamVersionIn(s.streamId);
      if (s.version > head)
        throw new InvalidArgumentError(
          'version',
          `stream "${s.streamId}" is at version ${head}; a snapshot cannot be ahead of it (got ${s.version})`,
        );
      const row = {
        version: s.version,
        schema_version: s.schemaVersion,
        state: jsonIn(stateJson),
        created_at: timeIn(clock()),
      };
      await x()
        .insertInto('es_snapshots')
        .values({ stream_id: s.streamId, ...row })
        .onConflict((oc) => oc.column('stream_id').doUpdateSet(row))
        .execute();
    },

    async loadSnapshot<State>(streamId: string, o: { schemaVersion: number }) {
      const row = await x()
        .selectFrom('es_snapshots')
        .selectAll()
        .where('stream_id', '=', streamId)
        .executeTakeFirst();
      if (!row || Number(row.schema_version) !== o.schemaVersion) return null;
      const snap: Snapshot<State> = {
        streamId,
        version: Number(row.version),
        schemaVersion: Number(row.schema_version),
        state: jsonOut(row.state) as State,
        createdAt: timeOut(row.created_at),
      };
      return snap;
    },

    async setStreamLive(streamId, live) {
      validateStreamId(streamId);
      const t = timeIn(clock());
      await x()
        .insertInto('es_streams')
        .values({ stream_id: streamId, version: 0, live: live ? 1 : 0, created_at: t, updated_at: t })
        .onConflict((oc) => oc.column('stream_id').doUpdateSet({ live: live ? 1 : 0, updated_at: t }))
        .execute();
    },

    async compact(streamId, o) {
      validateStreamId(streamId);
      validateUpToVersion(o.upToVersion);
      return transaction(db, async () => {
        // Lock the stream row (a no-op update) so no append or live flag changes underneath.
        const s = await x()
          .updateTable('es_streams')
          .set({ version: sql`version` })
          .where('stream_id', '=', streamId)
          .returning(['version', 'live'])
          .executeTakeFirst();
        if (s && Number(s.live) === 1) throw new StreamLiveError(streamId, 'compaction');
        const current = s ? Number(s.version) : 0;
        const upTo = Math.min(o.upToVersion ?? current, current);
        const rows = (await x()
          .selectFrom('es_events')
          .select(eventColumns)
          .where('stream_id', '=', streamId)
          .where('version', '<=', upTo)
          .orderBy('version')
          .execute()) as EventRow[];
        if (rows.length <= 1) return { streamId, removed: 0, compactedVersion: 0 };
        const events = rows.map(decode);
        await o.archive(events);
        const dataJson = JSON.stringify(o.fold(events));
        if (dataJson === undefined)
          throw new InvalidArgumentError('fold', 'must return a JSON-serialisable state');
        const last = rows[rows.length - 1]!;
        const lastVersion = Number(last.version);
        if (fenced) {
          // A checkpoint (or a reader's `after`) may still name a removed position: keep its place in the
          // (transaction id, position) order.
          await sql`insert into es_compacted_positions (position, transaction_id)
            select position, transaction_id from es_events where stream_id = ${streamId} and version < ${lastVersion}
            on conflict (position) do nothing`.execute(x());
        }
        await x()
          .deleteFrom('es_events')
          .where('stream_id', '=', streamId)
          .where('version', '<', lastVersion)
          .execute();
        await x()
          .updateTable('es_events')
          .set({
            event_id: `${streamId}:compacted:${lastVersion}`,
            type: o.type ?? '$compacted',
            data: jsonIn(dataJson),
            metadata: jsonIn(
              JSON.stringify({ compactedFrom: Number(rows[0]!.version), compactedTo: lastVersion }),
            ),
            schema_version: 1,
          })
          .where('stream_id', '=', streamId)
          .where('version', '=', lastVersion)
          .execute();
        return { streamId, removed: rows.length - 1, compactedVersion: lastVersion };
      });
    },

    subscribe(o) {
      const sub: Subscription = startSubscription(port, o.logger ? o : { ...o, logger }, () =>
        subscriptions.delete(sub),
      );
      subscriptions.add(sub);
      return sub;
    },

    async listDeadLetters(o) {
      let q = x().selectFrom('es_dead_letters').selectAll();
      if (o?.subscription !== undefined) q = q.where('subscription', '=', o.subscription);
      return (await q.orderBy('id').execute()).map(toDeadLetter);
    },

    async retryDeadLetters(o) {
      let q = x().updateTable('es_dead_letters').set({ status: 'retry' }).where('status', '=', 'failed');
      if (o?.subscription !== undefined) q = q.where('subscription', '=', o.subscription);
      if (o?.ids) {
        if (o.ids.length === 0) return 0;
        q = q.where('id', 'in', [...o.ids]);
      }
      const r = await q.executeTakeFirst();
      const n = Number(r.numUpdatedRows);
      if (n > 0) queueMicrotask(notifyLocal);
      return n;
    },

    async importEvents(exported) {
      const checked = checkImport(exported);
      if (exported.length === 0) return 0;
      const idsByStream = new Map<string, string[]>();
      for (const e of exported) {
        const ids = idsByStream.get(e.streamId) ?? [];
        ids.push(e.id);
        idsByStream.set(e.streamId, ids);
      }
      await transaction(db, async () => {
        const last = new Map<string, number>();
        for (const [i, e] of exported.entries()) {
          const prev = last.get(e.streamId) ?? (await streamVersionIn(e.streamId));
          if (!Number.isSafeInteger(e.version) || e.version <= prev) {
            throw new InvalidArgumentError(
              `events[${i}].version`,
              `stream "${e.streamId}" is at ${prev}, got ${e.version}`,
            );
          }
          if (!last.has(e.streamId)) {
            const stored = await existingRows(e.streamId, idsByStream.get(e.streamId)!);
            if (stored.length > 0)
              throw new EventIdConflictError(
                e.streamId,
                stored.map((r) => r.event_id),
              );
          }
          const { dataJson, metadataJson, recordedAt } = checked[i]!;
          await x()
            .insertInto('es_events')
            .values({
              stream_id: e.streamId,
              version: e.version,
              event_id: e.id,
              type: e.type,
              data: jsonIn(dataJson),
              metadata: jsonIn(metadataJson),
              schema_version: e.schemaVersion,
              recorded_at: timeIn(recordedAt),
            })
            .execute();
          last.set(e.streamId, e.version);
        }
        const t = timeIn(clock());
        for (const [streamId, version] of last) {
          await x()
            .insertInto('es_streams')
            .values({ stream_id: streamId, version, live: 0, created_at: t, updated_at: t })
            .onConflict((oc) => oc.column('stream_id').doUpdateSet({ version, updated_at: t }))
            .execute();
        }
      });
      queueMicrotask(notifyLocal);
      return exported.length;
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      const l = pgListener;
      pgListener = null;
      await l?.close();
    },
  };
  return store;
}
