/** Unit tests of the test client's own logic (no server, no I/O): contract checks, choices, cookie jar. */
import { describe, expect, it } from 'vitest';
import {
  createDeck,
  createRng,
  playType,
  validDeclarations as rulesValidDeclarations,
  type PieceKind,
} from '@game/liap-tui';
import {
  Browser,
  checkServerFrame,
  FrameOrderChecker,
  decide,
  defaultPlay,
  turnLeader,
  describeFrames,
  findForeignHands,
  parseServerFrame,
  reflects,
  snapDeclaration,
  validDeclarations,
  wsOrigin,
  type HandPiece,
  type ServerFrame,
  type Strategy,
} from './support/index.js';

const VALUES: Record<string, number> = {
  GENERAL_RED: 14,
  GENERAL_BLACK: 13,
  ADVISOR_RED: 12,
  ADVISOR_BLACK: 11,
  ELEPHANT_RED: 10,
  ELEPHANT_BLACK: 9,
  CHARIOT_RED: 8,
  CHARIOT_BLACK: 7,
  HORSE_RED: 6,
  HORSE_BLACK: 5,
  CANNON_RED: 4,
  CANNON_BLACK: 3,
  SOLDIER_RED: 2,
  SOLDIER_BLACK: 1,
};

function piece(kind: string): HandPiece {
  return { value: VALUES[kind] ?? 0, kind };
}

function player(
  name: string,
  hand: HandPiece[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    is_bot: false,
    avatar_color: null,
    hand,
    hand_size: hand.length,
    zero_declares_in_a_row: 0,
    declared: 0,
    captured_piles: 0,
    score: 0,
    ...extra,
  };
}

/** A well-formed phase_change for recipient Alice (own hand in full, others blank). */
function phaseChange(
  phase: string,
  phaseData: Record<string, unknown>,
  opts: { aliceHand?: HandPiece[]; alice?: Record<string, unknown>; round?: number } = {},
): ServerFrame {
  const hand = opts.aliceHand ?? [piece('GENERAL_RED'), piece('SOLDIER_BLACK')];
  return {
    event: 'phase_change',
    data: {
      phase,
      round: opts.round ?? 1,
      phase_data: phaseData,
      players: {
        Alice: player('Alice', hand, opts.alice),
        Bob: { ...player('Bob', []), hand_size: hand.length },
        'Bot 3': { ...player('Bot 3', []), is_bot: true, hand_size: hand.length },
        'Bot 4': { ...player('Bot 4', []), is_bot: true, hand_size: hand.length },
      },
    },
  };
}

const TURN_DATA = {
  current_player: 'Alice',
  current_turn_starter: 'Alice',
  required_piece_count: null,
  turn_plays: {},
  current_turn_number: 1,
  turn_complete: false,
};

const STRATEGY: Strategy = { redeal: 'decline', declare: () => 3, play: defaultPlay, acceptedSoFar: 0 };

function rules(frame: ServerFrame, me: string | null = 'Alice'): string[] {
  return checkServerFrame(frame, { me }).map((v) => v.rule);
}

describe('envelope parsing', () => {
  it('accepts exactly {event, data}', () => {
    const { frame, violations } = parseServerFrame('{"event":"pong","data":{"timestamp":1}}');
    expect(frame).toEqual({ event: 'pong', data: { timestamp: 1 } });
    expect(violations).toEqual([]);
  });

  it('flags a top-level sequence, non-object data, non-JSON and non-objects', () => {
    expect(parseServerFrame('{"event":"x","data":{},"sequence":3}').violations.map((v) => v.rule)).toEqual([
      'envelope.keys',
    ]);
    expect(parseServerFrame('{"event":"x","data":[]}').violations.map((v) => v.rule)).toEqual([
      'envelope.data',
    ]);
    expect(parseServerFrame('{"type":"heartbeat","timestamp":1}').violations.map((v) => v.rule)).toEqual([
      'envelope.event',
      'envelope.keys',
      'envelope.data',
    ]);
    expect(parseServerFrame('not json').violations.map((v) => v.rule)).toEqual(['envelope.json']);
    expect(parseServerFrame('[1,2]').violations.map((v) => v.rule)).toEqual(['envelope.object']);
  });
});

