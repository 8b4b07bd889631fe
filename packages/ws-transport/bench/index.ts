// ws-transport benchmarks: broadcast to 1,000 clients, echo, and idle memory at 5,000 connections,
// each against raw uWebSockets.js and `ws` in the same run. Clients live in a child process.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, type BenchServer, type Impl } from './servers.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const IMPLS: Impl[] = ['ws-transport', 'raw uWS', 'ws'];
const BROADCAST_CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 1000);
const BROADCAST_MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 200);
const ECHO_CLIENTS = 100;
const ECHO_MS = Number(process.env['BENCH_ECHO_MS'] ?? 3000);
const IDLE_CONNECTIONS = Number(process.env['BENCH_IDLE'] ?? 5000);

type Msg = { op: string; [k: string]: unknown };

class Child {
  private waiters: { op: string; resolve: (m: Msg) => void }[] = [];
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: Msg) => {
      if (m.op === 'error') throw new Error(`child: ${String(m['message'])}`);
      const i = this.waiters.findIndex((w) => w.op === m.op);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
  }
  next(op: string): Promise<Msg> {
    return new Promise((resolve) => this.waiters.push({ op, resolve }));
  }
  async call(cmd: Msg, reply: string): Promise<Msg> {
    const p = this.next(reply);
    this.proc.send(cmd);
    return p;
  }
}

