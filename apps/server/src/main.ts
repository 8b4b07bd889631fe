#!/usr/bin/env node
/**
 * `liap-tui-server serve | migrate | rooms | replay <room> | verify`. Configuration comes from the
 * environment (see docs/configuration.md). Exit codes: 0 ok, 1 failure or problems found, 2 bad usage
 * or configuration.
 */
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { createShutdownController } from '@game/health';
import { createLogger } from '@game/observability';
import { parseDatabaseUrl } from '@game/persistence';
import type { LiapState } from '@game/liap-tui';
import { Command, CommanderError, Option } from 'commander';
import { createServer } from './app.js';
import { ConfigError, loadConfig, type ServerConfig } from './config.js';
import { STATE_SCHEMA_VERSION, foldRoomStream } from './rooms/replay.js';
import { listDirectory, openStorage, type Storage } from './storage.js';

const out = (line: string) => process.stdout.write(line + '\n');

class UsageError extends Error {}

function config(overrides: Record<string, unknown> = {}): ServerConfig {
  return loadConfig(process.env, overrides);
}

async function withStorage<T>(cfg: ServerConfig, fn: (s: Storage) => Promise<T>): Promise<T> {
  const logger = createLogger({ level: cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL, name: 'liap-tui-server' });
  const storage = await openStorage({ url: cfg.DATABASE_URL, sqliteSynchronous: cfg.SQLITE_SYNCHRONOUS, logger });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

/** Storage for the read-only commands: they never create a database (for a mistyped DATABASE_URL, say). */
async function withExistingStorage<T>(cfg: ServerConfig, fn: (s: Storage) => Promise<T>): Promise<T> {
  const parsed = parseDatabaseUrl(cfg.DATABASE_URL);
  if (parsed.kind === 'sqlite' && parsed.filename !== ':memory:' && !existsSync(parsed.filename)) {
    throw new Error(`database file ${parsed.filename} does not exist (nothing was created; check DATABASE_URL, or run migrate or serve first)`);
  }
  return withStorage(cfg, fn);
}

function summarise(state: LiapState): Record<string, unknown> {
  return {
    status: state.status,
    phase: state.phase,
    round: state.round,
    seats: state.seats.map((s, i) => (s ? { seat: i, name: s.name, bot: s.isBot, score: state.players[i]?.score ?? 0 } : null)),
    multiplier: state.multiplier,
    winners: state.winners.map((w) => state.seats[w]?.name),
    pending_timers: state.timers,
    events_applied: state.seq,
  };
}

/** Replays a room's stream up to a version (or everything) from the first event and returns the state. */
export async function replayRoom(storage: Storage, roomId: string, until?: number): Promise<{ state: LiapState; version: number }> {
  return foldRoomStream(storage, roomId, { useSnapshot: false, ...(until !== undefined ? { until } : {}) });
}

/** Checks every room stream: contiguous versions, every event folds, snapshots and the directory agree. */
export async function verifyRooms(storage: Storage, progress: (line: string) => void = () => undefined): Promise<string[]> {
  const problems: string[] = [];
  const streams = [];
  for (let after: string | undefined; ; ) {
    const page = await storage.events.listStreams({ prefix: 'room-', limit: 500, ...(after ? { after } : {}) });
    streams.push(...page);
    if (page.length < 500) break;
    after = page.at(-1)!.streamId;
  }
  const directory = new Map((await listDirectory(storage, { limit: 1_000_000 })).map((r) => [r.roomId, r]));
  let i = 0;
  for (const s of streams) {
    i++;
    if (i % 100 === 0 || i === streams.length) progress(`verify: ${i}/${streams.length} rooms`);
    const roomId = s.streamId.slice('room-'.length);
    let full: LiapState;
    try {
      // An unreadable or unfoldable room is one problem; the other rooms are still checked.
      const events = await storage.events.readStream(s.streamId);
      events.forEach((e, idx) => {
        if (e.version !== idx + 1) problems.push(`${roomId}: version ${e.version} at position ${idx + 1}`);
      });
      full = (await foldRoomStream(storage, roomId, { useSnapshot: false })).state;
    } catch (err) {
      problems.push(`${roomId}: the events do not fold: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const snap = await storage.events.loadSnapshot<LiapState>(s.streamId, { schemaVersion: STATE_SCHEMA_VERSION });
    if (snap) {
      // Timers' due times follow the delays and time scale the server ran with, which the snapshot keeps:
      // fold with those, not with this command's (a server at GAME_TIME_SCALE=0 and verify at 1 disagree).
      const config = snap.state.config;
      const atSnap = (await foldRoomStream(storage, roomId, { config, useSnapshot: false, until: snap.version })).state;
      // Structural comparison: a jsonb column (Postgres) does not keep object key order.
      const { config: _a, ...a } = atSnap;
      const { config: _b, ...b } = snap.state;
      if (!isDeepStrictEqual(a, b)) problems.push(`${roomId}: snapshot at v${snap.version} differs from the replay of the events`);
      const viaSnap = (await foldRoomStream(storage, roomId, { config })).state;
      const { config: _c, ...c } = viaSnap;
      const { config: _d, ...d } = (await foldRoomStream(storage, roomId, { config, useSnapshot: false })).state;
      if (!isDeepStrictEqual(c, d)) problems.push(`${roomId}: snapshot + events differs from a full replay`);
    }
    const dir = directory.get(roomId);
    if (!dir) problems.push(`${roomId}: missing from the lobby directory`);
    else if (dir.version > s.version) problems.push(`${roomId}: directory at v${dir.version}, ahead of the stream at v${s.version}`);
    else if (dir.status !== 'abandoned' && dir.status !== full.status) problems.push(`${roomId}: directory says ${dir.status}, the events say ${full.status}`);
  }
  return problems;
}

/** Builds the CLI program. */
export function buildProgram(): Command {
  const program = new Command('liap-tui-server').description('The Liap Tui game server').exitOverride().showHelpAfterError();

  program
    .command('serve', { isDefault: true })
    .description('run the server (HTTP + WebSocket) until SIGTERM/SIGINT')
    .option('-p, --port <port>', 'port (overrides PORT)')
    // serve is the default command: a mistyped command name would otherwise read as an argument to it.
    .allowExcessArguments(true)
    .action(async (opts: { port?: string }, cmd: Command) => {
      const command = cmd.args[0];
      if (command !== undefined) throw new UsageError(`unknown command '${command}' (commands: serve, migrate, rooms, replay, verify; see --help)`);
      const cfg = config(opts.port !== undefined ? { PORT: opts.port } : {});
      const server = await createServer(cfg);
      const shutdown = createShutdownController({
        health: server.health,
        drainDelayMs: cfg.SHUTDOWN_DRAIN_DELAY_MS,
        budgetMs: cfg.SHUTDOWN_BUDGET_MS + cfg.SHUTDOWN_DRAIN_DELAY_MS + 5_000,
        logger: server.logger,
      });
      shutdown.addHook('server', () => server.stop('signal'), { phase: 'close' });
      shutdown.install();
      const { port, rooms } = await server.listen();
      out(`liap-tui-server listening on http://${cfg.HOST}:${port} (${rooms} room(s) recovered, database ${server.storage.db.target})`);
    });

  program
    .command('migrate')
    .description('apply database migrations (also done by serve) and exit')
    .action(async () => {
      const cfg = config();
      await withStorage(cfg, async (s) => {
        out(`database ${s.db.target} is migrated`);
      });
    });

  program
    .command('rooms')
    .description('list rooms from the lobby directory')
    .addOption(new Option('--status <status>', 'only rooms with this status').choices(['open', 'in_game', 'over', 'closed', 'abandoned']))
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; json?: boolean }) => {
      const cfg = config();
      await withExistingStorage(cfg, async (s) => {
        const rows = await listDirectory(s, { limit: 10_000, ...(opts.status ? { status: opts.status } : {}) });
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out('no rooms');
        for (const r of rows) {
          const seats = r.summary.seats.map((x) => (x ? `${x.name}${x.is_bot ? '*' : ''}` : '-')).join(', ');
          out(`${r.roomId}  ${r.status.padEnd(9)} v${String(r.version).padEnd(5)} ${new Date(r.updatedAt).toISOString()}  ${seats}`);
        }
      });
    });

  program
    .command('replay')
    .description("fold a room's stored events and print the state")
    .argument('<room>', 'room id')
    .option('--until <version>', 'stop at this stream version (point in time)')
    .option('--full', 'print the whole state (hands included)')
    .action(async (room: string, opts: { until?: string; full?: boolean }) => {
      const until = opts.until === undefined ? undefined : Number(opts.until);
      if (until !== undefined && (!Number.isInteger(until) || until < 1)) throw new UsageError('--until must be a positive integer');
      const cfg = config();
      await withExistingStorage(cfg, async (s) => {
        const { state, version } = await replayRoom(s, room.toUpperCase(), until);
        if (version === 0) throw new UsageError(`room ${room.toUpperCase()} has no events`);
        if (until !== undefined && until > version) throw new UsageError(`room ${room.toUpperCase()} has ${version} events: --until ${until} is past its last`);
        out(JSON.stringify({ room: room.toUpperCase(), version, ...(opts.full ? { state } : summarise(state)) }, null, 2));
      });
    });

  program
    .command('verify')
    .description('check every room stream: contiguous versions, events fold, snapshots and directory agree')
    .action(async () => {
      const cfg = config();
      const problems = await withExistingStorage(cfg, (s) => verifyRooms(s, (l) => process.stderr.write(l + '\n')));
      for (const p of problems) out(`problem: ${p}`);
      out(problems.length === 0 ? 'verify: no problems found' : `verify: ${problems.length} problem(s)`);
      if (problems.length > 0) process.exitCode = 1;
    });
  return program;
}

/** Runs the CLI; resolves to the exit code (serve keeps running and resolves 0 once listening). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 || err.code === 'commander.helpDisplayed' ? 0 : 2;
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

// Run as a program (directly, or through a symlink or a bin shim: npm links .bin/<name> to this file, pnpm's
// shim runs it through symlinked node_modules), not imported by a test or another module.
const invokedDirectly = ((): boolean => {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  const code = await main(process.argv.slice(2));
  if (code !== 0) process.exit(code);
}