describe('phase_change contract checks', () => {
  it('passes well-formed frames of every phase', () => {
    const frames = [
      phaseChange('preparation', {
        dealing_cards: false,
        redeal_multiplier: 1,
        weak_players_awaiting: ['Alice'],
        simultaneous_mode: true,
      }),
      phaseChange('round_start', {
        round_number: 1,
        current_starter: 'Alice',
        starter_reason: 'has_general_red',
      }),
      phaseChange('declaration', {
        declaration_order: ['Alice', 'Bob', 'Bot 3', 'Bot 4'],
        current_declarer: null,
        declarations: { Alice: 2 },
      }),
      phaseChange('turn', {
        ...TURN_DATA,
        turn_plays: { Bob: { pieces: ['GENERAL_BLACK(13)'], play_type: 'SINGLE', play_value: 13 } },
        required_piece_count: 1,
      }),
      phaseChange('turn_results', {}),
      phaseChange('scoring', {
        round_scores: {},
        total_scores: { Alice: 3 },
        scoring_players_data: [],
        game_complete: false,
      }),
      phaseChange('game_over', {
        final_rankings: [],
        game_stats: { game_duration: '3 min' },
        winners: ['Alice'],
      }),
    ];
    for (const f of frames) expect(rules(f), String(f.data['phase'])).toEqual([]);
  });

  it('flags uppercase phases', () => {
    expect(rules(phaseChange('PREPARATION', {}))).toContain('phase_change.phase_lowercase');
  });

  it('flags an opponent hand that is not [] and a hand_size that is not an int', () => {
    const f = phaseChange('turn', TURN_DATA);
    const players = f.data['players'] as Record<string, Record<string, unknown>>;
    (players['Bob'] as Record<string, unknown>)['hand'] = [piece('CANNON_RED')];
    (players['Bot 3'] as Record<string, unknown>)['hand_size'] = 1.5;
    const found = rules(f);
    expect(found).toContain('phase_change.opponent_hand');
    expect(found).toContain('phase_change.hand_size');
    expect(found).toContain('privacy.foreign_hand');
  });

  it('flags own hand items in the old string form and a wrong own hand_size', () => {
    const f = phaseChange('turn', TURN_DATA, {
      aliceHand: ['GENERAL_RED(14)' as unknown as HandPiece],
      alice: { hand_size: 2 },
    });
    expect(rules(f)).toEqual(
      expect.arrayContaining(['phase_change.own_hand_item', 'phase_change.own_hand_size']),
    );
  });

  it('flags missing REQ phase_data keys per phase', () => {
    const turn = { ...TURN_DATA } as Record<string, unknown>;
    delete turn['turn_plays'];
    delete turn['required_piece_count'];
    expect(rules(phaseChange('turn', turn))).toEqual([
      'phase_data.turn.required_piece_count',
      'phase_data.turn.turn_plays',
    ]);
    expect(rules(phaseChange('declaration', { declaration_order: [], declarations: {} }))).toEqual([
      'phase_data.declaration.current_declarer',
    ]);
    expect(
      rules(phaseChange('preparation', { redeal_multiplier: 1, weak_players_awaiting: ['Bob'] })),
    ).toEqual(['phase_data.preparation.simultaneous_mode']);
    expect(
      rules(phaseChange('game_over', { final_rankings: [], game_stats: { game_duration: 90 }, winners: [] })),
    ).toEqual(['phase_data.game_over.game_stats']);
  });

  it('a blank own hand is fine while the socket is not bound yet (or was refused), but not once bound', () => {
    const f = phaseChange('turn', TURN_DATA, { aliceHand: [], alice: { hand_size: 8 } });
    expect(checkServerFrame(f, { me: 'Alice', bound: false })).toEqual([]);
    expect(checkServerFrame(f, { me: 'Alice' }).map((v) => v.rule)).toEqual(['phase_change.own_hand_size']);
  });

  it('any hand in a frame to an unbound socket is a violation', () => {
    expect(rules(phaseChange('turn', TURN_DATA), null)).toEqual(
      expect.arrayContaining(['phase_change.opponent_hand', 'privacy.foreign_hand']),
    );
  });
});

