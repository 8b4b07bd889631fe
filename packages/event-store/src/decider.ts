import { ConcurrencyError, InvalidArgumentError, RetriesExhaustedError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import type { EventInput, EventMetadata, EventStore, RecordedEvent } from './types.js';

/**
 * A pure decider: `decide` turns a command into events (or throws a domain error), `evolve` folds
 * an event into the state. State must be JSON-serialisable when snapshots are used.
 */
export interface Decider<State, Command, Event, Context = undefined> {
  initialState: State | (() => State);
  decide(state: State, command: Command, context: Context): readonly Event[] | Promise<readonly Event[]>;
  evolve(state: State, event: Event): State;
}

/** Maps domain events to stored events and back; default: `{ type: event.type, data: event }`. */
export interface EventCodec<Event> {
  encode(event: Event): EventInput;
  decode(recorded: RecordedEvent): Event;
}

/** Options of {@link loadState}. */
export interface LoadStateOptions<State, Event> {
  store: EventStore;
  streamId: string;
  decider: Pick<Decider<State, never, Event, never>, 'initialState' | 'evolve'>;
  /** Snapshots with another schema version are ignored; default 1. */
  snapshotSchemaVersion?: number;
  /** Skip snapshots entirely. */
  useSnapshots?: boolean;
  codec?: EventCodec<Event>;
}

/** A folded stream state and the version it includes. */
export interface LoadedState<State> {
  state: State;
  version: number;
  /** Whether a snapshot was the starting point. */
  fromSnapshot: boolean;
}

/** Options of {@link handleCommand}. */
export interface HandleCommandOptions<State, Command, Event, Context = undefined> extends LoadStateOptions<
  State,
  Event
> {
  decider: Decider<State, Command, Event, Context>;
  command: Command;
  /** Passed to `decide` as its third argument (clock, rng, ...). */
  context?: Context;
  /** Save a snapshot whenever the version crosses a multiple of this; default: never. */
  snapshotEvery?: number;
  /** Attempts under contention (ConcurrencyError) before giving up; default 10. */
  maxAttempts?: number;
  /** Makes retries of the same command idempotent: event ids become `<commandId>:<index>`. */
  commandId?: string;
  metadata?: EventMetadata;
  logger?: Logger;
}

/** What {@link handleCommand} did. */
export interface HandleCommandResult<State, Event> {
  state: State;
  /** Stream version after the command. */
  version: number;
  /** The decided events (empty when the command decided nothing). */
  events: Event[];
  recorded: RecordedEvent[];
  attempts: number;
  /** True when the command's events were already stored (an idempotent retry). */
  duplicate: boolean;
}

/** The default codec: the stored type is `event.type`, the stored data is the whole event. */
export function defaultCodec<Event>(): EventCodec<Event> {
  return {
    encode(event) {
      const type = (event as { type?: unknown }).type;
      if (typeof type !== 'string') {
        throw new InvalidArgumentError(
          'event.type',
          'the default codec needs events with a string `type`; pass a codec',
        );
      }
      return { type, data: event };
    },
    decode: (recorded) => recorded.data as Event,
  };
}

function initial<State>(init: State | (() => State)): State {
  return typeof init === 'function' ? (init as () => State)() : structuredClone(init);
}

/** Loads a stream's state: the latest valid snapshot plus the events after it. */
export async function loadState<State, Event>(
  options: LoadStateOptions<State, Event>,
): Promise<LoadedState<State>> {
  const codec = options.codec ?? defaultCodec<Event>();
  if (options.useSnapshots !== false) {
    const snap = await options.store.loadSnapshot<State>(options.streamId, {
      schemaVersion: options.snapshotSchemaVersion ?? 1,
    });
    if (snap) {
      const loaded = await catchUp(options, codec, {
        state: snap.state,
        version: snap.version,
        fromSnapshot: true,
      });
      // A snapshot ahead of the stream (saved for versions never appended, or the stream restored from an
      // older export) would make every append conflict: it is checked only when no event followed it.
      if (
        loaded.version > snap.version ||
        (await options.store.streamVersion(options.streamId)) >= snap.version
      )
        return loaded;
      const folded = await catchUp(options, codec, {
        state: initial(options.decider.initialState),
        version: 0,
        fromSnapshot: false,
      });
      // Replace it with the state folded from the events: left in place, it would be taken as valid once
      // the stream grew past its version.
      await options.store
        .saveSnapshot({
          streamId: options.streamId,
          version: folded.version,
          schemaVersion: options.snapshotSchemaVersion ?? 1,
          state: folded.state,
        })
        .catch(() => undefined);
      return folded;
    }
  }
  return catchUp(options, codec, {
    state: initial(options.decider.initialState),
    version: 0,
    fromSnapshot: false,
  });
}

async function catchUp<State, Event>(
  options: LoadStateOptions<State, Event>,
  codec: EventCodec<Event>,
  loaded: LoadedState<State>,
): Promise<LoadedState<State>> {
  let { state, version } = loaded;
  for (;;) {
    const events = await options.store.readStream(options.streamId, {
      fromVersion: version + 1,
      limit: 1000,
    });
    for (const e of events) {
      state = options.decider.evolve(state, codec.decode(e));
      version = e.version;
    }
    if (events.length < 1000) return { state, version, fromSnapshot: loaded.fromSnapshot };
  }
}

/**
 * Loads the stream (snapshot + newer events), decides, appends with the loaded version as the
 * expected version, and on a ConcurrencyError catches up and decides again (bounded).
 * @example const { state } = await handleCommand({ store, streamId: 'room-1', decider, command });
 */
export async function handleCommand<State, Command, Event, Context = undefined>(
  options: HandleCommandOptions<State, Command, Event, Context>,
): Promise<HandleCommandResult<State, Event>> {
  const maxAttempts = options.maxAttempts ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new InvalidArgumentError('maxAttempts', 'must be an integer >= 1');
  const every = options.snapshotEvery;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) {
    throw new InvalidArgumentError('snapshotEvery', 'must be an integer >= 1');
  }
  const codec = options.codec ?? defaultCodec<Event>();
  const log = options.logger ?? silentLogger;
  let loaded = await loadState(options);
  for (let attempt = 1; ; attempt++) {
    const events = [
      ...(await options.decider.decide(loaded.state, options.command, options.context as Context)),
    ];
    if (events.length === 0) {
      return {
        state: loaded.state,
        version: loaded.version,
        events: [],
        recorded: [],
        attempts: attempt,
        duplicate: false,
      };
    }
    const inputs = events.map((e, i) => {
      const input = codec.encode(e);
      return options.commandId !== undefined ? { ...input, id: `${options.commandId}:${i}` } : input;
    });
    try {
      const result = await options.store.append(options.streamId, inputs, {
        expectedVersion: loaded.version,
        ...(options.metadata ? { metadata: options.metadata } : {}),
      });
      if (result.duplicate) {
        const now = await catchUp(options, codec, loaded);
        return {
          state: now.state,
          version: now.version,
          events: result.events.map((e) => codec.decode(e)),
          recorded: result.events,
          attempts: attempt,
          duplicate: true,
        };
      }
      let state = loaded.state;
      for (const e of events) state = options.decider.evolve(state, e);
      const version = result.nextExpectedVersion;
      if (every !== undefined && Math.floor(version / every) > Math.floor(loaded.version / every)) {
        await options.store
          .saveSnapshot({
            streamId: options.streamId,
            version,
            schemaVersion: options.snapshotSchemaVersion ?? 1,
            state,
          })
          .catch((err: unknown) =>
            log.warn({ err, streamId: options.streamId, version }, 'snapshot save failed'),
          );
      }
      return { state, version, events, recorded: result.events, attempts: attempt, duplicate: false };
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      if (attempt >= maxAttempts) throw new RetriesExhaustedError(options.streamId, attempt, err);
      // A little jitter keeps many contending writers from retrying in lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, attempt * 2)));
      loaded = await catchUp(options, codec, loaded);
    }
  }
}
