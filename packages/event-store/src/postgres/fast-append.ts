import { prepareQuery, type Database } from '@game/persistence';
import { sql, type Compilable, type Kysely } from 'kysely';
import type { PreparedEvent } from '../internal/common.js';
import type { ExpectedVersion } from '../types.js';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** What the single-statement append wrote: the claimed stream version and each row's position, in order. */
export interface PostgresFastAppendOutcome {
  newVersion: number;
  positions: number[];
}

interface Row {
  position: string | number;
  version: string | number;
}

type Params = {
  stream: string;
  count: number;
  expected: number;
  at: Date;
  ids: string[];
  types: string[];
  data: string[];
  metadata: string[];
  schemas: number[];
};

/**
 * An append outside any unit of work as ONE statement (its own transaction): the compare-and-set on the
 * stream row and the event inserts in a data-modifying CTE, sent as a server-side prepared statement. The
 * usual path is four round trips (begin, claim, insert, commit); this is one, and PostgreSQL neither parses
 * nor plans it again after the first call on a connection.
 *
 * Only the expected versions that update an existing row take it (a number > 0, `stream_exists`); the
 * others create the stream row and stay on the usual path. Returns `null`, having written nothing, when the
 * claim did not hold or an event id already exists in the stream: the caller then takes the usual path,
 * which tells a retry (duplicate), an id conflict and a concurrency error apart.
 */
export function createFastPostgresAppend(db: Database) {
  // Arrays as parameters keep the text (and so the prepared statement) the same for any number of events.
  const build = (exact: boolean) => (q: Kysely<any>, p: Params): Compilable<Row> => {
    const raw = sql<Row>`
      with claim as (
        update es_streams set version = version + ${p.count}::int, updated_at = ${p.at}::timestamptz
        where stream_id = ${p.stream}::text and ${exact ? sql`version = ${p.expected}::bigint` : sql`version > ${p.expected}::bigint`}
        returning version
      )
      insert into es_events (stream_id, version, event_id, type, data, metadata, schema_version, recorded_at)
      select ${p.stream}::text, claim.version - ${p.count}::int + e.ord, e.id, e.type, e.data::jsonb, e.metadata::jsonb,
             e.schema_version, ${p.at}::timestamptz
      from claim cross join unnest(${p.ids}::text[], ${p.types}::text[], ${p.data}::text[], ${p.metadata}::text[], ${p.schemas}::int[])
        with ordinality as e(id, type, data, metadata, schema_version, ord)
      order by e.ord
      returning position, version`;
    return { compile: () => raw.compile(q) };
  };
  const exact = prepareQuery(db, build(true));
  const exists = prepareQuery(db, build(false));

  return async function fastPostgresAppend(
    streamId: string,
    prepared: readonly PreparedEvent[],
    expected: ExpectedVersion,
    at: Date,
  ): Promise<PostgresFastAppendOutcome | null> {
    const count = prepared.length;
    const query = expected === 'stream_exists' ? exists : exact;
    let rows: Row[];
    try {
      rows = await query.execute({
        stream: streamId,
        count,
        expected: expected === 'stream_exists' ? 0 : (expected as number),
        at,
        ids: prepared.map((e) => e.id),
        types: prepared.map((e) => e.type),
        data: prepared.map((e) => e.dataJson),
        metadata: prepared.map((e) => e.metadataJson),
        schemas: prepared.map((e) => e.schemaVersion),
      });
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) return null;
      throw err;
    }
    // One statement: either the claim held and every event was written, or nothing was.
    if (rows.length === 0) return null;
    const byVersion = rows.map((r) => ({ version: Number(r.version), position: Number(r.position) })).sort((a, b) => a.version - b.version);
    return { newVersion: byVersion[count - 1]!.version, positions: byVersion.map((r) => r.position) };
  };
}

/** The expected versions the single-statement append handles. */
export function fastPostgresAppendApplies(expected: ExpectedVersion): boolean {
  return expected === 'stream_exists' || (typeof expected === 'number' && expected > 0);
}