describe('other frames', () => {
  it('turn_complete needs winner and winning_play', () => {
    expect(
      rules({
        event: 'turn_complete',
        data: {
          winner: 'Bob',
          winning_play: { pieces: ['X_RED(1)'], value: 1, type: 'SINGLE', pilesWon: 1 },
        },
      }),
    ).toEqual([]);
    expect(rules({ event: 'turn_complete', data: { winner: 'Bob' } })).toEqual([
      'turn_complete.winning_play',
    ]);
    expect(rules({ event: 'turn_complete', data: { winning_play: null } })).toEqual(['turn_complete.winner']);
  });

  it('room frames and error frames', () => {
    expect(rules({ event: 'room_created', data: { room_id: 'k7qx2m' } })).toEqual(['room_created.room_id']);
    expect(rules({ event: 'room_update', data: { players: [null, null, null] } })).toEqual([
      'room_update.players',
    ]);
    expect(
      rules({
        event: 'room_update',
        data: {
          players: [
            { name: 'A', is_bot: false, is_host: true, player_id: 'R_p0' },
            null,
            null,
            { name: 'Bot 4', is_bot: true },
          ],
        },
      }),
    ).toEqual(['room_update.player']);
    expect(rules({ event: 'error', data: { type: 'validation_error' } })).toEqual(['error.message']);
  });

  it('finds another player pieces anywhere, but not played pieces or the own hand', () => {
    expect(
      findForeignHands(
        { players: { Alice: { hand: [piece('CANNON_RED')] } }, my_hand: [piece('CANNON_RED')] },
        'Alice',
      ),
    ).toEqual([]);
    expect(
      findForeignHands({ phase_data: { players: { Bob: { hand: [piece('CANNON_RED')] } } } }, 'Alice'),
    ).toHaveLength(1);
    expect(
      findForeignHands({ seats: [{ player_name: 'Bob', hand: [piece('CANNON_RED')] }] }, 'Alice'),
    ).toHaveLength(1);
    expect(findForeignHands({ hands: [[], [piece('HORSE_RED')]] }, 'Alice')).toHaveLength(1);
    expect(findForeignHands({ turn_plays: { Bob: { pieces: ['HORSE_RED(6)'] } } }, 'Alice')).toEqual([]);
  });
});

