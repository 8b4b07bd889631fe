import {
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions as OtelSpanOptions,
  type SpanStatus,
  type Tracer,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { withContext, withSpan } from '../src/index.js';
import { capture } from './helpers.js';

interface Recorded {
  name: string;
  attributes: Attributes;
  status?: SpanStatus;
  exceptions: unknown[];
  ended: boolean;
}

/** A minimal recording tracer: the API alone, no SDK, passed in (nothing global). */
function recordingTracer() {
  const spans: Recorded[] = [];
  let n = 0;
  const makeSpan = (rec: Recorded): Span => {
    n++;
    const ctx: SpanContext = {
      traceId: 'a'.repeat(31) + String(n % 10),
      spanId: 'b'.repeat(15) + String(n % 10),
      traceFlags: 1,
    };
    const span: Span = {
      spanContext: () => ctx,
      setAttribute: (k, v) => {
        if (v !== undefined) rec.attributes[k] = v;
        return span;
      },
      setAttributes: (a) => {
        Object.assign(rec.attributes, a);
        return span;
      },
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus: (s) => {
        rec.status = s;
        return span;
      },
      updateName: () => span,
      end: () => {
        rec.ended = true;
      },
      isRecording: () => true,
      recordException: (e) => {
        rec.exceptions.push(e);
      },
    };
    return span;
  };
  const tracer: Tracer = {
    startSpan: (name: string, options?: OtelSpanOptions) => {
      const rec: Recorded = { name, attributes: { ...options?.attributes }, exceptions: [], ended: false };
      spans.push(rec);
      return makeSpan(rec);
    },
    startActiveSpan: ((name: string, options: OtelSpanOptions, fn: (span: Span) => unknown) => {
      const span = tracer.startSpan(name, options);
      return fn(span);
    }) as Tracer['startActiveSpan'],
  };
  return { tracer, spans };
}

describe('withSpan', () => {
  it('is a no-op without an SDK: runs fn and returns its value', async () => {
    let ran = false;
    const out = await withSpan('noop', (span) => {
      ran = true;
      expect(span.isRecording()).toBe(false);
      return 5;
    });
    expect(ran).toBe(true);
    expect(out).toBe(5);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('records a span with the context ids and ends it', async () => {
    const { tracer, spans } = recordingTracer();
    await withContext({ correlationId: 'c9', roomId: 'R9' }, () =>
      withSpan('room.command', (span) => span.setAttribute('command', 'play'), { tracer, attributes: { seat: 1 } }),
    );
    expect(spans).toEqual([
      {
        name: 'room.command',
        attributes: { seat: 1, 'game.correlation_id': 'c9', 'game.room_id': 'R9', command: 'play' },
        exceptions: [],
        ended: true,
      },
    ]);
  });

  it('records an error, sets status ERROR, ends the span and rethrows', async () => {
    const { tracer, spans } = recordingTracer();
    await expect(
      withSpan(
        'fails',
        () => {
          throw new Error('db down');
        },
        { tracer },
      ),
    ).rejects.toThrow('db down');
    expect(spans[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db down' });
    expect(spans[0]!.exceptions).toHaveLength(1);
    expect(spans[0]!.ended).toBe(true);
  });

  it('log lines carry no trace ids when no span is active', () => {
    const { logger, lines } = capture();
    logger.info('plain');
    expect(lines()[0]).not.toHaveProperty('traceId');
  });
});

export type { Context };
