/** Stable codes carried by every error this package raises or turns into an error frame. */
export type TransportErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'INVALID_FRAME'
  | 'NOT_AN_OBJECT'
  | 'RATE_LIMITED'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'OVERLOADED'
  | 'INTERNAL'
  | 'INVALID_OPTIONS'
  | 'NOT_LISTENING'
  | 'ALREADY_LISTENING'
  | 'LISTEN_FAILED'
  | 'BODY_TOO_LARGE'
  | 'INVALID_BODY'
  | 'CLOSED'
  | 'ALREADY_RESPONDED';

/** Base class: every error of this package has a stable `code`. */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * An error raised while handling one inbound frame. The pipeline's error handler turns it into an
 * error frame for the sender; the socket stays open.
 */
export class FrameError extends TransportError {
  override readonly name: string = 'FrameError';
  constructor(
    code: TransportErrorCode,
    message: string,
    /** Facts the client may act on (limit, retry delay, validation issues). Sent in the error frame. */
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** An HTTP handler error that maps to a status code and a JSON error body. */
export class HttpError extends TransportError {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
