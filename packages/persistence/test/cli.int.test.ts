import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isProgram, loadMigrationSets, main } from '../src/cli.js';
import { appliedMigrations, createDatabase } from '../src/index.js';

let dir: string;
let output: string[];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'persistence-cli-'));
  await writeFile(
    path.join(dir, 'sets.mjs'),
    `export const migrationSets = [{ name: 'cli', migrations: [
       { name: '001', up: async (db) => { await db.schema.createTable('cli_t').addColumn('x', 'integer').execute(); } },
     ] }];`,
  );
  await writeFile(path.join(dir, 'empty.mjs'), 'export const nothing = 1;');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<number> {
  output = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (output.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (output.push(String(s)), true));
  try {
    return await main(argv);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('game-persistence CLI', () => {
  it('migrates idempotently and reports status', async () => {
    const url = `sqlite:${path.join(dir, 'cli.db')}`;
    expect(await run('migrate', '--db', url, '--sets', path.join(dir, 'sets.mjs'))).toBe(0);
    expect(output.join('')).toContain('applied cli/001');
    expect(await run('migrate', '--db', url, '--sets', path.join(dir, 'sets.mjs'))).toBe(0);
    expect(output.join('')).toContain('Nothing to apply');
    expect(await run('status', '--db', url)).toBe(0);
    expect(output.join('')).toMatch(/cli\/001\t\d{4}-/);
    const db = await createDatabase(url);
    expect((await appliedMigrations(db)).map((m) => m.name)).toEqual(['001']);
    await db.close();
  });

  it('gives clear errors and exit codes for bad input', async () => {
    expect(await run('migrate', '--db', 'sqlite::memory:', '--sets', path.join(dir, 'empty.mjs'))).toBe(2);
    expect(output.join('')).toContain('exports no migration set');
    expect(await run('migrate', '--db', 'sqlite::memory:', '--sets', path.join(dir, 'missing.mjs'))).toBe(2);
    expect(output.join('')).toContain('Cannot load migration module');
    const saved = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    expect(await run('status')).toBe(2);
    expect(output.join('')).toContain('No database given');
    if (saved !== undefined) process.env['DATABASE_URL'] = saved;
    expect(await run('ping', '--db', 'oracle://x')).toBe(1);
    expect(output.join('')).toContain('Unsupported database URL');
    expect(await run('frobnicate')).toBe(2);
  });

  it('runs when started through a symlink or a bin shim (npm links .bin/<name>, pnpm runs it through symlinked folders)', async () => {
    const cli = path.resolve('src/cli.ts');
    const url = pathToFileURL(cli).href;
    await mkdir(path.join(dir, 'bin'), { recursive: true });
    await symlink(cli, path.join(dir, 'bin', 'game-persistence'));
    await symlink(path.resolve('src'), path.join(dir, 'linked-src'));
    expect(isProgram(cli, url)).toBe(true);
    expect(isProgram(path.join(dir, 'bin', 'game-persistence'), url)).toBe(true); // before: false, nothing ran
    expect(isProgram(path.join(dir, 'linked-src', 'cli.ts'), url)).toBe(true);
    expect(isProgram(path.join(dir, 'sets.mjs'), url)).toBe(false);
    expect(isProgram(undefined, url)).toBe(false);
  });

  it("loads a package's migration sets from the app's node_modules, and a bare file name as a file", async () => {
    const app = path.join(dir, 'app');
    await mkdir(path.join(app, 'node_modules', 'app-sets'), { recursive: true });
    await writeFile(path.join(app, 'node_modules', 'app-sets', 'package.json'), JSON.stringify({ name: 'app-sets', type: 'module', exports: './index.js' }));
    await writeFile(path.join(app, 'node_modules', 'app-sets', 'index.js'), "export const set = { name: 'from-package', migrations: [] };");
    await writeFile(path.join(app, 'local.mjs'), "export const set = { name: 'from-file', migrations: [] };");
    // Before: the package was looked up next to the CLI (not found under pnpm), local.mjs as a package name.
    expect((await loadMigrationSets(['app-sets', 'local.mjs'], app)).map((s) => s.name)).toEqual(['from-package', 'from-file']);
    await expect(loadMigrationSets(['no-such-package'], app)).rejects.toThrow(/Cannot load migration module "no-such-package"/);
  });
});
