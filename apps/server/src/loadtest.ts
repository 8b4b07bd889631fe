#!/usr/bin/env node
/**
 * `pnpm loadtest`: drives N concurrent rooms of four WebSocket players against a real server over loopback
 * and reports actions per second and the latency from an action to the last of the four resulting
 * `phase_change` frames (p50/p90/p99/max), with a progress line every second.
 *
 * The server runs in this process (createServer, on the main thread) with GAME_TIME_SCALE=0, generous rate
 * limits and strategic bots, on a temporary SQLite file or on Postgres (`--db postgres://...`: a fresh schema,
 * dropped afterwards). The players run in worker threads (loadtest-worker.ts) so that they use the other core.
 * Bounded: stops after `--games` games or `--duration` seconds of play, whichever comes first.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { silentLogger } from '@game/persistence';
import { createProtocolDefaultPolicies } from '@game/rate-limit';
import { Command, InvalidArgumentError, Option } from 'commander';
import pg from 'pg';
import { createServer } from './app.js';
import { loadConfig } from './config.js';
import { openPostgresFloorStore, openSqliteFloorStore, startFloorServer, type FloorStore } from './loadtest-floor.js';
import type { ClientCounters, ClientMessage, ClientWorkerData, DriverMessage } from './loadtest-worker.js';

/** Options of one load test run. */
export interface LoadTestOptions {
  /** Concurrent rooms (4 sockets each). */
  readonly rooms: number;
  /** Games to play in all (default: one per room). */
  readonly games?: number;
  /** Upper bound of the playing phase, in seconds (default 120). */
  readonly durationSeconds?: number;
  /** `sqlite:<file>` or `postgres://...`; default a temporary SQLite file. */
  readonly databaseUrl?: string;
  /** Think time before each action, in ms (uniform 0.5x..1.5x; default 0 = act at once). */
  readonly thinkMs?: number;
  /** Client worker threads (default 1). */
  readonly workers?: number;
  /** Rooms set up at the same time per worker (default 25). */
  readonly setupConcurrency?: number;
  /** Server log level (default `silent`); logs go to stdout as JSON lines. */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Keep the temporary database (SQLite file or Postgres schema) after the run. */
  readonly keepDatabase?: boolean;
  /** Receives the progress line every second (default: none). */
  readonly onProgress?: (line: string, progress: LoadTestProgress) => void;
  /**
   * Also run the baselines (loadtest-floor.ts) after the game: the same clients, rooms, think time and
   * duration against a raw uWS server that answers each action with one frame per socket of the same size,
   * once without storage and once committing one row per action to the same kind of database first (raw
   * driver), and report our latency as a ratio of each.
   */
  readonly baseline?: boolean;
  /** SQLite only: the server's SQLITE_SYNCHRONOUS, applied to the store-then-answer baseline too (default NORMAL). */
  readonly sqliteSynchronous?: 'NORMAL' | 'FULL';
}

/** One progress sample (the last second). */
export interface LoadTestProgress {
  readonly elapsedSeconds: number;
  readonly actionsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly gamesFinished: number;
  readonly gamesTarget: number;
  readonly errors: number;
}

