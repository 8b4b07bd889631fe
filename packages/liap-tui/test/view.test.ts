import { describe, expect, it } from 'vitest';
import { nextDeadline, roomSummary, simulateGame, turnCompleteData, viewFor, type LiapEvent, type LiapState, type Phase } from '../src/index.js';
import { fire, gameWithHands, id, k, lobby, makeHands, run } from './helpers.js';

/** One state per phase from a simulated game (first visit), plus the events. */
function phases(): { byPhase: Map<Phase, LiapState>; events: LiapEvent[] } {
  const byPhase = new Map<Phase, LiapState>();
  const events: LiapEvent[] = [];
  simulateGame({
    seed: 5,
    config: { timeScale: 1, dealing: { mode: 'forced_weak' } },
    onStep: (_b, _c, evs, after) => {
      events.push(...evs);
      if (!byPhase.has(after.phase)) byPhase.set(after.phase, after);
    },
  });
  byPhase.set('waiting', lobby());
  return { byPhase, events };
}

const REQUIRED_KEYS: Record<Phase, string[]> = {
  waiting: ['connected_players', 'required_players', 'room_ready'],
  preparation: ['dealing_cards', 'redeal_multiplier', 'weak_players', 'weak_players_awaiting', 'simultaneous_mode', 'decisions_received', 'decisions_needed'],
  round_start: ['round_number', 'current_starter', 'starter_reason', 'display_duration'],
  declaration: ['declaration_order', 'current_declarer', 'declarations', 'declaration_total', 'current_declarer_index'],
  turn: ['current_player', 'current_turn_starter', 'turn_order', 'required_piece_count', 'turn_plays', 'current_turn_number', 'pile_counts', 'turn_complete'],
  turn_results: ['turn_winner', 'display_duration', 'next_phase', 'player_stats', 'pile_counts'],
  scoring: ['round_scores', 'total_scores', 'scoring_players_data', 'game_complete', 'winners', 'redeal_multiplier'],
  game_over: ['final_rankings', 'game_stats', 'winners'],
};

