import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Fields that follow one unit of work (a request, a frame, a command) through every log line. */
export interface LogContext {
  correlationId?: string;
  roomId?: string;
  player?: string;
  [field: string]: unknown;
}

// One store per loaded copy of this module: the context is process state by nature (like the
// async call stack itself); what must not be global -- loggers, registries -- is passed in.
const storage = new AsyncLocalStorage<Readonly<LogContext>>();

/**
 * Runs `fn` with `fields` added to the current context (inner fields win); every log line written
 * inside, across `await`, timers and event emitters, carries them.
 * @example withContext({ correlationId: newCorrelationId(), roomId }, () => handle(frame))
 */
export function withContext<T>(fields: LogContext, fn: () => T): T {
  const parent = storage.getStore();
  return storage.run(Object.freeze(parent ? { ...parent, ...fields } : { ...fields }), fn);
}

/** The context of the running code, or `undefined` outside any {@link withContext}. */
export function getContext(): Readonly<LogContext> | undefined {
  return storage.getStore();
}

/** The correlation id of the running code, if any (the event store puts it in event metadata). */
export function getCorrelationId(): string | undefined {
  const id = storage.getStore()?.correlationId;
  return typeof id === 'string' ? id : undefined;
}

/** A new random correlation id (a UUID v4). */
export function newCorrelationId(): string {
  return randomUUID();
}

/**
 * Binds `fn` to the current context, for callbacks that something outside it will call later
 * (a listener added here but emitted from a socket's own event, a queue worker).
 */
export function bindContext<F extends (...args: never[]) => unknown>(fn: F): F {
  return AsyncResource.bind(fn as unknown as (...args: unknown[]) => unknown) as unknown as F;
}
