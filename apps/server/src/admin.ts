/**
 * The operators' API under `/api/admin`, behind `ADMIN_TOKEN` (Bearer): rooms, a room's full state
 * (hands included) and events, its state machine as a diagram, pause/resume. Without a token configured
 * every admin route answers 404, so nothing leaks.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@game/persistence';
import { HttpError, type HttpContext, type HttpRouter } from '@game/ws-transport';
import type { ServerConfig } from './config.js';
import { roomStream, type CommittedEvent } from './rooms/room-actor.js';
import type { RoomManager } from './rooms/room-manager.js';
import { gameTotals, leaderboard, listDirectory, playerStats, type Storage } from './storage.js';

/** A query parameter that must be a whole number from `min` to `max` when given: a 400 that names it otherwise. */
function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new HttpError(400, 'VALIDATION_FAILED', `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** The game's phase graph (rules §8.2), for the diagram endpoint. */
export const PHASE_TRANSITIONS: ReadonlyArray<readonly [string, string]> = [
  ['waiting', 'preparation'],
  ['preparation', 'preparation'],
  ['preparation', 'round_start'],
  ['round_start', 'declaration'],
  ['declaration', 'turn'],
  ['turn', 'turn'],
  ['turn', 'turn_results'],
  ['turn_results', 'scoring'],
  ['scoring', 'preparation'],
  ['scoring', 'game_over'],
];

/** A Mermaid state diagram of the phase graph with `current` highlighted. */
export function phaseDiagram(current: string | null): string {
  const lines = ['stateDiagram-v2', '  [*] --> waiting'];
  for (const [a, b] of PHASE_TRANSITIONS) lines.push(`  ${a} --> ${b}`);
  lines.push('  game_over --> [*]');
  if (current) lines.push('  classDef current fill:#f96,stroke:#333,stroke-width:3px', `  class ${current} current`);
  return lines.join('\n');
}

function authorised(ctx: HttpContext, token: string): boolean {
  const header = ctx.headers['authorization'] ?? '';
  // The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
  const given = /^bearer /i.test(header) ? header.slice(7) : '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Registers the admin and statistics routes. */
export function registerAdminRoutes(o: {
  http: HttpRouter;
  config: ServerConfig;
  rooms: RoomManager;
  storage: Storage;
  logger: Logger;
  /** False while the rooms are being rebuilt at start: admin routes answer 503 until then. */
  isStarted: () => boolean;
}): void {
  const { http, config, rooms, storage, logger } = o;

  // Public, read-only statistics.
  http.get('/api/stats/players/:name', async (ctx) => {
    const stats = await playerStats(storage, ctx.params['name'] ?? '');
    await (stats ? ctx.json(200, stats) : ctx.json(404, { error: 'no statistics for this player' }));
  });
  http.get('/api/stats/leaderboard', async (ctx) => {
    const limit = intParam(new URLSearchParams(ctx.query), 'limit', 20, 1, 100);
    await ctx.json(200, { players: await leaderboard(storage, limit), totals: await gameTotals(storage) });
  });

  const token = config.ADMIN_TOKEN;
  const guard = (handler: (ctx: HttpContext) => Promise<void>) => async (ctx: HttpContext) => {
    // Without a token the admin API is off: the router's own 404, so that it does not show it exists.
    if (!token) return ctx.json(404, { error: { code: 'NOT_FOUND', message: `no route for ${ctx.method} ${ctx.path}` } });
    if (!authorised(ctx, token)) {
      ctx.header('www-authenticate', 'Bearer');
      return ctx.json(401, { error: 'a valid admin token is required' });
    }
    if (!o.isStarted()) {
      ctx.header('retry-after', '1');
      return ctx.json(503, { error: 'starting: rooms are being rebuilt, retry shortly' });
    }
    await handler(ctx);
  };
  const live = (ctx: HttpContext) => {
    const id = (ctx.params['room'] ?? '').toUpperCase();
    return { id, actor: rooms.get(id) };
  };

  http.get(
    '/api/admin/rooms',
    guard(async (ctx) => {
      const dir = await listDirectory(storage, { limit: 500 });
      await ctx.json(200, {
        rooms: dir.map((r) => {
          const a = rooms.get(r.roomId);
          return {
            room_id: r.roomId,
            status: a?.state.status ?? r.status,
            phase: a?.state.phase ?? r.summary.phase,
            round: a?.state.round ?? null,
            live: a !== undefined,
            paused: a?.paused ?? false,
            version: a?.version ?? r.version,
            host_name: r.hostName,
            seats: r.summary.seats,
            updated_at: new Date(r.updatedAt).toISOString(),
          };
        }),
      });
    }),
  );

  http.get(
    '/api/admin/rooms/:room',
    guard(async (ctx) => {
      const { id, actor } = live(ctx);
      if (!actor) return ctx.json(404, { error: `room ${id} is not live on this server` });
      await ctx.json(200, { room_id: id, version: actor.version, paused: actor.paused, queued: actor.queued, state: actor.state });
    }),
  );

  http.get(
    '/api/admin/rooms/:room/events',
    guard(async (ctx) => {
      const id = (ctx.params['room'] ?? '').toUpperCase();
      const q = new URLSearchParams(ctx.query);
      const from = intParam(q, 'from', 1, 1, Number.MAX_SAFE_INTEGER);
      const limit = intParam(q, 'limit', 100, 1, 1000);
      const events = await storage.events.readStream(roomStream(id), { fromVersion: from, limit });
      const head = await storage.events.streamVersion(roomStream(id));
      if (head === 0) return ctx.json(404, { error: `room ${id} has no events` });
      const last = events.at(-1)?.version;
      await ctx.json(200, {
        room_id: id,
        head,
        next: last !== undefined && last < head ? last + 1 : null,
        events: events.map((e) => ({ version: e.version, position: e.position, type: e.type, recorded_at: e.recordedAt.toISOString(), data: e.data, metadata: e.metadata })),
      });
    }),
  );

  http.get(
    '/api/admin/rooms/:room/diagram',
    guard(async (ctx) => {
      const { id, actor } = live(ctx);
      if (!actor) return ctx.json(404, { error: `room ${id} is not live on this server` });
      await ctx.send(200, phaseDiagram(actor.state.phase), 'text/vnd.mermaid; charset=utf-8');
    }),
  );

  http.post(
    '/api/admin/rooms/:room/restore',
    guard(async (ctx) => {
      const { id, actor } = live(ctx);
      if (!actor) return ctx.json(404, { error: `room ${id} is not live on this server` });
      const body = await ctx.readJson<{ version?: unknown }>();
      const version = Number(body?.version);
      if (!Number.isInteger(version) || version < 1 || version >= actor.version) {
        return ctx.json(400, { error: `body must be {"version": n} with n from 1 to ${actor.version - 1}` });
      }
      await actor.restore(version, 'admin');
      logger.warn({ room: id, toVersion: version }, 'room restored by operator');
      await ctx.json(200, { room_id: id, restored_to: version, version: actor.version, phase: actor.state.phase });
    }),
  );

  // Server-sent events: the room's events from `?from=<version>` (or Last-Event-ID + 1), then live ones.
  http.get(
    '/api/admin/rooms/:room/stream',
    guard(async (ctx) => {
      const { id, actor } = live(ctx);
      if (!actor) return ctx.json(404, { error: `room ${id} is not live on this server` });
      const q = new URLSearchParams(ctx.query);
      // Checked before the stream starts (after that, only the stream itself could say what went wrong).
      const lastId = ctx.headers['last-event-id'];
      const from =
        lastId !== undefined && lastId !== ''
          ? intParam(new URLSearchParams({ 'Last-Event-ID': lastId }), 'Last-Event-ID', 0, 0, Number.MAX_SAFE_INTEGER - 1) + 1
          : intParam(q, 'from', actor.version + 1, 1, Number.MAX_SAFE_INTEGER);
      const stream = ctx.stream(200, 'text/event-stream; charset=utf-8');
      const format = (e: CommittedEvent) => `id: ${e.version}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
      let lastSent = from - 1;
      let buffered: CommittedEvent[] | null = [];
      const unwatch = actor.watch(
        (e) => {
          if (buffered) buffered.push(e);
          else if (e.version > lastSent) {
            lastSent = e.version;
            stream.write(format(e));
          }
        },
        // The room stopped here (unloaded, abandoned, shutdown): nothing more will come on this stream.
        () => stream.end(),
      );
      const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
      keepAlive.unref();
      stream.onClose(() => {
        unwatch();
        clearInterval(keepAlive);
      });
      stream.write('retry: 2000\n\n');
      // History first (subscribed already, so nothing committed meanwhile is lost), then the buffer.
      try {
        for (let v = from; !stream.closed; ) {
          const page = await storage.events.readStream(roomStream(id), { fromVersion: v, limit: 500 });
          for (const e of page) {
            lastSent = e.version;
            stream.write(format({ version: e.version, type: e.type, data: e.data }));
          }
          if (page.length < 500) break;
          v = page.at(-1)!.version + 1;
        }
      } catch (err) {
        // The response has started: end it (the client reconnects with Last-Event-ID) rather than hang.
        logger.warn({ room: id, err: err instanceof Error ? err.message : String(err) }, 'admin event stream failed');
        stream.end();
        return;
      }
      const pending = buffered;
      buffered = null;
      for (const e of pending) {
        if (e.version > lastSent) {
          lastSent = e.version;
          stream.write(format(e));
        }
      }
    }),
  );

  for (const action of ['pause', 'resume'] as const) {
    http.post(
      `/api/admin/rooms/:room/${action}`,
      guard(async (ctx) => {
        const { id, actor } = live(ctx);
        if (!actor) return ctx.json(404, { error: `room ${id} is not live on this server` });
        if (action === 'pause') await actor.pause('admin');
        else await actor.resume();
        logger.warn({ room: id, action }, `room ${action}d by operator`);
        await ctx.json(200, { room_id: id, paused: actor.paused });
      }),
    );
  }
}
