// The three servers every case runs against: this package, raw uWebSockets.js, and `ws`.
import { pathToFileURL } from 'node:url';
import uWS from 'uWebSockets.js';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import type * as Pkg from '../src/index.js';

/**
 * The built package (dist), not the TypeScript source: tsx's keep-names wrapping costs a property
 * definition per closure and would make our per-frame path look slower than what users run.
 */
async function loadPackage(): Promise<typeof Pkg> {
  // BENCH_DIST=/path/to/another/build/dist measures that build instead (e.g. the previous commit's, for a before/after)
  const dist = process.env['BENCH_DIST'];
  try {
    return (await import(dist !== undefined ? pathToFileURL(`${dist}/index.js`).href : new URL('../dist/index.js', import.meta.url).href)) as typeof Pkg;
  } catch (error) {
    throw new Error(`build the package first (pnpm --filter @game/ws-transport build): ${String(error)}`);
  }
}

export interface BenchServer {
  readonly name: string;
  readonly port: number;
  /** Broadcasts one message to every connected client. */
  broadcast(message: unknown): void;
  close(): Promise<void>;
}

export type Impl = 'ws-transport' | 'raw uWS' | 'ws';

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startServer(impl: Impl): Promise<BenchServer> {
  if (impl === 'ws-transport') {
    const { createTransport, standardPipeline } = await loadPackage();
    const t = createTransport();
    t.ws('/ws', {
      upgrade: () => ({ rooms: ['bench'] }),
      pipeline: standardPipeline({ handler: (ctx) => void ctx.reply(ctx.message) }),
    });
    const { port } = await t.listen({ host: '127.0.0.1', port: 0 });
    return {
      name: impl,
      port,
      broadcast: (m) => void t.publish('bench', m),
      close: async () => void (await t.close({ budgetMs: 2000 })),
    };
  }
  if (impl === 'raw uWS') {
    const app = uWS.App();
    app.ws('/ws', {
      maxBackpressure: 4 * 1024 * 1024,
      open: (ws) => void ws.subscribe('bench'),
      message: (ws, msg) => {
        const obj = parseObject(Buffer.from(msg).toString('utf8'));
        ws.send(JSON.stringify(obj ?? { type: 'error' }), false);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      app.listen('127.0.0.1', 0, (s) => (s === false ? reject(new Error('listen failed')) : resolve(uWS.us_socket_local_port(s)))),
    );
    return {
      name: impl,
      port,
      broadcast: (m) => void app.publish('bench', JSON.stringify(m), false),
      close: () => {
        // close() exists in this uWS build but is missing from its typings
        (app as uWS.TemplatedApp & { close: () => void }).close();
        return Promise.resolve();
      },
    };
  }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const clients = new Set<WsSocket>();
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (data) => {
      const obj = parseObject((data as Buffer).toString('utf8'));
      ws.send(JSON.stringify(obj ?? { type: 'error' }));
    });
  });
  const address = wss.address();
  return {
    name: impl,
    port: typeof address === 'object' && address !== null ? address.port : 0,
    broadcast: (m) => {
      const data = JSON.stringify(m);
      for (const c of clients) c.send(data);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of clients) c.terminate();
        wss.close(() => r());
      }),
  };
}
