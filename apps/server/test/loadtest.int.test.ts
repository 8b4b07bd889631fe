import { postgresUrl, requirePostgres } from '@game/test-services';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoadTestOptionsError, formatReport, runLoadTest, summarize, type LoadTestReport } from '../src/loadtest.js';
import { chooseAction } from '../src/loadtest-worker.js';

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
  expect(formatReport(r)).toContain(`p99 ${l.p99} ms`);
}

describe('loadtest tool', () => {
  it('summarize: nearest-rank percentiles', () => {
    const s = summarize(Float64Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(s).toEqual({ count: 100, mean: 50.5, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(summarize(new Float64Array()).count).toBe(0);
  });

  it('chooseAction: acts only on its own move', () => {
    const hand = [
      { kind: 'GENERAL_RED', value: 14 },
      { kind: 'SOLDIER_BLACK', value: 1 },
    ];
    const players = { Host: { hand, zero_declares_in_a_row: 0 } };
    const decl = { phase: 'declaration', round: 1, players, phase_data: { current_declarer: 'Host', declarations: { P2: 3, P3: 2, P4: 2 } } };
    const a = chooseAction(decl, 'Host');
    expect(a?.event).toBe('declare');
    expect(a?.data['value']).not.toBe(1); // 3+2+2+1 = 8 is forbidden for the last declarer
    expect(chooseAction(decl, 'P2')).toBeNull();
    const turn = { phase: 'turn', round: 1, players, phase_data: { current_player: 'Host', turn_plays: {}, required_piece_count: null, current_turn_number: 1 } };
    expect(chooseAction(turn, 'Host')).toMatchObject({ event: 'play', data: { player_name: 'Host' } });
  });

  it('refuses bad options with a clear error', async () => {
    await expect(runLoadTest({ rooms: 0 })).rejects.toThrow(LoadTestOptionsError);
    await expect(runLoadTest({ rooms: 1, databaseUrl: 'mysql://x' })).rejects.toThrow(/sqlite:<file> or postgres/);
    await expect(runLoadTest({ rooms: 1, databaseUrl: 'postgres://db.example.com/x' })).rejects.toThrow(/loopback only/);
  });

  it('3 rooms on SQLite: every game finishes, numbers are sane', { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    const r = await runLoadTest({ rooms: 3, durationSeconds: 100, onProgress: (l) => lines.push(l) });
    expectSane(r, 3);
    expect(r.database).toBe('sqlite');
    expect(r.utilisation.clients).toBeGreaterThan(0);
    if (r.durationSeconds > 1.5) expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/games \d+\/3 .*p99 [\d.]+/);
  });

  describe('on Postgres', () => {
    beforeAll(async () => {
      await requirePostgres();
    });
    it('3 rooms in a fresh schema: every game finishes', { timeout: 120_000 }, async () => {
      const r = await runLoadTest({ rooms: 3, durationSeconds: 100, databaseUrl: postgresUrl() });
      expectSane(r, 3);
      expect(r.database).toBe('postgres');
    });
  });
});
