// ws-transport benchmarks: broadcast to 1,000 clients, echo, and idle memory at 5,000 connections,
// each against raw uWebSockets.js and `ws` in the same run. Every server runs in its own process
// (bench/server-child.ts) and reports its own CPU time; the clients live in one more process.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Impl } from './servers.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const IMPLS: Impl[] = (process.env['BENCH_IMPLS']?.split(',') as Impl[] | undefined) ?? ['ws-transport', 'raw uWS', 'ws'];
const BROADCAST_CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 1000);
const BROADCAST_MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 200);
const ECHO_CLIENTS = Number(process.env['BENCH_ECHO_CLIENTS'] ?? 100);
const ECHO_MS = Number(process.env['BENCH_ECHO_MS'] ?? 1000);
const ECHO_ROUNDS = Number(process.env['BENCH_ECHO_ROUNDS'] ?? 11);
/** Frames in flight per echo connection: 1 (request/response, like a game client) and pipelined (the server saturated). */
const ECHO_DEPTHS = (process.env['BENCH_ECHO_DEPTHS'] ?? '1,16').split(',').map(Number);
const IDLE_CONNECTIONS = Number(process.env['BENCH_IDLE'] ?? 5000);
/**
 * Servers on CPU 0, clients on CPU 1 (taskset, when there are 2+ CPUs); `BENCH_PIN=0` leaves placement to
 * the scheduler. Unpinned, server and client migrate between the two cores and the per-frame CPU cost
 * swings with it (echo ratios 0.6–0.9 within one run); pinned, rounds agree within a few percent.
 */
const PIN = process.env['BENCH_PIN'] !== '0' && os.cpus().length >= 2 && existsSync('/usr/bin/taskset');

type Msg = { op: string; [k: string]: unknown };

class Child {
  private waiters: { op: string; resolve: (m: Msg) => void; reject: (e: Error) => void }[] = [];
  private exited: Error | undefined;
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Msg) => {
      if (m.op === 'error') throw new Error(`child: ${String(m['message'])}`);
      const i = this.waiters.findIndex((w) => w.op === m.op);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
    // a child that dies (e.g. dist/ missing because it is being rebuilt) fails the run instead of hanging it
    proc.once('exit', (code, signal) => {
      this.exited = new Error(`bench child ${String(proc.spawnargs.at(-1))} exited (${String(code ?? signal)})`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    });
  }
  next(op: string): Promise<Msg> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.waiters.push({ op, resolve, reject }));
  }
  async call(cmd: Msg, reply: string): Promise<Msg> {
    const p = this.next(reply);
    this.proc.send(cmd);
    return p;
  }
}

function pin(proc: ChildProcess, cpu: number): void {
  if (PIN && proc.pid !== undefined) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(proc.pid)], { stdio: 'ignore' });
}

