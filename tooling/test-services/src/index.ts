/**
 * Helpers every integration test uses to reach real servers. A missing server is a failure with a
 * clear message, never a skip: the README's test command needs PostgreSQL and Redis.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fsSync from 'node:fs';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';

const execFileP = promisify(execFile);

/** The PostgreSQL server integration tests use (`TEST_POSTGRES_URL`, default the local `test` database). */
export function postgresUrl(): string {
  return process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** The Redis server integration tests use (`TEST_REDIS_URL`, default the local server). */
export function redisUrl(): string {
  return process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
}

/** Throws a clear error when PostgreSQL cannot be reached; call it in `beforeAll`. */
export async function requirePostgres(url = postgresUrl()): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is required by this test and is not reachable at ${redact(url)} (${String(err)}). ` +
        `Start it (see DEVELOPERS.md) or set TEST_POSTGRES_URL.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Throws a clear error when Redis cannot be reached; call it in `beforeAll`. */
export async function requireRedis(url = redisUrl()): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `Redis is required by this test and is not reachable at ${redact(url)} (${String(err)}). ` +
        `Start it (see DEVELOPERS.md) or set TEST_REDIS_URL.`,
    );
  } finally {
    client.disconnect();
  }
}

/** A unique lower-case identifier for schemas, key prefixes and the like. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A fresh schema on the test server, so parallel test files never see each other's tables. */
export interface PgSchema {
  readonly schema: string;
  /** A connection URL whose sessions use the schema as `search_path`. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates an empty schema and returns a URL bound to it. */
export async function createPgSchema(prefix = 'test', base = postgresUrl()): Promise<PgSchema> {
  await requirePostgres(base);
  const schema = uniqueName(prefix).toLowerCase();
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  return {
    schema,
    url: withSearchPath(base, schema),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Adds `options=-c search_path=<schema>` to a postgres URL. */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A private server this test owns: it can be really stopped and started again on the same port. */
export interface PrivateServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

/** Starts a private redis-server (no persistence) on a free port. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => canConnect(port), `redis-server on port ${port}`);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, destroy: stop };
}

function pgBin(name: string): string {
  return path.join(process.env['PG_BIN_DIR'] ?? findPgBinDir(), name);
}

let cachedPgBinDir: string | undefined;
function findPgBinDir(): string {
  if (cachedPgBinDir) return cachedPgBinDir;
  // Debian layout: /usr/lib/postgresql/<major>/bin
  const fs = fsSync;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (majors.length === 0) throw new Error('PostgreSQL server binaries not found (set PG_BIN_DIR)');
  cachedPgBinDir = path.join(root, majors[0]!, 'bin');
  return cachedPgBinDir;
}


/**
 * Starts a private PostgreSQL cluster (initdb into a temp folder, trust auth) on a free port.
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-private-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = async (bin: string, args: string[]) => {
    if (asRoot) await execFileP('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args]);
    else await execFileP(pgBin(bin), args);
  };
  await chmod(dir, 0o777);
  await run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = async () => {
    await run('pg_ctl', ['-D', dataDir, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
  };
  const stop = async () => {
    await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  };
  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy in front of a real server, to cut and restore the network path in a test. */
export interface FaultProxy {
  readonly port: number;
  /** Refuse new connections and reset every open one. */
  cut(): Promise<void>;
  /** Accept connections again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a TCP proxy on a free port forwarding to `target`. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
      server = srv;
    });
  const unlisten = () =>
    new Promise<void>((resolve) => {
      const srv = server;
      server = undefined;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      if (!srv) return resolve();
      srv.close(() => resolve());
    });
  await listen();
  return { port, cut: unlisten, restore: listen, close: unlisten };
}

/** Hides the password of a connection URL in messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
