import { Packr } from 'msgpackr';
import WebSocket from 'ws';

/** How a test client closed. */
export interface CloseEvent {
  readonly code: number;
  readonly reason: string;
}

/** Options of `connectTestClient`. */
export interface TestClientOptions {
  /** Request headers (e.g. Cookie). */
  headers?: Record<string, string>;
  /** Subprotocols to offer (`['msgpack']` for binary frames). */
  protocols?: string[];
  /** How long `waitFor`/`connect` wait before failing. Default 5000 ms. */
  timeoutMs?: number;
  /** Answer server pings (default true; false simulates a dead peer). */
  autoPong?: boolean;
}

/** A WebSocket test client that records every frame it receives, decoded. */
export interface TestClient {
  /** The underlying `ws` socket. */
  readonly socket: WebSocket;
  /** Every frame received so far, decoded (JSON text or msgpack binary). */
  readonly frames: unknown[];
  /** Response headers of the upgrade. */
  readonly upgradeHeaders: Readonly<Record<string, string | string[] | undefined>>;
  /** Sends an object as JSON text (or msgpack when the server chose it), or a raw string/buffer as is. */
  send(message: unknown): void;
  /** Resolves with the first frame (already received or future) matching `predicate`; rejects after the timeout. */
  waitFor<T = Record<string, unknown>>(predicate: (frame: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Resolves when the socket closed, with code and reason. */
  readonly closed: Promise<CloseEvent>;
  /** Closes from the client side and waits for the close. */
  close(code?: number, reason?: string): Promise<CloseEvent>;
}

/** Raised when a connection attempt is refused; carries the HTTP status. */
export class UpgradeRejectedError extends Error {
  override readonly name = 'UpgradeRejectedError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`upgrade rejected with ${status}: ${body}`);
  }
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Opens a WebSocket to `url` and resolves once it is open (rejects with `UpgradeRejectedError` on a refusal). */
export function connectTestClient(url: string, options: TestClientOptions = {}): Promise<TestClient> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const socket = new WebSocket(url, options.protocols ?? [], {
    headers: options.headers ?? {},
    autoPong: options.autoPong ?? true,
  });
  const frames: unknown[] = [];
  const waiters = new Set<{ match: (f: unknown) => boolean; resolve: (f: unknown) => void }>();
  let upgradeHeaders: Record<string, string | string[] | undefined> = {};
  socket.on('upgrade', (res) => {
    upgradeHeaders = res.headers;
  });
  socket.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let frame: unknown;
    try {
      frame = isBinary ? packr.unpack(buf) : JSON.parse(buf.toString('utf8'));
    } catch {
      frame = buf.toString('utf8');
    }
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.match(frame)) {
        waiters.delete(w);
        w.resolve(frame);
      }
    }
  });
  const closed = new Promise<CloseEvent>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  return new Promise<TestClient>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`connect to ${url} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => {
        clearTimeout(timer);
        reject(new UpgradeRejectedError(res.statusCode ?? 0, body));
      });
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('open', () => {
      clearTimeout(timer);
      const client: TestClient = {
        socket,
        frames,
        get upgradeHeaders() {
          return upgradeHeaders;
        },
        send(message) {
          if (typeof message === 'string' || Buffer.isBuffer(message) || message instanceof Uint8Array) socket.send(message);
          else if (socket.protocol === 'msgpack') socket.send(packr.pack(message));
          else socket.send(JSON.stringify(message));
        },
        waitFor<T>(predicate: (frame: T) => boolean, ms = timeoutMs): Promise<T> {
          const match = (f: unknown): boolean => {
            try {
              return predicate(f as T);
            } catch {
              return false;
            }
          };
          const found = frames.find(match);
          if (found !== undefined) return Promise.resolve(found as T);
          return new Promise<T>((res, rej) => {
            const w = {
              match,
              resolve: (f: unknown) => {
                clearTimeout(t);
                res(f as T);
              },
            };
            const t = setTimeout(() => {
              waiters.delete(w);
              rej(new Error(`no matching frame within ${ms} ms; received ${frames.length}: ${JSON.stringify(frames.slice(-5))}`));
            }, ms);
            waiters.add(w);
          });
        },
        closed,
        close(code, reason) {
          if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
          return closed;
        },
      };
      resolve(client);
    });
  });
}
