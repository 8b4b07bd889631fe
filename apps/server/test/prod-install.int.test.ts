/**
 * The container's start-up path without Docker: a production install of the server (`pnpm deploy --prod`,
 * the same command as apps/server/Dockerfile) into a scratch folder outside the workspace, started as
 * `node <dir>/dist/main.js serve` in a child process on a temp SQLite file, probed over HTTP and WebSocket,
 * then stopped with SIGTERM: readiness must fail during the drain, the socket must close with 1001 and the
 * process must exit 0.
 *
 * The workspace packages the server imports must be built (turbo's `^build` does it). If apps/server/dist
 * is missing or older than src/, the current source is transpiled into the scratch folder instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@game/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(serverDir, '../..');
const PNPM = ['-y', 'pnpm@10.34.9'];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly seconds: number;
}

/** Runs a command to completion, collecting stdout+stderr; never rejects (the caller asserts). */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => {
      output += `\n[test] ${cmd} ${args.join(' ')} still running after ${opts.timeoutMs} ms: killed\n`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => (output += `\n[test] spawn failed: ${err.message}\n`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function newestMtime(dir: string): number {
  return Math.max(0, ...listFiles(dir).map((f) => statSync(f).mtimeMs));
}

/** Only what the child needs: no DATABASE_URL/REDIS_URL/... leaking in from the test runner. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? os.tmpdir(), NODE_ENV: 'production' };
  return { ...env, ...extra };
}

/** A started `serve` child with its output so far. */
class ServerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => (this.output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.output += b.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** Resolves when `text` appears in the output; rejects (with the output) on exit or timeout. */
  waitForOutput(text: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.output.includes(text)) return done(undefined);
        if (!this.running) return done(new Error(`server exited before printing "${text}". Output:\n${this.output}`));
        return undefined;
      };
      const timer = setTimeout(() => done(new Error(`no "${text}" within ${timeoutMs} ms. Output:\n${this.output}`)), timeoutMs);
      const onData = () => check();
      const done = (err: Error | undefined) => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.stderr?.off('data', onData);
        this.child.off('exit', onData);
        if (err) reject(err);
        else resolve();
      };
      this.child.stdout?.on('data', onData);
      this.child.stderr?.on('data', onData);
      this.child.on('exit', onData);
      check();
    });
  }
}

async function get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Registered only with a Postgres DATABASE_URL (this test runs on SQLite). */
const POSTGRES_ONLY = new Set(['db_breaker_state', 'db_breaker_transitions_total', 'db_pool_connections']);