describe('viewFor: the phase_change data (protocol §3.4, decision 10)', () => {
  const { byPhase, events } = phases();

  it.each(Object.keys(REQUIRED_KEYS) as Phase[])('%s has the lowercase phase and the phase_data keys the frontend reads', (phase) => {
    const s = byPhase.get(phase)!;
    expect(s).toBeDefined();
    const v = viewFor(s, 0);
    expect(v.phase).toBe(phase);
    expect(Object.keys(v.phase_data)).toEqual(expect.arrayContaining(REQUIRED_KEYS[phase]));
    expect(Array.isArray(v.allowed_actions)).toBe(true);
    expect(typeof v.round).toBe('number');
    // players map in seat order with the fields of §3.4.1
    expect(Object.keys(v.players)).toEqual(s.seats.filter((x) => x !== null).map((x) => x.name));
    for (const p of Object.values(v.players)) {
      expect(Object.keys(p).sort()).toEqual(['avatar_color', 'captured_piles', 'declared', 'hand', 'hand_size', 'is_bot', 'is_host', 'name', 'score', 'zero_declares_in_a_row']);
    }
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  it('shows only the recipient its own hand; others get [] with the right hand_size', () => {
    const s = byPhase.get('declaration')!;
    for (let seat = 0; seat < 4; seat++) {
      const v = viewFor(s, seat);
      Object.values(v.players).forEach((p, i) => {
        expect(p.hand_size).toBe(s.players[i]!.hand.length);
        if (i === seat) expect(p.hand).toEqual(s.players[i]!.hand.map((kind) => ({ kind, value: expect.any(Number) as number })));
        else expect(p.hand).toEqual([]);
      });
    }
    expect(Object.values(viewFor(s, null).players).every((p) => p.hand.length === 0)).toBe(true);
  });

  it('hand entries are {value, kind} objects, in server order (the order play indices refer to)', () => {
    const hands = makeHands({ 0: k('GENERAL_RED SOLDIER_BLACK HORSE_RED SOLDIER_RED SOLDIER_RED CANNON_BLACK ELEPHANT_BLACK CHARIOT_RED') });
    const s = gameWithHands(hands);
    expect(viewFor(s, 0).players['Host']!.hand.slice(0, 3)).toEqual([
      { value: 14, kind: 'GENERAL_RED' },
      { value: 1, kind: 'SOLDIER_BLACK' },
      { value: 6, kind: 'HORSE_RED' },
    ]);
  });

  it('preparation shows the weak players awaiting a decision and the multiplier', () => {
    const s = byPhase.get('preparation')!;
    const v = viewFor(s, 0);
    expect(v.phase_data).toMatchObject({ simultaneous_mode: true, weak_players_awaiting: ['Host'], redeal_multiplier: 1, decision_timeout: 30 });
  });

  it('turn_plays carry KIND(points) strings, keyed by name in play order', () => {
    const s = byPhase.get('turn')!;
    let t = s;
    const played = run(t, { type: 'play', id: id(), seat: t.turn!.order[0]!, indices: [0] });
    t = played.state;
    const plays = viewFor(t, 0).phase_data['turn_plays'] as Record<string, { pieces: string[]; play_type: string; is_valid: boolean }>;
    const [name, play] = Object.entries(plays)[0]!;
    expect(name).toBe(t.seats[t.turn!.order[0]!]!.name);
    expect(play.pieces[0]).toMatch(/^[A-Z]+_(RED|BLACK)\(\d+\)$/);
    expect(play).toMatchObject({ play_type: 'SINGLE', is_valid: true });
    expect(viewFor(t, 0).phase_data['required_piece_count']).toBe(1);
  });

  it('game_over has rankings with distinct ranks, real turns_won and an "N min" duration', () => {
    const v = viewFor(byPhase.get('game_over')!, 0).phase_data as {
      final_rankings: { rank: number; turns_won: number; score: number }[];
      game_stats: { game_duration: string; total_rounds: number };
    };
    expect(v.final_rankings.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
    expect(v.final_rankings.reduce((a, r) => a + r.turns_won, 0)).toBeGreaterThan(0);
    expect(v.game_stats.game_duration).toMatch(/^\d+ min$/);
  });

  it('turnCompleteData maps a turn_completed event to the turn_complete frame (§8.8)', () => {
    const e = events.find((x): x is Extract<LiapEvent, { type: 'turn_completed' }> => x.type === 'turn_completed')!;
    const d = turnCompleteData(e);
    expect(d).toMatchObject({
      winner: e.winnerName,
      turn_number: e.turnNumber,
      next_starter: e.nextStarterName,
      all_hands_empty: e.allHandsEmpty,
      will_continue: !e.allHandsEmpty,
    });
    expect(d['winning_play']).toMatchObject({ type: e.plays[0]!.playType, pilesWon: e.pilesWon });
    expect(Object.values(d['player_piles'] as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(e.pilesWon);
    expect((d['turn_players_data'] as unknown[]).length).toBe(4);
    expect((d['turn_resolution'] as { all_plays: unknown[] }).all_plays).toHaveLength(4);
  });
});

describe('roomSummary and nextDeadline', () => {
  it('summarises seats, host and connection for room_update / lobby frames', () => {
    let s = run(lobby(), { type: 'remove_player', id: id(), seat: 0, slot: 3 }).state;
    s = run(s, { type: 'join_room', id: id(), name: 'Ann' }).state;
    s = run(s, { type: 'player_disconnected', id: id(), seat: 3 }).state;
    expect(roomSummary(s)).toEqual({
      seats: [
        { seat: 0, name: 'Host', is_bot: false, is_host: true, connected: true, avatar_color: s.seats[0]!.avatarColor },
        { seat: 1, name: 'Bot 2', is_bot: true, is_host: false, connected: true, avatar_color: null },
        { seat: 2, name: 'Bot 3', is_bot: true, is_host: false, connected: true, avatar_color: null },
        { seat: 3, name: 'Ann', is_bot: false, is_host: false, connected: false, avatar_color: s.seats[3]!.avatarColor },
      ],
      host_name: 'Host',
      started: false,
      status: 'open',
      phase: 'waiting',
      occupied: 4,
      humans: 2,
    });
  });

  it('nextDeadline is the earliest pending timer, null when none', () => {
    const weak = makeHands({ 2: k('ELEPHANT_BLACK ELEPHANT_BLACK CHARIOT_RED CHARIOT_RED HORSE_RED HORSE_RED CANNON_RED CANNON_RED') });
    const s = gameWithHands(weak, { timeScale: 0.5 }, 100);
    expect(nextDeadline(s)).toEqual({ timer: 'redealWarning', dueAt: 10100 });
    expect(nextDeadline(lobby())).toBeNull();
    expect(fire(gameWithHands(makeHands({})), 'dealingEnds').state.timers).toHaveLength(1);
  });
});
