/**
 * The composition root: one database (event store + projections), the room actors, the uWS transport with
 * the frontend's WebSocket contract, HTTP (static frontend, health probes, metrics, admin API), rate limits,
 * health checks and graceful shutdown.
 */
import path from 'node:path';
import { createHealthHttpHandler, createHealthRegistry, eventLoopDelayCheck, redisPingCheck, sqlPingCheck, circuitBreakerCheck, type HealthRegistry } from '@game/health';
import { createLogger, registerProcessMetrics, type GameLogger } from '@game/observability';
import type { Logger } from '@game/persistence';
import { createMemoryStore, createRateLimiter, protocolDefaultPolicies, type RateLimiter } from '@game/rate-limit';
import { createRedisStore } from '@game/rate-limit/redis';
import { createTransport, type MetricsHooks, type Transport } from '@game/ws-transport';
import { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerAdminRoutes } from './admin.js';
import { ConfigError, type ServerConfig } from './config.js';
import { Gateway, SESSION_COOKIE, newSessionId, sessionCookie } from './gateway.js';
import { acquireInstanceLock, type InstanceLock } from './instance-lock.js';
import { createGameMetrics, type GameMetrics } from './metrics.js';
import { overloadedFrame } from './protocol/outbound.js';
import { RoomManager } from './rooms/room-manager.js';
import type { RoomHost } from './rooms/room-actor.js';
import { openStorage, warmStatsCache, type Storage } from './storage.js';

/** A running (or ready to run) server. */
export interface LiapServer {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly rooms: RoomManager;
  readonly transport: Transport;
  readonly health: HealthRegistry;
  readonly registry: Registry;
  readonly limiter: RateLimiter;
  /** The port it listens on (after `listen`). */
  port(): number;
  /**
   * Binds the port, then rebuilds the live rooms and warms the caches, then marks the service started.
   * While it rebuilds, the probes answer (`/health/startup` and `/health/ready` 503, `/health/live` 200),
   * admin routes are refused with 503 + `retry-after`, and WebSocket handshakes are held until the rooms are
   * back (503 if the start fails or takes longer than 30 s). `onListening` runs once the
   * port is bound, before the rebuild. On a failure after binding the port is closed again.
   */
  listen(options?: { onListening?: (port: number) => void | Promise<void> }): Promise<{ port: number; rooms: number }>;
  /**
   * Graceful stop: readiness fails, new rooms are refused, rooms finish their queued commands and are
   * snapshotted, sockets close with 1001, then the database closes.
   */
  stop(reason?: string): Promise<void>;
}

/** Options beyond the configuration (tests inject a logger). */
export interface CreateServerOptions {
  readonly logger?: GameLogger | Logger;
}

const started = Date.now();

