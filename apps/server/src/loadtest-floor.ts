/**
 * The load test's baselines (`--baseline`): the least a server can do for the same traffic. A raw uWS app
 * on the same thread the game server used, whose "rooms" are four sockets: every frame a player sends is
 * parsed and answered with one frame per socket of the room (encoded per socket, of the size the game's
 * frames had per socket and action), corked per socket. No game, no validation, no metrics.
 *
 * Two variants: without storage ("answer only": what this machine, this client and loopback cost by
 * themselves), and with a {@link FloorStore} ("store, then answer": the obvious hand-written alternative to
 * our server -- the raw driver commits one row per action, with the same durability as the server's
 * database, before the answer goes out). Driven by the same client worker (floor mode) with the same rooms,
 * think time and duration; the report's ratios (ours / baseline) are the server's own share.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import uWS from 'uWebSockets.js';

/** Where the "store, then answer" baseline commits each action before answering. */
export interface FloorStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Commits one row (room, sequence, body); resolves when it is durable as the server's commits are. */
  append(room: string, sequence: number, body: string): Promise<void>;
  /** Rows in the table now (read back from the database). */
  count(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A SQLite file with the pragmas the server's database gets (WAL, the server's `synchronous`, busy timeout)
 * and one table; each action is one autocommitted insert through a prepared statement.
 */
export function openSqliteFloorStore(file: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): FloorStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.exec('create table if not exists floor_actions (room text not null, seq integer not null, body text not null, primary key (room, seq))');
  const insert = db.prepare('insert into floor_actions (room, seq, body) values (?, ?, ?)');
  return {
    kind: 'sqlite',
    append: (room, sequence, body) => {
      try {
        insert.run(room, sequence, body);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    count: () => Promise.resolve((db.prepare('select count(*) as n from floor_actions').get() as { n: number }).n),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/**
 * A `pg` pool of the server's size on the given database (the run's own schema); each action is one
 * autocommitted insert through a named (server-side prepared) statement into a jsonb column, as the
 * server's events are.
 */
export async function openPostgresFloorStore(url: string, poolMax: number): Promise<FloorStore> {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  await pool.query('create table if not exists floor_actions (room text not null, seq bigint not null, body jsonb not null, primary key (room, seq))');
  return {
    kind: 'postgres',
    append: async (room, sequence, body) => {
      await pool.query({ name: 'floor_insert', text: 'insert into floor_actions (room, seq, body) values ($1, $2, $3)', values: [room, sequence, body] });
    },
    count: async () => Number((await pool.query<{ n: string }>('select count(*) as n from floor_actions')).rows[0]?.n ?? 0),
    close: () => pool.end(),
  };
}

/** A running baseline server. */
export interface FloorServer {
  readonly port: number;
  /** Actions not answered in full (their store failed, or a frame was dropped), and the last reason. */
  failures(): { count: number; last: string };
  close(): void;
}

interface Seat {
  room: string;
}

/**
 * Starts a baseline server on 127.0.0.1 (port 0: a free port). `frameBytes`: the size of each answer frame;
 * `store`: commit each action there before answering (omitted: answer only).
 */
export async function startFloorServer(frameBytes: number, store?: FloorStore): Promise<FloorServer> {
  const rooms = new Map<string, Array<uWS.WebSocket<Seat>>>();
  // The answer carries the action's sequence number plus padding up to the game's frame size.
  const pad = 'x'.repeat(Math.max(0, Math.round(frameBytes) - 80));
  let failures = 0;
  let lastFailure = '';
  // After an asynchronous store the sockets are looked up again: one may have closed meanwhile.
  const answer = (room: string, sequence: number): void => {
    const members = rooms.get(room) ?? [];
    for (let seat = 0; seat < members.length; seat++) {
      const member = members[seat]!;
      const frame = JSON.stringify({ event: 'phase_change', data: { sequence, seat, pad } });
      member.cork(() => {
        // 2 = dropped: over maxBackpressure (a client far behind); counted, never silent.
        if (member.send(frame, false) === 2) {
          failures++;
          lastFailure = 'frame dropped: backpressure limit';
        }
      });
    }
  };
  const app = uWS.App().ws<Seat>('/ws/floor/:room', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    // Far above what a client that keeps up buffers, so that no answer is dropped (uWS's default is 64 KiB).
    maxBackpressure: 16 * 1024 * 1024,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      res.upgrade<Seat>(
        { room: req.getParameter(0) ?? '' },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const room = ws.getUserData().room;
      const members = rooms.get(room) ?? [];
      members.push(ws);
      rooms.set(room, members);
    },
    message: (ws, message) => {
      const text = Buffer.from(message).toString('utf8');
      let m: { data?: { sequence?: unknown } };
      try {
        m = JSON.parse(text) as typeof m;
      } catch {
        return;
      }
      const sequence = typeof m.data?.sequence === 'number' ? m.data.sequence : 0;
      const room = ws.getUserData().room;
      if (!store) {
        answer(room, sequence);
        return;
      }
      store.append(room, sequence, text).then(
        () => answer(room, sequence),
        (err: unknown) => {
          failures++;
          lastFailure = err instanceof Error ? err.message : String(err);
        },
      );
    },
    close: (ws) => {
      const room = ws.getUserData().room;
      const members = rooms.get(room);
      if (!members) return;
      const i = members.indexOf(ws);
      if (i >= 0) members.splice(i, 1);
      if (members.length === 0) rooms.delete(room);
    },
  });
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('baseline server: could not listen on 127.0.0.1'))));
  });
  return {
    port: uWS.us_socket_local_port(listenSocket),
    failures: () => ({ count: failures, last: lastFailure }),
    close: () => {
      uWS.us_listen_socket_close(listenSocket);
      for (const members of [...rooms.values()]) for (const ws of [...members]) ws.end(1001);
      rooms.clear();
    },
  };
}