describe('frame order checks', () => {
  const turnFrame = (turn: number, plays: string[]): ServerFrame =>
    phaseChange('turn', {
      ...TURN_DATA,
      current_turn_number: turn,
      turn_plays: Object.fromEntries(
        plays.map((n) => [n, { pieces: ['HORSE_RED(6)'], play_type: 'SINGLE' }]),
      ),
    });
  const all = ['Alice', 'Bob', 'Bot 3', 'Bot 4'];

  it('turn_complete must arrive before the next turn starts', () => {
    const ok = new FrameOrderChecker();
    const good = [
      turnFrame(1, ['Alice']),
      turnFrame(1, all),
      turnFrame(1, all),
      { event: 'turn_complete', data: {} },
      turnFrame(2, []),
    ];
    expect(good.flatMap((f) => ok.check(f))).toEqual([]);
    const resent = new FrameOrderChecker();
    const snapshotAfter = [
      turnFrame(1, all),
      { event: 'turn_complete', data: {} },
      turnFrame(1, all),
      turnFrame(2, []),
    ];
    expect(snapshotAfter.flatMap((f) => resent.check(f))).toEqual([]);
    const joined = new FrameOrderChecker();
    const resolved = phaseChange('turn', {
      ...(turnFrame(1, all).data['phase_data'] as Record<string, unknown>),
      winner: 'Bob',
    });
    expect([resolved, resolved, turnFrame(2, [])].flatMap((f) => joined.check(f))).toEqual([]);
    const bad = new FrameOrderChecker();
    const found = [turnFrame(1, all), turnFrame(2, [])].flatMap((f) => bad.check(f)).map((v) => v.rule);
    expect(found).toEqual(['order.turn_complete_missing']);
    const leaving = new FrameOrderChecker();
    expect(
      [turnFrame(8, all), phaseChange('turn_results', {})]
        .flatMap((f) => leaving.check(f))
        .map((v) => v.rule),
    ).toEqual(['order.turn_complete_missing']);
  });

  it('game_started must precede the first phase_change', () => {
    const c = new FrameOrderChecker();
    expect(c.check({ event: 'game_started', data: {} })).toEqual([]);
    expect(c.check(phaseChange('preparation', { redeal_multiplier: 1 }))).toEqual([]);
    expect(c.check({ event: 'game_started', data: {} }).map((v) => v.rule)).toEqual([
      'order.game_started_after_phase_change',
    ]);
  });

  it('room_list_update rooms need 4 seats and game_in_progress', () => {
    const room = {
      room_id: 'ABC123',
      game_in_progress: false,
      players: [{ name: 'A', is_bot: false }, null, null, null],
    };
    expect(rules({ event: 'room_list_update', data: { rooms: [room] } })).toEqual([]);
    expect(rules({ event: 'room_list_update', data: { rooms: [{ ...room, players: [null] }] } })).toEqual([
      'room_list_update.room',
    ]);
  });
});

describe('declaration choice (decision 4)', () => {
  it('matches the rules package for every situation', () => {
    for (let total = 0; total <= 8; total++) {
      for (const isLast of [false, true]) {
        for (const zeroStreak of [0, 1, 2, 3]) {
          expect(validDeclarations(total, isLast, zeroStreak)).toEqual(
            rulesValidDeclarations({ earlierTotal: total, isLast, zeroStreak }),
          );
        }
      }
    }
  });

  it('snaps to the nearest valid value', () => {
    expect(snapDeclaration(2, [0, 1, 3, 4])).toBe(1);
    expect(snapDeclaration(0, [1, 2])).toBe(1);
    expect(snapDeclaration(9, [0, 8])).toBe(8);
  });

  it('the last declarer never makes the total 8 and a double-zero streak never declares 0', () => {
    const order = ['Bob', 'Bot 3', 'Bot 4', 'Alice'];
    const last = phaseChange('declaration', {
      declaration_order: order,
      current_declarer: 'Alice',
      declarations: { Bob: 3, 'Bot 3': 2, 'Bot 4': 1 },
    });
    const d = decide(last.data, 'Alice', { ...STRATEGY, declare: () => 2 });
    expect(d?.event).toBe('declare');
    expect(d?.data['value']).not.toBe(2);
    expect(d?.data).toEqual({ value: 1, player_name: 'Alice' });

    const first = phaseChange(
      'declaration',
      { declaration_order: ['Alice', ...order.slice(0, 3)], current_declarer: 'Alice', declarations: {} },
      { alice: { zero_declares_in_a_row: 2 } },
    );
    expect(decide(first.data, 'Alice', { ...STRATEGY, declare: () => 0 })?.data['value']).toBe(1);
  });

  it('does nothing when another player declares or Alice already declared', () => {
    const order = ['Alice', 'Bob', 'Bot 3', 'Bot 4'];
    expect(
      decide(
        phaseChange('declaration', { declaration_order: order, current_declarer: 'Bob', declarations: {} })
          .data,
        'Alice',
        STRATEGY,
      ),
    ).toBeNull();
    expect(
      decide(
        phaseChange('declaration', {
          declaration_order: order,
          current_declarer: 'Alice',
          declarations: { Alice: 1 },
        }).data,
        'Alice',
        STRATEGY,
      ),
    ).toBeNull();
  });
});

