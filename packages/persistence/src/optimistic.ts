import { sql, type Kysely } from 'kysely';
import { OptimisticLockError } from './errors.js';

/** Arguments of {@link compareAndSet}. */
export interface CompareAndSetArgs {
  /** The table to update. */
  table: string;
  /** Equality conditions that identify one row, e.g. `{ id: 'room-1' }`. */
  key: Record<string, unknown>;
  /** The version the caller read. */
  expectedVersion: number;
  /** The columns to change (the version column is set for you). */
  set: Record<string, unknown>;
  /** The version column; `version` by default. */
  versionColumn?: string;
}

/**
 * Updates one row only if its version column still holds `expectedVersion`, and bumps it by one.
 * Returns the new version; throws {@link OptimisticLockError} (with the version found) otherwise.
 *
 * @example
 * const v = await compareAndSet(currentExecutor(db), { table: 'rooms', key: { id }, expectedVersion: 3, set: { name } });
 */
export async function compareAndSet(executor: Kysely<any>, args: CompareAndSetArgs): Promise<number> {
  const { table, key, expectedVersion, set } = args;
  const versionColumn = args.versionColumn ?? 'version';
  if (!Number.isInteger(expectedVersion)) throw new RangeError(`expectedVersion must be an integer (got ${expectedVersion})`);
  const keyEntries = Object.entries(key);
  if (keyEntries.length === 0) throw new RangeError('compareAndSet needs at least one key column');
  if (versionColumn in set) throw new RangeError(`do not set the version column "${versionColumn}" yourself`);

  let update = executor
    .updateTable(table)
    .set({ ...set, [versionColumn]: expectedVersion + 1 })
    .where(sql.ref(versionColumn), '=', expectedVersion);
  for (const [column, value] of keyEntries) update = update.where(sql.ref(column), '=', value);
  const result = await update.executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) return expectedVersion + 1;

  let select = executor.selectFrom(table).select(sql.ref(versionColumn).as('v'));
  for (const [column, value] of keyEntries) select = select.where(sql.ref(column), '=', value);
  const row = (await select.executeTakeFirst()) as { v: number | string | bigint } | undefined;
  throw new OptimisticLockError(table, key, expectedVersion, row ? Number(row.v) : null);
}
