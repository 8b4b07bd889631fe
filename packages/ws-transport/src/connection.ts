import type { CodecName } from './codec.js';

/**
 * One WebSocket connection as the application sees it. Valid from open to close; after close,
 * `isOpen` is false and every send to it is a counted no-op (never a uWS use-after-close crash).
 */
export interface Connection<A = Record<string, unknown>, I = unknown> {
  /** Unique id within this transport instance. */
  readonly id: string;
  /** The WebSocket route pattern that accepted it, e.g. `/ws/:room`. */
  readonly route: string;
  /** The request path of the upgrade, e.g. `/ws/ABC123`. */
  readonly path: string;
  /** Decoded path parameters of the route. */
  readonly params: Readonly<Record<string, string>>;
  /** The raw query string of the upgrade request (without `?`). */
  readonly query: string;
  /** The peer address as text. */
  readonly remoteAddress: string;
  /** The wire format of this connection. */
  readonly codec: CodecName;
  /** Application data attached by the upgrade hook (mutable). */
  attributes: A;
  /** The identity bound to this socket (set by the upgrade hook or the identity middleware). */
  identity: I | undefined;
  /** The rooms this connection is in (a snapshot; use `transport.join`/`leave` to change them). */
  readonly rooms: ReadonlySet<string>;
  /** False once the socket closed (or is closing). */
  readonly isOpen: boolean;
  /** When the socket opened (transport clock, ms). */
  readonly openedAt: number;
}

/** The outcome of one send: written, buffered under backpressure, dropped (volatile) or not sent because the socket is closed. */
export type SendResult = 'sent' | 'buffered' | 'dropped' | 'closed';

/** Options of one outbound message. */
export interface SendOptions {
  /** Volatile messages are dropped for a slow consumer instead of closing it, and never take a resume offset. */
  volatile?: boolean;
}

/** Close codes this package uses. */
export const CloseCodes = {
  /** Server shutting down (graceful close). */
  GOING_AWAY: 1001,
  /** Default code for a slow consumer closed by the backpressure policy. */
  SLOW_CONSUMER: 4008,
} as const;
