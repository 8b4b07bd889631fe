import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
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
});
