import {
  ConcurrencyError,
  EventIdConflictError,
  InvalidArgumentError,
  StreamLiveError,
  UnreadableEventError,
} from '../errors.js';
import {
  checkImport,
  maxOf,
  prepareEvents,
  toJson,
  validateExpected,
  validateListStreams,
  validatePositionAndLimit,
  validateReadStream,
  validateStreamId,
  validateUpToVersion,
  versionMatches,
} from '../internal/common.js';
import {
  CheckpointConflictError,
  startSubscription,
  type SubscriptionPort,
} from '../internal/subscription-runner.js';
import { createUpcasterChain } from '../upcasting.js';
import type {
  AppendResult,
  DeadLetter,
  EventStore,
  EventStoreOptions,
  RecordedEvent,
  Snapshot,
  Subscription,
} from '../types.js';

interface Row {
  position: number;
  streamId: string;
  version: number;
  id: string;
  type: string;
  dataJson: string;
  metadataJson: string;
  schemaVersion: number;
  recordedAt: Date;
}

interface StreamState {
  version: number;
  live: boolean;
  rows: Row[];
  ids: Map<string, Row>;
}

const rejected = (err: unknown): Promise<never> =>
  Promise.reject(err instanceof Error ? err : new Error(String(err)));

/** Options of {@link createMemoryEventStore}. */
export type MemoryEventStoreOptions = EventStoreOptions;