async function startClient(): Promise<Child> {
  const proc = fork(here('./load-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const child = new Child(proc);
  await child.next('up');
  return child;
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

async function broadcastCase(client: Child, server: BenchServer): Promise<{ msgsPerSec: number; cpuUsPerBroadcast: number }> {
  await client.call({ op: 'connect', url: `ws://127.0.0.1:${server.port}/ws`, n: BROADCAST_CLIENTS }, 'connected');
  const message = { type: 'state', round: 1, players: ['a', 'b', 'c', 'd'], scores: [10, 20, 30, 40] };
  let best = { msgsPerSec: 0, cpuUsPerBroadcast: Infinity };
  for (let round = 0; round < 3; round++) {
    await client.call({ op: 'expect', count: BROADCAST_MESSAGES }, 'ready');
    const received = client.next('received');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < BROADCAST_MESSAGES; i++) server.broadcast(message);
    const cpuPublish = cpuMs(process.cpuUsage(cpu0));
    await received;
    const seconds = (performance.now() - t0) / 1000;
    const msgsPerSec = (BROADCAST_MESSAGES * BROADCAST_CLIENTS) / seconds;
    const cpuUsPerBroadcast = (cpuPublish * 1000) / BROADCAST_MESSAGES;
    if (msgsPerSec > best.msgsPerSec) best = { ...best, msgsPerSec };
    if (cpuUsPerBroadcast < best.cpuUsPerBroadcast) best = { ...best, cpuUsPerBroadcast };
  }
  await client.call({ op: 'close' }, 'closed');
  return best;
}

async function echoCase(client: Child, server: BenchServer): Promise<{ roundTripsPerSec: number; serverCpuUsPerRoundTrip: number }> {
  await client.call({ op: 'connect', url: `ws://127.0.0.1:${server.port}/ws`, n: ECHO_CLIENTS }, 'connected');
  const cpu0 = process.cpuUsage();
  const r = await client.call({ op: 'echo', durationMs: ECHO_MS }, 'echoed');
  const cpu = cpuMs(process.cpuUsage(cpu0));
  await client.call({ op: 'close' }, 'closed');
  const roundTrips = Number(r['roundTrips']);
  return { roundTripsPerSec: roundTrips / (ECHO_MS / 1000), serverCpuUsPerRoundTrip: (cpu * 1000) / roundTrips };
}

/**
 * Marginal memory per idle connection: RSS (and JS heap) measured at 20% and at 100% of the
 * connections, in a fresh server process; the slope excludes one-time costs (JIT, loop buffers).
 */
async function idleCase(client: Child, impl: Impl): Promise<{ bytesPerConnection: number; heapBytesPerConnection: number }> {
  const proc = fork(here('./idle-server.ts'), [impl], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const server = new Child(proc);
  const { port } = await server.next('listening');
  const url = `ws://127.0.0.1:${String(port)}/ws`;
  const first = Math.round(IDLE_CONNECTIONS / 5);
  const second = new Child(fork(here('./load-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  await second.next('up');
  await client.call({ op: 'connect', url, n: first }, 'connected');
  const a = await server.call({ op: 'measure' }, 'measured');
  await second.call({ op: 'connect', url, n: IDLE_CONNECTIONS - first }, 'connected');
  const b = await server.call({ op: 'measure' }, 'measured');
  await client.call({ op: 'close' }, 'closed');
  await second.call({ op: 'close' }, 'closed');
  second.proc.send({ op: 'exit' });
  proc.send({ op: 'exit' });
  await new Promise((r) => proc.once('exit', r));
  const n = IDLE_CONNECTIONS - first;
  return {
    bytesPerConnection: (Number(b['rss']) - Number(a['rss'])) / n,
    heapBytesPerConnection: (Number(b['heap']) - Number(a['heap'])) / n,
  };
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const client = await startClient();
  const broadcast: Record<string, { msgsPerSec: number; cpuUsPerBroadcast: number }> = {};
  const echo: Record<string, { roundTripsPerSec: number; serverCpuUsPerRoundTrip: number }> = {};
  const idle: Record<string, { bytesPerConnection: number; heapBytesPerConnection: number }> = {};
  const only = process.env['BENCH_ONLY'];
  for (const impl of only === 'idle' ? [] : IMPLS) {
    const server = await startServer(impl);
    if (only !== 'echo') broadcast[impl] = await broadcastCase(client, server);
    if (only !== 'broadcast') echo[impl] = await echoCase(client, server);
    await server.close();
  }
  if (only === undefined || only === 'idle') for (const impl of IMPLS) idle[impl] = await idleCase(client, impl);
  client.proc.send({ op: 'exit' });

  if (only !== undefined) {
    process.stdout.write(JSON.stringify({ broadcast, echo, idle }, null, 1) + '\n');
    return;
  }
  const ours = 'ws-transport';
  const lines: string[] = [];
  lines.push(`ws-transport bench ${new Date().toISOString()} node ${process.version}`);
  lines.push(`\nbroadcast: ${BROADCAST_MESSAGES} messages to a room of ${BROADCAST_CLIENTS} clients (best of 3)`);
  lines.push('| server | delivered msgs/s | ratio vs raw uWS | server CPU µs per broadcast | CPU ratio (raw/ours) |');
  lines.push('|---|---|---|---|---|');
  for (const impl of IMPLS) {
    const b = broadcast[impl]!;
    lines.push(
      `| ${impl} | ${fmt(b.msgsPerSec)} | ${fmt(b.msgsPerSec / broadcast['raw uWS']!.msgsPerSec, 2)} | ${fmt(b.cpuUsPerBroadcast, 1)} | ${fmt(broadcast['raw uWS']!.cpuUsPerBroadcast / b.cpuUsPerBroadcast, 2)} |`,
    );
  }
  lines.push(`\necho: ${ECHO_CLIENTS} clients, one message in flight each, ${ECHO_MS} ms`);
  lines.push('| server | round trips/s | ratio vs raw uWS | server CPU µs per round trip |');
  lines.push('|---|---|---|---|');
  for (const impl of IMPLS) {
    const e = echo[impl]!;
    lines.push(`| ${impl} | ${fmt(e.roundTripsPerSec)} | ${fmt(e.roundTripsPerSec / echo['raw uWS']!.roundTripsPerSec, 2)} | ${fmt(e.serverCpuUsPerRoundTrip, 1)} |`);
  }
  lines.push(`\nidle memory: server RSS growth per connection between ${IDLE_CONNECTIONS / 5} and ${IDLE_CONNECTIONS} idle connections`);
  lines.push('| server | RSS bytes per connection | ratio vs raw uWS | JS heap bytes per connection |');
  lines.push('|---|---|---|---|');
  for (const impl of IMPLS) {
    const m = idle[impl]!;
    lines.push(`| ${impl} | ${fmt(m.bytesPerConnection)} | ${fmt(m.bytesPerConnection / idle['raw uWS']!.bytesPerConnection, 2)} | ${fmt(m.heapBytesPerConnection)} |`);
  }
  lines.push(
    `\nsummary: broadcast ${fmt(broadcast[ours]!.msgsPerSec / broadcast['raw uWS']!.msgsPerSec, 2)}x raw uWS (target >= 0.8), ` +
      `echo ${fmt(echo[ours]!.roundTripsPerSec / echo['raw uWS']!.roundTripsPerSec, 2)}x raw uWS (target >= 0.8), ` +
      `idle ${fmt(idle[ours]!.bytesPerConnection)} B/connection (target <= 2048)`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
