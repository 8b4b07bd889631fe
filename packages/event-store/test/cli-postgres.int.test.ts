import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '@game/persistence';
import { createPgSchema, requirePostgres, type PgSchema } from '@game/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../src/index.js';
import { runCli } from '../src/internal/cli/run.js';

let a: PgSchema;
let b: PgSchema;
let dir: string;

beforeAll(async () => {
  await requirePostgres();
  a = await createPgSchema('es_cli_a');
  b = await createPgSchema('es_cli_b');
  dir = mkdtempSync(path.join(os.tmpdir(), 'es-cli-pg-'));
});

afterAll(async () => {
  await a?.drop();
  await b?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cli(url: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--db', url, ...argv], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    cwd: dir,
  });
  return { code, stdout, stderr };
}

describe('game-events CLI on PostgreSQL', () => {
  it('migrates, verifies, and round-trips an export into another schema losslessly', async () => {
    expect((await cli(a.url, 'migrate')).code).toBe(0);
    const db = await createDatabase(a.url);
    try {
      const store = createEventStore({ db });
      await store.append('room-1', [
        { type: 'joined', data: { seat: 1, name: 'ann' }, metadata: { correlationId: 'c-1' } },
        { type: 'played', data: [1, 2, 3] },
      ]);
      await store.append('room-2', [{ type: 'joined', data: 'x' }]);
    } finally {
      await db.close();
    }
    expect(await cli(a.url, 'verify')).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect((await cli(a.url, 'streams')).stdout).toBe('room-1\t2\t\nroom-2\t1\t\n');
    expect((await cli(a.url, 'export', '--out', 'a.ndjson')).code).toBe(0);
    expect((await cli(b.url, 'migrate')).code).toBe(0);
    expect((await cli(b.url, 'import', 'a.ndjson')).code).toBe(0);
    const again = await cli(b.url, 'export');
    expect(again.stdout).toBe(readFileSync(path.join(dir, 'a.ndjson'), 'utf8'));
    expect(await cli(b.url, 'verify')).toMatchObject({ code: 0 });
  });
});
