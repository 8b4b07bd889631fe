/**
 * The CLI's answers to bad input (docs: exit 2 for usage and configuration, with a readable message) and
 * its read-only commands on a fresh database. Runs the built CLI as a child process.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureServerEntry, runCli } from './crash/server-process.js';
import { tempSqlite } from './harness.js';

let db: Awaited<ReturnType<typeof tempSqlite>>;
beforeAll(async () => {
  await ensureServerEntry();
  db = await tempSqlite();
}, 120_000);
afterAll(async () => {
  await db.cleanup();
});

describe('liap-tui-server CLI', () => {
  it('migrates, lists and verifies a fresh database', async () => {
    const env = { DATABASE_URL: db.url };
    const migrate = await runCli(['migrate'], env);
    expect(migrate, migrate.stderr).toMatchObject({ code: 0 });
    expect(migrate.stdout).toMatch(/database sqlite:.* is migrated/);
    expect(await runCli(['rooms'], env)).toMatchObject({ code: 0, stdout: 'no rooms\n' });
    const json = await runCli(['rooms', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect((await runCli(['verify'], env)).stdout).toContain('verify: no problems found');
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['replay'], /missing required argument 'room'/],
    [['replay', 'ABCD', '--until', 'soon'], /--until must be a positive integer/],
    [['replay', 'ABCD', '--until', '0'], /--until must be a positive integer/],
    [['replay', 'nope'], /room NOPE has no events/],
    [['rooms', '--colour'], /unknown option '--colour'/],
    [['rooms', '--status', 'bogus'], /argument 'bogus' is invalid. Allowed choices are open, in_game, over, closed, abandoned/],
  ])('%j exits 2 with a readable message', async (args, message) => {
    const r = await runCli(args, { DATABASE_URL: db.url });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it.each([['rooms'], ['verify'], ['replay', 'ABCDEF']])('%j on a database file that does not exist fails and creates nothing', async (...args) => {
    const missing = path.join(os.tmpdir(), `liap-missing-${process.pid}`, 'typo.db');
    const r = await runCli(args, { DATABASE_URL: `sqlite:${missing}` });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`database file ${missing} does not exist (nothing was created`);
    expect(existsSync(path.dirname(missing))).toBe(false);
  });

  it('refuses a bad configuration with exit 2, listing every problem, before touching the database', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'mysql://x', PORT: 'http', LOG_LEVEL: 'loud' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Invalid configuration:/);
    for (const key of ['DATABASE_URL', 'PORT', 'LOG_LEVEL']) expect(r.stderr).toContain(`- ${key}: `);
  });

  it('serve refuses an invalid RATE_LIMITS_FILE with exit 2 and does not listen', async () => {
    const file = path.join(os.tmpdir(), `liap-bad-limits-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ policies: [{ name: 'x', capacity: -1 }] }));
    const r = await runCli(['serve', '--port', '0'], { DATABASE_URL: db.url, RATE_LIMITS_FILE: file, LOG_LEVEL: 'error' });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`RATE_LIMITS_FILE: ${file} is not a valid rate-limit table`);
    expect(r.stdout).not.toContain('listening');
  });
});
