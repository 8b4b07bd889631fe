#!/usr/bin/env node
/**
 * Builds apps/server/Dockerfile WITHOUT a Docker engine and runs the image: `pnpm image:check`.
 *
 * Docker's engine does not run on our development machines or in CI, so the image is built with buildah
 * (Debian package; daemonless, `--isolation chroot`) from the same Dockerfile and build context that
 * `docker build -f apps/server/Dockerfile .` uses (including apps/server/Dockerfile.dockerignore), then run
 * with `buildah run` as the image's user, with its entrypoint, command, environment, working directory and
 * health check read from the image's own metadata, and a host folder as the `/data` volume. Checked:
 *
 *   0. first, the compose stack's Prometheus files with promtool: deploy/alerts.yml and deploy/prometheus.yml
 *      are valid, and the alert rules pass their unit tests (deploy/alerts.test.yml);
 *   1. the image's metadata: user `node`, entrypoint + `serve`, port 5050, volume /data, SIGTERM, a HEALTHCHECK;
 *   2. start-up on SQLite in /data: /health/live, /health/ready (pass), /health/startup, /api/health's shape;
 *   3. the HEALTHCHECK command, run inside the container, exits 0;
 *   4. the lobby over WebSocket: session cookie, room_list_update, create_room -> room_created;
 *   5. the runtime user is uid 1000, cannot write to /app, can write to /data; no compiler in the image;
 *   6. SIGTERM to the server process (what `docker stop` sends to PID 1): readiness fails, the socket closes
 *      with 1001, exit code 0;
 *   7. the CLI in the image (`liap-tui-server rooms --json` on the same /data) lists the room after the stop;
 *   8. the same image on PostgreSQL and Redis, as deploy/docker-compose.yml runs it (the machine's servers, a
 *      scratch schema): the compose file's readiness healthcheck run inside the container, readiness with the
 *      database and redis checks, database metrics, 4, 6 and 7 again.
 *
 * The base image: `BASE_IMAGE=node:20-bookworm-slim` if the machine can pull it (or has it). Otherwise (no
 * registry for images here) a stand-in is built once: Debian bookworm (debootstrap, minbase) plus this
 * machine's Node 20 binary, npm and headers at /usr/local like the official image, and the `node` user
 * (uid 1000). Two things of this machine's network are carried into the stand-in only, never into the
 * Dockerfile: the CA bundle in NODE_EXTRA_CA_CERTS (an egress proxy re-signs TLS here) and
 * `npm_config_nodedir` (node-gyp cannot download Node's headers from nodejs.org here; the official image
 * can).
 *
 * Needs: Linux, root, buildah, debootstrap and promtool (Debian's prometheus package; installed with apt-get
 * when missing), PostgreSQL and Redis on localhost. Takes ~3-5 minutes (the
 * image's install compiles better-sqlite3). Exit 0 = every check passed; 1 = a check failed; 2 = could not run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, redact } from '@game/test-services';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';

const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(serverDir, '../..');
const IMAGE = process.env['IMAGE'] ?? 'localhost/liap-tui-server:check';
const WORK = process.env['IMAGE_CHECK_DIR'] ?? '/var/tmp/liap-image-check';
const t0 = performance.now();

const log = (msg) => process.stderr.write(`[image-check ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
class CheckFailed extends Error {}
class CannotRun extends Error {}
const failures = [];
function check(ok, what, detail = '') {
  if (ok) log(`ok   ${what}`);
  else {
    log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
    failures.push(what);
  }
  return ok;
}

/**
 * Runs a command to completion (killed after `timeoutMs`, 5 minutes by default) and captures its output.
 * Throws CannotRun on exit != 0 unless `allowFail`; a timeout or a failure to start always throws.
 */
