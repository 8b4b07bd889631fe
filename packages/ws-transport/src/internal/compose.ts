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

/** Where a built-in step keeps its closure-free form (see `FastStep`). */
export const FAST: unique symbol = Symbol('ws-transport.fast');

/** Returned by `AroundStep.enter` to end the chain there: the rest does not run; `result` is the step's own. */
export class Stop {
  constructor(readonly result: void | Promise<void>) {}
}

/**
 * The same behaviour as a built-in middleware, without a `next` closure: the chain runner calls these
 * directly, so a frame through built-in steps allocates no closure or promise per step.
 */
export type FastStep<C> =
  /** Does its work, then continues with the rest (throws to fail; a promise continues once it resolves). */
  | { readonly kind: 'pass'; run(ctx: C): void | Promise<void> }
  /** The last step of a chain (the handler); what it returns is what the chain waits for. */
  | { readonly kind: 'end'; run(ctx: C): void | Promise<void> }
  /** Runs the rest of the chain inside itself (`errorFrames`, `timing`, `dedupe`). */
  | AroundStep<C, unknown>;

export interface AroundStep<C, T> {
  readonly kind: 'around';
  /** Before the rest: a token for `leave`/`fail`, or a `Stop`. */
  enter(ctx: C): T | Stop;
  /** The rest finished without an error (it may throw: that is then the step's error). */
  leave(ctx: C, token: T): void;
  /** The rest failed: throw to pass an error on, return to absorb it. */
  fail(ctx: C, token: T, error: unknown): void;
}

/** Attaches the closure-free form of a middleware (same behaviour as the function itself). */
export function withFast<C>(fn: Step<C>, fast: NoInfer<FastStep<C>>): Step<C> {
  (fn as Step<C> & { [FAST]?: FastStep<C> })[FAST] = fast;
  return fn;
}

const fastOf = <C>(step: Step<C>): FastStep<C> | undefined => (step as Step<C> & { [FAST]?: FastStep<C> })[FAST];

/**
 * `composeSteps` with a fast path: a run of built-in steps (those with a `FAST` form) at the start of
 * the chain runs without a `next` closure per step, and entirely synchronously when they and the rest
 * finish synchronously. From the first step without a fast form on, the chain runs through
 * `composeSteps` (same semantics, including the check against calling `next()` twice).
 */
export function compileSteps<C>(steps: readonly Step<C>[]): (ctx: C) => Promise<void> {
  const chain = [...steps];
  const fast = chain.map(fastOf);
  const n = chain.length;
  // the first step without a fast form: from there on, the general composition
  let k = fast.findIndex((f) => f === undefined);
  if (k === 0) return composeSteps(chain);
  if (k < 0) k = n;
  const tail = k < n ? composeSteps(chain.slice(k)) : undefined;

  /** Runs steps i.. : undefined when everything finished synchronously, else a promise; synchronous failures throw. */
  const from = (ctx: C, i: number): Promise<void> | undefined => {
    for (;;) {
      if (i === k) {
        if (tail === undefined) return undefined;
        const p = tail(ctx);
        return p === RESOLVED ? undefined : p;
      }
      const f = fast[i]!;
      if (f.kind === 'pass') {
        const r = f.run(ctx);
        if (r instanceof Promise) {
          const next = i + 1;
          return r.then(() => from(ctx, next));
        }
        i++;
        continue;
      }
      if (f.kind === 'end') {
        // an 'end' step that is not last: the rest never runs (the function form never calls next)
        const r = f.run(ctx);
        return r instanceof Promise ? r : undefined;
      }
      const token = f.enter(ctx);
      if (token instanceof Stop) return token.result instanceof Promise ? token.result : undefined;
      let r: Promise<void> | undefined;
      try {
        r = from(ctx, i + 1);
      } catch (error) {
        f.fail(ctx, token, error);
        return undefined;
      }
      if (r === undefined) {
        f.leave(ctx, token);
        return undefined;
      }
      return r.then(
        () => f.leave(ctx, token),
        (error: unknown) => f.fail(ctx, token, error),
      );
    }
  };

  return (ctx) => {
    try {
      const r = from(ctx, 0);
      return r === undefined ? RESOLVED : r;
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrow what the middleware threw, unchanged
      return Promise.reject(error);
    }
  };
}
