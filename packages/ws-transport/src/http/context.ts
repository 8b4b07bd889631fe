import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { HttpError } from '../errors.js';
import { parseCookies } from '../internal/cookies.js';
import type { Logger } from '../logger.js';
import { statusLine } from './status.js';

const gzip = promisify(gzipCb);

/** One HTTP request/response. Every write is a no-op once the client aborted or a response was sent. */
export interface HttpContext {
  /** Upper-case method. */
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The raw query string (without `?`). */
  readonly query: string;
  /** Decoded route parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed Cookie header. */
  readonly cookies: Readonly<Record<string, string>>;
  /** The peer address as text. */
  readonly remoteAddress: string;
  /** From `x-correlation-id` / `x-request-id` or generated; echoed as `x-correlation-id`. */
  correlationId: string;
  /** Scratch space for middleware. */
  readonly state: Record<string, unknown>;
  /** A logger bound to the correlation id. */
  log: Logger;
  /** True once the client went away: stop work, nothing will be written. */
  readonly aborted: boolean;
  /** True once a response was sent (or the request aborted). */
  readonly responded: boolean;
  /** The status that was (or will be) sent. */
  readonly statusCode: number;
  /** The request body (bounded by `maxBodyBytes`; a 413 is sent when it is exceeded). Rejects with a 499 `CLOSED` `HttpError` when the client aborts. */
  body(): Promise<Buffer>;
  /** The request body parsed as JSON (400 `INVALID_BODY` when it is not). */
  readJson<T = unknown>(): Promise<T>;
  /** Adds a response header (may repeat, e.g. Set-Cookie). */
  header(name: string, value: string): this;
  /** Sends a body with a status; gzips when the client accepts it and it pays. */
  send(status: number, body: string | Uint8Array, contentType?: string): Promise<void>;
  /** Sends a JSON body. */
  json(status: number, value: unknown): Promise<void>;
  /** Sends headers only; `contentLength` is reported for HEAD. */
  empty(status: number, contentLength?: number): void;
  /**
   * Starts a streamed response (server-sent events, long downloads): the status and headers go out now,
   * then chunks until `end()`. Writes after the client left are no-ops; `onClose` tells when to stop.
   */
  stream(status: number, contentType: string): HttpStream;
}

/**
 * A response written in chunks. Mind backpressure: when `write` returns false, wait for `drain()` before
 * writing more, or the unsent chunks pile up in memory for a client that does not read.
 *
 * @example
 * for (const chunk of chunks) if (!stream.write(chunk)) await stream.drain();
 * stream.end();
 */
export interface HttpStream {
  /** Writes a chunk; false when it had to be buffered (the client is behind: await `drain()`) or the stream is closed (nothing written). */
  write(chunk: string | Uint8Array): boolean;
  /** Resolves when the client can take more after a `write` returned false (at once when nothing waits), or when the stream closes. */
  drain(): Promise<void>;
  /** Ends the response (idempotent). */
  end(): void;
  /** True once the stream closed. */
  readonly closed: boolean;
  /** Called once when the stream closes, whatever the cause (called at once if already closed). */
  onClose(listener: () => void): void;
}

/** HTTP middleware: call `next()` to continue. */
export type HttpMiddleware = (ctx: HttpContext, next: () => Promise<void>) => void | Promise<void>;
/** An HTTP route handler. */
export type HttpHandler = (ctx: HttpContext) => void | Promise<void>;

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg\+xml)/;

/** Whether the body is worth gzipping for this client. */
export function shouldGzip(acceptEncoding: string | undefined, contentType: string, size: number, minBytes: number): boolean {
  return size >= minBytes && COMPRESSIBLE.test(contentType) && acceptEncoding !== undefined && /\bgzip\b/.test(acceptEncoding);
}

export interface ContextSettings {
  maxBodyBytes: number;
  gzipMinBytes: number;
  baseHeaders: readonly (readonly [string, string])[];
  logger: Logger;
  newId: () => string;
  /** Whether the connection should close after this response (draining). */
  closing: () => boolean;
}