describe('play choice', () => {
  const kinds = (hand: readonly PieceKind[]): HandPiece[] => hand.map((k) => piece(k));

  it('the starter always plays a valid combination and followers the required count (random hands)', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 200; trial++) {
      const deck = createDeck();
      for (let i = deck.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [deck[i], deck[j]] = [deck[j] as PieceKind, deck[i] as PieceKind];
      }
      const size = 1 + (trial % 8);
      const hand = deck.slice(0, size);
      const base = { round: 1, turnNumber: 1, hand: kinds(hand), need: rng.int(-2, 8) };
      const starter = defaultPlay({ ...base, required: null, leader: null });
      expect(new Set(starter).size).toBe(starter.length);
      expect(playType(starter.map((i) => hand[i] as PieceKind))).not.toBe('INVALID');
      for (let required = 1; required <= Math.min(6, size); required++) {
        const type = required === 1 ? 'SINGLE' : required === 2 ? 'PAIR' : 'STRAIGHT';
        const leader = { name: 'Bob', type, value: rng.int(1, 28) };
        const follow = defaultPlay({ ...base, required, leader });
        expect(follow).toHaveLength(required);
        expect(new Set(follow).size).toBe(required);
        expect(follow.every((i) => i >= 0 && i < size)).toBe(true);
      }
    }
  });

  it('indices refer to the hand in the order received, and play_value is their sum', () => {
    const hand = [piece('SOLDIER_BLACK'), piece('ADVISOR_RED'), piece('CANNON_RED'), piece('ADVISOR_RED')];
    const d = decide(
      phaseChange('turn', TURN_DATA, { aliceHand: hand, alice: { declared: 3 } }).data,
      'Alice',
      STRATEGY,
    );
    expect(d).toEqual({
      key: 'turn:r1:t1:Alice',
      event: 'play',
      data: { piece_indices: [1, 3], player_name: 'Alice', play_value: 24 },
      pieces: ['ADVISOR_RED(12)', 'ADVISOR_RED(12)'],
    });
  });

  it('a follower plays exactly required_piece_count pieces', () => {
    const hand = [piece('SOLDIER_BLACK'), piece('ADVISOR_RED'), piece('CANNON_RED')];
    const data = {
      ...TURN_DATA,
      current_turn_starter: 'Bob',
      required_piece_count: 2,
      turn_plays: { Bob: { pieces: ['HORSE_RED(6)', 'HORSE_RED(6)'], play_type: 'PAIR' } },
    };
    const d = decide(phaseChange('turn', data, { aliceHand: hand }).data, 'Alice', STRATEGY);
    expect((d?.data['piece_indices'] as number[]).length).toBe(2);
  });

  it('plays to the declaration: takes piles while needed, dumps low pieces once it has enough', () => {
    const hand = [piece('SOLDIER_BLACK'), piece('ADVISOR_RED'), piece('CANNON_RED'), piece('HORSE_RED')];
    const ctx = { round: 1, turnNumber: 1, hand };
    expect(defaultPlay({ ...ctx, required: null, need: 1, leader: null })).toEqual([1]);
    expect(defaultPlay({ ...ctx, required: null, need: 0, leader: null })).toEqual([0]);
    // Follower: the cheapest single that beats the leader, or the lowest when none does or none is needed.
    expect(
      defaultPlay({ ...ctx, required: 1, need: 1, leader: { name: 'Bob', type: 'SINGLE', value: 5 } }),
    ).toEqual([3]);
    expect(
      defaultPlay({ ...ctx, required: 1, need: 1, leader: { name: 'Bob', type: 'SINGLE', value: 13 } }),
    ).toEqual([0]);
    expect(
      defaultPlay({ ...ctx, required: 1, need: 0, leader: { name: 'Bob', type: 'SINGLE', value: 5 } }),
    ).toEqual([0]);
    const pairs = [
      piece('CHARIOT_RED'),
      piece('SOLDIER_RED'),
      piece('CHARIOT_RED'),
      piece('SOLDIER_RED'),
      piece('HORSE_BLACK'),
    ];
    const leader = { name: 'Bob', type: 'PAIR', value: 10 };
    expect(
      defaultPlay({ round: 1, turnNumber: 1, hand: pairs, required: 2, need: 2, leader }).sort(),
    ).toEqual([0, 2]);
    expect(
      defaultPlay({ round: 1, turnNumber: 1, hand: pairs, required: null, need: 2, leader: null }).sort(),
    ).toEqual([0, 2]);
  });

  it('finds the play winning so far (same type and strictly higher replaces; ties stay with the earlier)', () => {
    expect(turnLeader({})).toBeNull();
    expect(
      turnLeader({
        Bob: { pieces: ['HORSE_RED(6)'], play_type: 'SINGLE', play_value: 6 },
        Carl: { pieces: ['SOLDIER_RED(2)', 'SOLDIER_BLACK(1)'], play_type: 'INVALID', play_value: 30 },
        Dan: { pieces: ['CHARIOT_RED(8)'], play_type: 'SINGLE' },
        Eve: { pieces: ['CHARIOT_RED(8)'], type: 'SINGLE', play_value: 8 },
      }),
    ).toEqual({ name: 'Dan', type: 'SINGLE', value: 8 });
  });

  it('acts once per turn: not when it already played, not after turn_complete, not on other turns', () => {
    const played = {
      ...TURN_DATA,
      turn_plays: { Alice: { pieces: ['GENERAL_RED(14)'], play_type: 'SINGLE' } },
      required_piece_count: 1,
    };
    expect(decide(phaseChange('turn', played).data, 'Alice', STRATEGY)).toBeNull();
    expect(
      decide(phaseChange('turn', { ...TURN_DATA, turn_complete: true }).data, 'Alice', STRATEGY),
    ).toBeNull();
    expect(
      decide(phaseChange('turn', { ...TURN_DATA, current_player: 'Bob' }).data, 'Alice', STRATEGY),
    ).toBeNull();
    const k1 = decide(phaseChange('turn', TURN_DATA).data, 'Alice', STRATEGY)?.key;
    const k2 = decide(
      phaseChange('turn', { ...TURN_DATA, current_turn_number: 2 }).data,
      'Alice',
      STRATEGY,
    )?.key;
    expect(k1).not.toBe(k2);
  });
});

