import { postgresUrl, requirePostgres } from '@game/test-services';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runLoadTest, type LoadTestReport } from '../src/loadtest.js';

function expectSane(r: LoadTestReport, rooms: number): void {
  expect(r.rooms).toBe(rooms);
  expect(r.sockets).toBe(rooms * 4);
  expect(r.stoppedBy).toBe('games');
  expect(r.games).toEqual({ target: rooms, started: rooms, finished: rooms, unfinished: 0, stalled: 0 });
  expect(r.errors).toEqual({ total: 0, byType: {} });
  // The only refusals allowed: a redeal answer that lost the race against the 0 ms redeal timeout.
  for (const key of Object.keys(r.rejected.byType)) expect(key).toMatch(/^WRONG_PHASE:(decline|accept)_redeal$/);
  // A game is a dozen rounds of 4 declarations and 8 turns of 4 plays at least.
  expect(r.actions.completed).toBeGreaterThan(rooms * 100);
  expect(r.actions.completed).toBeLessThanOrEqual(r.actions.sent);
  expect(r.actions.perSecond).toBeGreaterThan(0);
  const l = r.latencyMs;
  expect(l.count).toBe(r.actions.completed);
  expect(l.p50).toBeGreaterThan(0);
  expect(l.p50).toBeLessThanOrEqual(l.p90);
  expect(l.p90).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.max);
  expect(l.max).toBeLessThan(r.durationSeconds * 1000);
  expect(r.utilisation.server).toBeGreaterThan(0);
  expect(r.cpu.processSeconds).toBeGreaterThan(0);
  if (r.cpu.serverThreadSeconds !== null) {
    // The server thread cannot have used more CPU than the whole process.
    expect(r.cpu.serverThreadSeconds).toBeGreaterThan(0);
    expect(r.cpu.serverThreadSeconds).toBeLessThanOrEqual(r.cpu.processSeconds + 0.05);
    expect(r.cpu.serverMsPerAction).toBeGreaterThan(0);
  }
  // Every completed action is in exactly one event's sample; a full game has declarations and plays.
  const byEvent = r.latencyByEventMs;
  expect(Object.values(byEvent).reduce((n, s) => n + s.count, 0)).toBe(l.count);
  expect(Object.keys(byEvent)).toEqual(expect.arrayContaining(['declare', 'play']));
  for (const event of Object.keys(byEvent)) expect(event).toMatch(/^(declare|play|accept_redeal|decline_redeal)$/);
  for (const s of Object.values(byEvent)) {
    expect(s.p50).toBeLessThanOrEqual(s.p99);
    expect(s.max).toBeLessThanOrEqual(l.max);
  }
  const play = byEvent['play']!;
  expect(formatReport(r)).toContain(`p99 ${l.p99} ms`);
  expect(formatReport(r)).toContain(`play p50 ${play.p50} p99 ${play.p99} (n=${play.count})`);
}

/** The "store, then answer" baseline: every answered action was committed (rows read back), ratios computed. */
function expectStoredBaseline(r: LoadTestReport, store: 'sqlite' | 'postgres', lines: string[]): void {
  const s = r.storedBaseline!;
  expect(s.store).toBe(store);
  expect(s.errors).toBe(0);
  expect(s.lastError).toBeNull();
  expect(s.frameBytes).toBe(r.baseline!.frameBytes);
  expect(s.latencyMs.count).toBeGreaterThan(100);
  // An action is answered only after its row committed; actions still in flight at the stop may add rows.
  expect(s.rowsStored).toBeGreaterThanOrEqual(s.latencyMs.count);
  expect(s.rowsStored, `rows ${s.rowsStored}, answered ${s.latencyMs.count}`).toBeLessThanOrEqual(s.latencyMs.count + r.rooms);
  expect(s.ratio.p99).toBe(Math.round((r.latencyMs.p99 / s.latencyMs.p99) * 100) / 100);
  for (const l of lines.filter((x) => x.startsWith(`baseline+${store}`))) expect(l).toMatch(/^baseline\+(sqlite|postgres) \[\s*\d+s\] games \d+\/3 /);
  expect(lines.some((l) => l.startsWith(`baseline+${store} `)) || r.durationSeconds <= 1.5).toBe(true);
  expect(formatReport(r)).toContain(`ours / baseline+${store}: p50 ${s.ratio.p50}x`);
}

describe('loadtest tool (real server, real sockets)', () => {
  it('3 rooms on SQLite: every game finishes, numbers are sane; the baseline runs as long with frames of the same size', { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const r = await runLoadTest({ rooms: 3, durationSeconds: 100, baseline: true, onProgress: (l) => lines.push(l) });
    expectSane(r, 3);
    expect(r.database).toBe('sqlite');
    expect(r.utilisation.clients).toBeGreaterThan(0);
    if (r.durationSeconds > 1.5) expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/games \d+\/3 .*p99 [\d.]+/);

    // phase_change frames carry a full personalised view: hundreds of bytes at least.
    expect(r.bytesPerSocketAction).toBeGreaterThan(300);
    const b = r.baseline!;
    expect(b.frameBytes).toBe(r.bytesPerSocketAction);
    expect(b.errors).toBe(0);
    expect(b.lastError).toBeNull();
    expect(b.latencyMs.count).toBeGreaterThan(100);
    expect(b.actionsPerSecond).toBeGreaterThan(0);
    expect(b.latencyMs.p50).toBeGreaterThan(0);
    expect(b.latencyMs.p50).toBeLessThanOrEqual(b.latencyMs.p99);
    expect(b.ratio.p50).toBe(Math.round((r.latencyMs.p50 / b.latencyMs.p50) * 100) / 100);
    expect(b.ratio.p99).toBe(Math.round((r.latencyMs.p99 / b.latencyMs.p99) * 100) / 100);
    // The baseline's progress lines (one a second while it runs) are told apart by their prefix.
    for (const l of lines.filter((x) => x.startsWith('baseline '))) expect(l).toMatch(/^baseline \[\s*\d+s\] games \d+\/3 /);
    expect(formatReport(r)).toContain(`ours / baseline: p50 ${b.ratio.p50}x`);
    expect(b.store).toBe('none');
    expectStoredBaseline(r, 'sqlite', lines);
  });

  describe('on Postgres', () => {
    beforeAll(async () => {
      await requirePostgres();
    });
    it('3 rooms in a fresh schema: every game finishes; the stored baseline commits every action to Postgres', { timeout: 180_000 }, async () => {
      const lines: string[] = [];
      const r = await runLoadTest({ rooms: 3, durationSeconds: 100, databaseUrl: postgresUrl(), baseline: true, onProgress: (l) => lines.push(l) });
      expectSane(r, 3);
      expect(r.database).toBe('postgres');
      expectStoredBaseline(r, 'postgres', lines);
    });
  });
});
