import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPgSchema, type PgSchema } from '@game/test-services';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../src/index.js';
import { describePersistenceConformance } from '../src/testing/index.js';

const tested = new Set<string>();

tested.add('sqlite');
describePersistenceConformance('sqlite :memory:', () => ({
  open: () => createDatabase('sqlite::memory:'),
  sharedAcrossOpens: false,
}));

let dir: string | undefined;
describePersistenceConformance('sqlite file', () => ({
  open: async () => {
    dir ??= await mkdtemp(path.join(os.tmpdir(), 'persistence-conf-'));
    return createDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
  },
  cleanup: async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  },
}));

tested.add('postgres');
let schema: PgSchema | undefined;
describePersistenceConformance('postgres', () => ({
  open: async () => {
    schema ??= await createPgSchema('persistence');
    return createDatabase({ url: schema.url, pool: { max: 4 } });
  },
  cleanup: async () => schema?.drop(),
}));

describe('adapters', () => {
  it('the set of backends tested equals the set exported', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    const exported = Object.keys(pkg.exports)
      .filter((k) => k !== '.' && k !== './testing')
      .map((k) => k.slice(2));
    expect(new Set(exported)).toEqual(tested);
  });
});