describe('acknowledgement by broadcast', () => {
  const play = { key: 'turn:r1:t1:Alice', event: 'play' as const, data: {}, pieces: ['HORSE_RED(6)'] };
  const declare = { key: 'declaration:r1:Alice', event: 'declare' as const, data: { value: 2 } };
  const accept = { key: 'preparation:r1:x1:Alice', event: 'accept_redeal' as const, data: {} };

  it('sees its own play, declaration and redeal decision in later frames', () => {
    const played = { ...TURN_DATA, turn_plays: { Alice: { pieces: ['HORSE_RED(6)'], play_type: 'SINGLE' } } };
    expect(reflects(phaseChange('turn', played).data, 'Alice', play)).toBe(true);
    const d = { declaration_order: [], current_declarer: 'Bob', declarations: { Alice: 2 } };
    expect(reflects(phaseChange('declaration', d).data, 'Alice', declare)).toBe(true);
    expect(reflects(phaseChange('turn', TURN_DATA, { alice: { declared: 2 } }).data, 'Alice', declare)).toBe(
      true,
    );
    const prep = { redeal_multiplier: 1, redeal_decisions: { Alice: true } };
    expect(reflects(phaseChange('preparation', prep).data, 'Alice', accept)).toBe(true);
  });

  it('is not fooled by a bot playing other pieces, another turn or round, or a different decision', () => {
    const other = {
      ...TURN_DATA,
      turn_plays: { Alice: { pieces: ['SOLDIER_RED(2)'], play_type: 'SINGLE' } },
    };
    expect(reflects(phaseChange('turn', other).data, 'Alice', play)).toBe(false);
    const mine = { ...TURN_DATA, turn_plays: { Alice: { pieces: ['HORSE_RED(6)'], play_type: 'SINGLE' } } };
    expect(reflects(phaseChange('turn', { ...mine, current_turn_number: 2 }).data, 'Alice', play)).toBe(
      false,
    );
    expect(reflects(phaseChange('turn', mine, { round: 2 }).data, 'Alice', play)).toBe(false);
    expect(reflects(phaseChange('scoring', {}).data, 'Alice', play)).toBe(false);
    const prep = { redeal_multiplier: 1, redeal_decisions: { Alice: false } };
    expect(reflects(phaseChange('preparation', prep).data, 'Alice', accept)).toBe(false);
  });
});

