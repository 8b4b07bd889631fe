import type { Connection, SendOptions, SendResult } from '../connection.js';
import type { Logger } from '../logger.js';
import type { FrameContext } from '../pipeline.js';

/** What every frame context of one transport shares. */
export interface FrameEnv {
  readonly send: (conn: Connection<unknown, unknown>, message: unknown, options?: SendOptions) => SendResult;
  readonly newId: () => string;
}

/**
 * The transport's per-frame context: a class, so a frame costs one small object (no closures); ids,
 * state and the frame copy are lazy.
 *
 * Zero-copy window: while the uWS message callback runs, `source` is uWS's own buffer (uWS detaches it
 * when the callback returns). The JSON path decodes straight from it (`utf8()`); `raw` makes the private
 * copy on first use. Before the callback returns, `detach()` keeps what later code may need: the decoded
 * text of a text frame (uWS delivers only valid UTF-8 text frames, so re-encoding it gives back exactly
 * the received bytes), else a copy.
 */
export class FrameCtx implements FrameContext<unknown, unknown> {
  // Fields are declared, not initialised in the class body: V8 then builds the object straight from
  // the constructor's assignments (no class-field initialiser call per frame).
  declare readonly conn: Connection<unknown, unknown>;
  declare private readonly env: FrameEnv;
  /** uWS's buffer while the message callback runs; undefined after `detach()`. */
  declare private source: ArrayBuffer | undefined;
  /** The private copy of the frame, once made. */
  declare private copy: Buffer | undefined;
  /** The frame's size in bytes. */
  declare readonly size: number;
  declare readonly isBinary: boolean;
  declare readonly receivedAt: number;
  declare log: Logger;
  declare message: Record<string, unknown> | undefined;
  declare event: string;
  declare messageId: string | undefined;
  declare private cid: string | undefined;
  declare private scratch: Record<string, unknown> | undefined;
  declare private text: string | undefined;
  constructor(
    conn: Connection<unknown, unknown>,
    env: FrameEnv,
    source: ArrayBuffer | undefined,
    copy: Buffer | undefined,
    size: number,
    isBinary: boolean,
    receivedAt: number,
    log: Logger,
  ) {
    this.conn = conn;
    this.env = env;
    this.source = source;
    this.copy = copy;
    this.size = size;
    this.isBinary = isBinary;
    this.receivedAt = receivedAt;
    this.log = log;
    this.message = undefined;
    this.event = 'unknown';
    this.messageId = undefined;
    this.cid = undefined;
    this.scratch = undefined;
    this.text = undefined;
  }
  get raw(): Buffer {
    if (this.copy === undefined) {
      this.copy = this.source !== undefined ? Buffer.from(new Uint8Array(this.source)) : Buffer.from(this.text!, 'utf8');
    }
    return this.copy;
  }
  /** The frame decoded as UTF-8 (what the JSON codec parses), without an intermediate copy. */
  utf8(): string {
    if (this.text === undefined) {
      // toString() without arguments is Node's direct UTF-8 path
      this.text = (this.source !== undefined ? Buffer.from(this.source) : this.copy!).toString();
    }
    return this.text;
  }
  /** Ends the zero-copy window (call before the uWS message callback returns). */
  detach(): void {
    if (this.source === undefined) return;
    // a binary frame's bytes need not be valid UTF-8: only a copy keeps them exactly
    if (this.copy === undefined && (this.text === undefined || this.isBinary)) this.copy = Buffer.from(new Uint8Array(this.source));
    this.source = undefined;
  }
  get correlationId(): string {
    return (this.cid ??= this.env.newId());
  }
  set correlationId(value: string) {
    this.cid = value;
  }
  get state(): Record<string, unknown> {
    return (this.scratch ??= {});
  }
  reply(message: unknown, options?: SendOptions): SendResult {
    return this.env.send(this.conn, message, options);
  }
}
