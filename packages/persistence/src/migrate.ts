import { sql, type Kysely } from 'kysely';
import type { Capabilities } from './capabilities.js';
import type { Database } from './database.js';
import { MigrationError } from './errors.js';
import { isSqliteRetryable } from './sqlite/open.js';
import { transaction } from './transaction.js';

/** One schema change. `up` runs inside the migration transaction. */
export interface Migration {
  /** Unique within its set; applied in the order of the set's array. */
  readonly name: string;
  /** Applies the change; branch on `capabilities` where SQL must differ. */
  up(db: Kysely<any>, capabilities: Capabilities): Promise<void>;
}

/** The ordered migrations one package contributes, under a name unique among packages. */
export interface MigrationSet {
  readonly name: string;
  readonly migrations: readonly Migration[];
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Migrations applied by this call, in order. */
  readonly applied: ReadonlyArray<{ set: string; name: string }>;
}

/** Table that records applied migrations. */
export const MIGRATIONS_TABLE = 'game_migrations';
// An arbitrary constant: the advisory lock that serialises migrators on Postgres.
const ADVISORY_LOCK_KEY = 7_460_113_001;

function validate(sets: readonly MigrationSet[]): void {
  const setNames = new Set<string>();
  for (const set of sets) {
    const list: unknown = set?.migrations;
    if (!set || typeof set.name !== 'string' || set.name === '' || !Array.isArray(list)) {
      throw new MigrationError('Each migration set needs a non-empty name and an array of migrations');
    }
    if (setNames.has(set.name)) throw new MigrationError(`Migration set "${set.name}" is given twice`);
    setNames.add(set.name);
    const names = new Set<string>();
    for (const m of set.migrations) {
      if (!m || typeof m.name !== 'string' || m.name === '' || typeof m.up !== 'function') {
        throw new MigrationError(`Migration set "${set.name}" has a migration without a name or an up() function`);
      }
      if (names.has(m.name)) throw new MigrationError(`Migration set "${set.name}" names "${m.name}" twice`);
      names.add(m.name);
    }
  }
}

/**
 * Applies every pending migration of every set, in order, in one transaction. Idempotent: applied
 * migrations are recorded and skipped. Concurrent migrators (several processes starting at once) are
 * serialised: an advisory lock on Postgres, the write lock (`BEGIN IMMEDIATE`) on SQLite. A database
 * that has applied a migration the code does not know, or applied them in another order, is refused.
 */
export async function migrate(db: Database, sets: readonly MigrationSet[], options: MigrateOptions = {}): Promise<MigrationResult> {
  validate(sets);
  const lockWaitMs = options.lockWaitMs ?? 120_000;
  if (!Number.isFinite(lockWaitMs) || lockWaitMs < 0) throw new MigrationError(`lockWaitMs must be a number >= 0, got ${lockWaitMs}`);
  // SQLite: another process migrating for longer than the busy timeout makes BEGIN IMMEDIATE fail with
  // SQLITE_BUSY before anything ran here; wait for it (Postgres waits on the advisory lock itself).
  const deadline = Date.now() + lockWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db, sets);
    } catch (err) {
      if (!isSqliteRetryable(err) || Date.now() >= deadline) throw err;
      if (attempt === 1) db.logger.warn({ lockWaitMs }, 'another process holds the database write lock (migrating?); waiting for it');
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, 25 * attempt)));
    }
  }
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * SQLite: how long to keep waiting for another process's write lock (a migrator that runs longer than
   * the busy timeout), in ms. Default 120 000.
   */
  readonly lockWaitMs?: number;
}

async function migrateOnce(db: Database, sets: readonly MigrationSet[]): Promise<MigrationResult> {
  const applied: Array<{ set: string; name: string }> = [];
  await transaction(db, async (trx) => {
    if (db.capabilities.advisoryLocks) await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_KEY})`.execute(trx);
    await trx.schema
      .createTable(MIGRATIONS_TABLE)
      .ifNotExists()
      .addColumn('set_name', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${MIGRATIONS_TABLE}_pk`, ['set_name', 'name'])
      .execute();
    const rows = await trx
      .selectFrom(MIGRATIONS_TABLE)
      .select(['set_name', 'name', 'seq'])
      .orderBy('set_name')
      .orderBy('seq')
      .execute();
    for (const set of sets) {
      const done = rows.filter((r) => r.set_name === set.name).map((r) => String(r.name));
      done.forEach((name, i) => {
        const expected = set.migrations[i]?.name;
        if (expected === undefined) {
          throw new MigrationError(
            `Database has migration "${set.name}/${name}" applied, which this code does not know (newer code ran here?)`,
          );
        }
        if (expected !== name) {
          throw new MigrationError(
            `Migration order mismatch in "${set.name}": database applied "${name}" where the code has "${expected}"`,
          );
        }
      });
      for (let i = done.length; i < set.migrations.length; i++) {
        const m = set.migrations[i]!;
        try {
          await m.up(trx, db.capabilities);
        } catch (err) {
          throw new MigrationError(`Migration "${set.name}/${m.name}" failed: ${String(err)}`, { cause: err });
        }
        await trx
          .insertInto(MIGRATIONS_TABLE)
          .values({ set_name: set.name, name: m.name, seq: i, applied_at: new Date().toISOString() })
          .execute();
        applied.push({ set: set.name, name: m.name });
        db.logger.info({ set: set.name, migration: m.name }, 'migration applied');
      }
    }
  });
  return { applied };
}

/** The migrations already applied, per set, in order. */
export async function appliedMigrations(db: Database): Promise<Array<{ set: string; name: string; appliedAt: string }>> {
  const exists = await db.kysely.introspection.getTables().then((t) => t.some((x) => x.name === MIGRATIONS_TABLE));
  if (!exists) return [];
  const rows = await db.kysely
    .selectFrom(MIGRATIONS_TABLE)
    .select(['set_name', 'name', 'applied_at'])
    .orderBy('set_name')
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ set: String(r.set_name), name: String(r.name), appliedAt: String(r.applied_at) }));
}
