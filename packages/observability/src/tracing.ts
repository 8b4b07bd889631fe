import { SpanStatusCode, trace, type Attributes, type Span, type SpanKind, type Tracer } from '@opentelemetry/api';
import { getContext } from './context.js';

/** Options of {@link withSpan}. */
export interface SpanOptions {
  /** The tracer (default `trace.getTracer('@game')`: a no-op until the app registers an SDK). */
  tracer?: Tracer;
  attributes?: Attributes;
  kind?: SpanKind;
}

/** The tracer of `name` from the globally registered provider (a no-op without an SDK). */
export function getTracer(name = '@game', version?: string): Tracer {
  return trace.getTracer(name, version);
}

/**
 * Runs `fn` inside an active span named `name`: the span carries the current correlation id and
 * room, records a thrown error with status ERROR, and always ends. Costs next to nothing when no
 * OpenTelemetry SDK is registered.
 * @example await withSpan('room.command', async (span) => { span.setAttribute('command', cmd.type); ... });
 */
export function withSpan<T>(name: string, fn: (span: Span) => T | Promise<T>, options: SpanOptions = {}): Promise<T> {
  const tracer = options.tracer ?? trace.getTracer('@game');
  const ctx = getContext();
  const attributes: Attributes = { ...options.attributes };
  if (typeof ctx?.correlationId === 'string') attributes['game.correlation_id'] = ctx.correlationId;
  if (typeof ctx?.roomId === 'string') attributes['game.room_id'] = ctx.roomId;
  return tracer.startActiveSpan(
    name,
    { attributes, ...(options.kind === undefined ? {} : { kind: options.kind }) },
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