describe('redeal choice', () => {
  const weak = (awaiting: string[], multiplier = 1): Record<string, unknown> =>
    phaseChange('preparation', {
      redeal_multiplier: multiplier,
      weak_players_awaiting: awaiting,
      simultaneous_mode: true,
    }).data;

  it('answers only when named in weak_players_awaiting with simultaneous_mode', () => {
    expect(decide(weak(['Bob']), 'Alice', STRATEGY)).toBeNull();
    expect(
      decide(
        phaseChange('preparation', { redeal_multiplier: 1, weak_players_awaiting: ['Alice'] }).data,
        'Alice',
        STRATEGY,
      ),
    ).toBeNull();
    expect(decide(weak(['Alice']), 'Alice', STRATEGY)).toEqual({
      key: 'preparation:r1:x1:Alice',
      event: 'decline_redeal',
      data: { player_name: 'Alice' },
    });
  });

  it('acceptFirst N accepts N times, then declines; each deal is its own decision point', () => {
    const policy = { acceptFirst: 2 };
    expect(
      decide(weak(['Alice'], 1), 'Alice', { ...STRATEGY, redeal: policy, acceptedSoFar: 0 })?.event,
    ).toBe('accept_redeal');
    expect(
      decide(weak(['Alice'], 2), 'Alice', { ...STRATEGY, redeal: policy, acceptedSoFar: 1 })?.event,
    ).toBe('accept_redeal');
    const third = decide(weak(['Alice'], 3), 'Alice', { ...STRATEGY, redeal: policy, acceptedSoFar: 2 });
    expect(third?.event).toBe('decline_redeal');
    expect(third?.key).toBe('preparation:r1:x3:Alice');
  });
});

describe('Browser cookie jar', () => {
  it('stores Set-Cookie, sends them back, honours expiry, and is never shared', () => {
    const a = new Browser('a');
    const b = new Browser('b');
    expect(a.cookieHeader()).toBeUndefined();
    a.storeSetCookie(['sid=abc123; Path=/; HttpOnly; SameSite=Lax', 'theme=dark']);
    expect(a.cookieHeader()).toBe('sid=abc123; theme=dark');
    expect(b.cookieHeader()).toBeUndefined();
    a.storeSetCookie('sid=xyz; Max-Age=3600');
    expect(a.cookies()).toEqual({ sid: 'xyz', theme: 'dark' });
    a.storeSetCookie('theme=; Max-Age=0');
    a.storeSetCookie('sid=old; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(a.cookies()).toEqual({});
  });

  it('derives the ws origin from http or ws base URLs', () => {
    expect(wsOrigin('http://127.0.0.1:5050/')).toBe('ws://127.0.0.1:5050');
    expect(wsOrigin('https://example.com')).toBe('wss://example.com');
    expect(wsOrigin('ws://localhost:1234/ws')).toBe('ws://localhost:1234');
  });

  it('describes the last frames for failure messages', () => {
    const frames: ServerFrame[] = Array.from({ length: 12 }, (_, i) => ({ event: `e${i}`, data: { i } }));
    const text = describeFrames(frames);
    expect(text.split('\n')).toHaveLength(10);
    expect(text).toContain('#2 e2');
    expect(text).toContain('#11 e11 {"i":11}');
    expect(describeFrames([])).toContain('no frames');
  });
});