/** Builds the server from a validated configuration. */
export async function createServer(config: ServerConfig, options: CreateServerOptions = {}): Promise<LiapServer> {
  const logger: Logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, name: 'liap-tui-server' });
  const registry = new Registry();
  registerProcessMetrics(registry);
  let liveRooms = () => 0;
  const metrics: GameMetrics = createGameMetrics(registry, () => liveRooms());

  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false })
    : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));

  const storage = await openStorage({
    url: config.DATABASE_URL,
    poolMax: config.DATABASE_POOL_MAX,
    sqliteSynchronous: config.SQLITE_SYNCHRONOUS,
    logger,
    metrics: registry,
    ...(redis ? { redis } : {}),
  });

  const limiter = createRateLimiter({
    policies: protocolDefaultPolicies,
    store: redis ? createRedisStore({ client: redis, keyPrefix: 'liap:rl:' }) : createMemoryStore(),
    onStoreFailure: 'fallbackToMemory',
    logger,
    metrics: registry,
  });
  if (config.RATE_LIMITS_FILE) {
    const watcher = limiter.watchConfigFile(config.RATE_LIMITS_FILE);
    if (!(await watcher.ready)) {
      limiter.close();
      await storage.close();
      redis?.disconnect();
      throw new ConfigError([`RATE_LIMITS_FILE: ${config.RATE_LIMITS_FILE} is not a valid rate-limit table (the log says why)`]);
    }
  }

  const transport = createTransport({ logger, metrics: transportMetricHooks(registry), overloadedMessage: overloadedFrame });

  // The gateway and the room host refer to each other: the host reaches the gateway through this holder.
  const late: { gateway?: Gateway } = {};
  const host: RoomHost = {
    storage,
    logger,
    metrics,
    snapshotEvery: config.SNAPSHOT_EVERY,
    botLevel: config.BOT_LEVEL,
    now: () => Date.now(),
    deliver: (roomId, out) => late.gateway?.deliver(roomId, out),
    directoryChanged: (roomId) => late.gateway?.directoryChanged(roomId),
    stateReplaced: (roomId) => {
      const actor = rooms.get(roomId);
      if (actor) late.gateway?.reconcile(actor);
    },
  };
  const rooms = new RoomManager({ host, storage, logger, gameConfig: { timeScale: config.GAME_TIME_SCALE, dealing: { mode: config.GAME_DEALING } } });
  liveRooms = () => rooms.size;
  // Until the rooms are rebuilt (listen marks the service started) admin routes get 503 and socket handshakes wait.
  // Settled by listen(): upgrades that arrive during the rebuild wait for it.
  let startDone!: (err?: Error) => void;
  const startSettled = new Promise<void>((resolve, reject) => {
    startDone = (err) => (err ? reject(err) : resolve());
  });
  startSettled.catch(() => undefined);
  const gateway = new Gateway({ transport, rooms, config, logger, limiter, isStarted: () => health.started, whenStarted: () => startSettled });
  late.gateway = gateway;
  gateway.register();

  const loopCheck = eventLoopDelayCheck({ name: 'event-loop', warnAt: 200 });
  let instanceLock: InstanceLock | undefined;
  const health = createHealthRegistry({
    logger,
    metrics: registry,
    serviceId: 'liap-tui-server',
    version: '0.1.0',
    checks: [
      sqlPingCheck({ name: 'database', ping: () => storage.db.ping(), timeoutMs: 2_000 }),
      circuitBreakerCheck({ name: 'database-breaker', read: () => storage.db.breakerState() }),
      loopCheck,
      {
        name: 'room-mailboxes',
        critical: true,
        componentType: 'component',
        check: () => {
          const now = Date.now();
          let worst = 0;
          let stuck = 0;
          for (const a of rooms.all()) {
            const w = a.oldestWaitMs(now);
            worst = Math.max(worst, w);
            if (w > config.STUCK_MAILBOX_MS) stuck++;
          }
          return stuck > 0
            ? { status: 'fail', output: `${stuck} room(s) with a command waiting over ${config.STUCK_MAILBOX_MS} ms (worst ${worst} ms)` }
            : { status: 'pass', output: `${rooms.size} live rooms; oldest queued command ${worst} ms` };
        },
      },
      {
        // One serving instance per database (src/instance-lock.ts): fails when another instance has taken it.
        name: 'instance-lock',
        critical: true,
        componentType: 'component',
        check: () => {
          const state = instanceLock?.state();
          if (state === 'lost') return { status: 'fail', output: 'another instance holds this database: two instances may serve it; stop one' };
          if (state === 'retaking') return { status: 'warn', output: 'the connection holding the lock was lost; taking it again' };
          return { status: 'pass', output: state === 'held' ? 'held' : 'not taken yet (starting)' };
        },
      },
      ...(redis ? [redisPingCheck({ name: 'redis', client: redis, critical: false })] : []),
    ],
  });

  registerHttp({ transport, config, health, registry, rooms, storage, logger });

  let port = 0;
  let stopping: Promise<void> | undefined;
  const server: LiapServer = {
    config,
    logger,
    storage,
    rooms,
    transport,
    health,
    registry,
    limiter,
    port: () => port,
    async listen(options) {
      const r = await transport.listen({ host: config.HOST, port: config.PORT });
      port = r.port;
      logger.info({ port, host: config.HOST }, 'port bound; rebuilding rooms');
      let rebuilt: number;
      let warmed: number;
      try {
        await options?.onListening?.(port);
        instanceLock = await acquireInstanceLock(storage.db, { waitMs: config.INSTANCE_LOCK_WAIT_MS, logger });
        rebuilt = await rooms.rebuildAll();
        gateway.afterRecovery();
        warmed = await warmStatsCache(storage);
      } catch (err) {
        startDone(err instanceof Error ? err : new Error('start failed'));
        await instanceLock?.release();
        await transport.close({ budgetMs: 1_000 }).catch(() => undefined);
        throw err;
      }
      health.markStarted();
      startDone();
      logger.info({ port, host: config.HOST, rooms: rebuilt, statsWarmed: warmed, db: storage.db.target }, 'liap-tui server listening');
      return { port, rooms: rebuilt };
    },
    stop(reason = 'shutdown') {
      stopping ??= (async () => {
        logger.info({ reason }, 'shutting down');
        health.setDraining(reason);
        rooms.stopAccepting();
        gateway.stop();
        await transport.close({
          budgetMs: config.SHUTDOWN_BUDGET_MS,
          reason: 'server shutting down',
          drain: () => rooms.stopAll(),
        });
        limiter.close();
        loopCheck.stop();
        try {
          await storage.close();
        } finally {
          await instanceLock?.release();
        }
        redis?.disconnect();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
  return server;
}

/** Transport metric hooks into prom-client. */
function transportMetricHooks(registry: Registry): MetricsHooks {
  const registers = [registry];
  const connections = new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections', registers });
  const framesIn = new Counter({ name: 'ws_frames_in_total', help: 'Inbound frames by event and outcome', labelNames: ['event', 'outcome'], registers });
  const framesOut = new Counter({ name: 'ws_frames_out_total', help: 'Outbound frame copies by event', labelNames: ['event'], registers });
  const bytesIn = new Counter({ name: 'ws_bytes_in_total', help: 'Inbound bytes', registers });
  const bytesOut = new Counter({ name: 'ws_bytes_out_total', help: 'Outbound bytes', registers });
  const drops = new Counter({ name: 'ws_dropped_total', help: 'Volatile frames dropped under backpressure', registers });
  const slow = new Counter({ name: 'ws_slow_consumer_closes_total', help: 'Sockets closed as slow consumers', registers });
  const sendFailures = new Counter({ name: 'ws_send_failures_total', help: 'Sends that could not be written', labelNames: ['reason'], registers });
  const frameSeconds = new Histogram({
    name: 'ws_frame_handling_seconds',
    help: 'Inbound frame handling time (pipeline and handler)',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 1],
    registers,
  });
  const broadcast = new Histogram({
    name: 'ws_broadcast_duration_seconds',
    help: 'Time to publish one room broadcast',
    buckets: [0.00001, 0.0001, 0.001, 0.01, 0.1],
    registers,
  });
  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method and status',
    labelNames: ['method', 'status'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers,
  });
  return {
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
    frameIn: (event, bytes, outcome, seconds) => {
      framesIn.inc({ event, outcome });
      bytesIn.inc(bytes);
      frameSeconds.observe(seconds);
    },
    frameOut: (event, bytes, recipients) => {
      framesOut.inc({ event }, recipients);
      bytesOut.inc(bytes * recipients);
    },
    sendFailed: (reason) => sendFailures.inc({ reason }),
    dropped: () => drops.inc(),
    backpressureClosed: () => slow.inc(),
    broadcastDuration: (seconds) => broadcast.observe(seconds),
    httpRequest: (method, _route, status, seconds) => http.observe({ method, status: String(status) }, seconds),
  };
}

function registerHttp(o: {
  transport: Transport;
  config: ServerConfig;
  health: HealthRegistry;
  registry: Registry;
  rooms: RoomManager;
  storage: Storage;
  logger: Logger;
}): void {
  const { transport, config, health, registry, rooms } = o;
  const http = transport.http;
  const probes = createHealthHttpHandler(health);
  for (const path of ['/health', '/health/live', '/health/ready', '/health/startup']) {
    // Every method: the health handler answers GET and HEAD, and 405 (Allow: GET, HEAD) to the others.
    http.any(path, async (ctx) => {
      const r = await probes(path, ctx.method);
      if (!r) return ctx.json(404, { error: 'not found' });
      // content-type goes with the body (send sets it), the other headers here: once each.
      for (const [k, v] of Object.entries(r.headers)) if (k.toLowerCase() !== 'content-type') ctx.header(k, v);
      await ctx.send(r.status, r.body, r.headers['content-type']);
    });
  }
  // The original's monitor endpoint (protocol §4.1), kept for existing monitors.
  http.get('/api/health', async (ctx) => {
    const ready = await health.readiness();
    const uptime = (Date.now() - started) / 1000;
    const status = !health.started ? 'unknown' : ready.httpStatus === 200 ? 'healthy' : 'critical';
    await ctx.json(status === 'healthy' ? 200 : 503, {
      status,
      timestamp: Date.now() / 1000,
      uptime_seconds: Math.round(uptime),
      uptime_formatted: formatUptime(uptime),
      version: '1.0.0',
      service: 'liap-tui-backend',
    });
  });
  http.get('/metrics', async (ctx) => {
    await ctx.send(200, await registry.metrics(), registry.contentType);
  });
  registerAdminRoutes({ http, config, rooms, storage: o.storage, logger: o.logger, isStarted: () => health.started });
  if (config.staticDir) {
    const exclude = ['/api/', '/ws', '/health', '/metrics'];
    // A page load gives the browser its session cookie before it opens any socket (decision 4). Only pages
    // (the app's HTML, served no-cache): never an asset a shared cache may keep for a year, nor a probe.
    const isPage = (p: string) => (p.endsWith('/') || p.endsWith('.html') || path.posix.extname(p) === '') && !exclude.some((x) => p.startsWith(x));
    http.use(async (ctx, next) => {
      if (ctx.method === 'GET' && !ctx.cookies[SESSION_COOKIE] && isPage(ctx.path)) ctx.header('set-cookie', sessionCookie(newSessionId()));
      await next();
    });
    http.static({ root: config.staticDir, exclude });
  }
}

function formatUptime(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h ${m}m ${s % 60}s`;
}
