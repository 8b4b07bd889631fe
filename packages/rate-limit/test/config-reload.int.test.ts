import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimitConfigError } from '../src/index.js';
import { createRateLimiter, type RateLimitConfig, type RateLimiter } from '../src/index.js';
import { createManualClock } from '../src/testing/index.js';
import { recordingLogger } from './helpers.js';

let dir: string;
let limiter: RateLimiter | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rl-config-'));
});

afterEach(async () => {
  limiter?.close();
  limiter = undefined;
  await rm(dir, { recursive: true, force: true });
});

// Editors and config management replace files by rename; a half-written file is never read.
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = path.join(dir, `.tmp-${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, text);
  await rename(tmp, file);
}

const yamlPolicy = (capacity: number) => `
policies:
  - name: moves
    key: [player]
    capacity: ${capacity}
    refill: { tokens: 1, intervalMs: 1000 }
    costs: { play: 1 }
`;

/** Resolves with the first reload (or rejection) matching `match`, fed by the watcher's callbacks. */
function events() {
  const waiting: {
    match: (e: RateLimitConfig | RateLimitConfigError) => boolean;
    resolve: (e: unknown) => void;
  }[] = [];
  const emit = (e: RateLimitConfig | RateLimitConfigError) => {
    for (const w of waiting.splice(0)) {
      if (w.match(e)) w.resolve(e);
      else waiting.push(w);
    }
  };
  return {
    onReload: (c: RateLimitConfig) => emit(c),
    onError: (e: RateLimitConfigError) => emit(e),
    reloadWith: (capacity: number) =>
      new Promise<RateLimitConfig>((resolve) =>
        waiting.push({
          match: (e) => !(e instanceof Error) && e.policies[0]?.capacity === capacity,
          resolve: resolve as (e: unknown) => void,
        }),
      ),
    rejection: () =>
      new Promise<RateLimitConfigError>((resolve) =>
        waiting.push({ match: (e) => e instanceof Error, resolve: resolve as (e: unknown) => void }),
      ),
  };
}

describe('limits from a config file, reloaded without restart', () => {
  it('applies a changed YAML file to the next check; a broken file keeps the old limits and logs why', async () => {
    const file = path.join(dir, 'limits.yaml');
    await writeFile(file, yamlPolicy(2));
    const logger = recordingLogger();
    const ev = events();
    const clock = createManualClock();
    const registry = new Registry();
    limiter = createRateLimiter({ clock, logger, metrics: { registry } });
    const watcher = limiter.watchConfigFile(file, {
      onReload: ev.onReload,
      onError: ev.onError,
      sighup: false,
      debounceMs: 10,
    });
    expect(await watcher.ready).toBe(true);

    expect((await limiter.consume({ player: 'p', messageType: 'play' })).allowed).toBe(true);
    expect((await limiter.consume({ player: 'p', messageType: 'play' })).allowed).toBe(true);
    expect((await limiter.consume({ player: 'p', messageType: 'play' })).allowed).toBe(false);

    const reloaded = ev.reloadWith(5);
    await writeAtomically(file, yamlPolicy(5));
    await reloaded;
    // a bigger bucket fills further: after 5 s it holds 5 tokens (it would hold 2 under the old limits)
    clock.advance(5000);
    expect(await limiter.consume({ player: 'p', messageType: 'play' })).toMatchObject({
      allowed: true,
      limit: 5,
      remaining: 4,
    });

    const rejected = ev.rejection();
    await writeAtomically(file, yamlPolicy(5).replace('capacity: 5', 'capacity: -3'));
    const error = await rejected;
    expect(error.code).toBe('RATE_LIMIT_CONFIG_INVALID');
    expect(error.source).toBe(file);
    expect(error.issues).toEqual(['policies[0].capacity: Too small: expected number to be >0']);
    expect(limiter.policies[0]!.capacity).toBe(5);
    expect(await limiter.consume({ player: 'p', messageType: 'play' })).toMatchObject({
      allowed: true,
      limit: 5,
    });
    const logged = logger.lines.find((l) => l.level === 'error' && l.msg?.includes('previous limits kept'));
    expect(logged?.fields['issues']).toEqual(error.issues);

    const notYaml = ev.rejection();
    await writeAtomically(file, 'policies: [unclosed');
    expect((await notYaml).issues[0]).toMatch(/^not valid YAML/);
    expect(limiter.policies[0]!.capacity).toBe(5);
    const metrics = await registry.metrics();
    const count = (result: string) =>
      Number(new RegExp(`rate_limit_config_reloads_total\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1]);
    // editors and file systems may report one change twice: at least one reload per write
    expect(count('ok')).toBeGreaterThanOrEqual(2);
    expect(count('rejected')).toBeGreaterThanOrEqual(2);
    watcher.close();
  });

  it('reloads a JSON file on SIGHUP', async () => {
    const file = path.join(dir, 'limits.json');
    const json = (capacity: number) =>
      JSON.stringify({ policies: [{ name: 'moves', key: 'player', capacity, refillPerSecond: 1 }] });
    await writeFile(file, json(1));
    const ev = events();
    limiter = createRateLimiter({ clock: createManualClock() });
    const before = process.listenerCount('SIGHUP');
    const watcher = limiter.watchConfigFile(file, {
      onReload: ev.onReload,
      onError: ev.onError,
      watch: false,
    });
    expect(await watcher.ready).toBe(true);
    expect(limiter.policies[0]!.capacity).toBe(1);

    await writeFile(file, json(7));
    // without the file watcher, nothing changes until the signal
    expect(limiter.policies[0]!.capacity).toBe(1);
    const reloaded = ev.reloadWith(7);
    process.kill(process.pid, 'SIGHUP');
    await reloaded;
    expect((await limiter.consume({ player: 'p' })).limit).toBe(7);

    watcher.close();
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('closing the limiter stops its watchers', async () => {
    const file = path.join(dir, 'limits.yaml');
    await writeFile(file, yamlPolicy(2));
    limiter = createRateLimiter();
    const before = process.listenerCount('SIGHUP');
    const watcher = limiter.watchConfigFile(file);
    expect(await watcher.ready).toBe(true);
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    limiter.close();
    expect(process.listenerCount('SIGHUP')).toBe(before);
    expect(await watcher.reload()).toBe(false);
    expect(limiter.policies[0]!.capacity).toBe(2);
  });

  it('rejects an unreadable file at start and keeps the limits from code', async () => {
    const ev = events();
    limiter = createRateLimiter({
      policies: [{ name: 'code', key: 'player', capacity: 4, refillPerSecond: 1 }],
    });
    const rejected = ev.rejection();
    const watcher = limiter.watchConfigFile(path.join(dir, 'missing.yaml'), {
      onError: ev.onError,
      sighup: false,
    });
    expect(await watcher.ready).toBe(false);
    expect((await rejected).issues[0]).toMatch(/cannot read the file/);
    expect(limiter.policies.map((p) => p.name)).toEqual(['code']);
  });

  it('follows a Kubernetes ConfigMap update (a `..data` symlink swapped; the file name never appears in an event), and ignores other files', async () => {
    // The layout kubelet writes: limits.yaml -> ..data/limits.yaml, ..data -> ..<timestamp>/
    await mkdir(path.join(dir, '..2026_11_28_a'));
    await writeFile(path.join(dir, '..2026_11_28_a', 'limits.yaml'), yamlPolicy(2));
    await symlink('..2026_11_28_a', path.join(dir, '..data'));
    await symlink(path.join('..data', 'limits.yaml'), path.join(dir, 'limits.yaml'));
    const ev = events();
    const reloads: number[] = [];
    limiter = createRateLimiter({ clock: createManualClock() });
    const watcher = limiter.watchConfigFile(path.join(dir, 'limits.yaml'), {
      onReload: (c) => {
        reloads.push(c.policies[0]!.capacity);
        ev.onReload(c);
      },
      onError: ev.onError,
      sighup: false,
      debounceMs: 10,
    });
    expect(await watcher.ready).toBe(true);
    expect(limiter.policies[0]!.capacity).toBe(2);

    // An unrelated file in the directory: read again, unchanged, not reloaded.
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    // The update: a new timestamped folder, a new symlink, renamed over ..data (atomic).
    const reloaded = ev.reloadWith(9);
    await mkdir(path.join(dir, '..2026_11_28_b'));
    await writeFile(path.join(dir, '..2026_11_28_b', 'limits.yaml'), yamlPolicy(9));
    await symlink('..2026_11_28_b', path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await reloaded;
    expect(limiter.policies[0]!.capacity).toBe(9);
    expect(reloads).toEqual([2, 9]);
    watcher.close();
  });

  it('a neighbour written all the time (a log beside the file) does not hold back a change of the limits', async () => {
    const file = path.join(dir, 'limits.yaml');
    await writeFile(file, yamlPolicy(2));
    const ev = events();
    limiter = createRateLimiter({ clock: createManualClock() });
    const watcher = limiter.watchConfigFile(file, { onReload: ev.onReload, onError: ev.onError, sighup: false, debounceMs: 20 });
    expect(await watcher.ready).toBe(true);
    const log = path.join(dir, 'server.log');
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) await writeFile(log, `line ${i}\n`, { flag: 'a' });
    })();
    try {
      const reloaded = ev.reloadWith(9);
      await writeAtomically(file, yamlPolicy(9));
      await reloaded;
      expect(limiter.policies[0]!.capacity).toBe(9);
    } finally {
      writing = false;
      await writer;
      watcher.close();
    }
  });
});
