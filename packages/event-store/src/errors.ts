import type { ExpectedVersion } from './types.js';

/** Base class of every error this package throws; `code` is stable and safe to branch on. */
export class EventStoreError extends Error {
  /** A stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreError';
    this.code = code;
  }
}

/** The stream's version did not match the `expectedVersion` of an append. */
export class ConcurrencyError extends EventStoreError {
  declare readonly code: 'CONCURRENCY';
  /** The stream that was appended to. */
  readonly streamId: string;
  /** What the caller expected. */
  readonly expectedVersion: ExpectedVersion;
  /** The stream's version when the append was refused (0: the stream does not exist). */
  readonly actualVersion: number;
  constructor(streamId: string, expectedVersion: ExpectedVersion, actualVersion: number) {
    super(
      'CONCURRENCY',
      `Stream "${streamId}" is at version ${actualVersion}, the append expected ${String(expectedVersion)}`,
    );
    this.name = 'ConcurrencyError';
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** Some, but not all, of a batch's event ids are already in the stream: a retry that changed its batch. */
export class EventIdConflictError extends EventStoreError {
  declare readonly code: 'EVENT_ID_CONFLICT';
  /** The stream that was appended to. */
  readonly streamId: string;
  /** The ids of the batch that are already stored. */
  readonly existingIds: readonly string[];
  constructor(streamId: string, existingIds: readonly string[]) {
    super(
      'EVENT_ID_CONFLICT',
      `Stream "${streamId}" already holds event id(s) ${existingIds.join(', ')} but not the rest of the batch; ` +
        `a retried append must resend exactly the same events`,
    );
    this.name = 'EventIdConflictError';
    this.streamId = streamId;
    this.existingIds = existingIds;
  }
}

/** The operation is refused because the stream is marked live (e.g. compaction of a running room). */
export class StreamLiveError extends EventStoreError {
  declare readonly code: 'STREAM_LIVE';
  /** The live stream. */
  readonly streamId: string;
  constructor(streamId: string, operation: string) {
    super(
      'STREAM_LIVE',
      `Stream "${streamId}" is marked live; ${operation} is refused (call setStreamLive(id, false) first)`,
    );
    this.name = 'StreamLiveError';
    this.streamId = streamId;
  }
}

/** Bad input from the caller: the message says which argument and why. */
export class InvalidArgumentError extends EventStoreError {
  declare readonly code: 'INVALID_ARGUMENT';
  /** The offending argument or field. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/** A stored payload could not be decoded (corrupt JSON, failing upcaster). */
export class UnreadableEventError extends EventStoreError {
  declare readonly code: 'UNREADABLE_EVENT';
  /** The stream of the event. */
  readonly streamId: string;
  /** The event's version in its stream. */
  readonly version: number;
  /** The event's global position. */
  readonly position: number;
  constructor(streamId: string, version: number, position: number, cause: unknown) {
    super(
      'UNREADABLE_EVENT',
      `Event ${streamId}@${version} (position ${position}) cannot be read: ${String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'UnreadableEventError';
    this.streamId = streamId;
    this.version = version;
    this.position = position;
  }
}

/** The decider runner gave up after its bounded number of attempts under contention. */
export class RetriesExhaustedError extends EventStoreError {
  declare readonly code: 'RETRIES_EXHAUSTED';
  /** The stream the command was for. */
  readonly streamId: string;
  /** How many attempts were made. */
  readonly attempts: number;
  constructor(streamId: string, attempts: number, cause: unknown) {
    super(
      'RETRIES_EXHAUSTED',
      `Command on stream "${streamId}" still conflicted after ${attempts} attempts`,
      { cause },
    );
    this.name = 'RetriesExhaustedError';
    this.streamId = streamId;
    this.attempts = attempts;
  }
}
