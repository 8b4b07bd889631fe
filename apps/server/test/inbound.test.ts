import { describe, expect, it } from 'vitest';
import { parseInbound } from '../src/protocol/inbound.js';

describe('inbound validation (protocol §2.3)', () => {
  it.each([
    [{ event: 'create_room', data: { player_name: 'Alice' } }, true],
    [{ event: 'create_room', data: { player_name: '  Bob  ' } }, true],
    [{ event: 'create_room', data: {} }, /Player name must be a string/],
    [{ event: 'create_room', data: { player_name: '' } }, /cannot be empty/],
    [{ event: 'create_room', data: { player_name: 'x'.repeat(51) } }, /too long/],
    [{ event: 'create_room', data: { player_name: '<script>' } }, /invalid characters/],
    [{ event: 'create_room', data: { player_name: '1234' } }, /cannot be a plain number/],
    [{ event: 'create_room', data: { player_name: '0' } }, /cannot be a plain number/],
    [{ event: 'create_room', data: { player_name: 'Bot 3' } }, /kept for bots/],
    [{ event: 'join_room', data: { room_id: 'ABCDEF', player_name: ' Bot 2 ' } }, /kept for bots/],
    [{ event: 'create_room', data: { player_name: '007' } }, true],
    [{ event: 'create_room', data: { player_name: '4294967295' } }, true],
    [{ event: 'create_room', data: { player_name: '42-0' } }, true],
    [{ event: 'declare', data: { value: 9 } }, /between 0 and 8/],
    [{ event: 'declare', data: { value: 2.5 } }, /must be an integer/],
    [{ event: 'play', data: { piece_indices: [] } }, /at least one piece/],
    [{ event: 'play', data: { piece_indices: [1, 1] } }, /Duplicate piece index/],
    [{ event: 'play', data: { piece_indices: [0, 1, 2, 3, 4, 5, 6] } }, /more than 6/],
    [{ event: 'play', data: { piece_indices: [32] } }, /out of valid range/],
    [{ event: 'play', data: { piece_indices: 'zero' } }, /must be an array/],
    [{ event: 'add_bot', data: { slot_id: '3' } }, true],
    [{ event: 'add_bot', data: { slot_id: 5 } }, /between 1 and 4/],
    [{ event: 'remove_player', data: {} }, /Player ID to remove is required/],
    [{ event: 'redeal_decision', data: { choice: 'maybe' } }, /accept' or 'decline/],
    [{ event: 'frobnicate', data: {} }, /Unknown event type: frobnicate/],
    [{ data: {} }, /'event' field/],
    [{ event: 'ping', data: [] }, /dictionary/],
    [{ event: 'x'.repeat(101) }, /too long/],
  ])('%j', (message, expected) => {
    const r = parseInbound(message);
    if (expected === true) expect(r.ok).toBe(true);
    else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(expected as RegExp);
    }
  });

  it('cleans the data it accepts', () => {
    const r = parseInbound({ event: 'join_room', data: { room_id: 'ABC123', player_name: '  Bob ' } });
    expect(r).toMatchObject({ ok: true, data: { player_name: 'Bob', room_id: 'ABC123' } });
    const slot = parseInbound({ event: 'add_bot', data: { slot_id: '2' } });
    expect(slot).toMatchObject({ ok: true, data: { slot_id: 2 } });
  });
});
