import { InvalidArgumentError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { RecordedEvent, SubscribeOptions, Subscription, SubscriptionHealth } from '../types.js';
import { defaultBackoff, errorMessage } from './common.js';

/** A batch read for a subscription, with the visibility fence it was read under. */
export interface FencedBatch {
  events: RecordedEvent[];
  /**
   * Everything that committed in a transaction older than this mark has been returned (or lies
   * before `after`). Backends with a single writer return 0n and marks of 0n.
   */
  fence: bigint;
}

/**
 * What `waitFor` waits for: a position (every event up to it, in global order, processed), or on a fenced
 * backend a transaction mark (every event of a transaction older than it processed).
 */
export type WaitTarget = { position: number } | { mark: bigint };

/**
 * The stored checkpoint is not the one this instance delivered from: another instance of the subscription
 * moved it (or a commit this instance saw fail went through). The delivery was not applied.
 */
export class CheckpointConflictError extends Error {
  constructor(name: string, from: number) {
    super(
      `the checkpoint of subscription "${name}" is no longer at ${from}: another instance of it is running ` +
        `(run one per name) or a failed commit went through; reloading it`,
    );
    this.name = 'CheckpointConflictError';
  }
}

/** A dead letter marked for redelivery, with its event (null when the event no longer exists). */
export interface PendingRetry {
  id: number;
  attempts: number;
  event: RecordedEvent | null;
}

/** What a backend gives the shared subscription loop. */
export interface SubscriptionPort {
  read(after: number, limit: number): Promise<FencedBatch>;
  /** What `waitFor()` without a position waits for: every event committed before this call. */
  waitTarget(): Promise<WaitTarget>;
  /** Whether a subscription at `checkpoint` has processed every event up to `target`. */
  reached(checkpoint: number, target: WaitTarget): Promise<boolean>;
  head(): Promise<number>;
  /** The position of the last event in read order (where a subscription `from: 'end'` starts). */
  tail(): Promise<number>;
  /** Events after the checkpoint. */
  lag(checkpoint: number): Promise<number>;
  loadCheckpoint(name: string): Promise<number | null>;
  /** Stores `position` as the checkpoint unless one is stored already; returns the stored one. */
  createCheckpoint(name: string, position: number): Promise<number>;
  /**
   * Moves the checkpoint from `from` to `position` and runs `handle`, atomically where the backend can.
   * Throws {@link CheckpointConflictError}, having run nothing, when the checkpoint is not at `from`.
   */
  deliver(name: string, from: number, position: number, handle: () => Promise<void>): Promise<void>;
  /**
   * Optional: runs handlers for a whole batch, then saves the checkpoint `run` returns, in one
   * transaction. A failure rolls everything back and the loop falls back to one event at a time.
   * Throws {@link CheckpointConflictError}, having run nothing, when the checkpoint is not at `from`.
   */
  deliverBatch?(name: string, from: number, run: () => Promise<number>): Promise<void>;
  /** Records a dead letter and moves the checkpoint from `from` past it, atomically where the backend can. */
  deadLetter(
    name: string,
    from: number,
    event: RecordedEvent,
    error: string,
    attempts: number,
  ): Promise<void>;
  pendingRetries(name: string): Promise<PendingRetry[]>;
  /**
   * Runs `handle` and removes the dead letter, atomically where the backend can; runs nothing when the
   * letter is no longer marked for retry (another instance took it).
   */
  resolveDeadLetter(id: number, handle: () => Promise<void>): Promise<void>;
  failDeadLetter(id: number, error: string, attempts: number): Promise<void>;
  countDeadLetters(name: string): Promise<number>;
  /** Wake-ups on new appends (in-process or LISTEN/NOTIFY); returns an unsubscribe function. */
  onAppend(listener: () => void): () => void;
}

interface Waiter {
  target: WaitTarget;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The catch-up subscription loop shared by every backend. */
export function startSubscription(
  port: SubscriptionPort,
  options: SubscribeOptions,
  onStop: () => void,
): Subscription {
  const name = options.name;
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidArgumentError('name', 'must be a non-empty string');
  if (typeof options.handler !== 'function') throw new InvalidArgumentError('handler', 'must be a function');
  const batchSize = options.batchSize ?? 100;
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidArgumentError('batchSize', 'must be an integer >= 1');
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new InvalidArgumentError('maxAttempts', 'must be an integer >= 1');
  const backoff = options.backoff ?? defaultBackoff;
  const poll = options.pollInterval ?? { min: 20, max: 1000 };
  const types = options.eventTypes ? new Set(options.eventTypes) : null;
  const log = (options.logger ?? silentLogger).child({ subscription: name });

  let running = true;
  let state: SubscriptionHealth['state'] = 'running';
  let checkpoint = 0;
  let lastError: SubscriptionHealth['lastError'] = null;
  let lastProgressAt: Date | null = null;
  let wake: (() => void) | null = null;
  let woken = false;
  const waiters: Waiter[] = [];

  const unlisten = port.onAppend(() => {
    woken = true;
    wake?.();
  });

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (!running || woken) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        woken = false;
        resolve();
      }
      wake = done;
    });

  const handle = async (event: RecordedEvent, attempt: number) => {
    if (types && !types.has(event.type)) return;
    await options.handler(event, { subscription: name, attempt });
  };

  const noteError = (err: unknown, position: number) => {
    lastError = { message: err instanceof Error ? err.message : String(err), at: new Date(), position };
  };

  const deliverWithRetries = async (event: RecordedEvent, priorFailure?: { error: unknown }) => {
    const deadLetter = async (err: unknown, attempts: number) => {
      await port.deadLetter(name, checkpoint, event, errorMessage(err), attempts);
      log.error(
        { position: event.position, streamId: event.streamId, attempts },
        'event moved to the dead-letter table',
      );
    };
    if (priorFailure && maxAttempts <= 1) return deadLetter(priorFailure.error, 1);
    for (let attempt = priorFailure ? 2 : 1; ; attempt++) {
      try {
        await port.deliver(name, checkpoint, event.position, () => handle(event, attempt));
        return;
      } catch (err) {
        if (err instanceof CheckpointConflictError) throw err;
        noteError(err, event.position);
        log.warn(
          { err, position: event.position, streamId: event.streamId, attempt },
          'subscription handler failed',
        );
        if (attempt >= maxAttempts) return deadLetter(err, attempt);
        if (!running) throw err;
        await pause(backoff(attempt));
      }
    }
  };

  const redrive = async () => {
    for (const retry of await port.pendingRetries(name)) {
      if (!running) return;
      const attempts = retry.attempts + 1;
      try {
        await port.resolveDeadLetter(retry.id, async () => {
          if (retry.event) await handle(retry.event, attempts);
        });
      } catch (err) {
        noteError(err, retry.event?.position ?? 0);
        await port.failDeadLetter(retry.id, errorMessage(err), attempts);
      }
    }
  };

  let idle = poll.min;
  let started = false;
  const start = async () => {
    const stored = await port.loadCheckpoint(name);
    if (stored !== null) checkpoint = stored;
    else {
      const from = options.from ?? 'start';
      // Another instance may have created it meanwhile: go on from the one stored.
      checkpoint = await port.createCheckpoint(
        name,
        from === 'start' ? 0 : from === 'end' ? await port.tail() : from,
      );
    }
    started = true;
  };

  /**
   * After a conflict (nothing of the delivery was applied): go on from the stored checkpoint. A checkpoint
   * row that is gone (deleted by hand) is created again where this instance stands.
   */
  const reloadCheckpoint = async (err: CheckpointConflictError): Promise<boolean> => {
    noteError(err, checkpoint);
    log.warn({ err }, 'checkpoint moved underneath this subscription');
    try {
      const stored = await port.loadCheckpoint(name);
      if (stored === null) {
        log.warn({ checkpoint }, 'checkpoint row is gone; created again at this instance\'s position');
        checkpoint = await port.createCheckpoint(name, checkpoint);
      } else checkpoint = stored;
      return true;
    } catch {
      return false;
    }
  };

  const loop = async () => {
    let failures = 0;
    let conflicts = 0;
    while (running) {
      try {
        await step();
        failures = 0;
        conflicts = 0;
      } catch (err) {
        if (err instanceof CheckpointConflictError && running && (await reloadCheckpoint(err))) {
          // Let timers and I/O run (a synchronous SQLite driver never yields otherwise), and back off when
          // conflicts keep coming (another instance busy with the same name).
          conflicts++;
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (conflicts > 3) await pause(backoff(Math.min(conflicts - 3, 8)));
          continue;
        }
        // The database is unreachable or a dead letter could not be stored: keep the checkpoint, back off, retry.
        failures++;
        noteError(err, checkpoint);
        log.warn({ err, failures }, 'subscription read failed; retrying');
        await pause(backoff(Math.min(failures, 8)));
      }
    }
  };

  const step = async () => {
    if (!started) await start();
    let before = waiters.length;
    await redrive();
    const batch = await port.read(checkpoint, batchSize);
    let done = 0;
    let failedAt = -1;
    let batchError: unknown;
    if (port.deliverBatch && batch.events.length > 1) {
      let last = 0;
      try {
        await port.deliverBatch(name, checkpoint, async () => {
          for (const event of batch.events) {
            if (!running) break;
            failedAt = done;
            await handle(event, 1);
            failedAt = -1;
            last = event.position;
            done++;
          }
          return last;
        });
        if (last > 0) {
          checkpoint = last;
          lastProgressAt = new Date();
        }
      } catch (err) {
        if (err instanceof CheckpointConflictError) throw err;
        // Rolled back: the events before the failing one are delivered again (at-least-once), and
        // the failed delivery counts as the failing event's first attempt.
        log.debug({ err }, 'batch delivery failed; delivering one event at a time');
        if (failedAt >= 0) noteError(err, batch.events[failedAt]!.position);
        batchError = err;
        done = 0;
      }
    }
    for (const [i, event] of batch.events.slice(done).entries()) {
      if (!running) break;
      await deliverWithRetries(event, i === failedAt ? { error: batchError } : undefined);
      checkpoint = event.position;
      lastProgressAt = new Date();
    }
    // Only waiters registered before this step began: a step begins with re-driving dead letters, so a
    // waitFor() after retryDeadLetters() covers those too.
    for (let i = 0; i < Math.min(before, waiters.length);) {
      const w = waiters[i]!;
      if (await port.reached(checkpoint, w.target)) {
        waiters.splice(i, 1);
        before--;
        w.resolve();
      } else i++;
    }
    if (batch.events.length === 0) {
      await pause(idle);
      idle = Math.min(poll.max, idle * 2);
    } else idle = poll.min;
  };

  const finished = loop().then(
    () => {
      state = 'stopped';
    },
    (err: unknown) => {
      state = 'failed';
      running = false;
      noteError(err, checkpoint);
      log.error({ err }, 'subscription stopped on an error');
      for (const w of waiters.splice(0)) w.reject(err);
    },
  );

  return {
    name,
    async waitFor(position) {
      if (position !== undefined && (!Number.isSafeInteger(position) || position < 0))
        throw new InvalidArgumentError(
          'position',
          `must be a position >= 0, got ${JSON.stringify(position)}`,
        );
      if (!running) throw new Error(`subscription "${name}" is ${state}`);
      const target = position === undefined ? await port.waitTarget() : { position };
      if (!running) throw new Error(`subscription "${name}" is ${state}`);
      await new Promise<void>((resolve, reject) => {
        waiters.push({ target, resolve, reject });
        woken = true;
        wake?.();
      });
    },
    async health() {
      // A probe must answer during an outage: unknown figures are null, the error is in lastError.
      const orNull = <T>(p: Promise<T>) => p.catch(() => null);
      const [head, lag, deadLetters] = await Promise.all([
        orNull(port.head()),
        orNull(port.lag(checkpoint)),
        orNull(port.countDeadLetters(name)),
      ]);
      return { name, state, position: checkpoint, head, lag, lastError, lastProgressAt, deadLetters };
    },
    async stop() {
      running = false;
      wake?.();
      await finished;
      unlisten();
      onStop();
      for (const w of waiters.splice(0)) w.reject(new Error(`subscription "${name}" stopped`));
    },
  };
}