function sh(cmd, args, { allowFail = false, input, quiet = false, timeoutMs = 300_000 } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL' });
  if (r.error) throw new CannotRun(`${cmd} ${args.join(' ').slice(0, 120)}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new CannotRun(`${cmd} ${args.join(' ').slice(0, 200)} exited ${r.status}:\n${out}`);
  }
  if (!quiet && r.status !== 0) log(`(${cmd} exited ${r.status})`);
  return r;
}

/**
 * Like sh, but streams the output to a log file in WORK, shows a progress line with the latest build step
 * every 20 s, and kills the command after `timeoutMs` (30 minutes by default).
 */
function shLogged(cmd, args, logName, timeoutMs = 30 * 60_000) {
  return new Promise((resolve, reject) => {
    const logPath = path.join(WORK, logName);
    const fd = openSync(logPath, 'w');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const tail = () => readFileSync(logPath, 'utf8').trim().split('\n').slice(-40).join('\n');
    const progress = setInterval(() => {
      const step = [...readFileSync(logPath, 'utf8').matchAll(/^(\[\d\/\d\] )?STEP \d+\/\d+: .*$/gm)].at(-1)?.[0] ?? '';
      if (step) log(`  ${logName}: ${step.slice(0, 110)}`);
    }, 20_000);
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearInterval(progress);
      clearTimeout(deadline);
      reject(new CannotRun(`${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearInterval(progress);
      clearTimeout(deadline);
      if (code === 0 && !timedOut) resolve();
      else reject(new CannotRun(`${cmd} ${args[0] ?? ''} ${timedOut ? `killed after ${timeoutMs / 60_000} min` : `failed (exit ${code})`}; full log ${logPath}:\n${tail()}`));
    });
  });
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function prerequisites() {
  if (process.platform !== 'linux') throw new CannotRun('needs Linux (buildah, chroot isolation)');
  if (process.getuid?.() !== 0) throw new CannotRun('needs root (buildah with chroot isolation, debootstrap)');
  // Room for the stand-in base, the build stage and buildah's layer cache (measured: ~4.5 GB in all).
  const fs = statfsSync('/var');
  const freeGb = (fs.bavail * fs.bsize) / 2 ** 30;
  if (freeGb < 6) throw new CannotRun(`needs about 6 GB free under /var (buildah's storage, ${WORK}); ${freeGb.toFixed(1)} GB free`);
  // command -> Debian package
  const needed = { buildah: 'buildah', debootstrap: 'debootstrap', promtool: 'prometheus' };
  const missing = Object.entries(needed).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (missing.length > 0) {
    log(`installing ${missing.join(', ')} with apt-get`);
    sh('apt-get', ['update', '-qq']);
    sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  }
}

/** 0. The Prometheus files of the compose stack, with Prometheus's own tool: syntax, and the alert rules' unit tests. */
function prometheusFiles() {
  const deploy = path.join(repoRoot, 'deploy');
  const rules = sh('promtool', ['check', 'rules', path.join(deploy, 'alerts.yml')], { allowFail: true, quiet: true });
  check(rules.status === 0, 'promtool: deploy/alerts.yml is valid', `${rules.stdout}${rules.stderr}`.trim());
  // prometheus.yml names the rules by their path inside the Prometheus container.
  const config = readFileSync(path.join(deploy, 'prometheus.yml'), 'utf8').replaceAll('/etc/prometheus/alerts.yml', path.join(deploy, 'alerts.yml'));
  const copy = path.join(WORK, 'prometheus.yml');
  writeFileSync(copy, config);
  const cfg = sh('promtool', ['check', 'config', copy], { allowFail: true, quiet: true });
  check(cfg.status === 0, 'promtool: deploy/prometheus.yml is valid', `${cfg.stdout}${cfg.stderr}`.trim());
  const tests = sh('promtool', ['test', 'rules', path.join(deploy, 'alerts.test.yml')], { allowFail: true, quiet: true });
  check(tests.status === 0, 'promtool: the alert rules pass deploy/alerts.test.yml', `${tests.stdout}${tests.stderr}`.trim());
  // The dashboard's queries, with its variables filled in, as recording rules: promtool parses each one.
  const exprs = [];
  const walk = (panels) => {
    for (const panel of panels ?? []) {
      for (const t of panel.targets ?? []) if (typeof t.expr === 'string' && t.expr.trim()) exprs.push(t.expr);
      walk(panel.panels);
    }
  };
  walk(JSON.parse(readFileSync(path.join(deploy, 'grafana-dashboard.json'), 'utf8')).panels);
  const filled = exprs.map((e) => e.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replace(/\$\{?(job|instance)\}?/g, 'x'));
  const rulesFile = path.join(WORK, 'dashboard-queries.yml');
  writeFileSync(rulesFile, `groups:\n  - name: dashboard\n    rules:\n${filled.map((e, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`);
  const dash = sh('promtool', ['check', 'rules', rulesFile], { allowFail: true, quiet: true });
  check(exprs.length > 10 && dash.status === 0, `promtool: the ${exprs.length} queries of deploy/grafana-dashboard.json parse`, `${dash.stdout}${dash.stderr}`.trim());
}