/** Percentiles of a latency sample, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The result of a run (`--json` prints it). */
export interface LoadTestReport {
  readonly date: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string; readonly loadAverage: readonly number[] };
  readonly server: 'in-process';
  readonly database: 'sqlite' | 'postgres';
  readonly rooms: number;
  readonly sockets: number;
  readonly clientWorkers: number;
  readonly thinkMs: number;
  readonly setupSeconds: number;
  readonly durationSeconds: number;
  readonly stoppedBy: 'games' | 'duration';
  readonly games: { readonly target: number; readonly started: number; readonly finished: number; readonly unfinished: number; readonly stalled: number };
  readonly actions: { readonly sent: number; readonly completed: number; readonly perSecond: number };
  readonly framesPerSecond: number;
  /** `phase_change` bytes one socket received per completed action (the baseline's frame size). */
  readonly bytesPerSocketAction: number;
  /** Action -> last of the four `phase_change` frames. */
  readonly latencyMs: LatencySummary;
  /** The same by the action's protocol event (`declare`, `play`, `decline_redeal`): which moves make the tail. */
  readonly latencyByEventMs: Readonly<Record<string, LatencySummary>>;
  readonly errors: { readonly total: number; readonly byType: Readonly<Record<string, number>> };
  /** Actions the game refused as stale (`<code>:<event>`), e.g. a redeal answer after the 0 ms redeal timeout. */
  readonly rejected: { readonly total: number; readonly byType: Readonly<Record<string, number>> };
  /** Event-loop utilisation (0..1) of the server thread and the mean of the client threads while playing. */
  readonly utilisation: { readonly server: number; readonly clients: number };
  /**
   * CPU seconds while playing: the server thread (Linux only, else null), the whole process (server, clients,
   * libuv pool), and the server thread's CPU per completed action in ms (what bounds throughput on one core).
   */
  readonly cpu: {
    readonly serverThreadSeconds: number | null;
    /** Time the server thread was runnable but waited for a CPU (other processes on the machine). */
    readonly serverRunQueueWaitSeconds: number | null;
    readonly processSeconds: number; readonly serverMsPerAction: number | null };
  /** With `baseline`: the same load against a server that does nothing but answer (see loadtest-floor.ts). */
  readonly baseline?: BaselineReport;
  /** With `baseline`: the same again, the raw server committing one row per action (same database kind) before answering. */
  readonly storedBaseline?: BaselineReport;
}

/** The baseline run of a report: its latency, and ours divided by it. */
export interface BaselineReport {
  /** Where each action was committed before the answer: nowhere, or one row in a SQLite file / Postgres table. */
  readonly store: 'none' | 'sqlite' | 'postgres';
  /** Rows found in the store's table after the run (0 without a store): every answered action is there. */
  readonly rowsStored: number;
  readonly frameBytes: number;
  readonly actionsPerSecond: number;
  readonly latencyMs: LatencySummary;
  readonly errors: number;
  /** The last failed store or dropped frame (null when none): errors other than the clients' own. */
  readonly lastError: string | null;
  /** Our latency percentile / the baseline's (1 = the server costs nothing beyond answering). */
  readonly ratio: { readonly p50: number; readonly p90: number; readonly p99: number };
}

/**
 * The server thread's (this process's main thread) time on a CPU and time spent runnable but waiting for a
 * CPU (run-queue delay), in ms, from /proc on Linux; null elsewhere. Event-loop utilisation counts both,
 * plus time blocked in synchronous I/O, so the three together tell contention from work from I/O.
 */
function serverThreadSched(): { cpuMs: number; waitMs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    if (run === undefined || wait === undefined || !Number.isFinite(run) || !Number.isFinite(wait)) return null;
    return { cpuMs: run / 1e6, waitMs: wait / 1e6 };
  } catch {
    return null;
  }
}

/** Bad options. */
export class LoadTestOptionsError extends Error {
  readonly code = 'LOADTEST_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'LoadTestOptionsError';
  }
}

const LIMITS = { rooms: 5_000, games: 100_000, durationSeconds: 3_600, thinkMs: 60_000, workers: 8 };

