import { parseDatabaseUrl, type Database, type DatabaseOptions } from './database.js';
import { InvalidDatabaseConfigError } from './errors.js';
import { createPostgresDatabase } from './postgres/open.js';
import { createSqliteDatabase } from './sqlite/open.js';

/**
 * Opens a database from a URL (`sqlite:<file>`, `sqlite::memory:`, `postgres://...`) or options.
 *
 * @example
 * const db = await createDatabase<MySchema>('sqlite:./data/game.db');
 * await db.kysely.selectFrom('rooms').selectAll().execute();
 */
export async function createDatabase<DB = any>(urlOrOptions: string | DatabaseOptions): Promise<Database<DB>> {
  const options: DatabaseOptions = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
  if (!options || typeof options !== 'object') {
    throw new InvalidDatabaseConfigError('createDatabase needs a URL string or an options object');
  }
  if ('filename' in options && options.filename !== undefined && !options.url) return createSqliteDatabase<DB>(options);
  if (!options.url) throw new InvalidDatabaseConfigError('createDatabase needs a url (sqlite:<file>, sqlite::memory: or postgres://...)');
  const parsed = parseDatabaseUrl(options.url);
  return parsed.kind === 'sqlite'
    ? createSqliteDatabase<DB>({ ...options, filename: parsed.filename })
    : createPostgresDatabase<DB>({ ...options, url: parsed.url });
}
