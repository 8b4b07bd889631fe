import type { RateLimitResult } from './types.js';

/** The protocol's WebSocket error frame for a refused request (`event: "error"`). */
export interface RateLimitErrorFrame {
  readonly event: 'error';
  readonly data: {
    /** `RATE_LIMIT_EXCEEDED`, or `RATE_LIMIT_UNAVAILABLE` when the store failed and the limiter fails closed. */
    readonly code: 'RATE_LIMIT_EXCEEDED' | 'RATE_LIMIT_UNAVAILABLE';
    /** Human-readable; the lobby shows it in an alert. */
    readonly message: string;
    /** The refused event. */
    readonly event_type: string;
    /** Milliseconds before the event can pass. */
    readonly retry_after_ms: number;
    /** The protocol's error `type` field. */
    readonly type: 'rate_limit';
  };
}

/**
 * The `error` frame of the protocol (§9): `{code: "RATE_LIMIT_EXCEEDED", message, event_type, retry_after_ms}`.
 *
 * @example
 * if (!r.allowed) socket.send(JSON.stringify(rateLimitErrorFrame(r)));
 */
export function rateLimitErrorFrame(result: RateLimitResult, eventType?: string): RateLimitErrorFrame {
  const event = eventType ?? result.messageType ?? 'unknown';
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  const unavailable = result.status === 'unavailable';
  return {
    event: 'error',
    data: {
      code: unavailable ? 'RATE_LIMIT_UNAVAILABLE' : 'RATE_LIMIT_EXCEEDED',
      message: unavailable
        ? `Rate limiting is temporarily unavailable; try ${event} again shortly`
        : `Rate limit exceeded for event: ${event}. Try again in ${seconds} s`,
      event_type: event,
      retry_after_ms: result.retryAfterMs,
      type: 'rate_limit',
    },
  };
}

/** For a blocked (abusive) key, the close code and reason the protocol suggests (1008); else undefined. */
export function rateLimitCloseReason(
  result: RateLimitResult,
): { readonly code: 1008; readonly reason: string } | undefined {
  if (result.status !== 'blocked') return undefined;
  return { code: 1008, reason: `Rate limit exceeded. Retry after ${Math.ceil(result.retryAfterMs / 1000)}s` };
}

/** Options of {@link rateLimitHeaders}. */
export interface RateLimitHeadersOptions {
  /** Also send the reference server's `X-RateLimit-Remaining` / `X-RateLimit-Reset` (epoch seconds). */
  readonly legacy?: boolean | undefined;
  /** "Now" for the legacy reset timestamp (default `Date.now()`). */
  readonly now?: number | undefined;
}

/**
 * HTTP headers per the IETF RateLimit header fields draft (`RateLimit-Policy: "name";q=..;w=..` and
 * `RateLimit: "name";r=..;t=..`, windows and resets in whole seconds), plus `Retry-After` when refused.
 */
export function rateLimitHeaders(
  result: RateLimitResult,
  options: RateLimitHeadersOptions = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.legacy && Number.isFinite(result.remaining)) {
    const now = options.now ?? Date.now();
    headers['X-RateLimit-Remaining'] = String(Math.max(0, result.remaining));
    headers['X-RateLimit-Reset'] = String(Math.ceil((now + result.resetMs) / 1000));
  }
  if (result.policy !== undefined && Number.isFinite(result.limit)) {
    const name = result.policy.replace(/["\\]/g, '_');
    headers['RateLimit-Policy'] =
      `"${name}";q=${Math.floor(result.limit)};w=${Math.max(1, Math.ceil(result.windowMs / 1000))}`;
    headers['RateLimit'] =
      `"${name}";r=${Math.max(0, result.remaining)};t=${Math.ceil(result.resetMs / 1000)}`;
  }
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  return headers;
}

/** The 429 body of the protocol's reference server (§5): `{"error": "Rate limit exceeded", "retry_after": seconds}`. */
export function rateLimitHttpBody(result: RateLimitResult): {
  readonly error: string;
  readonly retry_after: number | null;
} {
  return {
    error: result.status === 'unavailable' ? 'Rate limiting unavailable' : 'Rate limit exceeded',
    retry_after: result.allowed ? null : Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
  };
}
