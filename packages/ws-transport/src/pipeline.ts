import { codecFor } from './codec.js';
import type { Connection, SendOptions, SendResult } from './connection.js';
import { FrameError, TransportError } from './errors.js';
import { BoundedMap } from './internal/bounded-map.js';
import { compileSteps, RESOLVED, Stop, withFast } from './internal/compose.js';
import { FrameCtx } from './internal/frame.js';
import type { Logger } from './logger.js';

/** The per-frame context every inbound middleware sees. */
export interface FrameContext<A = Record<string, unknown>, I = unknown> {
  /** The sending connection. */
  readonly conn: Connection<A, I>;
  /** The frame as received: a private copy, safe to keep; a view (mind `byteOffset`), not a whole ArrayBuffer. */
  readonly raw: Uint8Array;
  /** Whether it arrived as a binary frame. */
  readonly isBinary: boolean;
  /** When it arrived (transport clock, ms). */
  readonly receivedAt: number;
  /** A server-generated id, replaced by the client's own when `correlationId()` finds one. */
  correlationId: string;
  /** The decoded message, set by `parse()`; a plain object from then on. */
  message: Record<string, unknown> | undefined;
  /** The message's event name for metrics and logs (`'unknown'` before parse). */
  event: string;
  /** The client's message id (for dedupe), set by `parse()` when the message has one. */
  messageId: string | undefined;
  /** Scratch space for middleware. */
  readonly state: Record<string, unknown>;
  /** A logger bound to the connection and correlation id. */
  log: Logger;
  /** Sends a message to the sender (same as `transport.send(ctx.conn, ...)`); call it as `ctx.reply(...)`. */
  reply(message: unknown, options?: SendOptions): SendResult;
}

/** One inbound middleware: do work, call `next()` to continue, or return without it to stop. */
export type Middleware<A = Record<string, unknown>, I = unknown> = (
  ctx: FrameContext<A, I>,
  next: () => Promise<void>,
) => void | Promise<void>;

/**
 * Composes middleware into one function, run in array order (koa-style onion). The built-in middleware
 * at the start of the chain run without a `next` closure each (same behaviour); a chain whose steps
 * all finish synchronously returns an already resolved promise.
 */
export function compose<A, I>(middleware: readonly Middleware<A, I>[]): (ctx: FrameContext<A, I>) => Promise<void> {
  return compileSteps(middleware);
}

/** The shape of an error frame's content; the default formatter produces `{ type: 'error', code, message, correlationId, details? }`. */
export type ErrorFormatter<A = Record<string, unknown>, I = unknown> = (
  error: unknown,
  ctx: FrameContext<A, I>,
) => unknown;

/** The default error frame: stable code, message, correlation id; internal errors hide their message. */
export const defaultErrorFormatter: ErrorFormatter<unknown, unknown> = (error, ctx) => {
  if (error instanceof FrameError) {
    return {
      type: 'error',
      code: error.code,
      message: error.message,
      correlationId: ctx.correlationId,
      ...(error.details !== undefined ? { details: error.details } : {}),
    };
  }
  return { type: 'error', code: 'INTERNAL', message: 'internal error', correlationId: ctx.correlationId };
};

/**
 * Outermost middleware: a thrown error becomes an error frame to the sender (via `format`); the
 * socket stays open. `FrameError`s are expected (logged at debug); anything else is logged as an error.
 */
export function errorFrames<A, I>(options: { format?: ErrorFormatter<A, I>; onError?: (error: unknown, ctx: FrameContext<A, I>) => void } = {}): Middleware<A, I> {
  const format = options.format ?? defaultErrorFormatter;
  const handle = (error: unknown, ctx: FrameContext<A, I>): void => {
    if (error instanceof FrameError) ctx.log.debug({ code: error.code, event: ctx.event }, 'frame rejected');
    else ctx.log.error({ err: error, event: ctx.event }, 'frame handler failed');
    options.onError?.(error, ctx);
    let frame: unknown;
    try {
      frame = format(error, ctx);
    } catch (formatError) {
      ctx.log.error({ err: formatError }, 'error formatter failed');
      frame = defaultErrorFormatter(error, ctx);
    }
    if (frame !== undefined) ctx.reply(frame);
  };
  // No async function here: a pipeline whose steps all finish synchronously stays synchronous.
  const mw: Middleware<A, I> = (ctx, next) => {
    const p = next();
    if (p === RESOLVED) return;
    return p.then(undefined, (error: unknown) => handle(error, ctx));
  };
  return withFast(mw, { kind: 'around', enter: () => undefined, leave: () => undefined, fail: (ctx, _token, error) => handle(error, ctx) });
}

/** The frame's size without making the transport copy it (`ctx.raw` of the transport's context is lazy). */
const frameSize = (ctx: FrameContext<unknown, unknown>): number => (ctx instanceof FrameCtx ? ctx.size : ctx.raw.byteLength);