function imageExists(ref) {
  return sh('buildah', ['inspect', '--type', 'image', ref], { allowFail: true, quiet: true }).status === 0;
}

function inspect(ref) {
  return JSON.parse(sh('buildah', ['inspect', '--type', 'image', ref]).stdout);
}

/** The stand-in for node:20-bookworm-slim (see the header). Rebuilt when this machine's Node changes. */
async function standInBase() {
  const nodeBin = realpathSync(process.execPath);
  const version = process.versions.node;
  if (!version.startsWith('20.')) throw new CannotRun(`the stand-in base copies this machine's Node, which must be 20.x like the Dockerfile's base (is ${version}); or set BASE_IMAGE`);
  const ref = `localhost/liap-node-standin:${version}`;
  if (imageExists(ref)) {
    log(`base: ${ref} (stand-in for node:20-bookworm-slim, built earlier)`);
    return ref;
  }
  const prefix = path.resolve(path.dirname(nodeBin), '..');
  const npmDir = [path.join(prefix, 'lib/node_modules/npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm'].find((d) => existsSync(d));
  const headers = [path.join(prefix, 'include/node'), '/usr/include/node', '/usr/local/include/node'].find((d) => existsSync(path.join(d, 'node_api.h')));
  if (!npmDir || !headers) throw new CannotRun(`this machine's Node lacks npm (${npmDir}) or its headers (${headers}) for the stand-in base`);
  const rootfs = path.join(WORK, 'rootfs');
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  log('base: building a stand-in for node:20-bookworm-slim (debootstrap bookworm minbase, ~30 s)');
  await shLogged('debootstrap', ['--variant=minbase', 'bookworm', rootfs, 'http://deb.debian.org/debian'], 'debootstrap.log');
  const R = (p) => path.join(rootfs, p);
  mkdirSync(R('usr/local/bin'), { recursive: true });
  mkdirSync(R('usr/local/lib/node_modules'), { recursive: true });
  mkdirSync(R('usr/local/include'), { recursive: true });
  sh('cp', [nodeBin, R('usr/local/bin/node')]);
  sh('cp', ['-a', npmDir, R('usr/local/lib/node_modules/npm')]);
  sh('cp', ['-a', headers, R('usr/local/include/node')]);
  sh('ln', ['-sf', '../lib/node_modules/npm/bin/npm-cli.js', R('usr/local/bin/npm')]);
  sh('ln', ['-sf', '../lib/node_modules/npm/bin/npx-cli.js', R('usr/local/bin/npx')]);
  sh('chroot', [rootfs, 'sh', '-c', 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node']);
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `NODE_VERSION=${version}`, 'npm_config_nodedir=/usr/local'];
  const extraCa = process.env['NODE_EXTRA_CA_CERTS'];
  if (extraCa && existsSync(extraCa)) {
    mkdirSync(R('etc/ssl'), { recursive: true });
    sh('cp', [extraCa, R('etc/ssl/host-ca.crt')]);
    env.push('NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt');
  }
  rmSync(R('var/lib/apt/lists'), { recursive: true, force: true });
  mkdirSync(R('var/lib/apt/lists/partial'), { recursive: true });
  const tar = path.join(WORK, 'rootfs.tar');
  sh('tar', ['-C', rootfs, '-cf', tar, '.']);
  const ctr = sh('buildah', ['from', 'scratch']).stdout.trim();
  try {
    sh('buildah', ['add', ctr, tar, '/'], { quiet: true });
    sh('buildah', ['config', ...env.flatMap((e) => ['--env', e]), '--cmd', 'node', ctr]);
    sh('buildah', ['commit', '-q', ctr, ref]);
  } finally {
    sh('buildah', ['rm', ctr], { allowFail: true, quiet: true });
    rmSync(tar, { force: true });
    rmSync(rootfs, { recursive: true, force: true });
  }
  log(`base: ${ref} built`);
  return ref;
}

/**
 * buildah's layer cache keeps the build stage of every earlier build (about 1 GB each once the sources
 * changed). Past IMAGE_CHECK_CACHE_GB (default 8) of storage, drop the untagged images: the next build then
 * starts from the base again (about 2.5 minutes instead of under one).
 */
function pruneWhenLarge() {
  const limitGb = Number(process.env['IMAGE_CHECK_CACHE_GB'] ?? 8);
  if (!Number.isFinite(limitGb) || limitGb <= 0) throw new CannotRun(`IMAGE_CHECK_CACHE_GB must be a positive number of GB, got ${JSON.stringify(process.env['IMAGE_CHECK_CACHE_GB'])}`);
  const info = sh('buildah', ['info'], { allowFail: true, quiet: true });
  let root;
  try {
    root = JSON.parse(info.stdout)?.store?.GraphRoot;
  } catch {
    return; // no size to go by; buildah's own errors show in the build
  }
  if (!root || !existsSync(root)) return;
  const bytes = Number(sh('du', ['-sb', root], { allowFail: true, quiet: true }).stdout.split(/\s/)[0] ?? 0);
  if (!(bytes > limitGb * 2 ** 30)) return;
  log(`buildah storage ${(bytes / 2 ** 30).toFixed(1)} GB > ${limitGb} GB: removing untagged images (the layer cache)`);
  sh('buildah', ['rmi', '--prune'], { allowFail: true, quiet: true });
  const after = Number(sh('du', ['-sb', root], { allowFail: true, quiet: true }).stdout.split(/\s/)[0] ?? 0);
  log(`buildah storage now ${(after / 2 ** 30).toFixed(1)} GB`);
}

/** Descendants of `pid` (from /proc), to find the server process under `buildah run`. */
function descendants(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  const out = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const c of children.get(todo.pop()) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

const cmdline = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};

async function get(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function waitFor(what, ms, fn) {
  const deadline = performance.now() + ms;
  let last = '';
  while (performance.now() < deadline) {
    try {
      if (await fn()) return true;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250)); // polling an external process: nothing to await instead
  }
  check(false, what, `not within ${ms / 1000} s ${last}`);
  return false;
}

/** A `buildah run` of the working container as the image's user, with the image's environment plus `env`. */
function runArgs(ctr, user, env, dataDir, argv) {
  return ['run', '--isolation', 'chroot', '--network', 'host', '--user', user, '--volume', `${dataDir}:/data`, ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]), ctr, '--', ...argv];
}

