#!/usr/bin/env node
/**
 * `game-persistence`: migrate a database with the migration sets that packages export, show what is
 * applied, check connectivity. Exit codes: 0 success, 1 failure, 2 bad usage.
 */
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { createDatabase } from './create.js';
import type { Database } from './database.js';
import { PersistenceError } from './errors.js';
import { appliedMigrations, migrate, type MigrationSet } from './migrate.js';

const out = (line: string) => process.stdout.write(line + '\n');

function dbUrl(opts: { db?: string }): string {
  const url = opts.db ?? process.env['DATABASE_URL'];
  if (!url) throw new CommanderError(2, 'usage', 'No database given: pass --db <url> or set DATABASE_URL');
  return url;
}

function isSet(x: unknown): x is MigrationSet {
  return typeof x === 'object' && x !== null && typeof (x as MigrationSet).name === 'string' && Array.isArray((x as MigrationSet).migrations);
}

/** Loads migration sets from modules: any exported MigrationSet, or array of them. */
export async function loadMigrationSets(modules: string[], cwd = process.cwd()): Promise<MigrationSet[]> {
  const sets: MigrationSet[] = [];
  for (const spec of modules) {
    let mod: Record<string, unknown>;
    try {
      // A path (also `sets.mjs` without `./`, when such a file exists), or a package name resolved from the
      // working directory (the app's node_modules), not from this CLI's own folder.
      const local = spec.startsWith('.') || path.isAbsolute(spec) || existsSync(path.resolve(cwd, spec));
      const file = local ? path.resolve(cwd, spec) : createRequire(path.join(cwd, 'package.json')).resolve(spec);
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      throw new CommanderError(2, 'usage', `Cannot load migration module "${spec}": ${String(err)}`);
    }
    const found = Object.values(mod).flatMap((v) => (Array.isArray(v) ? v.filter(isSet) : isSet(v) ? [v] : []));
    if (found.length === 0) throw new CommanderError(2, 'usage', `Module "${spec}" exports no migration set ({ name, migrations })`);
    for (const s of found) if (!sets.includes(s)) sets.push(s);
  }
  return sets;
}

async function withDb<T>(url: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await createDatabase({ url, connectRetry: { maxAttempts: 3 } });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Builds the CLI program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('game-persistence')
    .description('Database migrations and checks for @game packages (SQLite or PostgreSQL)')
    .exitOverride()
    .showHelpAfterError();

  program
    .command('migrate')
    .description('apply pending migrations of the given modules, in order, idempotently')
    .option('--db <url>', 'database URL (sqlite:<file>, postgres://...); default $DATABASE_URL')
    .requiredOption('--sets <modules...>', 'modules exporting migration sets')
    .action(async (opts: { db?: string; sets: string[] }) => {
      const url = dbUrl(opts);
      const sets = await loadMigrationSets(opts.sets);
      const result = await withDb(url, (db) => migrate(db, sets));
      if (result.applied.length === 0) out('Nothing to apply: the database is up to date.');
      for (const m of result.applied) out(`applied ${m.set}/${m.name}`);
    });

  program
    .command('status')
    .description('list the migrations applied to a database')
    .option('--db <url>', 'database URL; default $DATABASE_URL')
    .action(async (opts: { db?: string }) => {
      const applied = await withDb(dbUrl(opts), appliedMigrations);
      if (applied.length === 0) out('No migrations applied.');
      for (const m of applied) out(`${m.set}/${m.name}\t${m.appliedAt}`);
    });

  program
    .command('ping')
    .description('check that the database answers')
    .option('--db <url>', 'database URL; default $DATABASE_URL')
    .action(async (opts: { db?: string }) => {
      await withDb(dbUrl(opts), (db) => db.ping());
      out('ok');
    });
  return program;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      if (err.code === 'usage') process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${err instanceof PersistenceError ? err.message : String(err)}\n`);
    return 1;
  }
}

// Run as a program (directly, or through a symlink or a bin shim: npm links .bin/<name> to this file, pnpm's
// shim runs it through symlinked node_modules), not imported by a test or another module.
/** Whether `script` (process.argv[1]) is the module at `moduleUrl`, also through symlinks. */
export function isProgram(script: string | undefined, moduleUrl: string): boolean {
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

if (isProgram(process.argv[1], import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
