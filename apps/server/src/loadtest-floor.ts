/**
 * The load test's baseline (`--baseline`): the least a server can do for the same traffic. A raw uWS app
 * on the same thread the game server used, whose "rooms" are four sockets: every frame a player sends is
 * parsed and answered with one frame per socket of the room (encoded per socket, of the size the game's
 * frames had per socket and action), corked per socket. No game, no validation, no storage, no metrics.
 *
 * Driven by the same client worker (floor mode) with the same rooms, think time and duration, the latency
 * it gives is what this machine, this client and loopback cost by themselves; the report's ratio
 * (ours / baseline) is the server's own share.
 */
import uWS from 'uWebSockets.js';

/** A running baseline server. */
export interface FloorServer {
  readonly port: number;
  close(): void;
}

interface Seat {
  room: string;
}

/** Starts the baseline server on 127.0.0.1 (port 0: a free port). `frameBytes`: the size of each answer frame. */
export async function startFloorServer(frameBytes: number): Promise<FloorServer> {
  const rooms = new Map<string, Array<uWS.WebSocket<Seat>>>();
  // The answer carries the action's sequence number plus padding up to the game's frame size.
  const pad = 'x'.repeat(Math.max(0, Math.round(frameBytes) - 80));
  const app = uWS.App().ws<Seat>('/ws/floor/:room', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
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
      let m: { data?: { sequence?: unknown } };
      try {
        m = JSON.parse(Buffer.from(message).toString('utf8')) as typeof m;
      } catch {
        return;
      }
      const sequence = typeof m.data?.sequence === 'number' ? m.data.sequence : 0;
      const members = rooms.get(ws.getUserData().room) ?? [];
      for (let seat = 0; seat < members.length; seat++) {
        const member = members[seat]!;
        const frame = JSON.stringify({ event: 'phase_change', data: { sequence, seat, pad } });
        member.cork(() => member.send(frame, false));
      }
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
    close: () => {
      uWS.us_listen_socket_close(listenSocket);
      for (const members of [...rooms.values()]) for (const ws of [...members]) ws.end(1001);
      rooms.clear();
    },
  };
}
