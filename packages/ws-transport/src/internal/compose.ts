import { TransportError } from '../errors.js';

/** One step of an onion chain over a context of type C. */
export type Step<C> = (ctx: C, next: () => Promise<void>) => void | Promise<void>;

/** The promise a chain returns when every step finished synchronously (compare by identity). */
export const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Composes steps into one function, run in array order (koa-style). Synchronous steps cost no
 * promise of their own: the hot path for a frame is a handful of native calls, not a microtask per step.
 */
export function composeSteps<C>(steps: readonly Step<C>[]): (ctx: C) => Promise<void> {
  const chain = [...steps];
  return (ctx) => {
    let last = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= last) return Promise.reject(new TransportError('INTERNAL', 'next() called more than once in one middleware'));
      last = i;
      const fn = chain[i];
      if (fn === undefined) return RESOLVED;
      try {
        const r = fn(ctx, () => dispatch(i + 1));
        return r instanceof Promise ? r : RESOLVED;
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrow what the middleware threw, unchanged
        return Promise.reject(error);
      }
    };
    return dispatch(0);
  };
}