/** The chunks' values in one array. */
function concat(chunks: readonly Float64Array[]): Float64Array {
  const all = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/** Percentiles (nearest rank) of `values` (sorted in place). */
export function summarize(values: Float64Array): LatencySummary {
  values.sort();
  const n = values.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const at = (q: number): number => values[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (const v of values) sum += v;
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { count: n, mean: r(sum / n), p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), max: r(values[n - 1]!) };
}

/** Limits for players that act the instant it is their move: the protocol's table, 100 times larger. */
export async function generousLimitsFile(dir: string): Promise<string> {
  const file = path.join(dir, 'limits.json');
  const policies = createProtocolDefaultPolicies().map((p) => ({
    name: p.name,
    key: p.key,
    capacity: p.capacity * 100,
    refillPerSecond: p.capacity * 100,
    ...(p.messageTypes ? { messageTypes: p.messageTypes } : {}),
    ...(p.exceptMessageTypes ? { exceptMessageTypes: p.exceptMessageTypes } : {}),
  }));
  await writeFile(file, JSON.stringify({ policies }));
  return file;
}

/** A fresh schema on the given Postgres database, so a run never touches other tables. */
async function freshPgSchema(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `loadtest_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const run = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`create schema "${schema}"`);
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return { url: u.toString(), drop: () => run(`drop schema if exists "${schema}" cascade`) };
}

function validate(o: LoadTestOptions): void {
  const int = (name: string, v: number | undefined, min: number, max: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) throw new LoadTestOptionsError(`${name} must be an integer from ${min} to ${max} (got ${v})`);
  };
  int('rooms', o.rooms, 1, LIMITS.rooms);
  int('games', o.games, 1, LIMITS.games);
  int('durationSeconds', o.durationSeconds, 1, LIMITS.durationSeconds);
  int('thinkMs', o.thinkMs, 0, LIMITS.thinkMs);
  int('workers', o.workers, 1, LIMITS.workers);
  int('setupConcurrency', o.setupConcurrency, 1, 1_000);
  const db = o.databaseUrl;
  if (db !== undefined && !db.startsWith('sqlite:') && !db.startsWith('postgres://') && !db.startsWith('postgresql://')) {
    throw new LoadTestOptionsError(`database must be sqlite:<file> or postgres://... (got ${db})`);
  }
  if (db?.startsWith('postgres')) {
    const host = new URL(db).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new LoadTestOptionsError(`the load test runs on loopback only; database host ${host} is not local`);
  }
}

/**
 * Starts a client worker: the built `loadtest-worker.js` next to this file, or, when this file runs as
 * TypeScript (tests), `loadtest-worker.ts` through tsx's loader registered inside the worker.
 */
function startWorker(data: ClientWorkerData): Worker {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.ts')) return new Worker(new URL('./loadtest-worker.js', import.meta.url), { workerData: data });
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const target = new URL('./loadtest-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

/** Runs one load test: starts the server, sets up the rooms, plays, stops everything, reports. */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestReport> {
  validate(options);
  const rooms = options.rooms;
  const gamesTarget = options.games ?? rooms;
  const durationMs = (options.durationSeconds ?? 120) * 1000;
  const thinkMs = options.thinkMs ?? 0;
  const workerCount = Math.min(options.workers ?? 1, rooms);
  const setupConcurrency = options.setupConcurrency ?? 25;

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'liap-loadtest-'));
  const cleanups: Array<() => Promise<void>> = [];
  if (!options.keepDatabase) cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  try {
    let databaseUrl = options.databaseUrl ?? `sqlite:${path.join(tmp, 'load.db')}`;
    const database: 'sqlite' | 'postgres' = databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
    if (database === 'postgres') {
      const schema = await freshPgSchema(databaseUrl);
      databaseUrl = schema.url;
      if (!options.keepDatabase) cleanups.push(schema.drop);
    }
    // Not beside the database: the limits file's directory is watched, and every WAL write would wake the watcher.
    const limitsDir = path.join(tmp, 'limits');
    await mkdir(limitsDir);
    const config = loadConfig(
      {},
      {
        PORT: 0,
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        GAME_TIME_SCALE: 0,
        LOG_LEVEL: options.logLevel ?? 'silent',
        RATE_LIMITS_FILE: await generousLimitsFile(limitsDir),
        BOT_LEVEL: 'strategic',
        SHUTDOWN_DRAIN_DELAY_MS: 0,
        SHUTDOWN_BUDGET_MS: 30_000,
        STUCK_MAILBOX_MS: 600_000,
        SQLITE_SYNCHRONOUS: options.sqliteSynchronous ?? 'NORMAL',
      },
    );
    const server = await createServer(config, (options.logLevel ?? 'silent') === 'silent' ? { logger: silentLogger } : {});
    const { port } = await server.listen();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await server.stop('loadtest done');
    };
    cleanups.unshift(stop);
    const report = await drive({ port, rooms, gamesTarget, durationMs, thinkMs, workerCount, setupConcurrency, database, onProgress: options.onProgress });
    if (!options.baseline) return report;
    await stop();
    // As long as our run played (it may have stopped early, at --games).
    const common = { rooms, durationMs: Math.max(1_000, Math.round(report.durationSeconds * 1000)), thinkMs, workerCount, setupConcurrency, database, onProgress: options.onProgress };
    const baseline = await runBaseline(report, common, undefined);
    const store =
      database === 'sqlite' ? openSqliteFloorStore(path.join(tmp, 'floor.db'), options.sqliteSynchronous ?? 'NORMAL') : await openPostgresFloorStore(databaseUrl, config.DATABASE_POOL_MAX);
    let storedBaseline: BaselineReport;
    try {
      storedBaseline = await runBaseline(report, common, store);
    } finally {
      await store.close();
    }
    return { ...report, baseline, storedBaseline };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

/**
 * A baseline after a game run: same rooms, think time, played time and client; frames of the game's size;
 * with a store, each action is committed there before the answer.
 */
async function runBaseline(
  ours: LoadTestReport,
  o: Pick<DriveOptions, 'rooms' | 'durationMs' | 'thinkMs' | 'workerCount' | 'setupConcurrency' | 'database' | 'onProgress'>,
  store: FloorStore | undefined,
): Promise<BaselineReport> {
  const frameBytes = Math.max(100, ours.bytesPerSocketAction);
  const floor = await startFloorServer(frameBytes, store);
  try {
    const onProgress = o.onProgress;
    const label = store ? `baseline+${store.kind}` : 'baseline';
    const r = await drive({
      ...o,
      port: floor.port,
      gamesTarget: o.rooms,
      mode: 'floor',
      onProgress: onProgress ? (line, p) => onProgress(`${label} ${line}`, p) : undefined,
    });
    const failures = floor.failures();
    const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);
    return {
      store: store?.kind ?? 'none',
      rowsStored: store ? await store.count() : 0,
      frameBytes,
      actionsPerSecond: r.actions.perSecond,
      latencyMs: r.latencyMs,
      errors: r.errors.total + failures.count,
      lastError: failures.count > 0 ? failures.last : null,
      ratio: { p50: ratio(ours.latencyMs.p50, r.latencyMs.p50), p90: ratio(ours.latencyMs.p90, r.latencyMs.p90), p99: ratio(ours.latencyMs.p99, r.latencyMs.p99) },
    };
  } finally {
    floor.close();
  }
}