/**
 * An in-process event store with the same semantics as the SQL ones (for tests, tools and
 * single-process prototypes). Data lives in memory only.
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const clock = options.clock ?? (() => new Date());
  const upcasters = createUpcasterChain(options.upcasters);
  const log: Row[] = [];
  const streams = new Map<string, StreamState>();
  const snapshots = new Map<
    string,
    { version: number; schemaVersion: number; stateJson: string; createdAt: Date }
  >();
  const checkpoints = new Map<string, number>();
  const deadLetters = new Map<number, Omit<DeadLetter, 'id'> & { id: number }>();
  const listeners = new Set<() => void>();
  const subscriptions = new Set<Subscription>();
  let lastPosition = 0;
  let lastDeadLetterId = 0;

  const decode = (row: Row): RecordedEvent => {
    let event: RecordedEvent;
    try {
      event = {
        id: row.id,
        streamId: row.streamId,
        version: row.version,
        position: row.position,
        type: row.type,
        data: JSON.parse(row.dataJson) as unknown,
        metadata: JSON.parse(row.metadataJson) as RecordedEvent['metadata'],
        schemaVersion: row.schemaVersion,
        recordedAt: new Date(row.recordedAt.getTime()),
      };
      return upcasters.apply(event);
    } catch (err) {
      throw new UnreadableEventError(row.streamId, row.version, row.position, err);
    }
  };

  const stream = (streamId: string): StreamState => {
    let s = streams.get(streamId);
    if (!s) {
      s = { version: 0, live: false, rows: [], ids: new Map() };
      streams.set(streamId, s);
    }
    return s;
  };

  const notify = () => {
    for (const l of listeners) l();
  };

  const indexOfPositionAfter = (after: number): number => {
    let lo = 0;
    let hi = log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (log[mid]!.position <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const readAllSync = (after: number, limit: number): RecordedEvent[] => {
    const start = indexOfPositionAfter(after);
    return log.slice(start, start + limit).map(decode);
  };

  /** Compare-and-set of a checkpoint: another instance of the subscription may have moved it. */
  const moveCheckpoint = (name: string, from: number, to: number) => {
    if (checkpoints.get(name) !== from) throw new CheckpointConflictError(name, from);
    checkpoints.set(name, to);
  };

  const port: SubscriptionPort = {
    read: (after, limit) => Promise.resolve({ events: readAllSync(after, limit), fence: 0n }),
    // Position order is append order here: a checkpoint at or past a position has processed all before it.
    waitTarget: () => Promise.resolve({ position: lastPosition }),
    reached: (checkpoint, target) =>
      Promise.resolve(!('position' in target) || checkpoint >= target.position),
    head: () => Promise.resolve(lastPosition),
    tail: () => Promise.resolve(log[log.length - 1]?.position ?? 0),
    lag: (checkpoint) => Promise.resolve(log.length - indexOfPositionAfter(checkpoint)),
    loadCheckpoint: (name) => Promise.resolve(checkpoints.get(name) ?? null),
    createCheckpoint: (name, position) => {
      if (!checkpoints.has(name)) checkpoints.set(name, position);
      return Promise.resolve(checkpoints.get(name)!);
    },
    async deliver(name, from, position, handle) {
      // Claimed before the handler runs, so a second instance does not run it too; undone if it fails.
      moveCheckpoint(name, from, position);
      try {
        await handle();
      } catch (err) {
        if (checkpoints.get(name) === position) checkpoints.set(name, from);
        throw err;
      }
    },
    deadLetter(name, from, event, error, attempts) {
      try {
        moveCheckpoint(name, from, event.position);
      } catch (err) {
        return rejected(err);
      }
      const id = ++lastDeadLetterId;
      deadLetters.set(id, {
        id,
        subscription: name,
        position: event.position,
        streamId: event.streamId,
        version: event.version,
        eventId: event.id,
        eventType: event.type,
        error,
        attempts,
        failedAt: clock(),
        status: 'failed',
      });
      return Promise.resolve();
    },
    pendingRetries(name) {
      const out = [...deadLetters.values()]
        .filter((d) => d.subscription === name && d.status === 'retry')
        .map((d) => {
          const row = streams.get(d.streamId)?.ids.get(d.eventId);
          return { id: d.id, attempts: d.attempts, event: row ? decode(row) : null };
        });
      return Promise.resolve(out);
    },
    async resolveDeadLetter(id, handle) {
      const letter = deadLetters.get(id);
      if (letter?.status !== 'retry') return;
      // Taken before the handler runs (another instance skips it); put back if the handler fails.
      deadLetters.delete(id);
      try {
        await handle();
      } catch (err) {
        deadLetters.set(id, letter);
        throw err;
      }
    },
    failDeadLetter(id, error, attempts) {
      const d = deadLetters.get(id);
      if (d) Object.assign(d, { error, attempts, status: 'failed', failedAt: clock() });
      return Promise.resolve();
    },
    countDeadLetters: (name) =>
      Promise.resolve([...deadLetters.values()].filter((d) => d.subscription === name).length),
    onAppend(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  const store: EventStore = {
    backend: 'memory',

    append(streamId, events, appendOptions) {
      try {
        validateStreamId(streamId);
        const expected = appendOptions?.expectedVersion ?? 'any';
        validateExpected(expected);
        const prepared = prepareEvents(events, appendOptions, options, upcasters);
        const s = streams.get(streamId);
        const existing = s ? prepared.filter((e) => s.ids.has(e.id)).map((e) => s.ids.get(e.id)!) : [];
        if (existing.length > 0) {
          if (existing.length !== prepared.length) {
            throw new EventIdConflictError(
              streamId,
              existing.map((r) => r.id),
            );
          }
          const recorded = existing.map(decode);
          return Promise.resolve<AppendResult>({
            streamId,
            nextExpectedVersion: s!.version,
            lastPosition: maxOf(recorded.map((e) => e.position)),
            events: recorded,
            duplicate: true,
          });
        }
        const actual = s?.version ?? 0;
        if (!versionMatches(expected, actual)) throw new ConcurrencyError(streamId, expected, actual);
        const target = stream(streamId);
        const recordedAt = clock();
        const rows = prepared.map<Row>((e, i) => ({
          position: lastPosition + i + 1,
          streamId,
          version: actual + i + 1,
          id: e.id,
          type: e.type,
          dataJson: e.dataJson,
          metadataJson: e.metadataJson,
          schemaVersion: e.schemaVersion,
          recordedAt,
        }));
        lastPosition += rows.length;
        target.version += rows.length;
        for (const row of rows) {
          target.rows.push(row);
          target.ids.set(row.id, row);
          log.push(row);
        }
        queueMicrotask(notify);
        return Promise.resolve({
          streamId,
          nextExpectedVersion: target.version,
          lastPosition,
          events: rows.map(decode),
          duplicate: false,
        });
      } catch (err) {
        return rejected(err);
      }
    },

    readStream(streamId, readOptions) {
      try {
        validateStreamId(streamId);
        validateReadStream(readOptions);
        const from = readOptions?.fromVersion ?? 0;
        const to = readOptions?.toVersion ?? Number.MAX_SAFE_INTEGER;
        const until = readOptions?.untilTime?.getTime();
        let rows = (streams.get(streamId)?.rows ?? []).filter(
          (r) =>
            r.version >= from && r.version <= to && (until === undefined || r.recordedAt.getTime() <= until),
        );
        if (readOptions?.direction === 'backward') rows = rows.slice().reverse();
        if (readOptions?.limit !== undefined) rows = rows.slice(0, readOptions.limit);
        return Promise.resolve(rows.map(decode));
      } catch (err) {
        return rejected(err);
      }
    },

    readAll(readOptions) {
      try {
        validatePositionAndLimit(readOptions?.after, readOptions?.limit);
        return Promise.resolve(readAllSync(readOptions?.after ?? 0, readOptions?.limit ?? 1000));
      } catch (err) {
        return rejected(err);
      }
    },

    streamVersion(streamId) {
      return Promise.resolve(streams.get(streamId)?.version ?? 0);
    },

    listStreams(listOptions) {
      try {
        validateListStreams(listOptions);
      } catch (err) {
        return rejected(err);
      }
      const after = listOptions?.after;
      const prefix = listOptions?.prefix;
      const out = [...streams.entries()]
        .filter(
          ([id, s]) =>
            s.version > 0 && (after === undefined || id > after) && (!prefix || id.startsWith(prefix)),
        )
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, listOptions?.limit ?? 1000)
        .map(([id, s]) => ({ streamId: id, version: s.version, live: s.live }));
      return Promise.resolve(out);
    },

    headPosition: () => Promise.resolve(lastPosition),

    saveSnapshot(snapshot) {
      try {
        validateStreamId(snapshot.streamId);
        if (!Number.isSafeInteger(snapshot.version) || snapshot.version < 0) {
          throw new InvalidArgumentError('version', 'must be an integer >= 0');
        }
        if (!Number.isSafeInteger(snapshot.schemaVersion))
          throw new InvalidArgumentError('schemaVersion', 'must be an integer');
        const head = streams.get(snapshot.streamId)?.version ?? 0;
        if (snapshot.version > head)
          throw new InvalidArgumentError(
            'version',
            `stream "${snapshot.streamId}" is at version ${head}; a snapshot cannot be ahead of it (got ${snapshot.version})`,
          );
        const stateJson = toJson(snapshot.state, 'state');
        snapshots.set(snapshot.streamId, {
          version: snapshot.version,
          schemaVersion: snapshot.schemaVersion,
          stateJson,
          createdAt: clock(),
        });
        return Promise.resolve();
      } catch (err) {
        return rejected(err);
      }
    },

    loadSnapshot<State>(streamId: string, loadOptions: { schemaVersion: number }) {
      const s = snapshots.get(streamId);
      if (!s || s.schemaVersion !== loadOptions.schemaVersion) return Promise.resolve(null);
      const snapshot: Snapshot<State> = {
        streamId,
        version: s.version,
        schemaVersion: s.schemaVersion,
        state: JSON.parse(s.stateJson) as State,
        createdAt: s.createdAt,
      };
      return Promise.resolve(snapshot);
    },

    setStreamLive(streamId, live) {
      try {
        validateStreamId(streamId);
      } catch (err) {
        return rejected(err);
      }
      stream(streamId).live = live;
      return Promise.resolve();
    },

    async compact(streamId, compactOptions) {
      validateStreamId(streamId);
      validateUpToVersion(compactOptions.upToVersion);
      const s = streams.get(streamId);
      if (s?.live) throw new StreamLiveError(streamId, 'compaction');
      const upTo = Math.min(compactOptions.upToVersion ?? s?.version ?? 0, s?.version ?? 0);
      const rows = (s?.rows ?? []).filter((r) => r.version <= upTo);
      if (!s || rows.length <= 1) return { streamId, removed: 0, compactedVersion: 0 };
      const events = rows.map(decode);
      await compactOptions.archive(events);
      if (s.live) throw new StreamLiveError(streamId, 'compaction');
      const dataJson = JSON.stringify(compactOptions.fold(events));
      if (dataJson === undefined)
        throw new InvalidArgumentError('fold', 'must return a JSON-serialisable state');
      const last = rows[rows.length - 1]!;
      const removed = new Set(rows.slice(0, -1));
      const replacement: Row = {
        ...last,
        id: `${streamId}:compacted:${last.version}`,
        type: compactOptions.type ?? '$compacted',
        dataJson,
        metadataJson: JSON.stringify({ compactedFrom: rows[0]!.version, compactedTo: last.version }),
        schemaVersion: 1,
      };
      s.rows = s.rows.filter((r) => !removed.has(r)).map((r) => (r === last ? replacement : r));
      s.ids = new Map(s.rows.map((r) => [r.id, r]));
      for (let i = log.length - 1; i >= 0; i--) {
        const r = log[i]!;
        if (removed.has(r)) log.splice(i, 1);
        else if (r === last) log[i] = replacement;
      }
      return { streamId, removed: removed.size, compactedVersion: last.version };
    },

    subscribe(subscribeOptions) {
      const sub: Subscription = startSubscription(
        port,
        { logger: options.logger, ...subscribeOptions } as typeof subscribeOptions,
        () => subscriptions.delete(sub),
      );
      subscriptions.add(sub);
      return sub;
    },

    listDeadLetters(listOptions) {
      return Promise.resolve(
        [...deadLetters.values()]
          .filter(
            (d) => listOptions?.subscription === undefined || d.subscription === listOptions.subscription,
          )
          .sort((a, b) => a.id - b.id)
          .map((d) => ({ ...d })),
      );
    },

    retryDeadLetters(retryOptions) {
      let n = 0;
      const ids = retryOptions?.ids ? new Set(retryOptions.ids) : null;
      for (const d of deadLetters.values()) {
        if (retryOptions?.subscription !== undefined && d.subscription !== retryOptions.subscription)
          continue;
        if (ids && !ids.has(d.id)) continue;
        if (d.status !== 'retry') {
          d.status = 'retry';
          n++;
        }
      }
      if (n > 0) queueMicrotask(notify);
      return Promise.resolve(n);
    },

    importEvents(exported) {
      try {
        // Check everything first so a bad file writes nothing.
        const checked = checkImport(exported);
        const byStream = new Map<string, number>();
        for (const [i, e] of exported.entries()) {
          const s = streams.get(e.streamId);
          const prev = byStream.get(e.streamId) ?? s?.version ?? 0;
          if (!Number.isSafeInteger(e.version) || e.version <= prev) {
            throw new InvalidArgumentError(
              `events[${i}].version`,
              `stream "${e.streamId}" is at ${prev}, got ${e.version}`,
            );
          }
          if (s?.ids.has(e.id)) throw new EventIdConflictError(e.streamId, [e.id]);
          byStream.set(e.streamId, e.version);
        }
        for (const [i, e] of exported.entries()) {
          const s = stream(e.streamId);
          const row: Row = {
            position: ++lastPosition,
            streamId: e.streamId,
            version: e.version,
            id: e.id,
            type: e.type,
            dataJson: checked[i]!.dataJson,
            metadataJson: checked[i]!.metadataJson,
            schemaVersion: e.schemaVersion,
            recordedAt: checked[i]!.recordedAt,
          };
          s.version = e.version;
          s.rows.push(row);
          s.ids.set(row.id, row);
          log.push(row);
        }
        if (exported.length > 0) queueMicrotask(notify);
        return Promise.resolve(exported.length);
      } catch (err) {
        return rejected(err);
      }
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
    },
  };
  return store;
}
