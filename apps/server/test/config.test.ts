/**
 * Configuration (docs/configuration.md): defaults with no setup, every problem reported at once with the
 * key, the config file's keys and precedence, and file/directory settings that must exist.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'liap-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('configuration', () => {
  it('starts with no setup: port 5050 on all interfaces, SQLite under ./data, original timings', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 5050, HOST: '0.0.0.0', DATABASE_URL: 'sqlite:./data/liap-tui.db', LOG_LEVEL: 'info', GAME_TIME_SCALE: 1, SEAT_BINDING: 'session' });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.ADMIN_TOKEN).toBeUndefined();
  });

  it('reads and coerces the environment; an empty value counts as unset; unrelated variables are ignored', () => {
    const c = loadConfig({ PORT: '8080', GAME_TIME_SCALE: '0.5', DATABASE_URL: 'postgres://u@h/db', REDIS_URL: '', HOME: '/root' });
    expect(c).toMatchObject({ PORT: 8080, GAME_TIME_SCALE: 0.5, DATABASE_URL: 'postgres://u@h/db' });
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('reports every problem at once, each with its key, and a readable message', () => {
    const problems = problemsOf({
      PORT: 'http',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'localhost:6379',
      LOG_LEVEL: 'loud',
      ADMIN_TOKEN: 'short',
      GAME_TIME_SCALE: '-1',
      STATIC_DIR: path.join(dir, 'no-such-dir'),
      RATE_LIMITS_FILE: path.join(dir, 'no-such-file.json'),
    });
    const keys = problems.map((p) => p.split(':')[0]);
    expect(keys.sort()).toEqual(['ADMIN_TOKEN', 'DATABASE_URL', 'GAME_TIME_SCALE', 'LOG_LEVEL', 'PORT', 'RATE_LIMITS_FILE', 'REDIS_URL', 'STATIC_DIR']);
    expect(problems.find((p) => p.startsWith('DATABASE_URL'))).toMatch(/sqlite:<file>.*postgres:\/\//);
    expect(problems.find((p) => p.startsWith('STATIC_DIR'))).toContain('no-such-dir does not exist');
    expect(problems.find((p) => p.startsWith('RATE_LIMITS_FILE'))).toContain('no-such-file.json does not exist');
    expect(problems.find((p) => p.startsWith('ADMIN_TOKEN'))).toMatch(/at least 16/);
    const err = (() => {
      try {
        loadConfig({ PORT: '70000' });
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err?.message).toMatch(/^Invalid configuration:\n {2}- PORT: /);
  });

  it('takes a JSON config file with the same keys; the environment wins; unknown keys and bad JSON are errors', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ PORT: 6000, LOG_LEVEL: 'debug', SNAPSHOT_EVERY: 10 }));
    expect(loadConfig({ CONFIG_FILE: file, LOG_LEVEL: 'warn' })).toMatchObject({ PORT: 6000, LOG_LEVEL: 'warn', SNAPSHOT_EVERY: 10 });

    await writeFile(file, JSON.stringify({ PORT: 6000, PROT: 7000 }));
    expect(problemsOf({ CONFIG_FILE: file })).toEqual(['unknown setting(s): PROT']);

    await writeFile(file, '{ "PORT": ');
    expect(problemsOf({ CONFIG_FILE: file })[0]).toMatch(/^CONFIG_FILE .*config\.json: .*JSON/);

    await writeFile(file, '[1, 2]');
    expect(problemsOf({ CONFIG_FILE: file })).toEqual([`CONFIG_FILE ${file}: must hold a JSON object`]);

    expect(problemsOf({ CONFIG_FILE: path.join(dir, 'missing.json') })[0]).toMatch(/^CONFIG_FILE .*missing\.json: .*ENOENT/);
  });

  it('turns nothing but decimal digits (environment) or JSON numbers (config file) into a number', async () => {
    const file = path.join(dir, 'typed.json');
    await writeFile(
      file,
      JSON.stringify({ PORT: true, GAME_TIME_SCALE: '', ROOM_ABANDON_MS: false, HOST_REFRESH_GRACE_MS: [5000], RECONNECT_GRACE_MS: null, LOBBY_UPDATE_INTERVAL_MS: ' ' }),
    );
    const problems = problemsOf({ CONFIG_FILE: file });
    for (const key of ['PORT', 'GAME_TIME_SCALE', 'ROOM_ABANDON_MS', 'HOST_REFRESH_GRACE_MS', 'RECONNECT_GRACE_MS', 'LOBBY_UPDATE_INTERVAL_MS']) {
      expect(problems.some((p) => p.startsWith(`${key}: must be`)), `${key} in ${problems.join(' | ')}`).toBe(true);
    }
    for (const port of ['  x', '0x10', '1e3', '80.5']) expect(problemsOf({ PORT: port })[0], port).toMatch(/^PORT: must be an integer/);
    expect(loadConfig({ PORT: ' 5051 ', GAME_TIME_SCALE: '.5' })).toMatchObject({ PORT: 5051, GAME_TIME_SCALE: 0.5 });
  });

  it('refuses a STATIC_DIR that is a file and a SQLite URL without a file', async () => {
    const notDir = path.join(dir, 'index.html');
    await writeFile(notDir, '<!doctype html>');
    expect(problemsOf({ STATIC_DIR: notDir })).toEqual([`STATIC_DIR: ${notDir} is not a directory`]);
    for (const url of ['sqlite:', 'sqlite://']) expect(problemsOf({ DATABASE_URL: url })[0], url).toMatch(/^DATABASE_URL: must be sqlite:<file>/);
    expect(problemsOf({ ADMIN_TOKEN: ' '.repeat(16) })).toEqual(['ADMIN_TOKEN: must not contain spaces']);
  });

  it('accepts an existing STATIC_DIR and RATE_LIMITS_FILE', async () => {
    const limits = path.join(dir, 'limits.yaml');
    await writeFile(limits, 'policies: []\n');
    const c = loadConfig({ STATIC_DIR: dir, RATE_LIMITS_FILE: limits });
    expect(c.staticDir).toBe(dir);
    expect(c.RATE_LIMITS_FILE).toBe(limits);
  });
});
