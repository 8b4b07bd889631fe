import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@game/observability';
import { createHealthHttpHandler, type HealthHttpHandler, type HealthHttpOptions } from './http.js';
import { silentLogger } from './internal/silent-logger.js';
import type { HealthRegistry } from './registry.js';

/** A node:http listener: answers health paths, passes others to `next` (or answers 404). */
export type NodeHealthListener = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** Options of {@link createNodeHealthListener}. */
export interface NodeHealthOptions extends HealthHttpOptions {
  logger?: Logger;
}

/**
 * A node:http request listener serving the probes; mount it in an existing server or pass it to
 * `http.createServer`.
 * @example http.createServer((req, res) => healthListener(req, res, () => app(req, res)));
 */
export function createNodeHealthListener(
  health: HealthRegistry | HealthHttpHandler,
  options: NodeHealthOptions = {},
): NodeHealthListener {
  const handler = typeof health === 'function' ? health : createHealthHttpHandler(health, options);
  const logger = options.logger ?? silentLogger;
  return (req, res, next) => {
    handler(req.url ?? '/', req.method ?? 'GET').then(
      (answer) => {
        if (!answer) {
          if (next) return next();
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        res.writeHead(answer.status, answer.headers).end(answer.body);
      },
      (err: unknown) => {
        logger.error({ err, path: req.url }, 'health handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error');
      },
    );
  };
}

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions extends NodeHealthOptions {
  health: HealthRegistry;
  /** Port (default 0: any free port; read it from the result). */
  port?: number;
  /** Interface (default `'0.0.0.0'`). */
  host?: string;
}

/** A running node:http server that serves only the probes. */
export interface HealthServer {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Starts a node:http server that serves only the probes: for a separate management port, or an
 * app whose main server is not HTTP.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const listener = createNodeHealthListener(options.health, options);
  const server = createServer((req, res) => listener(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