async function main() {
  prerequisites();
  mkdirSync(WORK, { recursive: true });
  removeStaleContainers();
  prometheusFiles();
  const base = process.env['BASE_IMAGE'] ?? (await standInBase());
  // Before the build too: a full disk must not fail every later run.
  pruneWhenLarge();

  log(`build: buildah bud -f apps/server/Dockerfile (context ${repoRoot}, base ${base}) -> ${IMAGE}`);
  const buildStart = performance.now();
  await shLogged(
    'buildah',
    ['bud', '--format', 'docker', '--isolation', 'chroot', '--network', 'host', '--layers', '-f', 'apps/server/Dockerfile', '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, repoRoot],
    'build.log',
  );
  log(`build: done in ${((performance.now() - buildStart) / 1000).toFixed(0)} s`);
  pruneWhenLarge();

  // 1. Metadata.
  const meta = inspect(IMAGE);
  const cfg = meta.Docker?.config ?? {};
  const user = cfg.User;
  const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  check(user === 'node', 'runs as user node', String(user));
  check(JSON.stringify(argv) === JSON.stringify(['node', '/app/dist/main.js', 'serve']), 'entrypoint + command is `node /app/dist/main.js serve`', JSON.stringify(argv));
  check(Object.keys(cfg.ExposedPorts ?? {}).includes('5050/tcp'), 'exposes 5050/tcp');
  check(Object.keys(cfg.Volumes ?? {}).includes('/data'), 'declares the /data volume');
  check(cfg.StopSignal === 'SIGTERM', 'stop signal SIGTERM', String(cfg.StopSignal));
  const health = cfg.Healthcheck?.Test ?? [];
  check(health[0] === 'CMD' && health.length > 1, 'has a HEALTHCHECK', JSON.stringify(cfg.Healthcheck));
  log(`image size: ${sh('buildah', ['images', '--format', '{{.Size}}', '--filter', `reference=${IMAGE}`]).stdout.trim()}${process.env['BASE_IMAGE'] ? '' : ' (on the stand-in base, larger than the slim image)'}`);

  const dataDir = path.join(WORK, 'data');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  chownSync(dataDir, 1000, 1000); // what Docker does for a new named volume over the image's /data (node:node)
  const runId = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const ctr = sh('buildah', ['from', '--name', `liap-image-check-${runId}`, IMAGE]).stdout.trim();
  const schema = `image_check_${runId}`;
  const pgBase = process.env['IMAGE_CHECK_POSTGRES_URL'] ?? process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env['IMAGE_CHECK_REDIS_URL'] ?? process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  try {
    // `buildah run` mounts a fresh anonymous volume over every VOLUME of the image, on top of `--volume`
    // (buildah 1.28); drop the declaration from this working container (checked above) so the bind holds.
    sh('buildah', ['config', '--volume', '/data-', ctr]);
    // 2-7 on SQLite in the /data volume (the image's defaults).
    const sqliteRoom = await serveAndProbe(ctr, user, argv, dataDir, 'sqlite', {}, async ({ env, baseUrl }) => {
      const ready = JSON.parse((await get(`${baseUrl}/health/ready`)).text);
      check(ready.status === 'pass' && 'database' in (ready.checks ?? {}), '/health/ready: pass, with a database check', JSON.stringify(ready).slice(0, 300));
      check((await get(`${baseUrl}/health/live`)).status === 200, '/health/live 200');
      check((await get(`${baseUrl}/health/startup`)).status === 200, '/health/startup 200');
      const legacy = JSON.parse((await get(`${baseUrl}/api/health`)).text);
      check(legacy.status === 'healthy' && legacy.service === 'liap-tui-backend', '/api/health keeps the original shape', JSON.stringify(legacy));
      check(existsSync(path.join(dataDir, 'liap-tui.db')), 'the SQLite database is in the /data volume');

      // 3. The HEALTHCHECK command, inside the container.
      const hc = sh('buildah', runArgs(ctr, user, env, dataDir, health.slice(1)), { allowFail: true, quiet: true });
      check(hc.status === 0, 'the HEALTHCHECK command exits 0', `${hc.status} ${hc.stderr}`);

      // 5. Users and permissions.
      const who = sh('buildah', runArgs(ctr, user, {}, dataDir, ['id', '-u']), { allowFail: true, quiet: true });
      check(who.stdout.trim() === '1000', 'runtime uid is 1000', who.stdout.trim());
      // Each answers a word, so that a `buildah run` that fails for another reason cannot pass a negative check.
      const inside = (script) => sh('buildah', runArgs(ctr, user, {}, dataDir, ['sh', '-c', script]), { allowFail: true, quiet: true }).stdout.trim();
      check(inside('touch /app/x 2>/dev/null && echo writable || echo read-only') === 'read-only', '/app is not writable by the server');
      check(inside('touch /data/.probe && rm /data/.probe && echo writable') === 'writable', '/data is writable by the server');
      check(inside('command -v g++ || command -v cc || command -v make || echo none') === 'none', 'no compiler or make in the runtime image');
    });
    // 7. The CLI on the same volume.
    cliListsRoom(ctr, user, dataDir, {}, sqliteRoom, 'sqlite');

    // 8. PostgreSQL and Redis, as deploy/docker-compose.yml runs the image (here the machine's own servers,
    //    in a fresh schema): the drivers, the Redis-backed rate limits and cache, the checks.
    const made = sh('psql', [pgBase, '-qXc', `create schema ${schema}`], { allowFail: true, quiet: true });
    if (!check(made.status === 0, `PostgreSQL at ${redact(pgBase)} takes a scratch schema`, made.stderr.trim())) return;
    const pgUrl = new URL(pgBase);
    pgUrl.searchParams.set('options', `-c search_path=${schema}`);
    const pgEnv = { DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl };
    const compose = parseYaml(readFileSync(path.join(repoRoot, 'deploy/docker-compose.yml'), 'utf8'));
    const composeProbe = compose?.services?.server?.healthcheck?.test ?? [];
    const pgRoom = await serveAndProbe(ctr, user, argv, dataDir, 'postgres+redis', pgEnv, async ({ env, baseUrl }) => {
      // The compose file's readiness probe, inside the container (its port is the image's 5050: point it at ours).
      const probeArgv = composeProbe.slice(1).map((a) => String(a).replaceAll('127.0.0.1:5050', `127.0.0.1:${env.PORT}`));
      const hc = composeProbe[0] === 'CMD' && probeArgv.length > 0 ? sh('buildah', runArgs(ctr, user, env, dataDir, probeArgv), { allowFail: true, quiet: true }) : undefined;
      check(hc?.status === 0, "postgres+redis: docker-compose.yml's readiness healthcheck exits 0 in the container", `${JSON.stringify(composeProbe).slice(0, 200)} ${hc?.stderr ?? ''}`);
      const ready = JSON.parse((await get(`${baseUrl}/health/ready`)).text);
      const checks = ready.checks ?? {};
      const status = (name) => [checks[name]].flat()[0]?.status;
      check(ready.status === 'pass' && status('database') === 'pass' && status('redis') === 'pass', 'postgres+redis: /health/ready passes with database and redis checks', JSON.stringify(ready).slice(0, 400));
      const metrics = (await get(`${baseUrl}/metrics`)).text;
      check(/^db_pool_connections\{/m.test(metrics), 'postgres+redis: /metrics has the Postgres pool metrics (so the server runs on Postgres)');
    });
    const events = sh('psql', [pgBase, '-qXAtc', `select count(*) from ${schema}.es_events`], { allowFail: true, quiet: true });
    check(Number(events.stdout.trim()) > 0, `postgres+redis: the room's events are in Postgres (schema ${schema})`, `${events.stdout}${events.stderr}`.trim());
    cliListsRoom(ctr, user, dataDir, pgEnv, pgRoom, 'postgres+redis');
  } finally {
    const rm = sh('buildah', ['rm', ctr], { allowFail: true, quiet: true });
    if (rm.status !== 0) log(`could not remove the working container ${ctr}: ${rm.stderr.trim()}`);
    sh('psql', [pgBase, '-qXc', `drop schema if exists ${schema} cascade`], { allowFail: true, quiet: true });
  }
}

/** Working containers that an interrupted earlier run left behind (they would pin old images). */
function removeStaleContainers() {
  const list = sh('buildah', ['containers', '--format', '{{.ContainerName}}'], { allowFail: true, quiet: true });
  for (const name of list.stdout.split('\n').filter((n) => n.startsWith('liap-image-check-'))) {
    log(`removing a working container left by an earlier run: ${name}`);
    sh('buildah', ['rm', name], { allowFail: true, quiet: true });
  }
}

/**
 * Starts the image's command in the working container with `extraEnv`, waits for readiness, runs `during`,
 * opens the lobby socket and creates a room (4), then stops the server with SIGTERM as `docker stop` does (6).
 * Returns the room id.
 */
async function serveAndProbe(ctr, user, argv, dataDir, label, extraEnv, during) {
  const port = await freePort();
  const env = { PORT: String(port), HOST: '127.0.0.1', GAME_TIME_SCALE: '0', SHUTDOWN_DRAIN_DELAY_MS: '1500', SHUTDOWN_BUDGET_MS: '5000', ...extraEnv };
  const baseUrl = `http://127.0.0.1:${port}`;
  const serverLog = path.join(WORK, `server-${label}.log`);
  const fd = openSync(serverLog, 'w');
  const runner = spawn('buildah', runArgs(ctr, user, env, dataDir, argv), { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let gone;
  const exited = new Promise((resolve) =>
    runner.on('close', (code, signal) => {
      gone = { code, signal };
      resolve(gone);
    }),
  );
  const serverOutput = () => readFileSync(serverLog, 'utf8').slice(-3000);
  try {
    const startAt = performance.now();
    // Ends early when the server (or buildah) exits instead of answering.
    const ready = await waitFor(`${label}: /health/ready answers 200`, 120_000, async () => gone !== undefined || (await get(`${baseUrl}/health/ready`)).status === 200);
    if (gone !== undefined) throw new CheckFailed(`${label}: the server exited (${JSON.stringify(gone)}) before it was ready; its output:\n${serverOutput()}`);
    if (!ready) throw new CheckFailed(`${label} server output:\n${serverOutput()}`);
    log(`${label}: server ready ${((performance.now() - startAt) / 1000).toFixed(1)} s after start`);
    // The process that `node /app/dist/main.js serve` became (not buildah's chroot helpers, whose command
    // lines contain it as arguments): PID 1 of the container under Docker.
    const serverPid = descendants(runner.pid).find((p) => {
      const [exe, script] = cmdline(p);
      return exe !== undefined && path.basename(exe) === 'node' && script === '/app/dist/main.js';
    });
    check(serverPid !== undefined, `${label}: found the server process (node /app/dist/main.js serve) under buildah run`);
    await during({ env, baseUrl });

    // 4. The lobby over WebSocket.
    let cookie = '';
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/lobby`, { origin: baseUrl, handshakeTimeout: 5_000 });
    ws.on('upgrade', (res) => (cookie = [res.headers['set-cookie'] ?? []].flat().join('; ')));
    const frames = [];
    const waiters = [];
    ws.on('message', (raw) => {
      frames.push(JSON.parse(raw.toString()));
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('error', (err) => log(`${label}: lobby socket error: ${err.message}`)); // later errors: logged, the waits below fail
    const frame = (event, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new CheckFailed(`${label}: no ${event} within ${ms} ms; got ${JSON.stringify(frames).slice(0, 500)}`)), ms);
        const look = () => {
          const f = frames.find((x) => x.event === event);
          if (f) {
            clearTimeout(timer);
            resolve(f);
          } else waiters.push(look);
        };
        look();
      });
    check(/liap_sid=/.test(cookie), `${label}: the upgrade sets the session cookie`, cookie);
    ws.send(JSON.stringify({ event: 'client_ready', data: { room_id: 'lobby', is_reconnection: false }, sequence: 1, timestamp: Date.now(), id: 'image-check-1' }));
    const list = await frame('room_list_update', 5_000);
    check(Array.isArray(list.data?.rooms), `${label}: client_ready gets room_list_update`);
    ws.send(JSON.stringify({ event: 'create_room', data: { player_name: 'Imagecheck' }, sequence: 2, timestamp: Date.now(), id: 'image-check-2' }));
    const created = await frame('room_created', 5_000);
    const roomId = created.data?.room_id;
    check(/^[A-Z0-9]{6}$/.test(String(roomId)), `${label}: create_room gets room_created with a room id`, JSON.stringify(created));

    // 6. SIGTERM, as `docker stop` sends it to PID 1.
    if (serverPid !== undefined) {
      process.kill(serverPid, 'SIGTERM');
      let sawDraining = false;
      await waitFor(`${label}: readiness fails (503) during the drain`, 10_000, async () => {
        const r = await get(`${baseUrl}/health/ready`).catch(() => undefined);
        if (r?.status === 503) sawDraining = true;
        return sawDraining || r === undefined;
      });
      check(sawDraining, `${label}: readiness answered 503 before the listener closed`);
      const code = await Promise.race([closed, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      check(code === 1001, `${label}: the lobby socket closes with 1001 (going away)`, String(code));
      const exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      check(exit !== 'timeout' && exit.code === 0, `${label}: the server exits 0 after SIGTERM`, JSON.stringify(exit));
    }
    return roomId;
  } finally {
    if (gone === undefined) {
      for (const p of [...descendants(runner.pid), runner.pid]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
  }
}

/** 7. `liap-tui-server rooms --json` in the image, on the same database, lists the room made before the stop. */
function cliListsRoom(ctr, user, dataDir, env, roomId, label) {
  const rooms = sh('buildah', runArgs(ctr, user, env, dataDir, ['liap-tui-server', 'rooms', '--json']), { allowFail: true, quiet: true });
  let listed = false;
  try {
    listed = JSON.stringify(JSON.parse(rooms.stdout)).includes(String(roomId));
  } catch {
    /* reported below */
  }
  check(rooms.status === 0 && listed, `${label}: \`liap-tui-server rooms --json\` lists room ${roomId} after the stop`, `${rooms.status} ${rooms.stdout.slice(0, 300)} ${rooms.stderr.slice(0, 300)}`);
}

main().then(
  () => {
    if (failures.length > 0) {
      log(`${failures.length} check(s) failed: ${failures.join('; ')}`);
      process.exit(1);
    }
    log(`image ${IMAGE}: every check passed`);
    process.exit(0);
  },
  (err) => {
    if (err instanceof CheckFailed) {
      log(`FAIL ${err.message}`);
      process.exit(1);
    }
    if (err instanceof CannotRun) {
      log(`could not run: ${err.message}`);
      process.exit(2);
    }
    log(`FAIL (unexpected error): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
