import { createTransport, type Transport, type TransportOptions } from '../src/index.js';

/** Starts a transport on a free loopback port after `setup` registered its routes. */
export async function startTransport(setup: (t: Transport) => void, options: TransportOptions = {}): Promise<{ t: Transport; url: string; http: string }> {
  const t = createTransport(options);
  setup(t);
  const { port } = await t.listen({ host: '127.0.0.1', port: 0 });
  return { t, url: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}` };
}

/** Resolves when `cond` holds, checking on every macrotask turn; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