describe('production install (pnpm deploy --prod) started like the container', () => {
  let scratch = '';
  let appDir = '';
  let deploy: Run | undefined;
  let transpiledSeconds: number | undefined;
  let prune: Run | undefined;

  beforeAll(async () => {
    const deps = ['event-store', 'health', 'liap-tui', 'observability', 'persistence', 'rate-limit', 'ws-transport'];
    // A concurrent `build` (rm -rf dist && tsc) leaves a package without dist for a few seconds: wait for it.
    const waitForBuiltPackages = async () => {
      const unbuiltNow = () => deps.filter((d) => !['index.js', 'index.d.ts'].every((f) => existsSync(path.join(repoRoot, 'packages', d, 'dist', f))));
      const deadline = Date.now() + 120_000;
      let unbuilt = unbuiltNow();
      while (unbuilt.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        unbuilt = unbuiltNow();
      }
      if (unbuilt.length > 0) {
        throw new Error(
          `workspace packages not built: ${unbuilt.join(', ')}. Run: npx -y pnpm@10.34.9 exec turbo run build --filter=@game/server^...`,
        );
      }
    };
    await waitForBuiltPackages();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'liap-prod-install-'));
    appDir = path.join(scratch, 'app');
    // Same command as the Dockerfile. The shared lockfile is used as is (nothing is re-resolved); the
    // workspace packages are copied in (injected) with only their published `files`.
    deploy = await run(
      'npx',
      [...PNPM, '--filter', '@game/server', '--config.inject-workspace-packages=true', 'deploy', '--prod', '--prefer-offline', appDir],
      { cwd: repoRoot, timeoutMs: 170_000 },
    );
    if (deploy.code !== 0) throw new Error(`pnpm deploy failed (exit ${deploy.code}, ${deploy.signal ?? 'no signal'}):\n${deploy.output}`);
    // Same as the Dockerfile: drop native files of other platforms (the serve test below proves the kept ones load).
    prune = await run(process.execPath, [path.join(serverDir, 'scripts/prune-prod-install.mjs'), appDir], { cwd: scratch, timeoutMs: 60_000 });
    if (prune.code !== 0) throw new Error(`prune-prod-install.mjs failed (exit ${prune.code}):\n${prune.output}`);
    const partial = deps.filter((d) => !existsSync(path.join(appDir, 'node_modules/@game', d, 'dist/index.js')));
    if (partial.length > 0) throw new Error(`deployed without dist/index.js: ${partial.join(', ')} (rebuilt while deploying? run again)`);

    const distMain = path.join(serverDir, 'dist', 'main.js');
    const stale = !existsSync(distMain) || statSync(distMain).mtimeMs < newestMtime(path.join(serverDir, 'src'));
    if (stale) {
      // The current source, transpiled file by file (isolatedModules + verbatimModuleSyntax make that
      // equal to tsc's output, without the type check the package's own typecheck does). Never write
      // through the deployed copy: its files may be hard links to the workspace's dist.
      const t0 = performance.now();
      await rm(path.join(appDir, 'dist'), { recursive: true, force: true });
      const ts = (await import('typescript')).default;
      const srcDir = path.join(serverDir, 'src');
      const files = listFiles(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
      for (const file of files) {
        const out = ts.transpileModule(await readFile(file, 'utf8'), {
          fileName: file,
          reportDiagnostics: false,
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
        });
        const target = path.join(appDir, 'dist', path.relative(srcDir, file)).replace(/\.ts$/, '.js');
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, out.outputText);
      }
      transpiledSeconds = (performance.now() - t0) / 1000;
    }
  }, 300_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('installs production dependencies only, reusing the built native addon', async () => {
    expect(deploy, 'the deploy step ran').toBeDefined();
    const out = deploy!.output;
    // pnpm prints `<pkg> install$ ...` when it runs a build script; better-sqlite3 must come from the
    // side-effects cache of the workspace install (compiling it takes minutes).
    expect(out, 'better-sqlite3 was compiled again instead of reused').not.toMatch(/better-sqlite3[^\n]* install\$/);
    const binding = path.join(appDir, 'node_modules/.pnpm/better-sqlite3@12.6.2/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(existsSync(binding), `missing ${binding}`).toBe(true);
    // After pruning, one uWebSockets.js binary is left: the one for this Node.
    const uwsBinaries = readdirSync(path.join(realpathSync(path.join(appDir, 'node_modules/uWebSockets.js')), 'binaries'));
    expect(uwsBinaries).toEqual([`uws_${process.platform}_${process.arch}_${process.versions.modules}.node`]);
    expect(prune?.output).toMatch(/prune: removed \d+ files\/folders/);
    for (const present of ['@game/event-store', '@game/ws-transport', 'uWebSockets.js', 'better-sqlite3', 'pg', 'ioredis']) {
      expect(existsSync(path.join(appDir, 'node_modules', present)), `${present} missing from the production install`).toBe(true);
    }
    for (const absent of ['@game/test-services', 'ws', '@types/pg', 'typescript']) {
      expect(existsSync(path.join(appDir, 'node_modules', absent)), `dev dependency ${absent} in the production install`).toBe(false);
    }
    // Nor anywhere in the store: the packages' ./testing entries have vitest as an optional peer only, which
    // must not be resolved into a production install (it was, with vite, esbuild and rollup, ~30 MB).
    const store = readdirSync(path.join(appDir, 'node_modules/.pnpm'));
    expect(store.filter((d) => /^(vitest|vite|@vitest\+[a-z-]+|esbuild|rollup|typescript)@/.test(d))).toEqual([]);
    // Workspace packages are real copies with their published files, not links back into the repository.
    const injected = path.join(appDir, 'node_modules/@game/event-store');
    expect(path.relative(appDir, realpathSync(injected)).startsWith('..')).toBe(false);
    expect(existsSync(path.join(injected, 'src')), 'sources shipped in a workspace package').toBe(false);
    const pkg = JSON.parse(await readFile(path.join(appDir, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    expect(pkg.bin?.['liap-tui-server']).toBe('./dist/main.js');
    // Informational, for the report: how long the production install took on this machine.
    process.stdout.write(
      `[prod-install] pnpm deploy --prod: ${deploy!.seconds.toFixed(1)} s; ${prune?.output.trim() ?? ''}` +
        (transpiledSeconds !== undefined ? `; apps/server/dist was stale: src transpiled in ${transpiledSeconds.toFixed(1)} s` : '') +
        '\n',
    );
  });

  it('documents every configuration key in docs/configuration.md', async () => {
    const source = await readFile(path.join(serverDir, 'src/config.ts'), 'utf8');
    const keys = [...source.matchAll(/^ {4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'GAME_TIME_SCALE', 'MAX_FRAME_BYTES']));
    const doc = await readFile(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
    expect(keys.filter((k) => !doc.includes(`| \`${k}\` |`)), 'settings missing from the table of docs/configuration.md').toEqual([]);
  });

  it('prints the CLI help from the installed dist', async () => {
    const help = await run(process.execPath, [path.join(appDir, 'dist/main.js'), '--help'], {
      cwd: scratch,
      env: childEnv({}),
      timeoutMs: 30_000,
    });
    expect(help.code, help.output).toBe(0);
    for (const cmd of ['serve', 'migrate', 'rooms', 'replay', 'verify']) expect(help.output).toContain(cmd);
  });

  it('serves probes, metrics and the lobby, then drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = path.join(scratch, 'data');
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [path.join(appDir, 'dist/main.js'), 'serve'], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv({
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${path.join(dataDir, 'liap-tui.db')}`,
        LOG_LEVEL: 'info',
        GAME_TIME_SCALE: '0',
        SHUTDOWN_DRAIN_DELAY_MS: '1500',
        SHUTDOWN_BUDGET_MS: '5000',
      }),
    });
    const server = new ServerProcess(child);
    try {
      await server.waitForOutput('liap-tui-server listening on', 30_000);
      expect(existsSync(path.join(dataDir, 'liap-tui.db')), 'the SQLite file (and its folder) is created at start').toBe(true);

      const live = await get(`${base}/health/live`);
      expect(live.status, live.text).toBe(200);
      const ready = await get(`${base}/health/ready`);
      expect(ready.status, ready.text).toBe(200);
      expect(ready.headers.get('content-type')).toContain('application/health+json');
      const readyBody = JSON.parse(ready.text) as { status: string; checks: Record<string, unknown> };
      expect(readyBody.status).toBe('pass');
      expect(Object.keys(readyBody.checks)).toEqual(expect.arrayContaining(['database', 'room-mailboxes', 'event-loop']));
      const startup = await get(`${base}/health/startup`);
      expect(startup.status, startup.text).toBe(200);

      const legacy = await get(`${base}/api/health`);
      expect(legacy.status, legacy.text).toBe(200);
      expect(JSON.parse(legacy.text)).toMatchObject({ status: 'healthy', service: 'liap-tui-backend', version: '1.0.0' });

      const metrics = await get(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      for (const name of ['liap_live_rooms', 'ws_connections', 'db_queries_total', 'health_ready', 'process_cpu_seconds_total', 'liap_mailbox_wait_seconds_bucket']) {
        expect(metrics.text, `metric ${name}`).toMatch(new RegExp(`^${name}`, 'm'));
      }
      // The alert rules and the dashboard only use metric names this server registers (prom-client prints
      // `# TYPE` for every registered metric, with or without samples).
      const registered = new Set([...metrics.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]!));
      const known = (name: string) =>
        registered.has(name) || registered.has(name.replace(/_(bucket|sum|count)$/, '')) || POSTGRES_ONLY.has(name) || name === 'up';
      for (const file of ['deploy/alerts.yml', 'deploy/grafana-dashboard.json']) {
        const text = await readFile(path.join(repoRoot, file), 'utf8');
        const used = [...new Set([...text.matchAll(/\b([a-z][a-z0-9_]*)\{/g)].map((m) => m[1]!))];
        expect(used.length, `${file} uses no metrics`).toBeGreaterThan(5);
        expect(used.filter((n) => !known(n)), `${file} names metrics the server does not register`).toEqual([]);
      }
      const doc = await readFile(path.join(repoRoot, 'docs/health-and-metrics.md'), 'utf8');
      const appMetrics = [...registered].filter((n) => /^(liap|ws|http|db|cache|rate_limit|health)_/.test(n));
      expect(appMetrics.filter((n) => !doc.includes(`\`${n}\``)), 'metrics missing from docs/health-and-metrics.md').toEqual([]);

      // The lobby socket: the session cookie comes with the upgrade, client_ready gets the room list.
      let setCookie: string[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/lobby`, { origin: base, handshakeTimeout: 5_000 });
      ws.on('upgrade', (res) => {
        const h = res.headers['set-cookie'];
        setCookie = h === undefined ? [] : Array.isArray(h) ? h : [h];
      });
      const frames: Array<{ event: string; data: Record<string, unknown> }> = [];
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      expect(setCookie.some((c) => c.startsWith('liap_sid=') && /httponly/i.test(c)), `set-cookie: ${setCookie.join(' | ')}`).toBe(true);
      const listUpdate = new Promise<{ event: string; data: Record<string, unknown> }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no room_list_update within 5 s; got ${JSON.stringify(frames)}`)), 5_000);
        ws.on('message', (raw: Buffer) => {
          const f = JSON.parse(raw.toString()) as { event: string; data: Record<string, unknown> };
          frames.push(f);
          if (f.event === 'room_list_update') {
            clearTimeout(timer);
            resolve(f);
          }
        });
      });
      ws.send(JSON.stringify({ event: 'client_ready', data: { room_id: 'lobby', is_reconnection: false }, sequence: 1, timestamp: Date.now(), id: 'prod-install-1' }));
      const update = await listUpdate;
      expect(Array.isArray(update.data['rooms']), JSON.stringify(update)).toBe(true);

      // SIGTERM: readiness fails while the drain delay runs, the socket closes with 1001, exit code 0.
      const stoppedAt = performance.now();
      child.kill('SIGTERM');
      let sawDraining = false;
      while (server.running && !sawDraining) {
        try {
          const r = await get(`${base}/health/ready`);
          if (r.status === 503) sawDraining = true;
          else expect(r.status, r.text).toBe(200);
        } catch {
          break; // listener already closed
        }
      }
      expect(sawDraining, `readiness never failed between SIGTERM and exit. Output:\n${server.output}`).toBe(true);
      const legacyDraining = await get(`${base}/api/health`).catch(() => undefined);
      if (legacyDraining) expect(legacyDraining.status).toBe(503);
      const close = await closed;
      expect(close.code, `close frame: ${JSON.stringify(close)}`).toBe(1001);
      const exit = await server.exited;
      expect(exit, `exit after SIGTERM. Output:\n${server.output}`).toEqual({ code: 0, signal: null });
      const seconds = (performance.now() - stoppedAt) / 1000;
      expect(server.output).toContain('readiness now fails');
      expect(server.output).toMatch(/"msg":"stopped"/);
      process.stdout.write(`[prod-install] SIGTERM to exit: ${seconds.toFixed(2)} s (drain delay 1.5 s)\n`);
    } finally {
      if (server.running) child.kill('SIGKILL');
      await server.exited;
    }
  }, 60_000);
});