/** Rejects frames larger than `maxBytes` with `FRAME_TOO_LARGE` (an error frame; the socket stays open). */
export function sizeLimit<A, I>(options: { maxBytes: number }): Middleware<A, I> {
  if (!(options.maxBytes > 0)) throw new TransportError('INVALID_OPTIONS', `sizeLimit.maxBytes must be > 0, got ${options.maxBytes}`);
  const check = (ctx: FrameContext<A, I>): void => {
    const size = frameSize(ctx);
    if (size > options.maxBytes) {
      throw new FrameError('FRAME_TOO_LARGE', `frame of ${size} bytes exceeds the limit of ${options.maxBytes}`, {
        limit: options.maxBytes,
        size,
      });
    }
  };
  const mw: Middleware<A, I> = (ctx, next) => {
    check(ctx);
    return next();
  };
  return withFast(mw, { kind: 'pass', run: check });
}

/** Options of `parse()`. */
export interface ParseOptions {
  /** Decodes a frame; defaults to the connection's codec (JSON or msgpack). */
  decode?: (raw: Uint8Array, isBinary: boolean) => unknown;
  /** Field holding the client's message id (for dedupe). Default `'id'`. */
  messageIdField?: string;
  /** Picks the event name for metrics/logs. Default: a short `type` or `event` string field. */
  eventOf?: (message: Record<string, unknown>) => string;
}

/** `/^[A-Za-z0-9_.:-]{1,48}$/`, as a loop: it runs for every frame. */
function isEventName(t: string): boolean {
  const n = t.length;
  if (n === 0 || n > 48) return false;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    // a-z, A-Z, 0-9, '_', '.', ':', '-'
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 95 || c === 46 || c === 45)) return false;
  }
  return true;
}

/** The default event name: the message's `type` (or `event`) when it is a short identifier, else `'unknown'`. */
export function defaultEventOf(message: Record<string, unknown>): string {
  const t = message['type'] ?? message['event'];
  return typeof t === 'string' && isEventName(t) ? t : 'unknown';
}

/** Decodes the frame and requires a plain object (`INVALID_FRAME` / `NOT_AN_OBJECT` otherwise). */
export function parse<A, I>(options: ParseOptions = {}): Middleware<A, I> {
  const idField = options.messageIdField ?? 'id';
  const eventOf = options.eventOf ?? defaultEventOf;
  const decode = options.decode;
  const run = (ctx: FrameContext<A, I>): void => {
    let value: unknown;
    try {
      if (decode !== undefined) value = decode(ctx.raw, ctx.isBinary);
      // the transport's own context: JSON straight from the received bytes (no copy)
      else if (ctx instanceof FrameCtx && ctx.conn.codec === 'json') value = JSON.parse(ctx.utf8());
      else value = codecFor(ctx.conn.codec).decode(ctx.raw);
    } catch (error) {
      throw new FrameError('INVALID_FRAME', 'frame could not be decoded', { codec: ctx.conn.codec }, { cause: error });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
      throw new FrameError('NOT_AN_OBJECT', `a frame must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`);
    }
    const message = value as Record<string, unknown>;
    ctx.message = message;
    ctx.event = eventOf(message);
    const id = message[idField];
    if ((typeof id === 'string' && id.length > 0 && id.length <= 128) || (typeof id === 'number' && Number.isFinite(id))) {
      ctx.messageId = String(id);
    }
  };
  const mw: Middleware<A, I> = (ctx, next) => {
    run(ctx);
    return next();
  };
  return withFast(mw, { kind: 'pass', run });
}

/** Adopts the client's correlation id (`field`, default `'correlationId'`) when it is a short string; run after `parse()`. */
export function correlationId<A, I>(options: { field?: string } = {}): Middleware<A, I> {
  const field = options.field ?? 'correlationId';
  const run = (ctx: FrameContext<A, I>): void => {
    const v = ctx.message?.[field];
    if (typeof v === 'string' && v.length > 0 && v.length <= 128) {
      ctx.correlationId = v;
      ctx.log = ctx.log.child({ correlationId: v });
    }
  };
  const mw: Middleware<A, I> = (ctx, next) => {
    run(ctx);
    return next();
  };
  return withFast(mw, { kind: 'pass', run });
}

/** What a rate-limit hook answers. */
export type RateLimitDecision = boolean | { allowed: boolean; retryAfterMs?: number };

