import type BetterSqlite3 from 'better-sqlite3';
import { ConcurrencyError, EventIdConflictError } from '../errors.js';
import type { PreparedEvent } from '../internal/common.js';
import type { ExpectedVersion } from '../types.js';

/** A stored row as the shared decoder reads it. */
export interface SqliteEventRow {
  position: number;
  stream_id: string;
  version: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
  schema_version: number;
  recorded_at: string;
}

/** The outcome of a synchronous append: new rows' positions, or the rows an idempotent retry matched. */
export type FastAppendOutcome =
  | { kind: 'written'; newVersion: number; positions: number[] }
  | { kind: 'duplicate'; rows: SqliteEventRow[]; version: number };

/**
 * The append as one synchronous better-sqlite3 transaction (`BEGIN IMMEDIATE`): the same statements
 * as the Kysely path, without a promise per statement. Only used when no transaction is open on the
 * connection (the caller's unit of work goes through Kysely so that it joins).
 */
export function createFastSqliteAppend(sqlite: BetterSqlite3.Database) {
  let s: ReturnType<typeof prepare> | null = null;
  const prepare = () => ({
    claimAny: sqlite.prepare<[string, number, string, string, number, string], { version: number }>(
      `insert into es_streams (stream_id, version, live, created_at, updated_at) values (?, ?, 0, ?, ?)
       on conflict (stream_id) do update set version = es_streams.version + ?, updated_at = ? returning version`,
    ),
    claimNew: sqlite.prepare<[string, number, string, string], { version: number }>(
      `insert into es_streams (stream_id, version, live, created_at, updated_at) values (?, ?, 0, ?, ?)
       on conflict (stream_id) do update set version = excluded.version, updated_at = excluded.updated_at
       where es_streams.version = 0 returning version`,
    ),
    claimExists: sqlite.prepare<[number, string, string], { version: number }>(
      `update es_streams set version = version + ?, updated_at = ? where stream_id = ? and version > 0 returning version`,
    ),
    claimExact: sqlite.prepare<[number, string, string, number], { version: number }>(
      `update es_streams set version = version + ?, updated_at = ? where stream_id = ? and version = ? returning version`,
    ),
    version: sqlite.prepare<[string], { version: number }>(
      `select version from es_streams where stream_id = ?`,
    ),
    byId: sqlite.prepare<[string, string], SqliteEventRow>(
      `select position, stream_id, version, event_id, type, data, metadata, schema_version, recorded_at
       from es_events where stream_id = ? and event_id = ?`,
    ),
    // `position` is the rowid (integer primary key): `lastInsertRowid` gives it without a RETURNING clause.
    insert: sqlite.prepare<[string, number, string, string, string, string, number, string]>(
      `insert into es_events (stream_id, version, event_id, type, data, metadata, schema_version, recorded_at)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  });

  const run = sqlite.transaction(
    (
      streamId: string,
      events: PreparedEvent[],
      expected: ExpectedVersion,
      callerIds: string[],
      now: string,
    ): FastAppendOutcome => {
      s ??= prepare();
      const stmts = s;
      const actual = () => stmts.version.get(streamId)?.version ?? 0;
      if (callerIds.length > 0) {
        const rows = callerIds
          .map((id) => stmts.byId.get(streamId, id))
          .filter((r): r is SqliteEventRow => r !== undefined);
        if (rows.length === events.length)
          return { kind: 'duplicate', rows: rows.sort((a, b) => a.version - b.version), version: actual() };
        if (rows.length > 0)
          throw new EventIdConflictError(
            streamId,
            rows.map((r) => r.event_id),
          );
      }
      const n = events.length;
      const claimed =
        expected === 'any'
          ? stmts.claimAny.get(streamId, n, now, now, n, now)
          : expected === 'no_stream' || expected === 0
            ? stmts.claimNew.get(streamId, n, now, now)
            : expected === 'stream_exists'
              ? stmts.claimExists.get(n, now, streamId)
              : stmts.claimExact.get(n, now, streamId, expected);
      if (!claimed) throw new ConcurrencyError(streamId, expected, actual());
      const first = claimed.version - n + 1;
      const positions = events.map((e, i) =>
        Number(
          stmts.insert.run(
            streamId,
            first + i,
            e.id,
            e.type,
            e.dataJson,
            e.metadataJson,
            e.schemaVersion,
            now,
          ).lastInsertRowid,
        ),
      );
      return { kind: 'written', newVersion: claimed.version, positions };
    },
  );

  return (
    streamId: string,
    events: PreparedEvent[],
    expected: ExpectedVersion,
    callerIds: string[],
    now: Date,
  ): FastAppendOutcome => run.immediate(streamId, events, expected, callerIds, now.toISOString());
}
