/**
 * The server's database: the event store (one stream per room), the inline projections written in the
 * same transaction as a room's events (lobby directory, seat sessions, finished games, player
 * statistics), and the repositories that read them.
 */
import { createEventStore, eventStoreMigrations, type EventStore } from '@game/event-store';
import {
  createCache,
  createDatabase,
  currentExecutor,
  migrate,
  type Cache,
  type Database,
  type Logger,
  type MigrationSet,
} from '@game/persistence';
import type { Ranking, RoomSummary } from '@game/liap-tui';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Registry } from 'prom-client';

/** The server's own tables, in Kysely's typing. */
export interface ServerTables {
  lobby_rooms: {
    room_id: string;
    status: string;
    host_name: string | null;
    summary: string;
    created_at: number;
    updated_at: number;
    version: number;
  };
  seat_sessions: { room_id: string; seat: number; session_id: string };
  /** Rooms an operator paused (a row per paused room): a restart keeps them paused. */
  room_pauses: { room_id: string; paused_at: number; paused_by: string };
  finished_games: { room_id: string; ended_at: number; total_rounds: number; winners: string; rankings: string };
  player_stats: {
    player_name: string;
    games_played: number;
    games_won: number;
    total_score: number;
    perfect_rounds: number;
    turns_won: number;
    updated_at: number;
  };
}

