/**
 * SQLITE_SYNCHRONOUS: the server's SQLite connection commits with the durability the operator chose
 * (NORMAL by default; FULL fsyncs every commit, so a power loss loses no acknowledged move).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startTestServer, tempSqlite } from './harness.js';

const pragmaOf = (t: Awaited<ReturnType<typeof startTestServer>>): unknown => {
  const driver = t.server.storage.db.driver;
  if (driver.kind !== 'sqlite') throw new Error('not SQLite');
  return driver.sqlite.pragma('synchronous', { simple: true });
};

describe('SQLITE_SYNCHRONOUS', () => {
  it.each([
    [undefined, 1],
    ['NORMAL', 1],
    ['FULL', 2],
  ] as const)('%s -> PRAGMA synchronous = %i on the connection that commits the moves', async (setting, expected) => {
    const db = await tempSqlite();
    const t = await startTestServer({ DATABASE_URL: db.url, ...(setting ? { SQLITE_SYNCHRONOUS: setting } : {}) });
    try {
      expect(pragmaOf(t)).toBe(expected);
    } finally {
      await t.stop();
      await db.cleanup();
    }
  });

  it('refuses other values with the key in the message (OFF would lose acknowledged moves on a crash)', () => {
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(ConfigError);
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(/SQLITE_SYNCHRONOUS/);
  });
});
