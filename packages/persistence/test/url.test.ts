import { describe, expect, it } from 'vitest';
import { InvalidDatabaseConfigError, createDatabase, parseDatabaseUrl, redactUrl } from '../src/index.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite::memory:', { kind: 'sqlite', filename: ':memory:' }],
    ['sqlite:./data/game.db', { kind: 'sqlite', filename: './data/game.db' }],
    ['sqlite:///var/lib/game.db', { kind: 'sqlite', filename: '/var/lib/game.db' }],
    ['postgres://u:p@db:5432/game', { kind: 'postgres', url: 'postgres://u:p@db:5432/game' }],
    ['postgresql://db/game', { kind: 'postgres', url: 'postgresql://db/game' }],
  ])('%s', (url, expected) => {
    expect(parseDatabaseUrl(url)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['mysql://root@localhost/x', /Unsupported database URL .*scheme "mysql"/],
    ['sqlite:', /names no file/],
    ['just-a-path.db', /Unsupported database URL/],
    ['postgres://', /names no host|not a valid URL/],
  ])('rejects %j clearly', (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(InvalidDatabaseConfigError);
    expect(() => parseDatabaseUrl(url)).toThrow(message);
  });

  it('never shows a password in errors', () => {
    expect(() => parseDatabaseUrl('redis://user:secret@host/0')).toThrow(/redis:\/\/user:\*\*\*@host/);
    expect(redactUrl('postgres://u:hunter2@h/db')).toBe('postgres://u:***@h/db');
    // pg also takes the password from the query string.
    expect(redactUrl('postgres://u@h/db?password=hunter2&sslmode=require')).toBe('postgres://u@h/db?password=***&sslmode=require');
    expect(redactUrl('postgres://u@h/db?PassWord=hunter2')).not.toContain('hunter2');
    expect(redactUrl('not a url ?password=hunter2')).not.toContain('hunter2');
  });

  it('createDatabase validates options before opening anything', async () => {
    await expect(createDatabase({ url: 'sqlite::memory:', synchronous: 'SOMETIMES' as 'FULL' })).rejects.toThrow(/synchronous must be one of/);
    await expect(createDatabase({ url: 'sqlite::memory:', busyTimeoutMs: -1 })).rejects.toThrow(/busyTimeoutMs/);
    await expect(createDatabase({ url: 'postgres://127.0.0.1:1/x', pool: { connectionTimeoutMs: 0 } })).rejects.toThrow(
      /connectionTimeoutMs must be an integer >= 1/,
    );
  });
});
