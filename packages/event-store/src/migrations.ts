import { sql, type Kysely } from 'kysely';
import type { Capabilities, MigrationSet } from '@game/persistence';

/** The event store's tables (names are fixed; put them in their own schema on PostgreSQL if needed). */
export const eventStoreTables = {
  streams: 'es_streams',
  events: 'es_events',
  snapshots: 'es_snapshots',
  checkpoints: 'es_checkpoints',
  deadLetters: 'es_dead_letters',
  /** PostgreSQL only: the transaction ids of events removed by compaction, by position. */
  compactedPositions: 'es_compacted_positions',
} as const;

async function init(db: Kysely<unknown>, caps: Capabilities): Promise<void> {
  const pg = caps.dialect === 'postgres';
  const json = caps.jsonb ? sql.raw('jsonb') : sql.raw('text');
  const time = pg ? sql.raw('timestamptz') : sql.raw('text');
  const serial = pg ? sql.raw('bigserial primary key') : sql.raw('integer primary key autoincrement');
  const big = pg ? sql.raw('bigint') : sql.raw('integer');
  await sql`create table es_streams (
    stream_id text primary key,
    version ${big} not null,
    live integer not null default 0,
    created_at ${time} not null,
    updated_at ${time} not null
  )`.execute(db);
  await sql`create table es_events (
    position ${serial},
    ${caps.transactionIds ? sql.raw('transaction_id xid8 not null default pg_current_xact_id(),') : sql.raw('')}
    stream_id text not null,
    version ${big} not null,
    event_id text not null,
    type text not null,
    data ${json} not null,
    metadata ${json} not null,
    schema_version integer not null,
    recorded_at ${time} not null,
    constraint es_events_stream_version unique (stream_id, version),
    constraint es_events_stream_event_id unique (stream_id, event_id)
  )`.execute(db);
  if (caps.transactionIds) {
    await sql`create index es_events_tx_position on es_events (transaction_id, position)`.execute(db);
  }
  await sql`create table es_snapshots (
    stream_id text primary key,
    version ${big} not null,
    schema_version integer not null,
    state ${json} not null,
    created_at ${time} not null
  )`.execute(db);
  await sql`create table es_checkpoints (
    name text primary key,
    position ${big} not null,
    updated_at ${time} not null
  )`.execute(db);
  await sql`create table es_dead_letters (
    id ${serial},
    subscription text not null,
    position ${big} not null,
    stream_id text not null,
    version ${big} not null,
    event_id text not null,
    event_type text not null,
    error text not null,
    attempts integer not null,
    status text not null,
    failed_at ${time} not null
  )`.execute(db);
  await sql`create index es_dead_letters_subscription on es_dead_letters (subscription, status)`.execute(db);
  if (caps.listenNotify) {
    // One notification per inserting statement, delivered at commit, on a per-schema channel.
    await sql`create function es_notify_append() returns trigger language plpgsql as $$
      begin
        perform pg_notify('es_' || md5(tg_table_schema), '');
        return null;
      end $$`.execute(db);
    await sql`create trigger es_events_notify after insert on es_events
      for each statement execute function es_notify_append()`.execute(db);
  }
}

/**
 * PostgreSQL: where removed events stood in the (transaction id, position) order, so a checkpoint or a
 * reader's `after` naming one still resumes at the right place (nothing skipped).
 */
async function compactedPositions(db: Kysely<unknown>, caps: Capabilities): Promise<void> {
  if (!caps.transactionIds) return;
  await sql`create table es_compacted_positions (
    position bigint primary key,
    transaction_id xid8 not null
  )`.execute(db);
}

/**
 * The event store's migrations, to run with `migrate(db, [eventStoreMigrations, ...yours])` from
 * `@game/persistence` (the set is named `event-store`).
 */
export const eventStoreMigrations: MigrationSet = {
  name: 'event-store',
  migrations: [
    { name: '001_init', up: init },
    { name: '002_compacted_positions', up: compactedPositions },
  ],
};
