import { describe, expect, it } from 'vitest';
import { LoadTestOptionsError, runLoadTest, summarize } from '../src/loadtest.js';
import { chooseAction, isRoomList, setupFailure } from '../src/loadtest-worker.js';

describe('loadtest tool (no I/O)', () => {
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

  it('isRoomList: only large lobby directory frames are skipped undecoded', () => {
    const rooms = Array.from({ length: 20 }, (_, i) => ({ room_id: `R${i}`, host_name: 'Host', player_count: 4 }));
    expect(isRoomList(Buffer.from(JSON.stringify({ event: 'room_list_update', data: { rooms } })))).toBe(true);
    expect(isRoomList(Buffer.from(JSON.stringify({ event: 'room_list_update', data: { rooms: [] } })))).toBe(false);
    expect(isRoomList(Buffer.from(JSON.stringify({ event: 'phase_change', data: { rooms, note: 'room_list_update' } })))).toBe(false);
  });

  it('setupFailure: a failed set-up is reported with its reason, numbers folded so that reasons group', () => {
    expect(setupFailure(new Error('timed out waiting for room_created'))).toBe('setup_failed: timed out waiting for room_created');
    expect(setupFailure(new Error('join_room: {"code":"ROOM_FULL","seat":3}'))).toBe('setup_failed: join_room: {"code":"ROOM_FULL","seat":#}');
    expect(setupFailure('closed 1006')).toBe('setup_failed: closed #');
    expect(setupFailure(new Error('x'.repeat(300))).length).toBe('setup_failed: '.length + 100);
  });

});