async function startClient(): Promise<Child> {
  const proc = fork(here('./load-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = new Child(proc);
  await child.next('up');
  pin(proc, 1);
  return child;
}

interface ServerProc {
  readonly impl: Impl;
  readonly child: Child;
  readonly port: number;
}

async function startServerProc(impl: Impl, script = './server-child.ts', extraArgs: string[] = []): Promise<ServerProc> {
  const proc = fork(here(script), [impl], { execArgv: ['--import', 'tsx', ...extraArgs], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = new Child(proc);
  const m = await child.next('listening');
  pin(proc, 0);
  return { impl, child, port: Number(m['port']) };
}

async function stopServerProc(s: ServerProc): Promise<void> {
  const exited = new Promise((r) => s.child.proc.once('exit', r));
  s.child.proc.send({ op: 'exit' });
  await exited;
}

const serverCpuMs = async (s: ServerProc): Promise<number> => Number((await s.child.call({ op: 'cpu' }, 'cpu'))['ms']);

async function broadcastCase(client: Child, server: ServerProc): Promise<{ msgsPerSec: number; cpuUsPerBroadcast: number }> {
  await client.call({ op: 'connect', url: `ws://127.0.0.1:${server.port}/ws`, n: BROADCAST_CLIENTS }, 'connected');
  const message = { type: 'state', round: 1, players: ['a', 'b', 'c', 'd'], scores: [10, 20, 30, 40] };
  let best = { msgsPerSec: 0, cpuUsPerBroadcast: Infinity };
  for (let round = 0; round < 3; round++) {
    await client.call({ op: 'expect', count: BROADCAST_MESSAGES }, 'ready');
    const received = client.next('received');
    const t0 = performance.now();
    // the server times its own publish loop (CPU time of the server process)
    const r = await server.child.call({ op: 'broadcast', count: BROADCAST_MESSAGES, message }, 'broadcasted');
    await received;
    const seconds = (performance.now() - t0) / 1000;
    const msgsPerSec = (BROADCAST_MESSAGES * BROADCAST_CLIENTS) / seconds;
    const cpuUsPerBroadcast = (Number(r['cpuMs']) * 1000) / BROADCAST_MESSAGES;
    if (msgsPerSec > best.msgsPerSec) best = { ...best, msgsPerSec };
    if (cpuUsPerBroadcast < best.cpuUsPerBroadcast) best = { ...best, cpuUsPerBroadcast };
  }
  await client.call({ op: 'close' }, 'closed');
  return best;
}

interface EchoSample {
  /** Server CPU (user + system) per round trip. */
  cpuUs: number;
  roundTripsPerSec: number;
}

/** One echo measurement: `depth` frames in flight per connection for ECHO_MS, then until every reply is in. */
async function echoOnce(client: Child, server: ServerProc, depth: number, ms = ECHO_MS): Promise<EchoSample> {
  const cpu0 = await serverCpuMs(server);
  const r = await client.call({ op: 'rawEcho', tag: server.impl, durationMs: ms, inFlight: depth }, 'rawEchoed');
  const cpu1 = await serverCpuMs(server);
  if (Number(r['roundTrips']) !== Number(r['sent'])) throw new Error(`${server.impl}: ${String(r['sent'])} sent, ${String(r['roundTrips'])} echoed`);
  return { cpuUs: ((cpu1 - cpu0) * 1000) / Number(r['roundTrips']), roundTripsPerSec: Number(r['roundTripsPerSec']) };
}

/**
 * Echo: every server up at once with its own clients (idle while another one is measured); rounds
 * alternate the order of the servers, and each round compares servers measured seconds apart.
 */
async function echoCase(client: Child): Promise<Record<number, Record<string, EchoSample[]>>> {
  const servers: ServerProc[] = [];
  for (const impl of IMPLS) {
    const s = await startServerProc(impl);
    await client.call({ op: 'rawConnect', tag: impl, port: s.port, n: ECHO_CLIENTS }, 'rawConnected');
    // warm-up (not measured): JIT on both sides
    for (const depth of ECHO_DEPTHS) await echoOnce(client, s, depth, 1000);
    servers.push(s);
  }
  const samples: Record<number, Record<string, EchoSample[]>> = {};
  for (let round = 0; round < ECHO_ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const depth of ECHO_DEPTHS) {
      for (const s of order) ((samples[depth] ??= {})[s.impl] ??= []).push(await echoOnce(client, s, depth));
    }
  }
  for (const s of servers) {
    await client.call({ op: 'rawClose', tag: s.impl }, 'rawClosed');
    await stopServerProc(s);
  }
  return samples;
}

/**
 * Memory per idle connection: server RSS (and JS heap) growth from 0 to IDLE_CONNECTIONS idle
 * connections, in a fresh server process (after GC on both ends of the measurement).
 */
async function idleCase(client: Child, impl: Impl): Promise<{ bytesPerConnection: number; heapBytesPerConnection: number }> {
  const server = await startServerProc(impl, './idle-server.ts', ['--expose-gc']);
  const a = await server.child.call({ op: 'measure' }, 'measured');
  await client.call({ op: 'connect', url: `ws://127.0.0.1:${server.port}/ws`, n: IDLE_CONNECTIONS }, 'connected');
  const b = await server.child.call({ op: 'measure' }, 'measured');
  await client.call({ op: 'close' }, 'closed');
  await stopServerProc(server);
  return {
    bytesPerConnection: (Number(b['rss']) - Number(a['rss'])) / IDLE_CONNECTIONS,
    heapBytesPerConnection: (Number(b['heap']) - Number(a['heap'])) / IDLE_CONNECTIONS,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const client = await startClient();
  const loadBefore = os.loadavg();
  const broadcast: Record<string, { msgsPerSec: number; cpuUsPerBroadcast: number }> = {};
  const idle: Record<string, { bytesPerConnection: number; heapBytesPerConnection: number }> = {};
  const only = process.env['BENCH_ONLY'];
  if (only === undefined || only === 'broadcast') {
    // Two rounds (the second in reverse order, so no server always goes first), best kept.
    for (let round = 0; round < 2; round++) {
      for (const impl of round === 0 ? IMPLS : [...IMPLS].reverse()) {
        const server = await startServerProc(impl);
        const b = await broadcastCase(client, server);
        await stopServerProc(server);
        const prev = broadcast[impl];
        broadcast[impl] = prev === undefined ? b : { msgsPerSec: Math.max(prev.msgsPerSec, b.msgsPerSec), cpuUsPerBroadcast: Math.min(prev.cpuUsPerBroadcast, b.cpuUsPerBroadcast) };
      }
    }
  }
  const echo = only === undefined || only === 'echo' ? await echoCase(client) : {};
  if (only === undefined || only === 'idle') {
    for (const impl of IMPLS) {
      const runs: { bytesPerConnection: number; heapBytesPerConnection: number }[] = [];
      for (let i = 0; i < (impl === 'ws' ? 1 : 3); i++) runs.push(await idleCase(client, impl));
      idle[impl] = { bytesPerConnection: median(runs.map((r) => r.bytesPerConnection)), heapBytesPerConnection: median(runs.map((r) => r.heapBytesPerConnection)) };
    }
  }
  client.proc.send({ op: 'exit' });

  const ours = 'ws-transport';
  const raw = 'raw uWS';
  const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' ');
  const lines: string[] = [];
  lines.push(
    `ws-transport bench ${new Date().toISOString()} node ${process.version}, ${os.cpus().length} CPUs${PIN ? ' (servers pinned to CPU 0, clients to CPU 1)' : ''}, ` +
      `load average ${load(loadBefore)} at start, ${load(os.loadavg())} at end${process.env['BENCH_DIST'] !== undefined ? `, ws-transport from ${process.env['BENCH_DIST']}` : ''}`,
  );
  if (broadcast[raw] !== undefined) {
    lines.push(`\nbroadcast: ${BROADCAST_MESSAGES} messages to a room of ${BROADCAST_CLIENTS} clients (best of 2x3 runs)`);
    lines.push('| server | server CPU µs per broadcast | server throughput vs raw uWS (raw CPU / CPU) | delivered msgs/s (client-bound) |');
    lines.push('|---|---|---|---|');
    for (const impl of IMPLS) {
      const b = broadcast[impl]!;
      lines.push(`| ${impl} | ${fmt(b.cpuUsPerBroadcast, 1)} | ${fmt(broadcast[raw]!.cpuUsPerBroadcast / b.cpuUsPerBroadcast, 2)} | ${fmt(b.msgsPerSec)} |`);
    }
  }
  const echoRatio: Record<number, { median: number; min: number; max: number }> = {};
  for (const depth of ECHO_DEPTHS) {
    const byImpl = echo[depth];
    if (byImpl?.[raw] === undefined) continue;
    lines.push(
      `\necho: ${ECHO_CLIENTS} connections, ${depth} JSON message${depth === 1 ? '' : 's'} in flight each, ${ECHO_ROUNDS} rounds of ${ECHO_MS} ms per server ` +
        '(interleaved, alternating order; medians, ratio range over rounds in brackets)',
    );
    lines.push('| server | server CPU µs per round trip | server throughput vs raw uWS (raw CPU / CPU, same round) | round trips/s |');
    lines.push('|---|---|---|---|');
    for (const impl of IMPLS) {
      const xs = byImpl[impl]!;
      const ratios = xs.map((x, i) => byImpl[raw]![i]!.cpuUs / x.cpuUs);
      const r = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
      if (impl === ours) echoRatio[depth] = r;
      lines.push(
        `| ${impl} | ${fmt(median(xs.map((x) => x.cpuUs)), 2)} | ${fmt(r.median, 2)} [${fmt(r.min, 2)}–${fmt(r.max, 2)}] | ${fmt(median(xs.map((x) => x.roundTripsPerSec)))} |`,
      );
    }
  }
  if (idle[raw] !== undefined) {
    lines.push(`\nidle memory: server growth per connection from 0 to ${IDLE_CONNECTIONS} idle connections (median of 3 fresh processes; ws: 1)`);
    lines.push('| server | RSS bytes per connection | JS heap bytes per connection |');
    lines.push('|---|---|---|');
    for (const impl of IMPLS) {
      const m = idle[impl]!;
      lines.push(`| ${impl} | ${fmt(m.bytesPerConnection)} | ${fmt(m.heapBytesPerConnection)} |`);
    }
  }
  const summary: string[] = [];
  if (broadcast[ours] !== undefined && broadcast[raw] !== undefined) {
    summary.push(`broadcast ${fmt(broadcast[raw].cpuUsPerBroadcast / broadcast[ours].cpuUsPerBroadcast, 2)}x raw uWS server throughput (target >= 0.8)`);
  }
  for (const depth of ECHO_DEPTHS) {
    const r = echoRatio[depth];
    if (r !== undefined) summary.push(`echo (${depth} in flight) ${fmt(r.median, 2)}x [${fmt(r.min, 2)}–${fmt(r.max, 2)}] (target >= 0.8)`);
  }
  if (idle[ours] !== undefined && idle[raw] !== undefined) {
    summary.push(`idle ${fmt(idle[ours].bytesPerConnection)} B RSS per connection (target <= 2048; raw uWS ${fmt(idle[raw].bytesPerConnection)})`);
  }
  lines.push(`\nsummary: ${summary.join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

await main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
