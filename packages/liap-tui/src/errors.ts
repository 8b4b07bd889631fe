/** Stable codes of every rejection `decide` can produce. */
export type DomainErrorCode =
  | 'INVALID_COMMAND'
  | 'UNKNOWN_COMMAND'
  | 'ROOM_EXISTS'
  | 'NO_ROOM'
  | 'ROOM_CLOSED'
  | 'INVALID_NAME'
  | 'NAME_TAKEN'
  | 'ROOM_FULL'
  | 'INVALID_SEAT'
  | 'SEAT_EMPTY'
  | 'SEAT_OCCUPIED'
  | 'NOT_HOST'
  | 'CANNOT_REMOVE_SELF'
  | 'SEATS_NOT_FILLED'
  | 'GAME_IN_PROGRESS'
  | 'GAME_NOT_STARTED'
  | 'GAME_OVER'
  | 'WRONG_PHASE'
  | 'NOT_WEAK_PLAYER'
  | 'ALREADY_DECIDED'
  | 'NOT_YOUR_TURN'
  | 'INVALID_DECLARATION'
  | 'DECLARATION_MAKES_EIGHT'
  | 'ZERO_STREAK'
  | 'ALREADY_PLAYED'
  | 'INVALID_PIECES'
  | 'WRONG_PIECE_COUNT'
  | 'INVALID_COMBINATION'
  | 'PIECES_NOT_IN_HAND'
  | 'NOT_DISCONNECTED'
  | 'ALREADY_DISCONNECTED'
  | 'UNKNOWN_TIMER'
  | 'TIMER_NOT_DUE';

/** A rejected command: the state does not change; `message` is fit to show the sender (§6.3 texts). */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  /** Stable machine-readable reason. */
  readonly code: DomainErrorCode;
  /** Facts about the rejection (seat, phase, expected values), for logs and clients. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DomainErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Whether a value is a DomainError (also across realms/bundles, by shape). */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
