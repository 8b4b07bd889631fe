// Benchmarks of @game/observability, each against a baseline in the same run. `pnpm bench`.
import pino from 'pino';
import { Histogram, Registry } from 'prom-client';
import { createLatencyHistogram, createLogger, getCorrelationId, timed, withContext } from '../src/index.js';
import { compare } from '@game/test-services/bench';

const sink = { write: (_line: string) => undefined };
const fields = { roomId: 'ABCD', seat: 2, move: { from: [1, 2], to: [3, 4] }, user: { name: 'ann', token: 'secret' } };

const ours = createLogger({ destination: sink });
const plain = pino({ timestamp: pino.stdTimeFunctions.isoTime }, sink);
// The same coverage with pino's own wildcard paths: every default key at depth 0..4.
const keys = ['password', 'passwd', 'secret', 'token', 'accessToken', 'refreshToken', 'idToken', 'apiKey', 'api_key',
  'authorization', 'cookie', '["set-cookie"]', 'email', 'phone'];
const wildcard = keys.flatMap((k) => [0, 1, 2, 3, 4].map((d) => '*.'.repeat(d).replace(/\.$/, k.startsWith('[') ? '' : '.') + k));
const pinoRedact = pino({ timestamp: pino.stdTimeFunctions.isoTime, redact: wildcard }, sink);

console.log(`# @game/observability bench, ${new Date().toISOString()}, node ${process.version}`);
console.log('| case | ours ns/op | baseline ns/op | ratio |');
console.log('|---|---|---|---|');
await compare(
  'log line: createLogger (redaction + context) vs plain pino',
  () => withContext({ correlationId: 'c-1', roomId: 'R' }, () => ours.info(fields, 'move played')),
  () => plain.info(fields, 'move played'),
);
await compare(
  'log line: createLogger vs pino with wildcard redact paths (same coverage)',
  () => withContext({ correlationId: 'c-1', roomId: 'R' }, () => ours.info(fields, 'move played')),
  () => pinoRedact.info(fields, 'move played'),
  800,
);
await compare(
  'log line below level (debug at info) vs plain pino',
  () => ours.debug(fields, 'dropped'),
  () => plain.debug(fields, 'dropped'),
);
await compare(
  'withContext + getCorrelationId vs direct call',
  () => withContext({ correlationId: 'c-1' }, () => getCorrelationId()),
  () => ((x: string) => x)('c-1'),
);
const registry = new Registry();
const h = createLatencyHistogram(registry, { name: 'bench_seconds', help: 'b', labelNames: ['op'] });
const raw = new Histogram({ name: 'raw_seconds', help: 'b', labelNames: ['op'], registers: [registry] });
await compare(
  'timed(sync fn) vs performance.now + observe',
  () => timed(h, () => 1, { labels: { op: 'x' } }),
  () => {
    const s = performance.now();
    const r = 1;
    raw.observe({ op: 'x' }, (performance.now() - s) / 1000);
    return r;
  },
);