/** Internal: the context plus what the router needs to finish a request. */
export class HttpContextImpl implements HttpContext {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly params: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly remoteAddress: string;
  correlationId: string;
  readonly state: Record<string, unknown> = {};
  log: Logger;
  aborted = false;
  responded = false;
  statusCode = 200;
  private cookieCache: Record<string, string> | undefined;
  private readonly outHeaders: [string, string][] = [];
  private bodyPromise: Promise<Buffer> | undefined;
  /** Writes started asynchronously (gzip) that the router waits for. */
  pending: Promise<void> | undefined;
  private abortHooks: (() => void)[] = [];
  private rejectBody: ((error: HttpError) => void) | undefined;

  constructor(
    private readonly res: HttpResponse,
    req: HttpRequest,
    paramNames: readonly string[],
    private readonly settings: ContextSettings,
  ) {
    this.method = req.getCaseSensitiveMethod().toUpperCase();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    });
    this.headers = headers;
    const params: Record<string, string> = {};
    paramNames.forEach((name, i) => {
      params[name] = safeDecode(req.getParameter(i));
    });
    this.params = params;
    this.remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
    const incoming = headers['x-correlation-id'] ?? headers['x-request-id'];
    this.correlationId = incoming !== undefined && incoming.length > 0 && incoming.length <= 128 ? incoming : settings.newId();
    this.log = settings.logger.child({ correlationId: this.correlationId });
    res.onAborted(() => {
      this.aborted = true;
      if (!this.responded) this.statusCode = 499;
      this.responded = true;
      // A body still arriving never will: fail the promise a handler may be awaiting (no-op once it settled).
      this.rejectBody?.(new HttpError(499, 'CLOSED', 'request aborted'));
      this.rejectBody = undefined;
      const hooks = this.abortHooks;
      this.abortHooks = [];
      for (const h of hooks) h();
    });
    if (this.method === 'POST' || this.method === 'PUT' || this.method === 'PATCH' || this.method === 'DELETE') this.startBody();
  }

  get cookies(): Record<string, string> {
    this.cookieCache ??= parseCookies(this.headers['cookie'] ?? '');
    return this.cookieCache;
  }

  // uWS requires onData to be attached before the handler returns, so the body is read eagerly.
  private startBody(): void {
    const limit = this.settings.maxBodyBytes;
    const declared = Number(this.headers['content-length'] ?? '0');
    if (declared === 0 && this.headers['transfer-encoding'] === undefined) {
      // no body announced: do not wait for onData (uWS may never call it)
      this.bodyPromise = Promise.resolve(Buffer.alloc(0));
      return;
    }
    if (declared > limit) {
      this.bodyPromise = Promise.reject(new HttpError(413, 'BODY_TOO_LARGE', `body of ${declared} bytes exceeds ${limit}`));
      this.bodyPromise.catch(() => undefined);
      this.json(413, { error: { code: 'BODY_TOO_LARGE', message: `request body exceeds ${limit} bytes`, limit } }, true).catch(() => undefined);
      return;
    }
    this.bodyPromise = new Promise<Buffer>((resolve, reject) => {
      this.rejectBody = reject;
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > limit) {
          failed = true;
          reject(new HttpError(413, 'BODY_TOO_LARGE', `body exceeds ${limit} bytes`));
          this.json(413, { error: { code: 'BODY_TOO_LARGE', message: `request body exceeds ${limit} bytes`, limit } }, true).catch(() => undefined);
          return;
        }
        chunks.push(Buffer.from(new Uint8Array(chunk)));
        if (isLast) resolve(Buffer.concat(chunks, size));
      });
    });
    this.bodyPromise.catch(() => undefined);
  }

  body(): Promise<Buffer> {
    if (this.bodyPromise === undefined) return Promise.resolve(Buffer.alloc(0));
    if (this.aborted) return Promise.reject(new HttpError(499, 'CLOSED', 'request aborted'));
    return this.bodyPromise;
  }

  async readJson<T = unknown>(): Promise<T> {
    const raw = await this.body();
    try {
      return JSON.parse(raw.toString('utf8')) as T;
    } catch (error) {
      throw new HttpError(400, 'INVALID_BODY', 'request body is not valid JSON', { cause: error });
    }
  }

  header(name: string, value: string): this {
    this.outHeaders.push([name, value]);
    return this;
  }

  async send(status: number, body: string | Uint8Array, contentType = 'text/plain; charset=utf-8', forceClose = false): Promise<void> {
    if (this.responded) return;
    this.responded = true;
    this.statusCode = status;
    let payload: string | Uint8Array = body;
    let encoding: string | undefined;
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (this.method !== 'HEAD' && shouldGzip(this.headers['accept-encoding'], contentType, size, this.settings.gzipMinBytes)) {
      const done = gzip(body).then((gz) => {
        if (gz.byteLength < size) {
          payload = gz;
          encoding = 'gzip';
        }
      });
      this.pending = done;
      await done;
    }
    this.write(status, contentType, payload, encoding, forceClose);
  }

  /** Sends a body that was compressed ahead of time (static files). */
  sendPrepared(status: number, body: Uint8Array, contentType: string, encoding: string | undefined): void {
    if (this.responded) return;
    this.responded = true;
    this.statusCode = status;
    this.write(status, contentType, body, encoding, false);
  }

  private write(status: number, contentType: string, payload: string | Uint8Array, encoding: string | undefined, forceClose: boolean): void {
    if (this.aborted) return;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      this.writeHeaders();
      this.res.writeHeader('content-type', contentType);
      if (encoding !== undefined) this.res.writeHeader('content-encoding', encoding);
      this.res.writeHeader('vary', 'Accept-Encoding');
      const close = forceClose || this.settings.closing();
      if (this.method === 'HEAD') {
        this.res.endWithoutBody(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength, close);
      } else {
        this.res.end(payload, close);
      }
    });
  }

  json(status: number, value: unknown, forceClose = false): Promise<void> {
    return this.send(status, JSON.stringify(value), 'application/json; charset=utf-8', forceClose);
  }

  empty(status: number, contentLength?: number): void {
    if (this.responded) return;
    this.responded = true;
    this.statusCode = status;
    if (this.aborted) return;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      this.writeHeaders();
      if (contentLength !== undefined) this.res.endWithoutBody(contentLength, this.settings.closing());
      else this.res.endWithoutBody(undefined, this.settings.closing());
    });
  }

  stream(status: number, contentType: string): HttpStream {
    if (this.responded && !this.aborted) throw new HttpError(500, 'ALREADY_RESPONDED', 'a response was already sent');
    this.responded = true;
    this.statusCode = status;
    const listeners: (() => void)[] = [];
    /** The last write was buffered and uWS has not said the socket is writable since. */
    let backpressured = false;
    let drainWaiters: (() => void)[] = [];
    const drained = (): void => {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const w of waiters) w();
    };
    let closed = this.aborted;
    const close = () => {
      if (closed) return;
      closed = true;
      drained();
      for (const l of listeners.splice(0)) l();
    };
    this.abortHooks.push(close);
    const head = this.method === 'HEAD';
    if (!this.aborted) {
      this.res.cork(() => {
        this.res.writeStatus(statusLine(status));
        this.writeHeaders();
        this.res.writeHeader('content-type', contentType);
        this.res.writeHeader('cache-control', 'no-cache');
        // HEAD: the headers are the whole answer; the stream is closed at once (writes return false).
        if (head) this.res.endWithoutBody(undefined, this.settings.closing());
        else {
          this.res.write('');
          this.res.onWritable(() => {
            backpressured = false;
            drained();
            return true;
          });
        }
      });
    }
    if (head) close();
    const res = this.res;
    return {
      write: (chunk) => {
        if (closed || this.aborted) return false;
        res.cork(() => {
          backpressured = !res.write(chunk);
        });
        return !backpressured;
      },
      drain: () => {
        if (closed || !backpressured) return Promise.resolve();
        return new Promise<void>((resolve) => drainWaiters.push(resolve));
      },
      end: () => {
        if (closed) return;
        if (!this.aborted) res.cork(() => res.end());
        close();
      },
      get closed() {
        return closed;
      },
      onClose: (listener) => {
        if (closed) listener();
        else listeners.push(listener);
      },
    };
  }

  private writeHeaders(): void {
    for (const [k, v] of this.settings.baseHeaders) this.res.writeHeader(k, v);
    this.res.writeHeader('x-correlation-id', this.correlationId);
    for (const [k, v] of this.outHeaders) this.res.writeHeader(k, v);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