/** Migrations of the server's projections. */
export const serverMigrations: MigrationSet = {
  name: 'liap-tui-server',
  migrations: [
    {
      name: '001_projections',
      up: async (db) => {
        await db.schema
          .createTable('lobby_rooms')
          .addColumn('room_id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('host_name', 'text')
          .addColumn('summary', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('lobby_rooms_status_idx').on('lobby_rooms').columns(['status', 'updated_at']).execute();
        await db.schema
          .createTable('seat_sessions')
          .addColumn('room_id', 'text', (c) => c.notNull())
          .addColumn('seat', 'integer', (c) => c.notNull())
          .addColumn('session_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('seat_sessions_pk', ['room_id', 'seat'])
          .execute();
        await db.schema
          .createTable('finished_games')
          .addColumn('room_id', 'text', (c) => c.primaryKey())
          .addColumn('ended_at', 'bigint', (c) => c.notNull())
          .addColumn('total_rounds', 'integer', (c) => c.notNull())
          .addColumn('winners', 'text', (c) => c.notNull())
          .addColumn('rankings', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('finished_games_ended_idx').on('finished_games').column('ended_at').execute();
        await db.schema
          .createTable('player_stats')
          .addColumn('player_name', 'text', (c) => c.primaryKey())
          .addColumn('games_played', 'integer', (c) => c.notNull())
          .addColumn('games_won', 'integer', (c) => c.notNull())
          .addColumn('total_score', 'integer', (c) => c.notNull())
          .addColumn('perfect_rounds', 'integer', (c) => c.notNull())
          .addColumn('turns_won', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('player_stats_wins_idx').on('player_stats').columns(['games_won', 'total_score']).execute();
      },
    },
    {
      name: '002_room_pauses',
      up: async (db) => {
        await db.schema
          .createTable('room_pauses')
          .addColumn('room_id', 'text', (c) => c.primaryKey())
          .addColumn('paused_at', 'bigint', (c) => c.notNull())
          .addColumn('paused_by', 'text', (c) => c.notNull())
          .execute();
      },
    },
  ],
};

/** One player's statistics, as the API returns them. */
export interface PlayerStats {
  playerName: string;
  gamesPlayed: number;
  gamesWon: number;
  averageScore: number;
  perfectRounds: number;
  turnsWon: number;
}

/** A room as the directory holds it. */
export interface DirectoryRow {
  roomId: string;
  status: string;
  hostName: string | null;
  summary: RoomSummary;
  createdAt: number;
  updatedAt: number;
  version: number;
}

/** Everything the server stores, opened and migrated. */
export interface Storage {
  readonly db: Database<ServerTables>;
  readonly events: EventStore;
  readonly statsCache: Cache<PlayerStats | null>;
  /** The executor of the ambient unit of work. */
  exec(): Kysely<ServerTables>;
  close(): Promise<void>;
}

/** Opens the database named by `url`, applies every migration (event store + server) and builds the store. */
export async function openStorage(options: {
  url: string;
  /** PostgreSQL pool size (ignored for SQLite). */
  poolMax?: number;
  /** SQLite `PRAGMA synchronous` (ignored for PostgreSQL); NORMAL by default. */
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  logger: Logger;
  metrics?: Registry;
  redis?: Redis;
}): Promise<Storage> {
  const db = await createDatabase<ServerTables>({
    url: options.url,
    ...(options.poolMax !== undefined ? { pool: { max: options.poolMax } } : {}),
    // WAL checkpoints from a worker thread: a commit on the event loop never copies the WAL back (they were
    // the largest single cause of multi-millisecond action latencies under load, see docs/perf/server-load.md).
    ...(options.url.startsWith('sqlite:') ? { checkpoint: 'background' as const, synchronous: options.sqliteSynchronous ?? 'NORMAL' } : {}),
    logger: options.logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  try {
    await migrate(db, [eventStoreMigrations, serverMigrations]);
  } catch (err) {
    await db.close();
    throw err;
  }
  const events = createEventStore({ db, logger: options.logger });
  const statsCache = createCache<PlayerStats | null>({
    name: 'player-stats',
    ttlMs: 60_000,
    logger: options.logger,
    ...(options.redis ? { redis: options.redis } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return {
    db,
    events,
    statsCache,
    exec: () => currentExecutor(db),
    async close() {
      await events.close();
      await db.close();
    },
  };
}

/** Writes the room's directory row (inside the caller's unit of work). */
export async function upsertDirectory(storage: Storage, row: DirectoryRow): Promise<void> {
  const values = {
    room_id: row.roomId,
    status: row.status,
    host_name: row.hostName,
    summary: JSON.stringify(row.summary),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    version: row.version,
  };
  await storage
    .exec()
    .insertInto('lobby_rooms')
    .values(values)
    .onConflict((oc) =>
      oc.column('room_id').doUpdateSet({
        status: values.status,
        host_name: values.host_name,
        summary: values.summary,
        updated_at: values.updated_at,
        version: values.version,
      }),
    )
    .execute();
}

/** Rooms that were live (open or in game) when the server stopped: the ones to rebuild at start. */
export async function liveRoomIds(storage: Storage): Promise<string[]> {
  const rows = await storage.db.kysely
    .selectFrom('lobby_rooms')
    .select('room_id')
    .where('status', 'in', ['open', 'in_game'])
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.room_id);
}

/** Directory rows, newest first. */
export async function listDirectory(storage: Storage, options: { status?: string; limit?: number } = {}): Promise<DirectoryRow[]> {
  let q = storage.db.kysely.selectFrom('lobby_rooms').selectAll().orderBy('updated_at', 'desc').limit(options.limit ?? 200);
  if (options.status) q = q.where('status', '=', options.status);
  const rows = await q.execute();
  const out: DirectoryRow[] = [];
  for (const r of rows) {
    let summary: RoomSummary;
    try {
      summary = JSON.parse(r.summary) as RoomSummary;
    } catch (err) {
      // One damaged row must not take the whole list (admin, CLI, verify) with it; the room's stream is the truth.
      storage.db.logger.warn({ room: r.room_id, err: err instanceof Error ? err.message : String(err) }, 'unreadable lobby directory row skipped');
      continue;
    }
    out.push({
      roomId: r.room_id,
      status: r.status,
      hostName: r.host_name,
      summary,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      version: Number(r.version),
    });
  }
  return out;
}

/** An operator's pause of a room, as stored. */
export interface RoomPause {
  readonly at: number;
  readonly by: string;
}

/** Records that an operator paused a room (`null`: resumed). */
export async function setRoomPause(storage: Storage, roomId: string, pause: RoomPause | null): Promise<void> {
  const exec = storage.exec();
  if (pause === null) {
    await exec.deleteFrom('room_pauses').where('room_id', '=', roomId).execute();
    return;
  }
  await exec
    .insertInto('room_pauses')
    .values({ room_id: roomId, paused_at: pause.at, paused_by: pause.by })
    .onConflict((oc) => oc.column('room_id').doUpdateSet({ paused_at: pause.at, paused_by: pause.by }))
    .execute();
}

/** The operator's pause of a room, if it is paused. */
export async function roomPause(storage: Storage, roomId: string): Promise<RoomPause | null> {
  const row = await storage.db.kysely.selectFrom('room_pauses').select(['paused_at', 'paused_by']).where('room_id', '=', roomId).executeTakeFirst();
  return row ? { at: Number(row.paused_at), by: row.paused_by } : null;
}

/** Records which browser session owns a seat (null: free the seat). */
export async function setSeatSession(storage: Storage, roomId: string, seat: number, sessionId: string | null): Promise<void> {
  const exec = storage.exec();
  await exec.deleteFrom('seat_sessions').where('room_id', '=', roomId).where('seat', '=', seat).execute();
  if (sessionId !== null) await exec.insertInto('seat_sessions').values({ room_id: roomId, seat, session_id: sessionId }).execute();
}

/** The sessions owning each seat of a room. */
export async function seatSessions(storage: Storage, roomId: string): Promise<Map<number, string>> {
  const rows = await storage.db.kysely.selectFrom('seat_sessions').select(['seat', 'session_id']).where('room_id', '=', roomId).execute();
  return new Map(rows.map((r) => [Number(r.seat), r.session_id]));
}

/** Records a finished game and folds it into every human player's statistics (same unit of work as the final events). */
export async function recordFinishedGame(
  storage: Storage,
  game: { roomId: string; endedAt: number; totalRounds: number; winners: readonly string[]; rankings: readonly Ranking[]; humans: ReadonlySet<string> },
): Promise<void> {
  const exec = storage.exec();
  await exec
    .insertInto('finished_games')
    .values({
      room_id: game.roomId,
      ended_at: game.endedAt,
      total_rounds: game.totalRounds,
      winners: JSON.stringify(game.winners),
      rankings: JSON.stringify(game.rankings),
    })
    .onConflict((oc) => oc.column('room_id').doNothing())
    .execute();
  for (const r of game.rankings) {
    if (!game.humans.has(r.name)) continue;
    const won = game.winners.includes(r.name) ? 1 : 0;
    await exec
      .insertInto('player_stats')
      .values({
        player_name: r.name,
        games_played: 1,
        games_won: won,
        total_score: r.score,
        perfect_rounds: r.perfectRounds,
        turns_won: r.turnsWon,
        updated_at: game.endedAt,
      })
      .onConflict((oc) =>
        oc.column('player_name').doUpdateSet({
          games_played: sql`player_stats.games_played + 1`,
          games_won: sql`player_stats.games_won + ${won}`,
          total_score: sql`player_stats.total_score + ${r.score}`,
          perfect_rounds: sql`player_stats.perfect_rounds + ${r.perfectRounds}`,
          turns_won: sql`player_stats.turns_won + ${r.turnsWon}`,
          updated_at: game.endedAt,
        }),
      )
      .execute();
  }
}

function toStats(r: ServerTables['player_stats']): PlayerStats {
  const played = Number(r.games_played);
  return {
    playerName: r.player_name,
    gamesPlayed: played,
    gamesWon: Number(r.games_won),
    averageScore: played === 0 ? 0 : Math.round((Number(r.total_score) / played) * 100) / 100,
    perfectRounds: Number(r.perfect_rounds),
    turnsWon: Number(r.turns_won),
  };
}

/** One player's statistics (cached; invalidated when a game they played ends). */
export function playerStats(storage: Storage, name: string): Promise<PlayerStats | null> {
  return storage.statsCache.getOrLoad(name, async () => {
    const row = await storage.db.kysely.selectFrom('player_stats').selectAll().where('player_name', '=', name).executeTakeFirst();
    return row ? toStats(row) : null;
  });
}

/** The top players by games won, then total score. */
export async function leaderboard(storage: Storage, limit = 20): Promise<PlayerStats[]> {
  const rows = await storage.db.kysely
    .selectFrom('player_stats')
    .selectAll()
    .orderBy('games_won', 'desc')
    .orderBy('total_score', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toStats);
}

/** Totals over finished games. */
export async function gameTotals(storage: Storage): Promise<{ games: number; averageRounds: number }> {
  const row = await storage.db.kysely
    .selectFrom('finished_games')
    .select((eb) => [eb.fn.countAll<number>().as('games'), eb.fn.avg<number>('total_rounds').as('avg')])
    .executeTakeFirst();
  return { games: Number(row?.games ?? 0), averageRounds: Math.round(Number(row?.avg ?? 0) * 100) / 100 };
}

/** Loads the cache for the players of the leaderboard (start-up warm-up). */
export async function warmStatsCache(storage: Storage): Promise<number> {
  const top = await leaderboard(storage, 100);
  for (const s of top) await storage.statsCache.set(s.playerName, s);
  return top.length;
}
