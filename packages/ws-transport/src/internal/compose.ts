import { TransportError } from '../errors.js';

/** One step of an onion chain over a context of type C. */
export type Step<C> = (ctx: C, next: () => Promise<void>) => void | Promise<void>;

/** Composes steps into one function, run in array order (koa-style). */
export function composeSteps<C>(steps: readonly Step<C>[]): (ctx: C) => Promise<void> {
  const chain = [...steps];
  return (ctx) => {
    let last = -1;
    const dispatch = async (i: number): Promise<void> => {
      if (i <= last) throw new TransportError('INTERNAL', 'next() called more than once in one middleware');
      last = i;
      const fn = chain[i];
      if (fn === undefined) return;
      await fn(ctx, () => dispatch(i + 1));
    };
    return dispatch(0);
  };
}