/** Calls the app's rate limiter; a refusal becomes `RATE_LIMITED` with `retryAfterMs`. */
export function rateLimit<A, I>(check: (ctx: FrameContext<A, I>) => RateLimitDecision | Promise<RateLimitDecision>): Middleware<A, I> {
  const decide = (d: RateLimitDecision): void => {
    const allowed = typeof d === 'boolean' ? d : d.allowed;
    if (!allowed) {
      const retryAfterMs = typeof d === 'object' ? d.retryAfterMs : undefined;
      throw new FrameError('RATE_LIMITED', 'too many messages', retryAfterMs !== undefined ? { retryAfterMs } : undefined);
    }
  };
  const mw: Middleware<A, I> = (ctx, next) => {
    const d = check(ctx);
    if (d instanceof Promise) {
      return d.then((v) => {
        decide(v);
        return next();
      });
    }
    decide(d);
    return next();
  };
  return withFast(mw, {
    kind: 'pass',
    run: (ctx) => {
      const d = check(ctx);
      if (d instanceof Promise) return d.then(decide);
      decide(d);
    },
  });
}

/** What a validation hook answers: the (possibly transformed) message, or the issues. */
export type ValidationResult = { ok: true; value?: Record<string, unknown> } | { ok: false; issues: readonly unknown[] };

/** Calls the app's schema validation; failures become `VALIDATION_FAILED` with the issues. */
export function validate<A, I>(
  check: (message: Record<string, unknown>, ctx: FrameContext<A, I>) => ValidationResult | Promise<ValidationResult>,
): Middleware<A, I> {
  const apply = (r: ValidationResult, ctx: FrameContext<A, I>): void => {
    if (!r.ok) throw new FrameError('VALIDATION_FAILED', 'message failed validation', { issues: r.issues });
    if (r.value !== undefined) ctx.message = r.value;
  };
  const run = (ctx: FrameContext<A, I>): void | Promise<void> => {
    if (ctx.message === undefined) throw new TransportError('INTERNAL', 'validate() must run after parse()');
    const r = check(ctx.message, ctx);
    if (r instanceof Promise) return r.then((v) => apply(v, ctx));
    apply(r, ctx);
  };
  const mw: Middleware<A, I> = (ctx, next) => {
    const p = run(ctx);
    return p instanceof Promise ? p.then(next) : next();
  };
  return withFast(mw, { kind: 'pass', run });
}

/** Calls the app's identity hook (binds `ctx.conn.identity`); `false` becomes `UNAUTHORIZED`. */
export function identity<A, I>(resolve: (ctx: FrameContext<A, I>) => boolean | void | Promise<boolean | void>): Middleware<A, I> {
  const decide = (ok: boolean | void): void => {
    if (ok === false) throw new FrameError('UNAUTHORIZED', 'this connection may not send this message');
  };
  const run = (ctx: FrameContext<A, I>): void | Promise<void> => {
    const r = resolve(ctx);
    if (r instanceof Promise) return r.then(decide);
    decide(r);
  };
  const mw: Middleware<A, I> = (ctx, next) => {
    const p = run(ctx);
    return p instanceof Promise ? p.then(next) : next();
  };
  return withFast(mw, { kind: 'pass', run });
}

/** Options of `dedupe()`. */
export interface DedupeOptions<A, I> {
  /** How many recent ids to remember (across connections). Default 10,000. */
  maxEntries?: number;
  /** How long an id is remembered. Default 10 minutes. */
  ttlMs?: number;
  /** The dedupe scope of a message id. Default: the bound identity (JSON) or else the connection id. */
  scope?: (ctx: FrameContext<A, I>) => string;
  /** Called for a duplicate instead of the rest of the pipeline (e.g. to re-send an ack). */
  onDuplicate?: (ctx: FrameContext<A, I>) => void | Promise<void>;
  /** Clock (ms). */
  now?: () => number;
}

/**
 * Skips a frame whose client message id was already handled in the same scope. A frame whose
 * handling failed is forgotten, so the client's retry runs.
 */
export function dedupe<A, I>(options: DedupeOptions<A, I> = {}): Middleware<A, I> {
  const seen = new BoundedMap<string, true>(options.maxEntries ?? 10_000, options.ttlMs ?? 600_000, options.now ?? Date.now);
  const scope = options.scope ?? ((ctx: FrameContext<A, I>) => (ctx.conn.identity !== undefined ? `i:${JSON.stringify(ctx.conn.identity)}` : `c:${ctx.conn.id}`));
  const mw: Middleware<A, I> = (ctx, next) => {
    if (ctx.messageId === undefined) return next();
    const key = `${scope(ctx)}\u0000${ctx.messageId}`;
    if (seen.has(key)) {
      ctx.state['duplicate'] = true;
      return options.onDuplicate?.(ctx);
    }
    seen.set(key, true);
    const p = next();
    if (p === RESOLVED) return;
    return p.catch((error: unknown) => {
      seen.delete(key);
      throw error;
    });
  };
  return withFast(mw, {
    kind: 'around',
    enter: (ctx): string | undefined | Stop => {
      if (ctx.messageId === undefined) return undefined;
      const key = `${scope(ctx)}\u0000${ctx.messageId}`;
      if (seen.has(key)) {
        ctx.state['duplicate'] = true;
        return new Stop(options.onDuplicate?.(ctx));
      }
      seen.set(key, true);
      return key;
    },
    leave: () => undefined,
    fail: (_ctx, key, error) => {
      if (key !== undefined) seen.delete(key as string);
      throw error;
    },
  });
}

