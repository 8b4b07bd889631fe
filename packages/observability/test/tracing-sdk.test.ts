import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  ROOT_CONTEXT,
  trace,
  type Context,
  type ContextManager,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withContext, withSpan } from '../src/index.js';
import { capture } from './helpers.js';

/** What an SDK's AsyncLocalStorage context manager does, in a few lines (no SDK dependency). */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.als.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.als.disable();
    return this;
  }
}

let ids = 0;
/** A tracer that makes valid, sampled span contexts and makes them active like an SDK does. */
const sdkLikeTracer: Tracer = {
  startSpan(_name: string, _options?: SpanOptions, parent?: Context): Span {
    const parentSpan = trace.getSpan(parent ?? context.active());
    ids++;
    const traceId = parentSpan?.spanContext().traceId ?? ids.toString(16).padStart(32, '0');
    const spanId = (ids + 1000).toString(16).padStart(16, '0');
    return trace.wrapSpanContext({ traceId, spanId, traceFlags: 1 });
  },
  startActiveSpan: ((name: string, options: SpanOptions, fn: (span: Span) => unknown) => {
    const span = sdkLikeTracer.startSpan(name, options);
    return context.with(trace.setSpan(context.active(), span), fn, undefined, span);
  }) as Tracer['startActiveSpan'],
};

beforeAll(() => {
  context.setGlobalContextManager(new AlsContextManager());
});
afterAll(() => {
  context.disable();
});

describe('with a context manager registered (what an SDK does)', () => {
  it('log lines inside a span carry its traceId and spanId, across await', async () => {
    const { logger, lines } = capture();
    await withContext({ correlationId: 'c-t' }, () =>
      withSpan(
        'outer',
        async (outer) => {
          logger.info('in outer');
          await Promise.resolve();
          await withSpan(
            'inner',
            async (inner) => {
              await new Promise((r) => setTimeout(r, 1));
              logger.info('in inner');
              expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
            },
            { tracer: sdkLikeTracer },
          );
          logger.info('back in outer');
        },
        { tracer: sdkLikeTracer },
      ),
    );
    logger.info('outside');
    const [a, b, c, d] = lines();
    expect(a).toMatchObject({ correlationId: 'c-t', msg: 'in outer' });
    expect(a!['traceId']).toMatch(/^[0-9a-f]{32}$/);
    expect(b!['traceId']).toBe(a!['traceId']);
    expect(b!['spanId']).not.toBe(a!['spanId']);
    expect(c!['spanId']).toBe(a!['spanId']);
    expect(d).not.toHaveProperty('traceId');
  });

  it('traceIds: false leaves them out', async () => {
    const { logger, lines } = capture({ traceIds: false });
    await withSpan('s', () => logger.info('x'), { tracer: sdkLikeTracer });
    expect(lines()[0]).not.toHaveProperty('traceId');
  });
});