interface DriveOptions {
  port: number;
  rooms: number;
  gamesTarget: number;
  durationMs: number;
  thinkMs: number;
  workerCount: number;
  setupConcurrency: number;
  database: 'sqlite' | 'postgres';
  onProgress: LoadTestOptions['onProgress'];
  mode?: 'game' | 'floor';
}

async function drive(o: DriveOptions): Promise<LoadTestReport> {
  const workers: Worker[] = [];
  const totals: ClientCounters = { actionsSent: 0, actionsCompleted: 0, framesReceived: 0, bytesReceived: 0, gamesStarted: 0, gamesFinished: 0, errors: {}, rejected: {} };
  const chunks: Float64Array[] = [];
  const eventChunks = new Map<string, Float64Array[]>();
  let window: Float64Array[] = [];
  let windowActions = 0;
  const clientElu: number[] = [];
  let ready = 0;
  let doneCount = 0;
  let unfinished = 0;
  let stalled = 0;
  let setupMs = 0;
  const failed: { error?: Error } = {};
  const failure = (): Error | undefined => failed.error;
  let onReady: () => void = () => undefined;
  let onDone: () => void = () => undefined;
  const add = (into: Record<string, number>, e: Record<string, number>): void => {
    for (const [k, v] of Object.entries(e)) into[k] = (into[k] ?? 0) + v;
  };
  const addErrors = (e: Record<string, number>): void => add(totals.errors, e);

  const t0 = performance.now();
  for (let w = 0; w < o.workerCount; w++) {
    const tables = Math.floor(o.rooms / o.workerCount) + (w < o.rooms % o.workerCount ? 1 : 0);
    const games = Math.floor(o.gamesTarget / o.workerCount) + (w < o.gamesTarget % o.workerCount ? 1 : 0);
    const data: ClientWorkerData = {
      kind: 'liap-loadtest-client',
      wsBase: `ws://127.0.0.1:${o.port}`,
      firstTable: w * Math.ceil(o.rooms / o.workerCount),
      tables,
      games,
      thinkMs: o.thinkMs,
      setupConcurrency: o.setupConcurrency,
      mode: o.mode ?? 'game',
    };
    const worker = startWorker(data);
    worker.on('message', (m: ClientMessage) => {
      if (m.type === 'ready') {
        setupMs = Math.max(setupMs, m.setupMs);
        addErrors(m.errors);
        if (++ready === o.workerCount) onReady();
      } else if (m.type === 'tick') {
        chunks.push(m.latencies);
        for (const [event, values] of Object.entries(m.byEvent)) {
          const list = eventChunks.get(event);
          if (list) list.push(values);
          else eventChunks.set(event, [values]);
        }
        window.push(m.latencies);
        windowActions += m.counters.actionsCompleted;
        for (const k of ['actionsSent', 'actionsCompleted', 'framesReceived', 'bytesReceived', 'gamesStarted', 'gamesFinished'] as const) totals[k] += m.counters[k];
        addErrors(m.counters.errors);
        add(totals.rejected, m.counters.rejected);
        clientElu.push(m.elu);
      } else {
        unfinished += m.unfinishedTables;
        stalled += m.stalledTables;
        if (++doneCount === o.workerCount) onDone();
      }
    });
    worker.on('error', (err) => {
      failed.error = err;
      onReady();
      onDone();
    });
    workers.push(worker);
  }
  try {
    await new Promise<void>((resolve) => {
      onReady = resolve;
      if (ready === o.workerCount) resolve();
    });
    const err = failure();
    if (err) throw err;
    setupMs = Math.max(setupMs, performance.now() - t0);

    const eluStart = performance.eventLoopUtilization();
    const schedStart = serverThreadSched();
    const processCpuStart = process.cpuUsage();
    const started = performance.now();
    for (const w of workers) w.postMessage({ type: 'go' } satisfies DriverMessage);
    let stoppedBy: 'games' | 'duration' = 'games';
    let lastPrint = started;
    const progress = setInterval(() => {
      const now = performance.now();
      const lat = Float64Array.from(window.flatMap((c) => Array.from(c)));
      const s = summarize(lat);
      const aps = (windowActions * 1000) / (now - lastPrint);
      const errors = Object.values(totals.errors).reduce((a, b) => a + b, 0);
      const elapsed = (now - started) / 1000;
      const line =
        `[${elapsed.toFixed(0).padStart(4)}s] games ${totals.gamesFinished}/${o.gamesTarget}  actions/s ${aps.toFixed(0).padStart(6)}  ` +
        `p50 ${s.p50.toFixed(2)} p90 ${s.p90.toFixed(2)} p99 ${s.p99.toFixed(2)} max ${s.max.toFixed(2)} ms  errors ${errors}`;
      o.onProgress?.(line, { elapsedSeconds: elapsed, actionsPerSecond: aps, p50Ms: s.p50, p99Ms: s.p99, gamesFinished: totals.gamesFinished, gamesTarget: o.gamesTarget, errors });
      window = [];
      windowActions = 0;
      lastPrint = now;
    }, 1_000);
    const deadline = setTimeout(() => {
      stoppedBy = 'duration';
      for (const w of workers) w.postMessage({ type: 'stop' } satisfies DriverMessage);
    }, o.durationMs);
    await new Promise<void>((resolve) => {
      onDone = resolve;
      if (doneCount === o.workerCount) resolve();
    });
    clearTimeout(deadline);
    clearInterval(progress);
    const lateErr = failure();
    if (lateErr) throw lateErr;
    const playedMs = performance.now() - started;
    const serverElu = performance.eventLoopUtilization(eluStart).utilization;
    const schedEnd = serverThreadSched();
    const serverCpuMs = schedStart === null || schedEnd === null ? null : schedEnd.cpuMs - schedStart.cpuMs;
    const serverWaitMs = schedStart === null || schedEnd === null ? null : schedEnd.waitMs - schedStart.waitMs;
    const processCpu = process.cpuUsage(processCpuStart);

    const latencyByEventMs: Record<string, LatencySummary> = {};
    for (const [event, list] of [...eventChunks].sort(([a], [b]) => a.localeCompare(b))) latencyByEventMs[event] = summarize(concat(list));
    const cpus = os.cpus();
    return {
      date: new Date().toISOString(),
      machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version, loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100) },
      server: 'in-process',
      database: o.database,
      rooms: o.rooms,
      sockets: o.rooms * 4,
      clientWorkers: o.workerCount,
      thinkMs: o.thinkMs,
      setupSeconds: Math.round(setupMs) / 1000,
      durationSeconds: Math.round(playedMs) / 1000,
      stoppedBy,
      games: { target: o.gamesTarget, started: totals.gamesStarted, finished: totals.gamesFinished, unfinished, stalled },
      actions: { sent: totals.actionsSent, completed: totals.actionsCompleted, perSecond: Math.round((totals.actionsCompleted * 1000) / playedMs) },
      framesPerSecond: Math.round((totals.framesReceived * 1000) / playedMs),
      bytesPerSocketAction: totals.actionsCompleted === 0 ? 0 : Math.round(totals.bytesReceived / totals.actionsCompleted / 4),
      latencyMs: summarize(concat(chunks)),
      latencyByEventMs,
      errors: { total: Object.values(totals.errors).reduce((a, b) => a + b, 0), byType: totals.errors },
      rejected: { total: Object.values(totals.rejected).reduce((a, b) => a + b, 0), byType: totals.rejected },
      utilisation: {
        server: Math.round(serverElu * 1000) / 1000,
        clients: clientElu.length === 0 ? 0 : Math.round((clientElu.reduce((a, b) => a + b, 0) / clientElu.length) * 1000) / 1000,
      },
      cpu: {
        serverThreadSeconds: serverCpuMs === null ? null : Math.round(serverCpuMs) / 1000,
        serverRunQueueWaitSeconds: serverWaitMs === null ? null : Math.round(serverWaitMs) / 1000,
        processSeconds: Math.round((processCpu.user + processCpu.system) / 1000) / 1000,
        serverMsPerAction: serverCpuMs === null || totals.actionsCompleted === 0 ? null : Math.round((serverCpuMs / totals.actionsCompleted) * 1000) / 1000,
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The report as a few readable lines. */
export function formatReport(r: LoadTestReport): string {
  const l = r.latencyMs;
  const errs = Object.entries(r.errors.byType).map(([k, v]) => `${k} ${v}`).join(', ');
  const rej = Object.entries(r.rejected.byType).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `liap-tui load test  ${r.date}  (${r.machine.cpus} CPU ${r.machine.cpuModel}, Node ${r.machine.node}, load ${r.machine.loadAverage.join(' ')})`,
    `server in-process on ${r.database}; ${r.rooms} rooms / ${r.sockets} sockets; ${r.clientWorkers} client worker(s); think ${r.thinkMs} ms`,
    `setup ${r.setupSeconds.toFixed(1)} s; played ${r.durationSeconds.toFixed(1)} s (stopped by ${r.stoppedBy})`,
    `games ${r.games.finished}/${r.games.target} finished (${r.games.unfinished} unfinished, ${r.games.stalled} stalled)`,
    `actions ${r.actions.completed} (${r.actions.perSecond}/s), frames ${r.framesPerSecond}/s`,
    `latency action -> 4th phase_change: p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  (mean ${l.mean}, n=${l.count})`,
    ...(Object.keys(r.latencyByEventMs).length > 0
      ? [`  by action: ${Object.entries(r.latencyByEventMs).map(([event, s]) => `${event} p50 ${s.p50} p99 ${s.p99} (n=${s.count})`).join('; ')}`]
      : []),
    `errors ${r.errors.total}${errs ? ` (${errs})` : ''}; stale actions refused by the game ${r.rejected.total}${rej ? ` (${rej})` : ''}`,
    `event-loop utilisation: server ${(r.utilisation.server * 100).toFixed(0)}%, clients ${(r.utilisation.clients * 100).toFixed(0)}%; ` +
      `CPU: server thread ${r.cpu.serverThreadSeconds ?? '?'} s (${r.cpu.serverMsPerAction ?? '?'} ms/action) + ${r.cpu.serverRunQueueWaitSeconds ?? '?'} s waiting for a CPU; process ${r.cpu.processSeconds} s`,
    ...[r.baseline, r.storedBaseline].flatMap((b) =>
      b
        ? [
            `${b.store === 'none' ? 'baseline (raw uWS answering' : `baseline+${b.store} (raw uWS committing one row per action with the raw driver, then answering`} ${b.frameBytes}-byte frames, same clients and pace): ` +
              `p50 ${b.latencyMs.p50} ms  p90 ${b.latencyMs.p90} ms  p99 ${b.latencyMs.p99} ms  max ${b.latencyMs.max} ms  (n=${b.latencyMs.count}, ${b.actionsPerSecond}/s, errors ${b.errors}${b.lastError ? ` (last: ${b.lastError})` : ''}` +
              `${b.store === 'none' ? '' : `, rows ${b.rowsStored}`}); ours / ${b.store === 'none' ? 'baseline' : `baseline+${b.store}`}: p50 ${b.ratio.p50}x  p90 ${b.ratio.p90}x  p99 ${b.ratio.p99}x`,
          ]
        : [],
    ),
  ].join('\n');
}

const intArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
};

/** The CLI: `node dist/loadtest.js [options]`. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = new Command('loadtest')
    .description('Drive N concurrent Liap Tui rooms of 4 WebSocket players against an in-process server over loopback.')
    .option('--rooms <n>', 'concurrent rooms (4 sockets each)', intArg, 100)
    .option('--games <n>', 'games to play in all (default: one per room)', intArg)
    .option('--duration <seconds>', 'upper bound of the playing phase', intArg, 120)
    .option('--db <url>', 'sqlite:<file> or postgres://... (default: $DATABASE_URL, else a temporary SQLite file)')
    .option('--think-ms <ms>', 'think time before each action (0 = act at once)', intArg, 0)
    .option('--workers <n>', 'client worker threads', intArg, 1)
    .option('--setup-concurrency <n>', 'rooms set up at once per worker', intArg, 25)
    .option('--log-level <level>', 'server log level (logs go to stdout)', 'silent')
    .option('--keep-db', 'keep the temporary database after the run')
    .addOption(new Option('--sqlite-synchronous <mode>', "SQLite: the server's SQLITE_SYNCHRONOUS, also used by the store-then-answer baseline").choices(['NORMAL', 'FULL']).default('NORMAL'))
    .option('--baseline', 'then run the same load against a raw uWS server that only answers, and again with it committing one row per action to the same kind of database first; report the ratios')
    .option('--json', 'print the report as JSON on stdout')
    .option('--quiet', 'no progress lines')
    .exitOverride();
  try {
    program.parse([...argv]);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const opts = program.opts<{ rooms: number; games?: number; duration: number; db?: string; thinkMs: number; workers: number; setupConcurrency: number; keepDb?: boolean; json?: boolean; quiet?: boolean; baseline?: boolean; logLevel: string; sqliteSynchronous: 'NORMAL' | 'FULL' }>();
  const db = opts.db ?? process.env['DATABASE_URL'];
  try {
    const report = await runLoadTest({
      rooms: opts.rooms,
      ...(opts.games !== undefined ? { games: opts.games } : {}),
      durationSeconds: opts.duration,
      ...(db ? { databaseUrl: db } : {}),
      thinkMs: opts.thinkMs,
      workers: opts.workers,
      setupConcurrency: opts.setupConcurrency,
      keepDatabase: opts.keepDb === true,
      baseline: opts.baseline === true,
      sqliteSynchronous: opts.sqliteSynchronous,
      logLevel: opts.logLevel as NonNullable<LoadTestOptions['logLevel']>,
      ...(opts.quiet ? {} : { onProgress: (line: string) => process.stderr.write(`${line}\n`) }),
    });
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
    return report.errors.total === 0 && report.games.stalled === 0 && (report.baseline?.errors ?? 0) === 0 && (report.storedBaseline?.errors ?? 0) === 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`loadtest failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  void main().then((code) => process.exit(code));
}