/** Measures each frame's handling time and reports it with the outcome. */
export function timing<A, I>(report: (event: string, seconds: number, outcome: 'ok' | 'error', ctx: FrameContext<A, I>) => void): Middleware<A, I> {
  const mw: Middleware<A, I> = (ctx, next) => {
    const t0 = performance.now();
    const p = next();
    if (p === RESOLVED) {
      report(ctx.event, (performance.now() - t0) / 1000, 'ok', ctx);
      return;
    }
    return p.then(
      () => report(ctx.event, (performance.now() - t0) / 1000, 'ok', ctx),
      (error: unknown) => {
        report(ctx.event, (performance.now() - t0) / 1000, 'error', ctx);
        throw error;
      },
    );
  };
  return withFast(mw, {
    kind: 'around',
    enter: () => performance.now(),
    leave: (ctx, t0) => report(ctx.event, (performance.now() - (t0 as number)) / 1000, 'ok', ctx),
    fail: (ctx, t0, error) => {
      report(ctx.event, (performance.now() - (t0 as number)) / 1000, 'error', ctx);
      throw error;
    },
  });
}


/** Options of `standardPipeline()`: the built-ins in a fixed, documented order plus the app's hooks. */
export interface StandardPipelineOptions<A, I> {
  /** Frames above this size get a `FRAME_TOO_LARGE` error frame. Default 16 KiB. */
  maxFrameBytes?: number;
  /** Decoding options (message id field, event name). */
  parse?: ParseOptions;
  /** Field of a client-supplied correlation id. Default `'correlationId'`. */
  correlationIdField?: string;
  /** The app's rate limiter. */
  rateLimit?: (ctx: FrameContext<A, I>) => RateLimitDecision | Promise<RateLimitDecision>;
  /** The app's schema validation. */
  validate?: (message: Record<string, unknown>, ctx: FrameContext<A, I>) => ValidationResult | Promise<ValidationResult>;
  /** The app's identity check / binding. */
  identify?: (ctx: FrameContext<A, I>) => boolean | void | Promise<boolean | void>;
  /** Dedupe by client message id; `false` turns it off. On by default. */
  dedupe?: DedupeOptions<A, I> | false;
  /** Extra middleware run after the built-ins, before the handler. */
  use?: readonly Middleware<A, I>[];
  /** Builds the error frame for a thrown error. */
  formatError?: ErrorFormatter<A, I>;
  /** Called for every thrown error (after logging). */
  onError?: (error: unknown, ctx: FrameContext<A, I>) => void;
  /** Per-frame timing report. */
  onTiming?: (event: string, seconds: number, outcome: 'ok' | 'error', ctx: FrameContext<A, I>) => void;
  /** The application's handler: the last step. */
  handler: (ctx: FrameContext<A, I> & { message: Record<string, unknown> }) => void | Promise<void>;
}

/**
 * The standard inbound pipeline, in this order: error frames -> timing -> size limit -> parse (object
 * check) -> correlation id -> rate limit -> validation -> identity -> dedupe -> `use` -> handler.
 */
export function standardPipeline<A = Record<string, unknown>, I = unknown>(options: StandardPipelineOptions<A, I>): Middleware<A, I>[] {
  const chain: Middleware<A, I>[] = [
    errorFrames<A, I>({ ...(options.formatError ? { format: options.formatError } : {}), ...(options.onError ? { onError: options.onError } : {}) }),
  ];
  if (options.onTiming) chain.push(timing(options.onTiming));
  chain.push(sizeLimit({ maxBytes: options.maxFrameBytes ?? 16 * 1024 }));
  chain.push(parse(options.parse));
  chain.push(correlationId(options.correlationIdField !== undefined ? { field: options.correlationIdField } : {}));
  if (options.rateLimit) chain.push(rateLimit(options.rateLimit));
  if (options.validate) chain.push(validate(options.validate));
  if (options.identify) chain.push(identity(options.identify));
  if (options.dedupe !== false) chain.push(dedupe(options.dedupe ?? {}));
  if (options.use) chain.push(...options.use);
  const handler = options.handler as (ctx: FrameContext<A, I>) => void | Promise<void>;
  chain.push(withFast<FrameContext<A, I>>((ctx) => handler(ctx), { kind: 'end', run: handler }));
  return chain;
}
