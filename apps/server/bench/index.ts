/**
 * `pnpm bench` for the server: a short load test (src/loadtest.ts) on SQLite and on PostgreSQL, each followed
 * in the same run by its two baselines -- a raw uWS server that only answers, and the same raw server
 * committing one row per action with the raw driver before answering. Prints one markdown row per database:
 * latency from an action to the last of its four frames, ours and the baselines', and ours / baseline.
 *
 * Short by default (BENCH_ROOMS=200 rooms, BENCH_SECONDS=20 s, BENCH_THINK_MS=2000); the numbers in
 * docs/perf/server-load.md come from `pnpm loadtest --rooms 1000 --think-ms 10000 --baseline`.
 */
import { postgresUrl, requirePostgres } from '@game/test-services';
import { runLoadTest, type LoadTestReport } from '../src/loadtest.js';

function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    process.exit(2);
  }
  return value;
}

const rooms = setting('BENCH_ROOMS', 200, 1, 5000);
const seconds = setting('BENCH_SECONDS', 20, 5, 3600);
const thinkMs = setting('BENCH_THINK_MS', 2000, 0, 60_000);

const ms = (x: number): string => x.toFixed(2);

function row(name: string, r: LoadTestReport): string {
  const b = r.baseline!;
  const s = r.storedBaseline!;
  return (
    `| ${name} | ${r.actions.perSecond} | ${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)} | ` +
    `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)} | ${b.ratio.p50}x / ${b.ratio.p99}x | ` +
    `${ms(s.latencyMs.p50)} / ${ms(s.latencyMs.p99)} | ${s.ratio.p50}x / ${s.ratio.p99}x |`
  );
}

async function run(name: string, databaseUrl: string | undefined): Promise<string> {
  console.error(`${name}: ${rooms} rooms, ${seconds} s, think ${thinkMs} ms, then both baselines ...`);
  const report = await runLoadTest({
    rooms,
    games: rooms * 100,
    durationSeconds: seconds,
    thinkMs,
    baseline: true,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  if (report.errors.total > 0 || report.games.stalled > 0) {
    throw new Error(`${name}: ${report.errors.total} errors, ${report.games.stalled} stalled rooms: ${JSON.stringify(report.errors.byType)}`);
  }
  return row(name, report);
}

const rows = [await run('SQLite', undefined)];
await requirePostgres();
rows.push(await run('PostgreSQL', postgresUrl()));

console.log(`# @game/server bench (load test + baselines), ${new Date().toISOString()}, node ${process.version}`);
console.log(`${rooms} rooms of 4 WebSocket players, think ${thinkMs} ms, ${seconds} s each; latency = action -> last of the four frames, ms`);
console.log('| database | actions/s | ours p50 / p99 | answer-only p50 / p99 | ours / answer-only | store-then-answer p50 / p99 | ours / store-then-answer |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
