/**
 * Metrics callbacks. Every hook is optional; wire them to prom-client (or anything) in the app.
 * Event names come from `eventOf` (bounded by the transport to 64 distinct names, then `'other'`).
 */
export interface MetricsHooks {
  /** A socket opened on `route`. */
  connectionOpened?(route: string): void;
  /** A socket closed on `route` with `code`. */
  connectionClosed?(route: string, code: number): void;
  /** One inbound frame handled (after the pipeline): event, size, outcome, seconds. */
  frameIn?(event: string, bytes: number, outcome: 'ok' | 'error', seconds: number): void;
  /** Frames written: event, bytes per copy, number of recipients. */
  frameOut?(event: string, bytes: number, recipients: number): void;
  /** A send that could not be written (closed socket, uWS refusal). */
  sendFailed?(reason: 'closed' | 'refused'): void;
  /** A volatile message dropped for a slow consumer. */
  dropped?(event: string): void;
  /** A slow consumer closed by the backpressure policy. */
  backpressureClosed?(route: string): void;
  /** How long one room broadcast took (encode + fan-out). */
  broadcastDuration?(seconds: number, recipients: number): void;
  /** An HTTP request finished. */
  httpRequest?(method: string, route: string, status: number, seconds: number): void;
}

/** Counters the transport always keeps (see `transport.stats()`). */
export interface TransportStats {
  connections: number;
  rooms: number;
  framesIn: number;
  framesInFailed: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  sendFailures: number;
  drops: number;
  backpressureCloses: number;
  inboundOverflows: number;
  inFlightFrames: number;
}

/** Caps the number of distinct label values a metrics backend sees. */
export class LabelCap {
  private readonly known = new Set<string>();
  constructor(private readonly max = 64) {}
  label(name: string): string {
    if (this.known.has(name)) return name;
    if (this.known.size >= this.max) return 'other';
    this.known.add(name);
    return name;
  }
}
