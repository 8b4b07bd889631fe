// Packs every published package (pnpm pack rewrites workspace: ranges), installs the tarballs into a
// scratch project outside the workspace, imports every subpath of every exports map and runs each bin
// with --help. Optional peer drivers are linked from the workspace's own install (no second native build).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'game-smoke-'));
const tarballs = path.join(scratch, 'tarballs');
const app = path.join(scratch, 'app');
const log = (m) => process.stdout.write(`smoke: ${m}\n`);
let failures = 0;
let passed = 0;

try {
  const pkgs = readdirSync(path.join(root, 'packages'))
    .map((d) => path.join(root, 'packages', d))
    .filter((d) => existsSync(path.join(d, 'package.json')))
    .map((dir) => ({ dir, json: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
    .filter((p) => !p.json.private);

  execFileSync('mkdir', ['-p', tarballs, app]);
  const files = [];
  for (const [i, p] of pkgs.entries()) {
    log(`[${i + 1}/${pkgs.length}] packing ${p.json.name}`);
    execFileSync('npx', ['-y', 'pnpm@10.34.9', 'pack', '--pack-destination', tarballs], { cwd: p.dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  for (const f of readdirSync(tarballs)) files.push(path.join(tarballs, f));

  // Peers come from the workspace install (real paths, so their own dependencies resolve).
  const peers = new Set();
  for (const p of pkgs) for (const name of Object.keys(p.json.peerDependencies ?? {})) peers.add(name);
  const peerPaths = [];
  for (const name of peers) {
    for (const p of pkgs) {
      const candidate = path.join(p.dir, 'node_modules', name);
      if (existsSync(candidate)) {
        peerPaths.push(`${name}@file:${realpathSync(candidate)}`);
        break;
      }
    }
  }
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'smoke-app', private: true, type: 'module' }));
  log(`installing ${files.length} tarballs and ${peerPaths.length} peers into ${app}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--install-links=false', '--ignore-scripts', ...files, ...peerPaths], {
    cwd: app,
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  // `./testing` subpaths import vitest, which only loads inside a vitest run: check them in one.
  const testingSpecs = [];
  for (const p of pkgs) {
    for (const sub of Object.keys(p.json.exports ?? { '.': {} })) {
      const spec = sub === '.' ? p.json.name : `${p.json.name}/${sub.slice(2)}`;
      if (sub === './testing') {
        testingSpecs.push(spec);
        continue;
      }
      try {
        const out = execFileSync('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}); console.log(Object.keys(m).length);`], {
          cwd: app,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const count = Number(out.trim());
        if (!(count > 0)) throw new Error('exports nothing');
        passed++;
        log(`ok   import ${spec} (${count} exports)`);
      } catch (err) {
        failures++;
        log(`FAIL import ${spec}: ${String(err.stderr ?? err.message).split('\n').slice(0, 6).join(' | ')}`);
      }
    }
    for (const bin of Object.keys(p.json.bin ?? {})) {
      try {
        execFileSync(path.join(app, 'node_modules', '.bin', bin), ['--help'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
        passed++;
        log(`ok   ${bin} --help`);
      } catch (err) {
        failures++;
        log(`FAIL ${bin} --help: ${String(err.stderr ?? err.message).split('\n').slice(0, 4).join(' | ')}`);
      }
    }
  }
  if (testingSpecs.length > 0) {
    writeFileSync(
      path.join(app, 'testing.test.mjs'),
      `import { expect, it } from 'vitest';\n` +
        testingSpecs
          .map((spec) => `it(${JSON.stringify(spec)}, async () => { const m = await import(${JSON.stringify(spec)}); expect(Object.keys(m).length).toBeGreaterThan(0); });`)
          .join('\n'),
    );
    try {
      execFileSync('node', [path.join(app, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', app, 'testing.test.mjs'], {
        cwd: app,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      passed += testingSpecs.length;
      for (const spec of testingSpecs) log(`ok   import ${spec} (inside vitest)`);
    } catch (err) {
      failures++;
      log(`FAIL testing subpaths (${testingSpecs.join(', ')}): ${String(err.stdout ?? '').split('\n').filter((l) => /FAIL|Error|×/.test(l)).slice(0, 8).join(' | ')}`);
    }
  }

  // A lean consumer: rate limits and probes with no metrics, so no prom-client (an optional peer of
  // @game/observability, whose Logger type both packages use). Everything but the metrics helpers works.
  const lean = path.join(scratch, 'lean');
  execFileSync('mkdir', ['-p', lean]);
  writeFileSync(path.join(lean, 'package.json'), JSON.stringify({ name: 'smoke-lean', private: true, type: 'module' }));
  const leanPkgs = ['@game/observability', '@game/rate-limit', '@game/health'];
  const leanFiles = files.filter((f) => leanPkgs.some((n) => path.basename(f).startsWith(`${n.slice(1).replace('/', '-')}-`)));
  log(`installing ${leanFiles.length} tarballs without prom-client into ${lean}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts', ...leanFiles], { cwd: lean, stdio: ['ignore', 'inherit', 'inherit'] });
  const script = `
    import { existsSync } from 'node:fs';
    if (existsSync('node_modules/prom-client')) throw new Error('prom-client was installed');
    const { createRateLimiter, createMemoryStore, protocolDefaultPolicies } = await import('@game/rate-limit');
    const limiter = createRateLimiter({ policies: protocolDefaultPolicies, store: createMemoryStore() });
    const r = await limiter.consume({ connection: 'c1', ip: '127.0.0.1', messageType: 'ping' });
    if (!r.allowed) throw new Error('first ping refused');
    limiter.close();
    const { createHealthRegistry } = await import('@game/health');
    const health = createHealthRegistry({ started: true });
    if (health.liveness().httpStatus !== 200) throw new Error('liveness failed');
    const { createLogger, registerProcessMetrics } = await import('@game/observability');
    createLogger({ level: 'silent' }).info('ok');
    try { registerProcessMetrics({}); throw new Error('no error without prom-client'); }
    catch (err) { if (err.code !== 'OBSERVABILITY_CONFIG' || !/prom-client/.test(err.message)) throw err; }
    console.log('ok');`;
  try {
    execFileSync('node', ['--input-type=module', '-e', script], { cwd: lean, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    passed++;
    log('ok   rate limits, probes and logs without prom-client; the metrics helpers say it is missing');
  } catch (err) {
    failures++;
    log(`FAIL lean consumer without prom-client: ${String(err.stderr ?? err.message).split('\n').slice(0, 6).join(' | ')}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`smoke: ${passed} passed, ${failures} failed\n`);
process.exit(failures > 0 ? 1 : 0);
