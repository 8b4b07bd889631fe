// Benchmarks of @game/health, each against a baseline in the same run. `pnpm bench`.
import { createHealthHttpHandler, createHealthRegistry } from '../src/index.js';
import { compare } from '@game/test-services/bench';

const checks = ['postgres', 'redis', 'event-loop', 'heap'].map((name) => ({
  name,
  cacheMs: 60_000,
  check: () => ({ observedValue: 1, observedUnit: 'ms' }),
}));
const health = createHealthRegistry({ checks, started: true, serviceId: 'bench' });
const handle = createHealthHttpHandler(health);
await health.runChecks();

// Baseline: what a hand-rolled probe does -- serialise a status object.
const handRolled = { status: 'pass', checks: Object.fromEntries(checks.map((c) => [c.name, [{ status: 'pass' }]])) };

const uncached = createHealthRegistry({
  checks: [{ name: 'ping', cacheMs: 0, check: () => undefined }],
  started: true,
});
const plainCheck = async () => {
  const s = performance.now();
  await Promise.resolve();
  return { status: 'pass', durationMs: performance.now() - s };
};

console.log(`# @game/health bench, ${new Date().toISOString()}, node ${process.version}`);
console.log('| case | ours ns/op | baseline ns/op | ratio |');
console.log('|---|---|---|---|');
await compare(
  'GET /health/ready, 4 cached checks (core handler) vs JSON.stringify of a status object',
  () => handle('/health/ready'),
  () => JSON.stringify(handRolled),
);
await compare('GET /health/live vs JSON.stringify({status})', () => handle('/health/live'), () =>
  JSON.stringify({ status: 'pass' }),
);
await compare(
  'one uncached check run (timeout, history, result) vs awaiting the bare check',
  () => uncached.runChecks(),
  plainCheck,
);
